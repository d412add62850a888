package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot/parse"
)

// maxEvidenceWeeks bounds how many ISO weeks an evidence pack reads.
const maxEvidenceWeeks = 27

// Evidence is what Pulse knows of a person's period, for the reviewer
// beside the form and for the person with their results.
type Evidence struct {
	From, To time.Time
	// Goals are the person's goals open in (or closed during) the period.
	Goals []Goal
	// Weeks is how many check-in weeks the period spans; Answered how many the person answered.
	Weeks, Answered int
	// Highlights and Blockers are "<week>: <answer>" lines, newest first.
	Highlights, Blockers []string
	KudosReceived        int
	Values               map[string]int
	// Feedback is the feedback received that may be shown (anonymous
	// answers below the floor are left out and counted in Held).
	Feedback []Feedback
	Held     map[string]int
	// Full packs include check-in answers and feedback; a peer's pack only
	// goals and kudos.
	Full bool
}

// buildEvidence gathers the pack from the weekly scorecards of the period
// and the store's kudos and feedback: the records v, who will read it, may
// read (a peer does not see a private goal; a manager does not see
// feedback the team keeps to the person).
func (s *Service) buildEvidence(ctx context.Context, v Viewer, team Team, person UserID, from, to time.Time, full bool) (Evidence, error) {
	ev := Evidence{From: from, To: to, Values: map[string]int{}, Full: full}
	loc := team.Location()
	if start := to.AddDate(0, 0, -7*maxEvidenceWeeks); from.Before(start) {
		from = start
	}
	sc, err := s.BuildScorecard(ctx, team, ISOWeek(to, loc), person)
	if err != nil {
		return Evidence{}, err
	}
	for _, g := range sc.Goals {
		if CanSeeGoal(v, g.Goal) {
			ev.Goals = append(ev.Goals, g.Goal)
		}
	}
	first := ISOWeek(from, loc)
	for week, done := to, false; !done; week = week.AddDate(0, 0, -7) {
		period := ISOWeek(week, loc)
		done = period <= first
		ev.Weeks++
		if !full {
			continue
		}
		c, err := s.store.GetCheckIn(ctx, team.ID, period, person)
		if errors.Is(err, ErrNotFound) || (err == nil && (!c.Done() || !CanSeeCheckIn(v, c))) {
			continue
		}
		if err != nil {
			return Evidence{}, fmt.Errorf("check-in of %s %s: %w", person, period, err)
		}
		ev.Answered++
		if h := c.Highlight(team); h != "" {
			ev.Highlights = append(ev.Highlights, period+": "+h)
		}
		if b := c.Blockers(team); b != "" {
			ev.Blockers = append(ev.Blockers, period+": "+b)
		}
	}
	// Reads end just after to, so what was said at this very instant counts.
	end := to.Add(time.Second)
	kudos, err := s.store.TeamKudos(ctx, team.ID, from, end)
	if err != nil {
		return Evidence{}, fmt.Errorf("kudos of %s: %w", team.ID, err)
	}
	for _, k := range kudos {
		if slices.Contains(k.To, person) && CanSeeKudos(v, k) {
			ev.KudosReceived++
			for _, v := range k.Values {
				ev.Values[v]++
			}
		}
	}
	if full {
		list, err := s.feedbackOf(ctx, team.ID, person, from, end)
		if err != nil {
			return Evidence{}, err
		}
		settings, err := s.store.ReviewSettings(ctx, team.ID)
		if err != nil {
			return Evidence{}, fmt.Errorf("feedback settings of %s: %w", team.ID, err)
		}
		ev.Feedback, ev.Held = visibleFeedback(keep(list, func(f Feedback) bool { return CanSeeFeedback(v, f, settings) }))
	}
	return ev, nil
}

// maxEvidenceLines keeps each list of the pack short enough to read beside a form.
const maxEvidenceLines = 5

func firstLines(lines []string) string {
	if len(lines) > maxEvidenceLines {
		lines = lines[:maxEvidenceLines]
	}
	return strings.Join(lines, "\n")
}

// evidenceBlocks renders the pack.
func (s *Service) evidenceBlocks(ctx context.Context, r *request, ev Evidence, name string) []Block {
	blocks := []Block{Text{Text: s.t(r, "evidence_title", map[string]any{"Name": name,
		"From": ev.From.Format("2006-01-02"), "To": ev.To.Format("2006-01-02")})}}
	if len(ev.Goals) == 0 {
		blocks = append(blocks, Context{Text: s.t(r, "goal_list_empty", nil)})
	}
	goals := append([]Goal(nil), ev.Goals...)
	sortByRisk(goals, r.now)
	for _, g := range goals {
		blocks = append(blocks, s.progressBlock(r, g))
	}
	fields := Fields{{Label: s.t(r, "label_kudos", nil), Value: fmt.Sprintf("%d", ev.KudosReceived)}}
	if len(ev.Values) > 0 {
		fields = append(fields, Field{Label: s.t(r, "label_values", nil), Value: countedTags(ev.Values, 0)})
	}
	if ev.Full {
		fields = append([]Field{{Label: s.t(r, "label_checkins", nil), Value: fmt.Sprintf("%d/%d", ev.Answered, ev.Weeks)}}, fields...)
	}
	blocks = append(blocks, fields)
	if !ev.Full {
		return blocks
	}
	if len(ev.Highlights) > 0 {
		blocks = append(blocks, Text{Text: s.t(r, "summary_highlights", nil) + "\n" + firstLines(ev.Highlights)})
	}
	if len(ev.Blockers) > 0 {
		blocks = append(blocks, Text{Text: s.t(r, "scorecard_blockers", nil) + "\n" + firstLines(ev.Blockers)})
	}
	fb, err := s.feedbackBlocks(ctx, r, ev.Feedback)
	if err != nil {
		s.log.Warn().Err(err).Msg("render feedback")
	}
	if len(fb) > 0 || len(ev.Held) > 0 {
		blocks = append(blocks, Text{Text: s.t(r, "evidence_feedback", map[string]any{"Count": len(ev.Feedback)})})
		blocks = append(blocks, fb...)
		for _, id := range sortedKeys(ev.Held) {
			blocks = append(blocks, s.heldBackLine(ctx, r, id, ev.Held[id]))
		}
	}
	return blocks
}

// countedTags writes "#a ×3 #b ×1", most frequent first; limit > 0 keeps the top ones.
func countedTags(counts map[string]int, limit int) string {
	tags := sortedKeys(counts)
	sort.SliceStable(tags, func(i, j int) bool { return counts[tags[i]] > counts[tags[j]] })
	if limit > 0 && len(tags) > limit {
		tags = tags[:limit]
	}
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = fmt.Sprintf("#%s ×%d", t, counts[t])
	}
	return strings.Join(out, " ")
}

// --- the review meeting ------------------------------------------------------

// meetingThemes is how many feedback themes the agenda lists.
const meetingThemes = 5

// reviewMeeting builds a manager's agenda for a person: goals off track,
// open blockers, flagged check-ins, feedback themes and earlier actions.
func (s *Service) reviewMeeting(ctx context.Context, r *request, args string) (Response, error) {
	who, rest, err := oneMention(args, "review_meeting_usage")
	if err != nil {
		return Response{}, err
	}
	if rest != "" {
		return Response{}, refuse("review_meeting_usage", nil)
	}
	team, from, err := s.meetingScope(ctx, r, who)
	if err != nil {
		return Response{}, err
	}
	names, err := s.names(ctx, r, []UserID{who})
	if err != nil {
		return Response{}, err
	}
	ev, err := s.buildEvidence(ctx, r.viewer, team, who, from, r.now, true)
	if err != nil {
		return Response{}, err
	}
	msg := Message{Title: s.t(r, "meeting_title", map[string]any{"Name": names[who], "From": from.In(team.Location()).Format("2006-01-02")})}
	add := func(titleKey string, body []Block) {
		msg.Blocks = append(msg.Blocks, Text{Text: s.t(r, titleKey, nil)})
		if len(body) == 0 {
			body = []Block{Context{Text: s.t(r, "meeting_nothing", nil)}}
		}
		msg.Blocks = append(msg.Blocks, body...)
	}
	var risky []Block
	for _, g := range ev.Goals {
		st := g.ComputedStatus(r.now)
		if g.State == GoalOpen && (st == OffTrack || st == AtRisk || g.Stated == OffTrack || g.Stated == AtRisk) {
			risky = append(risky, s.progressBlock(r, g))
		}
	}
	add("meeting_goals", risky)
	add("meeting_blockers", textBlock(s.openBlockers(ctx, team, who, r.now)))
	flagged, err := s.flaggedLines(ctx, r.viewer, team, who, from)
	if err != nil {
		return Response{}, err
	}
	add("meeting_flagged", textBlock(flagged))
	add("meeting_themes", textBlock(feedbackThemes(ev.Feedback)))
	actions, err := s.actionLines(ctx, r, team, who, from)
	if err != nil {
		return Response{}, err
	}
	add("meeting_actions", textBlock(actions))
	msg.Blocks = append(msg.Blocks, Context{Text: s.t(r, "meeting_hint", map[string]any{"Mention": "@" + names[who]})})
	return Response{Reply: msg, Visibility: Private}, nil
}

func textBlock(lines []string) []Block {
	if len(lines) == 0 {
		return nil
	}
	return []Block{Text{Text: strings.Join(lines, "\n")}}
}

// meetingScope checks the actor manages one of the person's teams and
// returns it with the start of the period: the latest cycle's, or a quarter
// ago. Of several such teams the one rule finds it (or asks).
func (s *Service) meetingScope(ctx context.Context, r *request, who UserID) (Team, time.Time, error) {
	teams, err := s.store.TeamsOf(ctx, who)
	if err != nil {
		return Team{}, time.Time{}, fmt.Errorf("teams of %s: %w", who, err)
	}
	if len(teams) == 0 {
		return Team{}, time.Time{}, refuse("review_person_no_team", nil)
	}
	managed := keep(teams, func(t Team) bool { return s.canManage(t, r.actor.ID) })
	if len(managed) == 0 {
		return Team{}, time.Time{}, refuse("error_not_manager", map[string]any{"Team": teams[0].Name})
	}
	t, err := s.chooseTeam(ctx, r, teamQuery{among: managed, fits: func(t Team) bool { return containsTeam(managed, t.ID) },
		named: func(t Team) error { return refuse("error_not_manager", map[string]any{"Team": t.Name}) }})
	if err != nil {
		return Team{}, time.Time{}, err
	}
	from := r.now.Add(-ReviewDefaultPeriod)
	cycles, err := s.store.ReviewCycles(ctx, t.ID)
	if err != nil {
		return Team{}, time.Time{}, fmt.Errorf("cycles of %s: %w", t.ID, err)
	}
	if len(cycles) > 0 {
		from = cycles[len(cycles)-1].PeriodFrom
	}
	return t, from, nil
}

// openBlockers are the blockers of the person's latest two check-ins.
func (s *Service) openBlockers(ctx context.Context, team Team, who UserID, now time.Time) []string {
	var out []string
	period := currentPeriod(team, now)
	for _, p := range []string{period, previousPeriod(period, team.Location())} {
		sc, err := s.BuildScorecard(ctx, team, p, who)
		if err != nil {
			s.log.Warn().Err(err).Msg("blockers for meeting")
			continue
		}
		for _, b := range sc.Blockers {
			out = append(out, "• "+p+": "+b.Text)
		}
	}
	return out
}

// flaggedLines are the person's flagged check-ins of the period that v may read.
func (s *Service) flaggedLines(ctx context.Context, v Viewer, team Team, who UserID, from time.Time) ([]string, error) {
	flags, err := s.store.ReviewFlags(ctx, team.ID)
	if err != nil {
		return nil, fmt.Errorf("flags of %s: %w", team.ID, err)
	}
	first := ISOWeek(from, team.Location())
	var out []string
	for _, f := range flags {
		if f.Person != who || f.Period < first {
			continue
		}
		c, err := s.store.GetCheckIn(ctx, team.ID, f.Period, who)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("flagged check-in %s: %w", f.Period, err)
		}
		if !CanSeeCheckIn(v, CheckIn{TeamID: team.ID, Person: who, Period: f.Period}) {
			continue
		}
		line := "• " + f.Period + ": " + strings.Join(c.Answers, " · ")
		if f.Note != "" {
			line += " (" + f.Note + ")"
		}
		out = append(out, line)
	}
	return out, nil
}

// feedbackThemes counts the values and tags feedback named, most named first.
func feedbackThemes(list []Feedback) []string {
	counts := map[string]int{}
	for _, f := range list {
		for _, v := range f.Values {
			counts[v]++
		}
		for _, t := range f.Tags {
			counts[t]++
		}
	}
	if len(counts) == 0 {
		return nil
	}
	return []string{countedTags(counts, meetingThemes)}
}

// actionLines lists the person's actions still open, and those done in the period.
func (s *Service) actionLines(ctx context.Context, r *request, team Team, who UserID, from time.Time) ([]string, error) {
	actions, err := s.store.DevActions(ctx, team.ID)
	if err != nil {
		return nil, fmt.Errorf("actions of %s: %w", team.ID, err)
	}
	var out []string
	for _, x := range actions {
		if x.Person != who || (!x.Done.IsZero() && x.Done.Before(from)) || !CanSeeDevAction(r.viewer, x) {
			continue
		}
		key := "action_line_open"
		if !x.Done.IsZero() {
			key = "action_line_done"
		}
		out = append(out, s.t(r, key, map[string]any{"ID": x.ID, "Text": x.Text, "Due": x.Due.In(team.Location()).Format("2006-01-02")}))
	}
	return out, nil
}

// --- development actions and flags ------------------------------------------

// reviewAction records "@person <text> by <date>", or closes one with "done A3".
func (s *Service) reviewAction(ctx context.Context, r *request, args string) (Response, error) {
	if id, ok := parse.ActionDone(args); ok {
		return s.actionDone(ctx, r, id)
	}
	who, rest, err := oneMention(args, "review_action_usage")
	if err != nil {
		return Response{}, err
	}
	team, _, err := s.meetingScope(ctx, r, who)
	if err != nil {
		return Response{}, err
	}
	action, ok, err := parse.ParseAction(rest, r.now, team.Location())
	if err != nil {
		return Response{}, err
	}
	if !ok {
		return Response{}, refuse("review_action_usage", nil)
	}
	due := action.Due
	if due.Before(startOfDay(r.now, team.Location())) {
		return Response{}, refuse("error_date_past", map[string]any{"Date": due.Format("2006-01-02")})
	}
	x := DevAction{TeamID: team.ID, Person: who, Text: action.Text, Due: due, By: r.actor.ID, At: r.now}
	x, err = s.store.SaveDevAction(ctx, x, r.audit("review.action", "", string(who)))
	if err != nil {
		return Response{}, fmt.Errorf("save action: %w", err)
	}
	names, err := s.names(ctx, r, []UserID{who, r.actor.ID})
	if err != nil {
		return Response{}, err
	}
	people, err := s.store.People(ctx, []UserID{who})
	if err != nil {
		return Response{}, fmt.Errorf("load %s: %w", who, err)
	}
	l := localeOf(people[who], team)
	data := map[string]any{"ID": x.ID, "Text": x.Text, "Due": due.Format("2006-01-02"), "By": names[r.actor.ID]}
	s.notify(ctx, Address{Platform: who.Platform(), User: who}, l, Message{Blocks: []Block{Text{Text: s.catalog.T(l, "action_recorded_dm", data)}}}, r.ev.Key+":action")
	data["Name"] = names[who]
	return s.say(r, "action_recorded", data), nil
}

func (s *Service) actionDone(ctx context.Context, r *request, id string) (Response, error) {
	teams, err := s.store.TeamsOf(ctx, r.actor.ID)
	if err != nil {
		return Response{}, fmt.Errorf("teams of %s: %w", r.actor.ID, err)
	}
	for _, t := range teams {
		actions, err := s.store.DevActions(ctx, t.ID)
		if err != nil {
			return Response{}, fmt.Errorf("actions of %s: %w", t.ID, err)
		}
		for _, x := range actions {
			if x.ID != id || (x.Person != r.actor.ID && !s.canManage(t, r.actor.ID)) {
				continue
			}
			if x.Done.IsZero() {
				x.Done = r.now
				if _, err := s.store.SaveDevAction(ctx, x, r.audit("review.action_done", x.ID, string(x.Person))); err != nil {
					return Response{}, fmt.Errorf("close action %s: %w", x.ID, err)
				}
			}
			return s.say(r, "action_done", map[string]any{"ID": x.ID, "Text": x.Text}), nil
		}
	}
	return Response{}, refuse("action_unknown", map[string]any{"ID": parse.Quote(id)})
}

// reviewFlag marks "@person <week> [note]" for the next meeting's agenda.
func (s *Service) reviewFlag(ctx context.Context, r *request, args string) (Response, error) {
	who, rest, err := oneMention(args, "review_flag_usage")
	if err != nil {
		return Response{}, err
	}
	team, _, err := s.meetingScope(ctx, r, who)
	if err != nil {
		return Response{}, err
	}
	flag, ok := parse.ParseFlag(rest, r.now, team.Location())
	if !ok {
		return Response{}, refuse("review_flag_usage", nil)
	}
	period, note := flag.Period, flag.Note
	c, err := s.store.GetCheckIn(ctx, team.ID, period, who)
	if errors.Is(err, ErrNotFound) || (err == nil && !c.Done()) {
		return Response{}, refuse("review_flag_no_checkin", map[string]any{"Period": period})
	}
	if err != nil {
		return Response{}, fmt.Errorf("check-in %s: %w", period, err)
	}
	f := ReviewFlag{TeamID: team.ID, Person: who, Period: period, Note: note, By: r.actor.ID, At: r.now}
	if err := s.store.SaveReviewFlag(ctx, f, r.audit("review.flagged", string(who)+":"+period, note)); err != nil {
		return Response{}, fmt.Errorf("flag check-in: %w", err)
	}
	names, err := s.names(ctx, r, []UserID{who})
	if err != nil {
		return Response{}, err
	}
	return s.say(r, "review_flagged", map[string]any{"Name": names[who], "Period": period}), nil
}
