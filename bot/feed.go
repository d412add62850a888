package bot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pulse-bot/pulse/bot/parse"
)

// Progress fed by data: the API (package bot/api), the CLI's `pulse
// progress` and scheduled metric pulls all record through FeedProgress,
// which checks the update the way a typed one is checked and records it
// with the same atomic store step (Store.RecordUpdate) keyed by the
// caller's idempotency key: the same key twice records once, exactly as a
// platform's retry of a chat message does.

// Feeder is who feeds progress: an API token, a metric source or the
// operator's CLI. Updates it records carry Feeder.Author() as their author
// and its Name as their source unless the call names another.
type Feeder struct {
	// Team is the only team whose goals the feeder may read and update;
	// empty for the CLI, which runs with the operator's Redis access.
	Team string
	// Name is the token's or source's name ("shop-analytics"), or "cli".
	Name string
}

// FeederOf is the feeder an API token stands for.
func FeederOf(t APIToken) Feeder { return Feeder{Team: t.Team, Name: t.Name} }

// Author is the id the feeder's updates are recorded under.
func (f Feeder) Author() UserID {
	team := f.Team
	if team == "" {
		team = "operator"
	}
	return NewUserID(PlatformAPI, team, f.Name)
}

// FeedUpdate is one value for a goal from outside chat.
type FeedUpdate struct {
	GoalID string
	Value  float64
	// Unit, when set, is the unit the value was given in (the CLI's
	// "2.6%"); it must be the goal's. Empty means the goal's unit.
	Unit string
	// Status is what the feeder states ("on_track", "at risk", 有风险 …); optional.
	Status string
	Note   string
	// Source names the system the value came from; empty means the feeder's name.
	Source string
	// At back-dates the update (a back-fill); zero means now.
	At time.Time
	// Key is the caller's idempotency key; required.
	Key string
}

// FeedResult is what a fed update did.
type FeedResult struct {
	// Goal is the goal as the update left it.
	Goal   Goal
	Update Update
	// Replayed is set when the key was seen before: Update is the one that
	// key recorded then, and nothing changed now.
	Replayed bool
	// Announcement, when set, is the line the team channel should get; the
	// caller sends it with Announce once it has answered its own caller.
	Announcement *Announcement
}

// Announcement is a message for a team's channel about a fed update.
type Announcement struct {
	To  Address
	Msg Message
	Key string
}

// ProblemKind classifies a refusal for callers that answer with a status
// code (the API): the sentence is the same as chat's.
type ProblemKind int

// Problem kinds.
const (
	ProblemInvalid ProblemKind = iota
	ProblemNotFound
	ProblemForbidden
	ProblemConflict
)

// ProblemOf returns the kind and catalogue key of a refusal; ok is false
// for an error that is not one (an internal failure).
func ProblemOf(err error) (ProblemKind, string, bool) {
	var ue *userError
	if errors.As(err, &ue) {
		return ue.Kind, ue.Key, true
	}
	var pe *parse.Error
	if errors.As(err, &pe) {
		return ProblemInvalid, pe.Key, true
	}
	return 0, "", false
}

func refuseAs(kind ProblemKind, key string, data map[string]any) error {
	return &userError{Key: key, Data: data, Kind: kind}
}

// maxFeedSkew is how far in the future a fed time may be: clocks of data
// tools drift a little; more is a mistake.
const maxFeedSkew = 5 * time.Minute

// FeedProgress records a value for a goal from the API, the CLI or a pull.
func (s *Service) FeedProgress(ctx context.Context, f Feeder, in FeedUpdate) (FeedResult, error) {
	now := s.clock.Now()
	g, err := s.feedGoal(ctx, f, in.GoalID)
	if err != nil {
		return FeedResult{}, err
	}
	if g.State != GoalOpen {
		// A retry of an update made before the goal closed answers as
		// it did then; anything else is refused.
		if u, ok, err := s.priorFeed(ctx, g, in.Key); err != nil || ok {
			return FeedResult{Goal: g, Update: u, Replayed: ok}, err
		}
		return FeedResult{}, refuseAs(ProblemConflict, "error_goal_closed", map[string]any{"ID": g.ID})
	}
	spec, at, err := s.checkFeed(ctx, g, in, now)
	var replay *replayOf
	if errors.As(err, &replay) {
		return FeedResult{Goal: g, Update: replay.update, Replayed: true}, nil
	}
	if err != nil {
		return FeedResult{}, err
	}
	source := in.Source
	if source == "" {
		source = f.Name
	}
	r := &request{ev: Event{Key: in.Key, Platform: PlatformAPI}, now: at, actor: Person{ID: f.Author(), Name: f.Name}}
	u, change, err := s.buildUpdate(r, g, spec)
	if err != nil {
		return FeedResult{}, err
	}
	u.Via = source
	u, err = s.store.RecordUpdate(ctx, u, change, r.audit("goal.updated", g.ID, formatNumber(in.Value)+" via "+source))
	replayed := errors.Is(err, ErrDuplicate)
	switch {
	case replayed:
	case errors.Is(err, ErrGoalClosed):
		return FeedResult{}, refuseAs(ProblemConflict, "error_goal_closed", map[string]any{"ID": g.ID})
	case errors.Is(err, ErrOutOfRange):
		return FeedResult{}, refuse("error_milestone_range", nil)
	case errors.Is(err, ErrConflict):
		return FeedResult{}, refuseAs(ProblemConflict, "error_goal_metric_changed", map[string]any{"ID": g.ID})
	case err != nil:
		return FeedResult{}, fmt.Errorf("record fed update on %s: %w", g.ID, err)
	}
	if replayed && u.GoalID != g.ID {
		return FeedResult{}, refuseAs(ProblemConflict, "api_key_reused", map[string]any{"ID": u.GoalID})
	}
	if replayed {
		// The goal may have moved since; show it as it is now.
		if g, err = s.loadGoal(ctx, g.ID); err != nil {
			return FeedResult{}, err
		}
	} else {
		g.apply(u)
	}
	res := FeedResult{Goal: g, Update: u, Replayed: replayed}
	if !replayed && in.At.IsZero() {
		res.Announcement = s.announcement(ctx, g, u)
	}
	return res, nil
}

// priorFeed finds the update a key recorded on g, if any.
func (s *Service) priorFeed(ctx context.Context, g Goal, key string) (Update, bool, error) {
	if key == "" {
		return Update{}, false, nil
	}
	ups, err := s.store.GoalUpdates(ctx, g.ID, time.Time{}, s.clock.Now().Add(maxFeedSkew+time.Second))
	if err != nil {
		return Update{}, false, fmt.Errorf("history of %s: %w", g.ID, err)
	}
	for _, u := range ups {
		if u.Key == key {
			return u, true, nil
		}
	}
	return Update{}, false, nil
}

// ValidateFeed checks a fed update as FeedProgress would, recording
// nothing, so a batch (the CLI's CSV back-fill) can be refused whole
// before any of it lands.
func (s *Service) ValidateFeed(ctx context.Context, f Feeder, in FeedUpdate) error {
	g, err := s.feedGoal(ctx, f, in.GoalID)
	if err != nil {
		return err
	}
	if g.State != GoalOpen {
		return refuseAs(ProblemConflict, "error_goal_closed", map[string]any{"ID": g.ID})
	}
	spec, at, err := s.checkFeed(ctx, g, in, s.clock.Now())
	var replay *replayOf
	if errors.As(err, &replay) {
		return nil
	}
	if err != nil {
		return err
	}
	r := &request{ev: Event{Key: in.Key, Platform: PlatformAPI}, now: at, actor: Person{ID: f.Author()}}
	_, _, err = s.buildUpdate(r, g, spec)
	return err
}

// feedGoal loads a goal the feeder may update: one of its team's.
func (s *Service) feedGoal(ctx context.Context, f Feeder, id string) (Goal, error) {
	gid, ok := parse.GoalID(strings.TrimSpace(id))
	if !ok {
		return Goal{}, refuseAs(ProblemNotFound, "error_goal_unknown", map[string]any{"ID": id})
	}
	g, err := s.store.GetGoal(ctx, gid)
	if errors.Is(err, ErrNotFound) {
		return Goal{}, refuseAs(ProblemNotFound, "error_goal_unknown", map[string]any{"ID": gid})
	}
	if err != nil {
		return Goal{}, fmt.Errorf("load goal %s: %w", gid, err)
	}
	if !CanFeederSeeGoal(f, g) {
		return Goal{}, refuseAs(ProblemForbidden, "api_goal_other_team", map[string]any{"ID": g.ID, "Team": f.Team})
	}
	return g, nil
}

// replayOf is checkFeed's answer for a back-fill already in the goal's
// history: the update that recorded it.
type replayOf struct{ update Update }

func (r *replayOf) Error() string { return "already recorded as update at " + r.update.At.String() }

// checkFeed checks a fed value as the parser checks a typed one and returns
// it as the progress spec chat would have made, with the update's time. A
// back-fill whose key is already in the goal's history is a *replayOf.
func (s *Service) checkFeed(ctx context.Context, g Goal, in FeedUpdate, now time.Time) (parse.ProgressSpec, time.Time, error) {
	if strings.TrimSpace(in.Key) == "" {
		return parse.ProgressSpec{}, time.Time{}, refuse("api_key_missing", nil)
	}
	if math.IsNaN(in.Value) || math.IsInf(in.Value, 0) || math.Abs(in.Value) > 1e15 {
		return parse.ProgressSpec{}, time.Time{}, refuse("api_value_invalid", nil)
	}
	spec := parse.ProgressSpec{GoalID: g.ID, Value: parse.Value{Number: in.Value, Unit: in.Unit}, Note: neutraliseBroadcasts(CleanText(strings.TrimSpace(in.Note)))}
	if utf8.RuneCountInString(spec.Note) > MaxTextLength {
		return parse.ProgressSpec{}, time.Time{}, refuse("error_too_long", map[string]any{"Max": MaxTextLength})
	}
	if in.Status != "" {
		st, ok := parse.ParseStatus(in.Status)
		if !ok {
			return parse.ProgressSpec{}, time.Time{}, refuse("api_status_invalid", map[string]any{"Status": in.Status})
		}
		spec.Status = st
	}
	if in.Source != "" && !ValidSourceName(in.Source) {
		return parse.ProgressSpec{}, time.Time{}, refuse("api_source_invalid", map[string]any{"Source": in.Source})
	}
	at := now
	if !in.At.IsZero() {
		if in.At.After(now.Add(maxFeedSkew)) {
			return parse.ProgressSpec{}, time.Time{}, refuse("api_at_future", map[string]any{"At": in.At.UTC().Format(time.RFC3339)})
		}
		// A back-filled value becomes the goal's current one, so it must
		// come after every update the goal already has.
		later, err := s.store.GoalUpdates(ctx, g.ID, in.At, now.Add(maxFeedSkew+time.Second))
		if err != nil {
			return parse.ProgressSpec{}, time.Time{}, fmt.Errorf("updates of %s after %s: %w", g.ID, in.At, err)
		}
		for _, u := range later {
			if u.Key == in.Key {
				// This very update, back-filled before (a file imported
				// again, past the idempotency marker's lifetime too).
				return spec, at, &replayOf{u}
			}
		}
		if len(later) > 0 {
			return parse.ProgressSpec{}, time.Time{}, refuseAs(ProblemConflict, "api_at_before_latest", map[string]any{
				"ID": g.ID, "At": in.At.UTC().Format(time.RFC3339), "Latest": later[len(later)-1].At.UTC().Format(time.RFC3339)})
		}
		at = in.At
	}
	return spec, at, nil
}

// announcement is the team channel's line about a fed update: the same
// change a typed update shows its author, naming where it came from.
func (s *Service) announcement(ctx context.Context, g Goal, u Update) *Announcement {
	// The channel is read by every member: a private goal's value is not theirs to see.
	if !CanSeeGoal(ChannelViewer(g.TeamID), g) {
		return nil
	}
	team, err := s.store.GetTeam(ctx, g.TeamID)
	if err != nil || team.Channel == "" {
		return nil
	}
	r := &request{now: u.At, locale: team.Locale, viewer: Viewer{Inside: true}}
	msg := Message{Title: s.t(r, "feed_announce_title", map[string]any{"ID": g.ID, "Title": g.Title, "Source": u.Via})}
	msg.Blocks = append(msg.Blocks,
		Text{Text: s.t(r, "goal_updated_change", map[string]any{
			"From": s.formatValue(g, u.Previous), "To": s.formatValue(g, u.Value), "Target": s.formatValue(g, g.Metric.Target)})},
		s.progressBlock(r, g))
	if u.Note != "" {
		msg.Blocks = append(msg.Blocks, Context{Text: u.Note})
	}
	return &Announcement{To: Address{Platform: team.Platform, Channel: team.Channel}, Msg: msg.In(team.Locale), Key: u.Key + ":announce"}
}

// Announce posts a fed update's line in its team's channel. A failure is
// logged: the update itself is already stored.
func (s *Service) Announce(ctx context.Context, a *Announcement) {
	if a == nil {
		return
	}
	s.notify(ctx, a.To, a.Msg.Locale, a.Msg, a.Key)
}

// FedGoal is a goal as the API shows it, with the figures every view shows.
type FedGoal struct {
	Goal    Goal
	Figures GoalFigures
	// Updates are the latest updates, oldest first (only for one goal).
	Updates []Update
}

// feederRequest is a read made by a feeder, for the figure functions.
func (s *Service) feederRequest(f Feeder) *request {
	v := Viewer{ID: f.Author(), Inside: true, Admin: f.Team == ""}
	if f.Team != "" {
		v.Manages = []string{f.Team}
	}
	return &request{now: s.clock.Now(), viewer: v, actor: Person{ID: f.Author()}}
}

// maxFedHistory is how many of a goal's updates GET /goals/{id} returns.
const maxFedHistory = 50

// FeederGoal returns one goal of the feeder's team with its figures and latest updates.
func (s *Service) FeederGoal(ctx context.Context, f Feeder, id string) (FedGoal, error) {
	g, err := s.feedGoal(ctx, f, id)
	if err != nil {
		return FedGoal{}, err
	}
	r := s.feederRequest(f)
	ups, err := s.store.GoalUpdates(ctx, g.ID, time.Time{}, r.now.Add(maxFeedSkew+time.Second))
	if err != nil {
		return FedGoal{}, fmt.Errorf("history of %s: %w", g.ID, err)
	}
	if len(ups) > maxFedHistory {
		ups = ups[len(ups)-maxFedHistory:]
	}
	return FedGoal{Goal: g, Figures: s.figuresWithRollUp(ctx, r, g), Updates: ups}, nil
}

// FeederTeamGoals returns the open goals of a team the feeder may read.
func (s *Service) FeederTeamGoals(ctx context.Context, f Feeder, team string) ([]FedGoal, error) {
	id := TeamID(team)
	if f.Team != "" && f.Team != id {
		return nil, refuseAs(ProblemForbidden, "api_team_other", map[string]any{"Team": team, "Own": f.Team})
	}
	if _, err := s.store.GetTeam(ctx, id); errors.Is(err, ErrNotFound) {
		return nil, refuseAs(ProblemNotFound, "error_team_unknown", map[string]any{"Team": team})
	} else if err != nil {
		return nil, fmt.Errorf("load team %s: %w", id, err)
	}
	all, err := s.store.TeamGoals(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("list goals of %s: %w", id, err)
	}
	r := s.feederRequest(f)
	goals := openGoals(all)
	figures, err := s.figuresOf(ctx, r, goals)
	if err != nil {
		return nil, err
	}
	out := make([]FedGoal, 0, len(goals))
	for _, g := range goals {
		if CanFeederSeeGoal(f, g) {
			out = append(out, FedGoal{Goal: g, Figures: figures[g.ID]})
		}
	}
	return out, nil
}

// AuditFeed records an API call that changed nothing (a read, a refusal)
// in the feeder's team's audit log; updates are audited by their own write.
func (s *Service) AuditFeed(ctx context.Context, f Feeder, action, subject, detail string) error {
	if f.Team == "" {
		return nil
	}
	a := AuditEntry{At: s.clock.Now(), Actor: f.Author(), Action: action, Subject: subject, Detail: detail}
	if err := s.store.Audit(ctx, f.Team, a); err != nil {
		return fmt.Errorf("audit %s by %s: %w", action, f.Author(), err)
	}
	return nil
}
