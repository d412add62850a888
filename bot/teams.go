package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot/parse"
)

// The one rule by which a command finds its team (README "Several teams"):
// the team named with "team <name>"; else the team of the channel the
// command was typed in, when the person may act there; else the person's
// primary team (/pulse me team), else their only team; else Pulse asks,
// with a button per team. It never picks one silently. Membership is read
// at the time of the command, so leaving a team ends what it allowed.

// teamNeed is what a command needs of the actor in the team it acts on. It
// decides which teams the command may go to without being told.
type teamNeed int

const (
	// needView: a team the actor is in, as member or manager (views).
	needView teamNeed = iota
	// needMember: the actor acts as a member (own goals, check-ins).
	needMember
	// needBelong: the actor acts as one of the team, member or manager
	// (kudos, whose allowance is the team's).
	needBelong
	// needManager: the actor manages the team, or is an admin.
	needManager
)

// teamQuery is what chooseTeam needs for one command.
type teamQuery struct {
	// name is the team the command named ("" for none).
	name string
	// fits says whether the command may act in a team.
	fits func(Team) bool
	// named refuses a named team that does not fit; nil leaves the check
	// to the command, which says why in its own words.
	named func(Team) error
	// among are the teams the command may go to unnamed (before fits).
	among []Team
	// none is the refusal when no team fits; nil uses the default.
	none error
	// primary is the primary team of the person the command is for; ""
	// means the actor's.
	primary string
}

// teamChoice is the answer "which team?": the teams that fit, none of them
// marked as the one. Handle turns it into a reply with a button per team.
type teamChoice struct{ teams []Team }

func (c *teamChoice) Error() string { return fmt.Sprintf("ask which of %d teams", len(c.teams)) }

// resolveTeam finds the team a command is about by the one rule, for a
// command that needs need of the actor.
func (s *Service) resolveTeam(ctx context.Context, r *request, name string, need teamNeed) (Team, error) {
	teams, err := s.teamsOf(ctx, r)
	if err != nil {
		return Team{}, err
	}
	if need == needMember {
		q, err := s.memberQuery(ctx, r, name)
		if err != nil {
			return Team{}, err
		}
		return s.chooseTeam(ctx, r, q)
	}
	q := teamQuery{name: name, among: teams}
	switch need {
	case needBelong:
		q.fits = func(t Team) bool { return t.HasMember(r.actor.ID) || t.HasManager(r.actor.ID) }
		q.named = func(t Team) error { return s.notMember(ctx, r, t) }
	case needManager:
		q.fits = func(t Team) bool { return s.canManage(t, r.actor.ID) }
	default:
		q.fits = func(t Team) bool {
			return t.HasMember(r.actor.ID) || t.HasManager(r.actor.ID) || s.isAdmin(r.actor.ID)
		}
	}
	return s.chooseTeam(ctx, r, q)
}

// chooseTeam applies the rule to q.
func (s *Service) chooseTeam(ctx context.Context, r *request, q teamQuery) (Team, error) {
	picked := q.name == "" && r.picked != ""
	if picked {
		q.name = r.picked
	}
	if q.name != "" {
		t, err := s.namedTeam(ctx, q.name)
		if err != nil {
			return Team{}, err
		}
		switch {
		case q.fits(t):
		case picked:
			// A button offers only teams that fit: this one no longer does.
			return Team{}, refuse("team_pick_expired", nil)
		case q.named != nil:
			return Team{}, q.named(t)
		}
		return t, nil
	}
	if t, ok := s.channelTeam(ctx, r); ok && q.fits(t) {
		return t, nil
	}
	var fit []Team
	for _, t := range q.among {
		if q.fits(t) {
			fit = append(fit, t)
		}
	}
	if q.primary == "" {
		q.primary = r.actor.PrimaryTeam
	}
	for _, t := range fit {
		if t.ID == q.primary {
			return t, nil
		}
	}
	switch {
	case len(fit) == 1:
		return fit[0], nil
	case len(fit) > 1:
		return Team{}, &teamChoice{teams: fit}
	case q.none != nil && len(q.among) > 0:
		return Team{}, q.none
	case len(q.among) == 1:
		// The command refuses in its own words (not a manager, …).
		return q.among[0], nil
	case len(q.among) > 1:
		return Team{}, refuse("team_name_it", map[string]any{"Teams": teamNames(q.among)})
	case s.isAdmin(r.actor.ID):
		return Team{}, refuse("team_name_it", map[string]any{"Teams": "—"})
	}
	return Team{}, refuse("error_no_team", nil)
}

// namedTeam loads a team by the name a person typed.
func (s *Service) namedTeam(ctx context.Context, name string) (Team, error) {
	t, err := s.store.GetTeam(ctx, TeamID(name))
	if errors.Is(err, ErrNotFound) {
		return Team{}, refuse("error_team_unknown", map[string]any{"Team": name})
	}
	if err != nil {
		return Team{}, fmt.Errorf("load team %s: %w", name, err)
	}
	return t, nil
}

// notMember is the refusal for acting as a member of a team one is not (or
// no longer) in: why, and whom to ask.
func (s *Service) notMember(ctx context.Context, r *request, t Team) error {
	return refuse("team_not_member", map[string]any{"Team": t.Name, "Managers": s.managerNames(ctx, r, t)})
}

// managerNames lists a team's managers by name, for "ask …" sentences.
func (s *Service) managerNames(ctx context.Context, r *request, t Team) string {
	if len(t.Managers) == 0 {
		return s.t(r, "team_ask_admin", nil)
	}
	names, err := s.names(ctx, r, t.Managers)
	if err != nil {
		s.log.Warn().Err(err).Str("team", t.ID).Msg("names of managers")
		return s.t(r, "team_ask_admin", nil)
	}
	return joinNames(names, t.Managers)
}

func teamNames(teams []Team) string {
	out := make([]string, len(teams))
	for i, t := range teams {
		out[i] = t.Name
	}
	return strings.Join(out, ", ")
}

// isTeamName reports whether name is a team, for grammars that read a
// trailing "team <name>" only when it names one.
func (s *Service) isTeamName(ctx context.Context) func(string) bool {
	return func(name string) bool {
		_, err := s.store.GetTeam(ctx, TeamID(name))
		return err == nil
	}
}

// cutTeam takes a trailing "team <name>" off a command's free text.
func (s *Service) cutTeam(ctx context.Context, args string) (rest, name string) {
	return parse.TrailingTeam(args, s.isTeamName(ctx), false)
}

// teamPickTTL is how long a "which team?" question can be answered.
const teamPickTTL = 24 * time.Hour

// teamPickKey names the command kept while its sender chooses a team; the
// sender's id is part of it, so nobody else can answer for them.
func teamPickKey(id UserID, ref string) string { return "team-pick:" + string(id) + ":" + ref }

// askTeam keeps the command and asks which team it is for: a button per
// team, each re-running the command in that team. The console shows each
// button's command ("… team growth") to type instead.
func (s *Service) askTeam(ctx context.Context, r *request, c *teamChoice) (Response, error) {
	sum := sha256.Sum256([]byte(r.ev.Key))
	ref := hex.EncodeToString(sum[:8])
	kept, err := json.Marshal(r.ev)
	if err != nil {
		return Response{}, fmt.Errorf("keep command for a team pick: %w", err)
	}
	if err := s.store.CacheSet(ctx, teamPickKey(r.actor.ID, ref), string(kept), teamPickTTL); err != nil {
		return Response{}, fmt.Errorf("keep command for a team pick: %w", err)
	}
	typed := s.typedCommand(r)
	row := make(Buttons, 0, len(c.teams))
	for _, t := range c.teams {
		row = append(row, Button{ID: ActionPickTeam, Label: t.Name, Value: ref + "|" + t.ID, Command: typed + " team " + t.ID})
	}
	msg := Message{Blocks: []Block{
		Text{Text: s.t(r, "team_pick", map[string]any{"Teams": teamNames(c.teams)})},
		row,
		Context{Text: s.t(r, "team_pick_primary", nil)},
	}}
	return Response{Reply: msg, Visibility: Private, Locale: r.locale}, nil
}

// typedCommand is the command as the person could type it again: people
// by name, not by internal id.
func (s *Service) typedCommand(r *request) string {
	text := strings.TrimSpace(r.ev.Text)
	if text == "" && r.ev.Kind == KindAction {
		text = formCommand(r)
	}
	return mentionToken.ReplaceAllStringFunc(text, func(tok string) string {
		id := UserID(tok[2 : len(tok)-1])
		if name := r.ev.Names[id]; name != "" {
			return "@" + name
		}
		return "@" + id.Local()
	})
}

// formCommand is a submitted form as the command that does the same; a
// form whose answers fit no one-line command (a check-in, a review) as the
// command that opens it again.
func formCommand(r *request) string {
	f := r.ev.Action.Fields
	switch r.ev.Action.ID {
	case ActionKudosSubmit:
		return "/kudos " + formText(r, "to", "message")
	case ActionGoalUpdateSubmit:
		return "/goal " + formText(r, "goal", "value", "note")
	case ActionGoalNewSubmit:
		if owner := strings.TrimSpace(f["owner"]); owner != "" {
			return "/goal new " + formText(r, "goal") + " for " + owner
		}
		return "/goal new " + formText(r, "goal")
	case ActionFeedbackRequestSubmit:
		text := "/feedback request " + strings.TrimSpace(f["asked"])
		if topic := strings.TrimSpace(f["topic"]); topic != "" {
			text += " about " + topic
		}
		if due := strings.TrimSpace(f["due"]); due != "" {
			text += " by " + due
		}
		return text
	case ActionReviewSubmit:
		return "/review write"
	case ActionCheckInForm, ActionCheckInSubmit:
		return "/checkin"
	}
	return formText(r, slices.Sorted(maps.Keys(f))...)
}

// pickTeam answers a team button: the kept command runs again, in the team
// picked, as if it had named it. A second press acts once: the re-run is
// keyed by the kept command.
func (s *Service) pickTeam(ctx context.Context, r *request) (Response, error) {
	ref, teamID, ok := strings.Cut(r.ev.Action.Value, "|")
	if !ok || teamID == "" {
		return Response{}, refuse("team_pick_expired", nil)
	}
	data, found, err := s.store.CacheGet(ctx, teamPickKey(r.actor.ID, ref))
	if err != nil {
		return Response{}, fmt.Errorf("load command for a team pick: %w", err)
	}
	if !found {
		return Response{}, refuse("team_pick_expired", nil)
	}
	var ev Event
	if err := json.Unmarshal([]byte(data), &ev); err != nil {
		return Response{}, fmt.Errorf("read command for a team pick: %w", err)
	}
	if ev.User != r.actor.ID {
		return Response{}, refuse("team_pick_expired", nil)
	}
	ev.Key += ":team"
	again := *r
	again.ev, again.picked = ev, teamID
	again.channel, again.channelLoaded = Team{}, false
	return s.dispatch(ctx, &again)
}

// newGoalTeam is the team a new goal is kept in: the team it is for; for a
// personal goal, a team its owner is a member of (and, for someone else's
// goal, one the actor manages), by the one rule.
func (s *Service) newGoalTeam(ctx context.Context, r *request, args, name string) (Team, error) {
	spec := s.goalOwnerClauses(ctx, r, args)
	switch {
	case spec.ForTeam != "":
		return s.resolveTeam(ctx, r, spec.ForTeam, needView)
	case spec.ForPerson == "" || UserID(spec.ForPerson) == r.actor.ID:
		q, err := s.memberQuery(ctx, r, name)
		if err != nil {
			return Team{}, err
		}
		q.none = refuse("goal_member_none", map[string]any{"Teams": teamNames(q.among)})
		return s.chooseTeam(ctx, r, q)
	}
	owner := UserID(spec.ForPerson)
	theirs, err := s.store.TeamsOf(ctx, owner)
	if err != nil {
		return Team{}, fmt.Errorf("teams of %s: %w", owner, err)
	}
	people, err := s.ensurePeople(ctx, r, []UserID{owner})
	if err != nil {
		return Team{}, err
	}
	return s.chooseTeam(ctx, r, teamQuery{
		name: name, among: theirs, primary: people[owner].PrimaryTeam,
		fits: func(t Team) bool { return t.HasMember(owner) && s.canManage(t, r.actor.ID) },
		named: func(t Team) error {
			if !t.HasMember(owner) {
				return refuse("team_person_not_member", map[string]any{"Name": people[owner].Name, "Team": t.Name})
			}
			return refuse("error_goal_for_other", nil)
		},
		none: refuse("error_goal_for_other", nil),
	})
}

// goalOwnerClauses reads whom a "/goal new" is for, before the team (and so
// the zone its dates are read in) is known; the full reading comes later.
func (s *Service) goalOwnerClauses(ctx context.Context, r *request, args string) parse.GoalSpec {
	loc, err := s.homeLocation(ctx, r)
	if err != nil {
		loc = time.UTC
	}
	if ref, isTemplate, err := parse.ParseTemplateRef(args); err == nil && isTemplate {
		args = "goal " + ref.Rest
	}
	spec, err := parse.ParseGoalSpec(args, r.now, loc)
	if err != nil {
		// The full reading refuses it, in the team's zone.
		return parse.GoalSpec{}
	}
	return spec
}

// memberQuery is the query of a command the actor makes as a member.
func (s *Service) memberQuery(ctx context.Context, r *request, name string) (teamQuery, error) {
	teams, err := s.teamsOf(ctx, r)
	if err != nil {
		return teamQuery{}, err
	}
	return teamQuery{
		name: name, among: teams,
		fits:  func(t Team) bool { return t.HasMember(r.actor.ID) },
		named: func(t Team) error { return s.notMember(ctx, r, t) },
		none:  refuse("team_member_none", map[string]any{"Teams": teamNames(teams)}),
	}, nil
}

// homeLocation is the zone a person's own dates are read in when no team
// is in question: their own, else the team the rule would pick without
// asking (channel, primary, only), else UTC. It never asks.
func (s *Service) homeLocation(ctx context.Context, r *request) (*time.Location, error) {
	if r.actor.TimeZone != "" {
		return loadLocation(r.actor.TimeZone), nil
	}
	t, err := s.resolveTeam(ctx, r, "", needView)
	var choice *teamChoice
	switch {
	case err == nil:
		return t.Location(), nil
	case errors.As(err, &choice) || isUserError(err):
		return time.UTC, nil
	}
	return nil, err
}

// setPrimaryTeam is "/pulse me team <name>|none": the team commands go to
// when the person is in several and names none. It must be a team they are
// a member of.
func (s *Service) setPrimaryTeam(ctx context.Context, r *request, args string) (Response, error) {
	name := strings.TrimSpace(args)
	if name == "" {
		return Response{}, refuse("me_team_usage", nil)
	}
	if parse.IsNone(name) {
		r.actor.PrimaryTeam = ""
		if err := s.store.SavePerson(ctx, r.actor); err != nil {
			return Response{}, fmt.Errorf("clear primary team of %s: %w", r.actor.ID, err)
		}
		return s.say(r, "me_team_cleared", nil), nil
	}
	t, err := s.namedTeam(ctx, name)
	if err != nil {
		return Response{}, err
	}
	if !t.HasMember(r.actor.ID) {
		return Response{}, s.notMember(ctx, r, t)
	}
	r.actor.PrimaryTeam = t.ID
	if err := s.store.SavePerson(ctx, r.actor); err != nil {
		return Response{}, fmt.Errorf("save primary team of %s: %w", r.actor.ID, err)
	}
	return s.say(r, "me_team_done", map[string]any{"Team": t.Name}), nil
}

// showMe is "/pulse me": the person's own settings, the primary team only
// while they are still a member of it.
func (s *Service) showMe(ctx context.Context, r *request) (Response, error) {
	teams, err := s.teamsOf(ctx, r)
	if err != nil {
		return Response{}, err
	}
	none := s.t(r, "me_none", nil)
	zone, lang, primary := r.actor.TimeZone, string(r.actor.Locale), none
	if zone == "" {
		zone = none
	}
	if lang == "" {
		lang = none
	}
	var member []Team
	for _, t := range teams {
		if t.HasMember(r.actor.ID) {
			member = append(member, t)
			if t.ID == r.actor.PrimaryTeam {
				primary = t.Name
			}
		}
	}
	all := none
	if len(member) > 0 {
		all = teamNames(member)
	}
	msg := Message{Title: s.t(r, "me_title", nil), Blocks: []Block{
		Fields{
			{Label: s.t(r, "me_label_teams", nil), Value: all},
			{Label: s.t(r, "me_label_primary", nil), Value: primary},
			{Label: s.t(r, "me_label_timezone", nil), Value: zone},
			{Label: s.t(r, "me_label_language", nil), Value: lang},
		},
		Context{Text: s.t(r, "me_hint", nil)},
	}}
	return Response{Reply: msg, Visibility: Private}, nil
}

// clearPrimary forgets the primary team of people who left t: leaving a
// team ends what it gave. A failure is logged; a stale primary team is
// ignored by the rule anyway, as membership is read at each command.
func (s *Service) clearPrimary(ctx context.Context, r *request, t Team, gone []UserID) {
	people, err := s.store.People(ctx, gone)
	if err != nil {
		s.log.Warn().Err(err).Str("team", t.ID).Msg("load people who left")
		return
	}
	for _, p := range people {
		if p.PrimaryTeam != t.ID || t.HasMember(p.ID) {
			continue
		}
		p.PrimaryTeam = ""
		if err := s.store.SavePerson(ctx, p); err != nil {
			s.log.Warn().Err(err).Str("person", string(p.ID)).Msg("clear primary team")
		}
		if p.ID == r.actor.ID {
			r.actor.PrimaryTeam = ""
		}
	}
}

// stillMember refuses a check-in answer in a team the person has left
// since it started, and closes that conversation, so their next direct
// message is read as what it is.
func (s *Service) stillMember(ctx context.Context, r *request, t Team) error {
	if t.HasMember(r.actor.ID) {
		return nil
	}
	if err := s.store.ClearConversation(ctx, r.actor.ID); err != nil {
		return fmt.Errorf("close conversation in %s: %w", t.ID, err)
	}
	return s.notMember(ctx, r, t)
}
