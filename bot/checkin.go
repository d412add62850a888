package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pulse-bot/pulse/bot/parse"
)

func (s *Service) checkInCommand(ctx context.Context, r *request, cmd Command) (Response, error) {
	switch cmd.Sub {
	case "":
		return s.startCheckIn(ctx, r, cmd.Args)
	case "skip":
		return s.skipCheckIn(ctx, r, cmd.Args)
	case "away":
		return s.goAway(ctx, r, cmd.Args)
	case "back":
		return s.comeBack(ctx, r)
	case "status":
		return s.checkInStatus(ctx, r, cmd.Args)
	}
	return Response{}, refuse("checkin_usage", nil)
}

// currentPeriod is the ISO week of now in the team's zone.
func currentPeriod(t Team, now time.Time) string { return ISOWeek(now, t.Location()) }

// startCheckIn starts, resumes or (when finished) reopens the actor's check-in.
func (s *Service) startCheckIn(ctx context.Context, r *request, args string) (Response, error) {
	if _, ok := parse.TeamArg(args); !ok {
		return Response{}, refuse("checkin_team_usage", nil)
	}
	team, err := s.resolveCheckInTeam(ctx, r, args, needMember)
	if err != nil {
		return Response{}, err
	}
	period := personPeriod(r.actor, team, r.now)
	c, err := s.loadCheckIn(ctx, team, period, r.actor.ID)
	if err != nil {
		return Response{}, err
	}
	editing := c.Done()
	if editing || c.Skipped {
		c.Next, c.Skipped, c.SkipReason = 0, false, ""
	}
	// The questions are kept from here on: an edit after the team changed
	// its questions edits the answers to the questions they were given to.
	// Nothing answered yet binds nothing: a fresh start asks today's questions.
	if len(c.Answers) == 0 {
		c.Questions = nil
	}
	c.Questions = c.AskedQuestions(team)
	c.UpdatedAt = r.now
	if err := s.store.SaveCheckIn(ctx, c, "", r.audit("checkin.started", period, "")); err != nil {
		return Response{}, fmt.Errorf("start check-in: %w", err)
	}
	paused, err := s.pauseOpenCheckIn(ctx, r, team)
	if err != nil {
		return Response{}, err
	}
	if err := s.store.SetConversation(ctx, r.actor.ID, Conversation{TeamID: team.ID, Period: period, Questions: c.Questions}); err != nil {
		return Response{}, fmt.Errorf("open conversation: %w", err)
	}
	intro := s.t(r, "checkin_intro", map[string]any{"Team": team.Name, "Period": period})
	if editing {
		intro = s.t(r, "checkin_edit_intro", map[string]any{"Period": period})
	}
	if paused != "" {
		intro = s.t(r, "checkin_paused", map[string]any{"Team": paused}) + "\n" + intro
	}
	return Response{Reply: s.questionMessage(r.locale, team, c, intro), Visibility: Private}, nil
}

// pauseOpenCheckIn holds the actor's open check-in of another team, the
// way a prompt that arrives during one is held (holdPrompt), so starting
// a second team's check-in does not silently drop the first: its answers
// so far stay, and it opens again where it stopped once this one is done
// or skipped (nextHeldCheckIn). It returns the held team's name, "" when
// nothing else was open.
func (s *Service) pauseOpenCheckIn(ctx context.Context, r *request, team Team) (string, error) {
	open, err := s.store.Conversation(ctx, r.actor.ID)
	if errors.Is(err, ErrNotFound) || (err == nil && open.TeamID == team.ID) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read open conversation: %w", err)
	}
	held, err := s.store.GetTeam(ctx, open.TeamID)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read team %s of the open check-in: %w", open.TeamID, err)
	}
	// A conversation of an earlier week, or of a team one has left, would
	// never open again: it is replaced, as before.
	if !held.HasMember(r.actor.ID) || open.Period != personPeriod(r.actor, held, r.now) {
		return "", nil
	}
	if err := s.store.CacheSet(ctx, heldPromptKey(r.actor.ID, open.TeamID), open.Period, 7*24*time.Hour); err != nil {
		return "", fmt.Errorf("hold check-in of %s: %w", open.TeamID, err)
	}
	return held.Name, nil
}

// resolveCheckInTeam picks the team named with "team <name>", else the usual one.
func (s *Service) resolveCheckInTeam(ctx context.Context, r *request, args string, need teamNeed) (Team, error) {
	// Anything but "team <name>" means the usual team.
	name, _ := parse.TeamArg(args)
	return s.resolveTeam(ctx, r, name, need)
}

func (s *Service) loadCheckIn(ctx context.Context, team Team, period string, id UserID) (CheckIn, error) {
	c, err := s.store.GetCheckIn(ctx, team.ID, period, id)
	if errors.Is(err, ErrNotFound) {
		return CheckIn{TeamID: team.ID, Person: id, Period: period}, nil
	}
	if err != nil {
		return CheckIn{}, fmt.Errorf("load check-in %s/%s: %w", team.ID, period, err)
	}
	return c, nil
}

// questionMessage asks the next question, with an intro line and a button
// for platforms that can show the whole form at once.
func (s *Service) questionMessage(l Locale, team Team, c CheckIn, intro string) Message {
	qs := c.AskedQuestions(team)
	var q, previous string
	if c.Next < len(qs) {
		q = s.questionText(l, qs[c.Next])
		if c.Next < len(c.Answers) {
			previous = c.Answers[c.Next]
		}
	} else {
		q = s.catalog.T(l, "checkin_q_mood", nil)
		if c.Mood > 0 {
			previous = strconv.Itoa(c.Mood)
		}
	}
	msg := Message{}
	if intro != "" {
		msg.Blocks = append(msg.Blocks, Text{Text: intro})
	}
	msg.Blocks = append(msg.Blocks, Text{Text: fmt.Sprintf("%d/%d  %s", c.Next+1, len(qs)+1, q)})
	if previous != "" {
		msg.Blocks = append(msg.Blocks, Context{Text: s.catalog.T(l, "checkin_previous", map[string]any{"Answer": previous})})
	}
	msg.Blocks = append(msg.Blocks, Buttons{{ID: ActionCheckInForm, Label: s.catalog.T(l, "button_checkin_form", nil), Value: team.ID + "|" + c.Period, Command: "/checkin"}})
	return msg
}

// answerCheckIn records one answer in the actor's open conversation and asks the next question.
func (s *Service) answerCheckIn(ctx context.Context, r *request, conv Conversation, text string) (Response, error) {
	team, err := s.store.GetTeam(ctx, conv.TeamID)
	if err != nil {
		return Response{}, fmt.Errorf("load team %s: %w", conv.TeamID, err)
	}
	if err := s.stillMember(ctx, r, team); err != nil {
		return Response{}, err
	}
	c, err := s.loadCheckIn(ctx, team, conv.Period, r.actor.ID)
	if err != nil {
		return Response{}, err
	}
	if r.ev.Key != "" && conv.OpenedBy == r.ev.Key {
		// This event finished another check-in and opened this held one.
		return Response{Reply: s.heldQuestion(r, team, c, conv), Visibility: Private}, nil
	}
	if r.ev.Key != "" && c.LastKey == r.ev.Key {
		return s.answeredBefore(ctx, r, team, c)
	}
	c.LastKey = r.ev.Key
	if len(c.Questions) == 0 && len(c.Answers) == 0 && len(conv.Questions) > 0 {
		// Prompted by the schedule: the answers go with the questions the prompt showed.
		c.Questions = conv.Questions
	}
	qs := c.AskedQuestions(team)
	c.Questions = qs
	c.UpdatedAt = r.now
	if c.Next >= len(qs) {
		// The mood answer finishes the check-in, also when it is an edit of
		// a finished one (which stays counted as answered meanwhile).
		mood, ok := parseMood(text)
		if !ok {
			return Response{}, refuse("checkin_mood_invalid", nil)
		}
		c.Mood, c.Completed = mood, r.now
		return s.finishCheckIn(ctx, r, team, c)
	}
	for len(c.Answers) < len(qs) {
		c.Answers = append(c.Answers, "")
	}
	c.Answers[c.Next] = text
	c.Next++
	if err := s.store.SaveCheckIn(ctx, c, r.ev.Key, r.audit("checkin.answered", c.Period, strconv.Itoa(c.Next))); err != nil {
		return Response{}, fmt.Errorf("save answer: %w", err)
	}
	return Response{Reply: s.questionMessage(r.locale, team, c, ""), Visibility: Private}, nil
}

// finishCheckIn saves a completed check-in, closes the conversation and,
// when the team's summary is already out, adds the answers to its thread.
func (s *Service) finishCheckIn(ctx context.Context, r *request, team Team, c CheckIn) (Response, error) {
	c.Questions = c.AskedQuestions(team)
	c.Next = len(c.Questions) + 1
	// A duplicate is this event's earlier delivery (a form delivered again),
	// which saved it and may have died before closing: carry on.
	if err := s.store.SaveCheckIn(ctx, c, r.ev.Key, r.audit("checkin.answered", c.Period, "complete")); err != nil && !errors.Is(err, ErrDuplicate) {
		return Response{}, fmt.Errorf("save check-in: %w", err)
	}
	return s.closeCheckIn(ctx, r, team, c)
}

// answeredBefore answers an event whose answer an earlier delivery saved
// (a worker that died before replying, taken over): as that delivery did,
// with the next question, or by closing the finished check-in. Nothing is
// saved again; the messages are keyed by the event.
func (s *Service) answeredBefore(ctx context.Context, r *request, team Team, c CheckIn) (Response, error) {
	if c.Done() {
		return s.closeCheckIn(ctx, r, team, c)
	}
	return Response{Reply: s.questionMessage(r.locale, team, c, ""), Visibility: Private}, nil
}

// closeCheckIn ends the conversation of a finished check-in, adds it to the
// summary thread if that is out, thanks, and opens a held check-in.
func (s *Service) closeCheckIn(ctx context.Context, r *request, team Team, c CheckIn) (Response, error) {
	if err := s.store.ClearConversation(ctx, r.actor.ID); err != nil {
		return Response{}, fmt.Errorf("close conversation: %w", err)
	}
	s.postLateAnswer(ctx, team, c, r.actor)
	resp := s.say(r, "checkin_thanks", map[string]any{"Period": c.Period})
	next, err := s.nextHeldCheckIn(ctx, r, team)
	if err != nil {
		return Response{}, err
	}
	resp.Reply.Blocks = append(resp.Reply.Blocks, next.Blocks...)
	return resp, nil
}

// finishedCheckInOf reports whether this event's answer finished one of the
// actor's check-ins of this period: the same answer delivered again after
// its worker closed the conversation and died before replying. Read only
// for a direct message nothing else understood.
func (s *Service) finishedCheckInOf(ctx context.Context, r *request) (period string, done bool, err error) {
	if r.ev.Key == "" {
		return "", false, nil
	}
	teams, err := s.teamsOf(ctx, r)
	if err != nil {
		return "", false, err
	}
	for _, t := range teams {
		if !t.HasMember(r.actor.ID) {
			continue
		}
		c, err := s.loadCheckIn(ctx, t, personPeriod(r.actor, t, r.now), r.actor.ID)
		if err != nil {
			return "", false, err
		}
		if c.Done() && c.LastKey == r.ev.Key {
			return c.Period, true, nil
		}
	}
	return "", false, nil
}

// heldQuestion asks the first open question of a held check-in that was
// just opened (conv), saying it was held until the other was done.
func (s *Service) heldQuestion(r *request, t Team, c CheckIn, conv Conversation) Message {
	if len(c.Answers) == 0 {
		c.Questions = conv.Questions
	}
	intro := s.t(r, "checkin_held_next", map[string]any{"Team": t.Name, "Period": conv.Period})
	return s.questionMessage(r.locale, t, c, intro)
}

// nextHeldCheckIn opens the check-in of another of the actor's teams whose
// prompt was held while this one was answered or skipped (holdPrompt) and asks its
// first open question; an empty message when none waits.
func (s *Service) nextHeldCheckIn(ctx context.Context, r *request, done Team) (Message, error) {
	teams, err := s.teamsOf(ctx, r)
	if err != nil {
		return Message{}, err
	}
	for _, t := range teams {
		if t.ID == done.ID || !t.HasMember(r.actor.ID) {
			continue
		}
		period, found, err := s.store.CacheGet(ctx, heldPromptKey(r.actor.ID, t.ID))
		if err != nil {
			return Message{}, fmt.Errorf("held prompt of %s: %w", t.ID, err)
		}
		if !found || period != personPeriod(r.actor, t, r.now) {
			continue
		}
		c, err := s.loadCheckIn(ctx, t, period, r.actor.ID)
		if err != nil {
			return Message{}, err
		}
		if c.Done() || c.Skipped {
			continue
		}
		conv := Conversation{TeamID: t.ID, Period: period, Questions: c.AskedQuestions(t), OpenedBy: r.ev.Key}
		if err := s.store.SetConversation(ctx, r.actor.ID, conv); err != nil {
			return Message{}, fmt.Errorf("open held conversation in %s: %w", t.ID, err)
		}
		return s.heldQuestion(r, t, c, conv), nil
	}
	return Message{}, nil
}

func parseMood(text string) (int, bool) {
	t := strings.TrimSpace(text)
	t = strings.TrimSuffix(strings.TrimSuffix(t, "/5"), "分")
	n, err := strconv.Atoi(strings.TrimSpace(toHalfWidthDigits(t)))
	if err != nil || n < 1 || n > 5 {
		return 0, false
	}
	return n, true
}

func toHalfWidthDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, s)
}

func (s *Service) skipCheckIn(ctx context.Context, r *request, reason string) (Response, error) {
	reason, name := s.cutTeam(ctx, reason)
	team, err := s.resolveTeam(ctx, r, name, needMember)
	if err != nil {
		return Response{}, err
	}
	period := personPeriod(r.actor, team, r.now)
	c, err := s.loadCheckIn(ctx, team, period, r.actor.ID)
	if err != nil {
		return Response{}, err
	}
	reason, confirmed := parse.CutConfirm(reason)
	if c.Done() && !confirmed {
		return s.confirmSkip(r, team, period, reason), nil
	}
	c.Skipped, c.SkipReason, c.UpdatedAt, c.Completed = true, strings.TrimSpace(reason), r.now, time.Time{}
	// A duplicate is this event's earlier delivery, which saved the skip
	// and may have died before closing the conversation: carry on.
	if err := s.store.SaveCheckIn(ctx, c, r.ev.Key, r.audit("checkin.skipped", period, c.SkipReason)); err != nil && !errors.Is(err, ErrDuplicate) {
		return Response{}, fmt.Errorf("skip check-in: %w", err)
	}
	if err := s.store.ClearConversation(ctx, r.actor.ID); err != nil {
		return Response{}, fmt.Errorf("close conversation: %w", err)
	}
	resp := s.say(r, "checkin_skipped", map[string]any{"Period": period})
	next, err := s.nextHeldCheckIn(ctx, r, team)
	if err != nil {
		return Response{}, err
	}
	resp.Reply.Blocks = append(resp.Reply.Blocks, next.Blocks...)
	return resp, nil
}

func (s *Service) goAway(ctx context.Context, r *request, args string) (Response, error) {
	loc, err := s.homeLocation(ctx, r)
	if err != nil {
		return Response{}, err
	}
	until, err := parse.ParseAwayUntil(args, r.now, loc)
	if err != nil {
		return Response{}, err
	}
	if until.Before(startOfDay(r.now, loc)) {
		return Response{}, refuse("error_date_past", map[string]any{"Date": until.Format("2006-01-02")})
	}
	r.actor.AwayUntil = until
	if err := s.store.SavePerson(ctx, r.actor); err != nil {
		return Response{}, fmt.Errorf("save away of %s: %w", r.actor.ID, err)
	}
	s.auditAllTeams(ctx, r, r.audit("person.away", string(r.actor.ID), until.Format("2006-01-02")))
	return s.say(r, "checkin_away", map[string]any{"Date": until.Format("2006-01-02")}), nil
}

// comeBack ends an away spell. Someone who was not away is told so and
// nothing is written: there is nobody to welcome back.
func (s *Service) comeBack(ctx context.Context, r *request) (Response, error) {
	if r.actor.AwayUntil.IsZero() || r.actor.AwayUntil.Before(r.now.AddDate(0, 0, -1)) {
		return s.say(r, "checkin_not_away", nil), nil
	}
	r.actor.AwayUntil = time.Time{}
	if err := s.store.SavePerson(ctx, r.actor); err != nil {
		return Response{}, fmt.Errorf("save back of %s: %w", r.actor.ID, err)
	}
	s.auditAllTeams(ctx, r, r.audit("person.back", string(r.actor.ID), ""))
	return s.say(r, "checkin_back", nil), nil
}

// auditAllTeams records a personal change in each of the person's teams.
func (s *Service) auditAllTeams(ctx context.Context, r *request, a AuditEntry) {
	teams, err := s.teamsOf(ctx, r)
	if err != nil {
		s.log.Warn().Err(err).Msg("audit personal change")
		return
	}
	for _, t := range teams {
		if err := s.store.Audit(ctx, t.ID, a); err != nil {
			s.log.Warn().Err(err).Str("team", t.ID).Msg("audit personal change")
		}
	}
}

func isUserError(err error) bool {
	var ue *userError
	return errors.As(err, &ue)
}

// IsAway reports whether the person is away on the day of t (in loc).
func (p Person) IsAway(t time.Time, loc *time.Location) bool {
	if p.AwayUntil.IsZero() {
		return false
	}
	y, m, d := p.AwayUntil.Date()
	last := time.Date(y, m, d, 0, 0, 0, 0, loc).AddDate(0, 0, 1)
	return t.Before(last)
}

// participation sorts a team's people by where they are with the period's check-in.
type participation struct {
	answered, skipped, away, missing []UserID
	checkIns                         map[UserID]CheckIn
}

// expected is how many owed a check-in: everyone but the away.
func (p participation) expected() int { return len(p.answered) + len(p.skipped) + len(p.missing) }

func (s *Service) participation(ctx context.Context, team Team, period string, now time.Time) (participation, error) {
	list, err := s.store.TeamCheckIns(ctx, team.ID, period)
	if err != nil {
		return participation{}, fmt.Errorf("check-ins of %s: %w", team.ID, err)
	}
	p := participation{checkIns: map[UserID]CheckIn{}}
	for _, c := range list {
		p.checkIns[c.Person] = c
	}
	people, err := s.store.People(ctx, team.Members)
	if err != nil {
		return participation{}, fmt.Errorf("load members of %s: %w", team.ID, err)
	}
	from, to, err := WeekBounds(period, team.Location())
	if err != nil {
		return participation{}, fmt.Errorf("participation of %s: %w", team.ID, err)
	}
	for _, id := range team.Members {
		switch checkInState(p.checkIns[id], people[id], team, from, to, now) {
		case StateAnswered:
			p.answered = append(p.answered, id)
		case StateSkipped:
			p.skipped = append(p.skipped, id)
		case StateAway:
			p.away = append(p.away, id)
		default:
			p.missing = append(p.missing, id)
		}
	}
	return p, nil
}

func (s *Service) checkInStatus(ctx context.Context, r *request, args string) (Response, error) {
	if _, ok := parse.TeamArg(args); !ok {
		return Response{}, refuse("checkin_status_usage", nil)
	}
	team, err := s.resolveCheckInTeam(ctx, r, args, needManager)
	if err != nil {
		return Response{}, err
	}
	// Who answered, skipped or is away is the team's participation, a part
	// of its scorecard.
	if !CanSeeScorecard(r.viewer, team.ID, "") {
		return Response{}, refuse("error_not_manager", map[string]any{"Team": team.Name})
	}
	period := currentPeriod(team, r.now)
	p, err := s.participation(ctx, team, period, r.now)
	if err != nil {
		return Response{}, err
	}
	names, err := s.names(ctx, r, team.Members)
	if err != nil {
		return Response{}, err
	}
	msg := Message{Title: s.t(r, "checkin_status_title", map[string]any{"Team": team.Name, "Period": period})}
	msg.Blocks = append(msg.Blocks, Fields{
		{Label: s.t(r, "label_answered", nil), Value: listOrDash(names, p.answered)},
		{Label: s.t(r, "label_missing", nil), Value: listOrDash(names, p.missing)},
		{Label: s.t(r, "label_skipped", nil), Value: listOrDash(names, p.skipped)},
		{Label: s.t(r, "label_away", nil), Value: listOrDash(names, p.away)},
	})
	return Response{Reply: msg, Visibility: Private}, nil
}

func listOrDash(names map[UserID]string, ids []UserID) string {
	if len(ids) == 0 {
		return "—"
	}
	return joinNames(names, ids)
}

// checkInForm returns all the questions as one form.
func (s *Service) checkInForm(ctx context.Context, r *request) (Response, error) {
	team, period, err := s.formTarget(ctx, r)
	if err != nil {
		return Response{}, err
	}
	c, err := s.loadCheckIn(ctx, team, period, r.actor.ID)
	if err != nil {
		return Response{}, err
	}
	msg := Message{Title: s.t(r, "checkin_form_title", map[string]any{"Team": team.Name, "Period": period})}
	// The blockers question may be left empty: nothing is in the way.
	for i, q := range c.AskedQuestions(team) {
		in := Input{ID: "q" + strconv.Itoa(i), Label: s.questionText(r.locale, q), Multiline: true, Optional: q.Role == RoleBlockers}
		if i < len(c.Answers) {
			in.Initial = c.Answers[i]
		}
		msg.Blocks = append(msg.Blocks, in)
	}
	mood := Input{ID: "mood", Label: s.t(r, "checkin_q_mood", nil), Placeholder: "1–5"}
	if c.Mood > 0 {
		mood.Initial = strconv.Itoa(c.Mood)
	}
	msg.Blocks = append(msg.Blocks, mood, Buttons{{ID: ActionCheckInSubmit, Label: s.t(r, "button_submit", nil), Value: team.ID + "|" + period, Command: "/checkin"}})
	return Response{Reply: msg, Visibility: Private}, nil
}

// formTarget reads "team|period" from a check-in button, defaulting to the
// current one: a past week of the team's life can be edited, no other.
func (s *Service) formTarget(ctx context.Context, r *request) (Team, string, error) {
	teamID, period, ok := strings.Cut(r.ev.Action.Value, "|")
	if !ok || teamID == "" {
		team, err := s.resolveTeam(ctx, r, "", needMember)
		if err != nil {
			return Team{}, "", err
		}
		return team, personPeriod(r.actor, team, r.now), nil
	}
	team, err := s.resolveTeam(ctx, r, teamID, needMember)
	if err != nil {
		return Team{}, "", err
	}
	// A week to come, or before the team, is no button Pulse made: the
	// current week instead, as for one that is no week at all.
	if now := personPeriod(r.actor, team, r.now); period != now && periodInTeamLife(team, period, r.now) != nil {
		period = now
	}
	return team, period, nil
}

// submitCheckInForm saves all answers at once, or says which field is wrong.
func (s *Service) submitCheckInForm(ctx context.Context, r *request) (Response, error) {
	team, period, err := s.formTarget(ctx, r)
	if err != nil {
		return Response{}, err
	}
	if !team.HasMember(r.actor.ID) && !team.HasManager(r.actor.ID) {
		return Response{}, refuse("error_not_member", map[string]any{"Team": team.Name})
	}
	c, err := s.loadCheckIn(ctx, team, period, r.actor.ID)
	if err != nil {
		return Response{}, err
	}
	qs := c.AskedQuestions(team)
	c.Questions = qs
	errs := map[string]string{}
	c.Answers = make([]string, len(qs))
	for i := range qs {
		id := "q" + strconv.Itoa(i)
		c.Answers[i] = strings.TrimSpace(r.ev.Action.Fields[id])
		if utf8.RuneCountInString(c.Answers[i]) > MaxTextLength {
			errs[id] = s.t(r, "error_too_long", map[string]any{"Max": MaxTextLength})
		}
	}
	mood, ok := parseMood(r.ev.Action.Fields["mood"])
	if !ok {
		errs["mood"] = s.t(r, "checkin_mood_invalid", nil)
	}
	if len(errs) > 0 {
		return Response{FieldErrors: errs, Visibility: Private}, nil
	}
	c.Mood, c.Completed, c.UpdatedAt, c.Skipped = mood, r.now, r.now, false
	return s.finishCheckIn(ctx, r, team, c)
}

// postLateAnswer adds a check-in finished after the summary to the summary's thread.
func (s *Service) postLateAnswer(ctx context.Context, team Team, c CheckIn, p Person) {
	thread, ok, err := s.store.CacheGet(ctx, summaryThreadKey(team.ID, c.Period))
	if err != nil || !ok || !CanSeeCheckIn(ChannelViewer(team.ID), c) {
		return
	}
	msg := s.answersMessage(team.Locale, team, c, p.Name)
	s.notify(ctx, Address{Platform: team.Platform, Channel: team.Channel, Thread: thread}, team.Locale, msg, "late:"+team.ID+":"+c.Period+":"+string(p.ID)+":"+c.Completed.Format(time.RFC3339))
}

func summaryThreadKey(teamID, period string) string { return "summary-thread:" + teamID + ":" + period }

// answersMessage shows one person's answers, for the summary thread. Mood is left out: it is private.
func (s *Service) answersMessage(l Locale, team Team, c CheckIn, name string) Message {
	msg := Message{Title: name}
	fields := s.checkInAnswerFields(l, team, c)
	if c.Skipped {
		fields = append(fields, Field{Label: s.catalog.T(l, "label_skipped", nil), Value: firstNonEmpty(c.SkipReason, "—")})
	}
	msg.Blocks = append(msg.Blocks, fields)
	return msg
}

// checkInAnswerFields are the check-in's answers, each labelled with the question
// it was given to; empty answers are left out.
func (s *Service) checkInAnswerFields(l Locale, team Team, c CheckIn) Fields {
	qs := c.AskedQuestions(team)
	var fields Fields
	for i, a := range c.Answers {
		if strings.TrimSpace(a) != "" {
			fields = append(fields, Field{Label: s.answerLabel(l, qs, i), Value: a})
		}
	}
	return fields
}
