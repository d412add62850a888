package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Goal-nudge rules from the scheduler issue: a goal with no update in
// StaleAfter, or due within DueSoon and behind pace, gets one nudge a week.
const (
	StaleAfter = 14 * 24 * time.Hour
	DueSoon    = 7 * 24 * time.Hour
)

// PlanJob returns the deliveries one run of a job makes for one team.
// Planning reads; Deliver writes. The scheduler stores deliveries durably
// between the two, so a crash never loses or doubles a prompt.
func (s *Service) PlanJob(ctx context.Context, req JobRequest) ([]Delivery, error) {
	team, err := s.store.GetTeam(ctx, req.TeamID)
	if err != nil {
		return nil, fmt.Errorf("plan %s for %s: %w", req.Job, req.TeamID, err)
	}
	period := currentPeriod(team, req.At)
	switch req.Job {
	case JobCheckInPrompt, JobCheckInRemind:
		return s.planCheckInDMs(ctx, team, req)
	case JobCheckInSummary:
		return s.planSummary(ctx, team, period, req.At)
	case JobScorecardDigest:
		// The same scorecard (and, with a chart renderer, the same chart) as
		// "/scorecard", read as any member of the team (ChannelViewer): no
		// individual moods, no member's private goal.
		// Its figures stand where the data does: at the period's end, or now
		// when a late run reads a running period (never at the fire time
		// with values of later).
		now := s.clock.Now()
		if req.At.After(now) {
			now = req.At
		}
		sc, err := s.scorecardResponse(ctx, &request{now: now, locale: team.Locale, viewer: ChannelViewer(team.ID)}, team, period, "", scorecardView{})
		if err != nil {
			return nil, err
		}
		return []Delivery{{Key: "digest:" + team.ID + ":" + period, Job: req.Job, TeamID: team.ID, Period: period,
			To: Address{Platform: team.Platform, Channel: team.Channel}, Msg: sc.Reply.In(team.Locale), File: sc.File}}, nil
	case JobGoalNudge:
		return s.planNudges(ctx, team, period, req.At)
	case JobFeedbackRemind:
		return s.PlanFeedbackReminders(ctx, team.ID, req.At)
	case JobReviewRemind:
		return s.PlanReviewReminders(ctx, team.ID, req.At)
	case JobActionNudge:
		return s.PlanActionNudges(ctx, team.ID, req.At)
	}
	return nil, fmt.Errorf("plan: unknown job %q", req.Job)
}

// planCheckInDMs prompts (or reminds) each member who still owes this period's check-in.
func (s *Service) planCheckInDMs(ctx context.Context, team Team, req JobRequest) ([]Delivery, error) {
	targets := req.People
	if targets == nil {
		targets = team.Members
	}
	people, err := s.store.People(ctx, targets)
	if err != nil {
		return nil, fmt.Errorf("load people of %s: %w", team.ID, err)
	}
	// Each member's week is the ISO week of their own local date.
	done := map[string]map[UserID]bool{}
	var out []Delivery
	for _, id := range targets {
		p := people[id]
		p.ID = id
		period := personPeriod(p, team, req.At)
		if _, ok := done[period]; !ok {
			checkIns, err := s.store.TeamCheckIns(ctx, team.ID, period)
			if err != nil {
				return nil, fmt.Errorf("check-ins of %s: %w", team.ID, err)
			}
			done[period] = map[UserID]bool{}
			for _, c := range checkIns {
				done[period][c.Person] = c.Done() || c.Skipped
			}
		}
		if done[period][id] || !team.HasMember(id) || p.IsAway(req.At, personLocation(p, team)) {
			continue
		}
		c := CheckIn{TeamID: team.ID, Person: id, Period: period}
		// A member of the team: their viewer needs no other team.
		if !CanSeeCheckIn(s.viewerFrom(id, []Team{team}), c) {
			continue
		}
		l := localeOf(p, team)
		intro := s.catalog.T(l, "checkin_intro", map[string]any{"Team": team.Name, "Period": period})
		if req.Job == JobCheckInRemind {
			intro = s.catalog.T(l, "checkin_reminder", map[string]any{"Team": team.Name, "Period": period})
		}
		out = append(out, Delivery{
			Key: string(req.Job) + ":" + team.ID + ":" + period + ":" + string(id), Job: req.Job, TeamID: team.ID,
			Period: period, Person: id, To: Address{Platform: id.Platform(), User: id},
			Msg: s.questionMessage(l, team, c, intro).In(l),
		})
	}
	return out, nil
}

// planSummary posts one channel message with counts, highlights, blockers
// and (with enough answers, once nobody is missing: CanSeeMoodInAverage)
// the mood average; each person's answers go in its thread.
func (s *Service) planSummary(ctx context.Context, team Team, period string, at time.Time) ([]Delivery, error) {
	p, err := s.participation(ctx, team, period, at)
	if err != nil {
		return nil, err
	}
	names, err := s.names(ctx, nil, team.Members)
	if err != nil {
		return nil, err
	}
	l := team.Locale
	msg := Message{Title: s.catalog.T(l, "summary_title", map[string]any{"Team": team.Name, "Period": period})}
	msg.Blocks = append(msg.Blocks, Fields{
		{Label: s.catalog.T(l, "label_answered", nil), Value: fmt.Sprintf("%d/%d", len(p.answered), p.expected())},
		{Label: s.catalog.T(l, "label_missing", nil), Value: listOrDash(names, p.missing)},
		{Label: s.catalog.T(l, "label_skipped", nil), Value: listOrDash(names, p.skipped)},
		{Label: s.catalog.T(l, "label_away", nil), Value: listOrDash(names, p.away)},
	})
	var highlights, blockers []string
	mood, moods := 0, 0
	var thread []Message
	channel := ChannelViewer(team.ID)
	_, end, err := WeekBounds(period, team.Location())
	settled := len(p.missing) == 0 || (err == nil && !at.Before(end))
	for _, id := range p.answered {
		c := p.checkIns[id]
		if !CanSeeCheckIn(channel, c) {
			continue
		}
		if h := c.Highlight(team); h != "" {
			highlights = append(highlights, "• "+names[id]+": "+h)
		}
		if b := c.Blockers(team); b != "" {
			blockers = append(blockers, "• "+names[id]+": "+b)
		}
		if CanSeeMoodInAverage(channel, c, settled) {
			mood, moods = mood+c.Mood, moods+1
		}
		thread = append(thread, s.answersMessage(l, team, c, names[id]).In(l))
	}
	if len(blockers) > 0 {
		msg.Blocks = append(msg.Blocks, Text{Text: s.catalog.T(l, "scorecard_blockers", nil) + "\n" + strings.Join(blockers, "\n")})
	}
	if len(highlights) > 0 {
		msg.Blocks = append(msg.Blocks, Text{Text: s.catalog.T(l, "summary_highlights", nil) + "\n" + strings.Join(highlights, "\n")})
	}
	if moods >= MinMoodAnswers {
		msg.Blocks = append(msg.Blocks, Context{Text: s.catalog.T(l, "summary_mood", map[string]any{"Mood": fmt.Sprintf("%.1f", float64(mood)/float64(moods))})})
	}
	return []Delivery{{Key: "summary:" + team.ID + ":" + period, Job: JobCheckInSummary, TeamID: team.ID, Period: period,
		To: Address{Platform: team.Platform, Channel: team.Channel}, Msg: msg.In(l), Thread: thread}}, nil
}

// planNudges finds open goals that went quiet or are due soon and behind pace.
func (s *Service) planNudges(ctx context.Context, team Team, period string, at time.Time) ([]Delivery, error) {
	goals, err := s.store.TeamGoals(ctx, team.ID)
	if err != nil {
		return nil, fmt.Errorf("goals of %s: %w", team.ID, err)
	}
	var out []Delivery
	for _, g := range goals {
		if g.State != GoalOpen {
			continue
		}
		stale := at.Sub(g.UpdatedAt) > StaleAfter
		expected, hasPace := g.ExpectedProgress(at)
		late := hasPace && g.Due.Sub(at) < DueSoon && g.Progress() < expected
		if !stale && !late {
			continue
		}
		owners := []UserID{g.Owner}
		if g.OwnerTeam != "" {
			owners = team.Managers
		}
		out = append(out, s.nudgeDeliveries(ctx, team, g, period, stale, owners)...)
	}
	return out, nil
}

func (s *Service) nudgeDeliveries(ctx context.Context, team Team, g Goal, period string, stale bool, owners []UserID) []Delivery {
	people, err := s.store.People(ctx, owners)
	if err != nil {
		s.log.Warn().Err(err).Msg("load nudge owners")
	}
	var out []Delivery
	for _, id := range owners {
		if ok, err := s.mayRead(ctx, id, func(v Viewer) bool { return CanSeeGoal(v, g) }); err != nil || !ok {
			if err != nil {
				s.log.Warn().Err(err).Str("goal", g.ID).Msg("ask whether a nudge's owner may read the goal")
			}
			continue
		}
		l := localeOf(people[id], team)
		key := "goal_nudge_late"
		if stale {
			key = "goal_nudge_stale"
		}
		msg := Message{Blocks: []Block{
			Text{Text: s.catalog.T(l, key, map[string]any{"ID": g.ID, "Title": g.Title})},
			Buttons{{ID: ActionGoalUpdateForm, Label: s.catalog.T(l, "button_update_goal", nil), Value: g.ID, Command: "/goal " + g.ID + " <value>"}},
		}}
		out = append(out, Delivery{Key: "nudge:" + g.ID + ":" + period + ":" + string(id), Job: JobGoalNudge, TeamID: team.ID,
			Period: period, Person: id, To: Address{Platform: id.Platform(), User: id}, Msg: msg.In(l)})
	}
	return out
}

// Deliver sends one planned delivery and applies its side effects: a
// check-in prompt opens the person's conversation first, so their first
// answer lands; a summary remembers its thread so late answers join it.
func (s *Service) Deliver(ctx context.Context, d Delivery) error {
	if d.Job == JobCheckInPrompt && d.Person != "" {
		held, err := s.openPromptedConversation(ctx, d)
		if err != nil {
			return err
		}
		d.Msg = held
	}
	ref, err := s.messenger.Send(ctx, d.To, d.Msg, d.Key)
	if err != nil {
		return fmt.Errorf("deliver %s: %w", d.Key, err)
	}
	if d.File != nil {
		if err := s.deliverFile(ctx, d); err != nil {
			return err
		}
	}
	if len(d.Thread) == 0 {
		return nil
	}
	if err := s.store.CacheSet(ctx, summaryThreadKey(d.TeamID, d.Period), ref.ID, 30*24*time.Hour); err != nil {
		return fmt.Errorf("remember summary thread %s: %w", d.Key, err)
	}
	for i, m := range d.Thread {
		to := d.To
		to.Thread = ref.ID
		if _, err := s.messenger.Send(ctx, to, m, fmt.Sprintf("%s:thread:%d", d.Key, i)); err != nil {
			return fmt.Errorf("deliver %s thread %d: %w", d.Key, i, err)
		}
	}
	return nil
}

// deliverFile sends a delivery's file after its message. A messenger (or,
// routed, a platform) that cannot send files is logged and skipped: the
// message is the delivery, the file an extra. A failed upload is an error,
// so the scheduler retries the delivery; the message's key keeps it from
// posting twice, and the file's own key does the same for the file.
func (s *Service) deliverFile(ctx context.Context, d Delivery) error {
	fs, ok := s.messenger.(FileSender)
	var unsupported *NoFileSenderError
	if ok {
		_, err := fs.SendFile(ctx, d.To, *d.File, d.Key+":file")
		if err == nil {
			return nil
		}
		if !errors.As(err, &unsupported) {
			return fmt.Errorf("deliver %s file %s: %w", d.Key, d.File.Name, err)
		}
	}
	s.log.Info().Str("delivery", d.Key).Str("file", d.File.Name).Str("platform", string(d.To.Platform)).
		Msg("messenger cannot send files; file skipped")
	return nil
}

// openPromptedConversation opens the conversation a check-in prompt starts,
// with the team's questions as the prompt asks them, so the answers keep
// the questions they were given to. A person in several teams may be in
// another team's check-in of the same week: that one keeps going, this
// prompt is held (it opens when that one is done, see nextHeldCheckIn) and
// its message says so. It returns the message to send.
func (s *Service) openPromptedConversation(ctx context.Context, d Delivery) (Message, error) {
	team, err := s.store.GetTeam(ctx, d.TeamID)
	if err != nil {
		return Message{}, fmt.Errorf("open conversation for %s: load team %s: %w", d.Person, d.TeamID, err)
	}
	open, err := s.store.Conversation(ctx, d.Person)
	switch {
	case err == nil && open.TeamID != d.TeamID && open.Period == d.Period:
		return s.holdPrompt(ctx, d, open)
	case err != nil && !errors.Is(err, ErrNotFound):
		return Message{}, fmt.Errorf("open conversation for %s: %w", d.Person, err)
	}
	conv := Conversation{TeamID: d.TeamID, Period: d.Period, Questions: team.CheckInQuestions()}
	if err := s.store.SetConversation(ctx, d.Person, conv); err != nil {
		return Message{}, fmt.Errorf("open conversation for %s: %w", d.Person, err)
	}
	return d.Msg, nil
}

// heldPromptKey names a check-in prompt held while another team's check-in
// is being answered; its value is the period.
func heldPromptKey(id UserID, teamID string) string {
	return "checkin-held:" + string(id) + ":" + teamID
}

// holdPrompt keeps d's team for after the open conversation and adds a
// line to its message saying which check-in comes first.
func (s *Service) holdPrompt(ctx context.Context, d Delivery, open Conversation) (Message, error) {
	if err := s.store.CacheSet(ctx, heldPromptKey(d.Person, d.TeamID), d.Period, 7*24*time.Hour); err != nil {
		return Message{}, fmt.Errorf("hold prompt of %s for %s: %w", d.TeamID, d.Person, err)
	}
	first := open.TeamID
	if t, err := s.store.GetTeam(ctx, open.TeamID); err == nil {
		first = t.Name
	}
	msg := d.Msg
	msg.Blocks = append(slices.Clone(msg.Blocks), Context{Text: s.catalog.T(msg.Locale, "checkin_held", map[string]any{"Team": first})})
	return msg, nil
}
