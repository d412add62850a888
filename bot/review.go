package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot/parse"
)

// ActionReviewSubmit submits a review form. Pressed with no fields (a
// button in a reminder) it opens the form instead; its Value is
// "<team>|<cycle>|<subject>|<role>".
const ActionReviewSubmit = "review.submit"

// Review cycle rules.
const (
	// DefaultReviewPeers is how many peers a person may nominate when the
	// cycle does not say.
	DefaultReviewPeers = 3
	// MaxReviewPeers bounds nominations and a manager's choice of peers.
	MaxReviewPeers = 10
	// ReviewReminderBefore is when, before a cycle's due date, everyone with
	// a step still open is reminded; a second reminder follows once it is late.
	ReviewReminderBefore = 3 * 24 * time.Hour
	// ReviewDefaultPeriod is how far back the first cycle's evidence reaches.
	ReviewDefaultPeriod = 90 * 24 * time.Hour
	// MaxReviewQuestions bounds a team's own question template.
	MaxReviewQuestions = 10
)

// defaultReviewQuestionKeys are the written questions of the default template.
var defaultReviewQuestionKeys = []string{"review_q_strengths", "review_q_improve", "review_q_impact"}

// reviewSubs maps the subcommands SplitCommand leaves as typed.
var reviewSubs = map[string]string{
	"nominate": "nominate", "提名": "nominate",
	"approve": "approve", "批准": "approve", "审批": "approve",
	"write": "write", "form": "write", "填写": "write", "撰写": "write", "写": "write",
	"answer": "answer", "回答": "answer",
	"show": "show", "view": "show", "查看": "show",
	"flag": "flag", "标记": "flag",
	"questions": "questions", "问题": "questions",
}

func (s *Service) reviewCommand(ctx context.Context, r *request, cmd Command) (Response, error) {
	sub := cmd.Sub
	if canon, ok := reviewSubs[sub]; ok {
		sub = canon
	}
	switch sub {
	case "start":
		return s.reviewStart(ctx, r, cmd.Args)
	case "status":
		return s.reviewStatus(ctx, r, cmd.Args)
	case "nominate":
		return s.reviewNominate(ctx, r, cmd.Args)
	case "approve":
		return s.reviewApprove(ctx, r, cmd.Args)
	case "write":
		return s.reviewWrite(ctx, r, cmd.Args)
	case "answer":
		return s.reviewAnswer(ctx, r, cmd.Args)
	case "release":
		return s.reviewRelease(ctx, r, cmd.Args)
	case "mine", "":
		return s.reviewMine(ctx, r)
	case "show":
		return s.reviewShow(ctx, r, cmd.Args)
	case "meeting":
		return s.reviewMeeting(ctx, r, cmd.Args)
	case "action":
		return s.reviewAction(ctx, r, cmd.Args)
	case "flag":
		return s.reviewFlag(ctx, r, cmd.Args)
	case "questions":
		return s.reviewQuestions(ctx, r, cmd.Args)
	}
	return Response{}, refuse("review_usage", nil)
}

// reviewQuestionTexts are the cycle's written questions in locale l.
func (s *Service) reviewQuestionTexts(c ReviewCycle, l Locale) []string {
	if len(c.Questions) > 0 {
		return c.Questions
	}
	out := make([]string, len(defaultReviewQuestionKeys))
	for i, k := range defaultReviewQuestionKeys {
		out[i] = s.catalog.T(l, k, nil)
	}
	return out
}

// activeCycle is the team's cycle that is not closed yet.
func (s *Service) activeCycle(ctx context.Context, teamID string) (ReviewCycle, bool, error) {
	cycles, err := s.store.ReviewCycles(ctx, teamID)
	if err != nil {
		return ReviewCycle{}, false, fmt.Errorf("cycles of %s: %w", teamID, err)
	}
	for i := len(cycles) - 1; i >= 0; i-- {
		if cycles[i].Closed.IsZero() {
			return cycles[i], true, nil
		}
	}
	return ReviewCycle{}, false, nil
}

// reviewPlace is a person's sheet in a cycle, with the team and cycle.
type reviewPlace struct {
	team  Team
	cycle ReviewCycle
	sheet ReviewSheet
}

// placeOf finds the open cycle that reviews the person, in any of their teams.
func (s *Service) placeOf(ctx context.Context, person UserID) (reviewPlace, error) {
	teams, err := s.store.TeamsOf(ctx, person)
	if err != nil {
		return reviewPlace{}, fmt.Errorf("teams of %s: %w", person, err)
	}
	for _, t := range teams {
		c, ok, err := s.activeCycle(ctx, t.ID)
		if err != nil {
			return reviewPlace{}, err
		}
		if !ok {
			continue
		}
		sh, err := s.store.GetReviewSheet(ctx, t.ID, c.ID, person)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return reviewPlace{}, fmt.Errorf("sheet of %s: %w", person, err)
		}
		return reviewPlace{team: t, cycle: c, sheet: sh}, nil
	}
	return reviewPlace{}, refuse("review_no_cycle", nil)
}

// reviewRole is what the actor may write about the subject: their own
// self-review, the manager's review (the team's managers; admins read but
// do not write), or a peer review once approved.
func (s *Service) reviewRole(p reviewPlace, actor UserID) (string, bool) {
	switch {
	case p.sheet.Person == actor:
		return RoleSelf, true
	case p.team.HasManager(actor):
		return RoleManager, true
	case slices.Contains(p.sheet.Peers, actor):
		return RolePeer, true
	}
	return "", false
}

// answersOf indexes a cycle's answers by subject, role and author.
func answersOf(list []ReviewAnswers) map[string]ReviewAnswers {
	out := make(map[string]ReviewAnswers, len(list))
	for _, a := range list {
		out[answerKey(a.Subject, a.Role, a.Author)] = a
	}
	return out
}

func answerKey(subject UserID, role string, author UserID) string {
	return string(subject) + "|" + role + "|" + string(author)
}

func (s *Service) loadAnswers(ctx context.Context, p reviewPlace, role string, author UserID) (ReviewAnswers, error) {
	all, err := s.store.CycleAnswers(ctx, p.team.ID, p.cycle.ID)
	if err != nil {
		return ReviewAnswers{}, fmt.Errorf("answers of %s: %w", p.cycle.ID, err)
	}
	if a, ok := answersOf(all)[answerKey(p.sheet.Person, role, author)]; ok {
		return a, nil
	}
	return ReviewAnswers{CycleID: p.cycle.ID, TeamID: p.team.ID, Subject: p.sheet.Person, Role: role, Author: author}, nil
}

// managerDone reports whether any manager submitted a review of the person.
func managerDone(answers map[string]ReviewAnswers, sh ReviewSheet) bool {
	for _, a := range answers {
		if a.Subject == sh.Person && a.Role == RoleManager && a.Done() {
			return true
		}
	}
	return false
}

// --- start ---------------------------------------------------------------

// reviewStartSpec is "team <name> <title> due <date> [peers N] [named|anonymous]".
type reviewStartSpec struct {
	Team      string
	Title     string
	Due       time.Time
	Peers     int
	Anonymous bool
}

func parseReviewStart(args string, now time.Time, loc *time.Location) (reviewStartSpec, error) {
	spec := reviewStartSpec{Peers: DefaultReviewPeers, Anonymous: true}
	toks := parse.Tokens(args)
	if len(toks) < 2 || (parse.Fold(toks[0]) != "team" && toks[0] != "团队") {
		return spec, refuse("review_start_usage", nil)
	}
	spec.Team = toks[1]
	i := 2
	var title []string
	for i < len(toks) && parse.Fold(toks[i]) != "due" && toks[i] != "截止" {
		title = append(title, toks[i])
		i++
	}
	if len(title) == 0 || i >= len(toks) {
		return spec, refuse("review_start_usage", nil)
	}
	spec.Title = strings.Join(title, " ")
	d, used, err := parse.ParseDate(toks[i+1:], now, loc)
	if err != nil {
		return spec, err
	}
	spec.Due = d.AddDate(0, 0, 1)
	for i += 1 + used; i < len(toks); i++ {
		switch w := parse.Fold(toks[i]); {
		case (w == "peers" || w == "同事" || w == "同事数") && i+1 < len(toks):
			n, err := strconv.Atoi(toHalfWidthDigits(toks[i+1]))
			if err != nil || n < 0 || n > MaxReviewPeers {
				return spec, refuse("review_peers_invalid", map[string]any{"Max": MaxReviewPeers})
			}
			spec.Peers = n
			i++
		case w == "named" || w == "attributed" || w == "署名" || w == "实名":
			spec.Anonymous = false
		case isAnonymousWord(w):
			spec.Anonymous = true
		default:
			return spec, refuse("review_start_usage", nil)
		}
	}
	if !spec.Due.After(now) {
		return spec, refuse("error_date_past", map[string]any{"Date": d.Format("2006-01-02")})
	}
	return spec, nil
}

func (s *Service) reviewStart(ctx context.Context, r *request, args string) (Response, error) {
	toks := parse.Tokens(args)
	if len(toks) < 2 || (parse.Fold(toks[0]) != "team" && toks[0] != "团队") {
		return Response{}, refuse("review_start_usage", nil)
	}
	team, err := s.loadTeamForChange(ctx, r, toks[1], true)
	if err != nil {
		return Response{}, err
	}
	spec, err := parseReviewStart(args, r.now, team.Location())
	if err != nil {
		return Response{}, err
	}
	if len(team.Members) == 0 {
		return Response{}, refuse("review_no_members", map[string]any{"Team": team.Name})
	}
	cycles, err := s.store.ReviewCycles(ctx, team.ID)
	if err != nil {
		return Response{}, fmt.Errorf("cycles of %s: %w", team.ID, err)
	}
	from := r.now.Add(-ReviewDefaultPeriod)
	for _, c := range cycles {
		if c.Closed.IsZero() {
			return Response{}, refuse("review_cycle_open", map[string]any{"Team": team.Name, "Title": c.Title})
		}
		from = c.Due
	}
	settings, err := s.store.ReviewSettings(ctx, team.ID)
	if err != nil {
		return Response{}, fmt.Errorf("review settings of %s: %w", team.ID, err)
	}
	c := ReviewCycle{TeamID: team.ID, Title: spec.Title, PeriodFrom: from, Due: spec.Due, Peers: spec.Peers,
		Anonymous: spec.Anonymous, Questions: settings.Questions, Values: team.Values, StartedBy: r.actor.ID, At: r.now}
	c, err = s.store.CreateReviewCycle(ctx, c, team.Members, r.audit("review.started", "", spec.Title))
	if err != nil {
		return Response{}, fmt.Errorf("start review: %w", err)
	}
	s.announceCycle(ctx, r, team, c)
	return s.say(r, "review_started", map[string]any{"ID": c.ID, "Title": c.Title, "Team": team.Name,
		"Count": len(team.Members), "Due": dueDay(c.Due, team.Location())}), nil
}

// announceCycle tells each member what to do, and the managers what follows.
func (s *Service) announceCycle(ctx context.Context, r *request, team Team, c ReviewCycle) {
	people, err := s.store.People(ctx, team.People())
	if err != nil {
		s.log.Warn().Err(err).Msg("load review people")
	}
	data := map[string]any{"Title": c.Title, "Team": team.Name, "Due": dueDay(c.Due, team.Location()), "Peers": c.Peers}
	for _, id := range team.Members {
		l := localeOf(people[id], team)
		msg := Message{Title: s.catalog.T(l, "review_started_title", data), Blocks: []Block{
			Text{Text: s.catalog.T(l, "review_started_dm", data)},
			s.writeButton(l, team, c, id, RoleSelf, "/review write"),
		}}
		s.notify(ctx, Address{Platform: id.Platform(), User: id}, msg, r.ev.Key+":review:"+string(id))
	}
	for _, id := range team.Managers {
		l := localeOf(people[id], team)
		msg := Message{Title: s.catalog.T(l, "review_started_title", data), Blocks: []Block{Text{Text: s.catalog.T(l, "review_started_manager_dm", data)}}}
		s.notify(ctx, Address{Platform: id.Platform(), User: id}, msg, r.ev.Key+":review:"+string(id))
	}
}

// writeButton opens the review form for one subject and role.
func (s *Service) writeButton(l Locale, team Team, c ReviewCycle, subject UserID, role, command string) Buttons {
	value := strings.Join([]string{team.ID, c.ID, string(subject), role}, "|")
	return Buttons{{ID: ActionReviewSubmit, Label: s.catalog.T(l, "button_review_write", nil), Value: value, Command: command}}
}

// --- nominations -----------------------------------------------------------

// mentions reads a list of mentions and nothing else.
func mentions(args, usageKey string) ([]UserID, error) {
	var out []UserID
	for _, tok := range parse.Tokens(args) {
		id, ok := ParseMention(tok)
		if !ok {
			if err := parse.MentionError(tok); err != nil {
				return nil, err
			}
			return nil, refuse(usageKey, nil)
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

func (s *Service) saveSheet(ctx context.Context, sh ReviewSheet, a AuditEntry) (ReviewSheet, error) {
	saved, err := s.store.SaveReviewSheet(ctx, sh, a)
	if errors.Is(err, ErrConflict) {
		return ReviewSheet{}, refuse("review_conflict", nil)
	}
	if err != nil {
		return ReviewSheet{}, fmt.Errorf("save review of %s: %w", sh.Person, err)
	}
	return saved, nil
}

func (s *Service) reviewNominate(ctx context.Context, r *request, args string) (Response, error) {
	p, err := s.placeOf(ctx, r.actor.ID)
	if err != nil {
		return Response{}, err
	}
	peers, err := mentions(args, "review_nominate_usage")
	if err != nil {
		return Response{}, err
	}
	if len(peers) == 0 || len(peers) > p.cycle.Peers {
		return Response{}, refuse("review_nominate_count", map[string]any{"Max": p.cycle.Peers})
	}
	if slices.Contains(peers, r.actor.ID) {
		return Response{}, refuse("review_nominate_self", nil)
	}
	if !p.sheet.Approved.IsZero() {
		return Response{}, refuse("review_already_approved", nil)
	}
	if _, err := s.ensurePeople(ctx, r, peers); err != nil {
		return Response{}, err
	}
	p.sheet.Nominated = peers
	if _, err := s.saveSheet(ctx, p.sheet, r.audit("review.nominated", p.cycle.ID+":"+string(r.actor.ID), userList(peers))); err != nil {
		return Response{}, err
	}
	names, err := s.names(ctx, r, append([]UserID{r.actor.ID}, peers...))
	if err != nil {
		return Response{}, err
	}
	s.tellManagers(ctx, p.team, r.ev.Key+":nominated", "review_nominated_manager_dm",
		map[string]any{"Name": names[r.actor.ID], "Peers": joinNames(names, peers), "Title": p.cycle.Title, "Mention": "@" + names[r.actor.ID]})
	return s.say(r, "review_nominated", map[string]any{"Peers": joinNames(names, peers)}), nil
}

func (s *Service) tellManagers(ctx context.Context, team Team, key, msgKey string, data map[string]any) {
	people, err := s.store.People(ctx, team.Managers)
	if err != nil {
		s.log.Warn().Err(err).Msg("load managers")
	}
	for _, id := range team.Managers {
		l := localeOf(people[id], team)
		s.notify(ctx, Address{Platform: id.Platform(), User: id}, Message{Blocks: []Block{Text{Text: s.catalog.T(l, msgKey, data)}}}, key+":"+string(id))
	}
}

// placeForManager finds the open cycle of the person named first in args
// and checks the actor manages their team.
func (s *Service) placeForManager(ctx context.Context, r *request, args, usageKey string) (reviewPlace, string, error) {
	who, rest, err := oneMention(args, usageKey)
	if err != nil {
		return reviewPlace{}, "", err
	}
	p, err := s.placeOf(ctx, who)
	if err != nil {
		return reviewPlace{}, "", err
	}
	if !s.canManage(p.team, r.actor.ID) {
		return reviewPlace{}, "", refuse("error_not_manager", map[string]any{"Team": p.team.Name})
	}
	return p, rest, nil
}

func (s *Service) reviewApprove(ctx context.Context, r *request, args string) (Response, error) {
	p, rest, err := s.placeForManager(ctx, r, args, "review_approve_usage")
	if err != nil {
		return Response{}, err
	}
	peers, err := mentions(rest, "review_approve_usage")
	if err != nil {
		return Response{}, err
	}
	if len(peers) == 0 {
		peers = p.sheet.Nominated
	}
	if len(peers) == 0 {
		return Response{}, refuse("review_nothing_to_approve", nil)
	}
	if slices.Contains(peers, p.sheet.Person) || len(peers) > MaxReviewPeers {
		return Response{}, refuse("review_approve_usage", nil)
	}
	if !p.sheet.Released.IsZero() {
		return Response{}, refuse("review_released", nil)
	}
	people, err := s.ensurePeople(ctx, r, peers)
	if err != nil {
		return Response{}, err
	}
	p.sheet.Peers, p.sheet.Approved, p.sheet.ApprovedBy = peers, r.now, r.actor.ID
	if _, err := s.saveSheet(ctx, p.sheet, r.audit("review.peers_approved", p.cycle.ID+":"+string(p.sheet.Person), userList(peers))); err != nil {
		return Response{}, err
	}
	names, err := s.names(ctx, r, append([]UserID{p.sheet.Person}, peers...))
	if err != nil {
		return Response{}, err
	}
	for _, id := range peers {
		l := localeOf(people[id], p.team)
		data := map[string]any{"Name": names[p.sheet.Person], "Title": p.cycle.Title, "Due": dueDay(p.cycle.Due, p.team.Location()), "Mention": "@" + names[p.sheet.Person]}
		msg := Message{Title: s.catalog.T(l, "review_peer_title", data), Blocks: []Block{
			Text{Text: s.catalog.T(l, "review_peer_dm", data)},
			s.writeButton(l, p.team, p.cycle, p.sheet.Person, RolePeer, "/review write @"+names[p.sheet.Person]),
		}}
		s.notify(ctx, Address{Platform: id.Platform(), User: id}, msg, r.ev.Key+":peer:"+string(id))
	}
	return s.say(r, "review_approved", map[string]any{"Name": names[p.sheet.Person], "Peers": joinNames(names, peers)}), nil
}

// --- writing ---------------------------------------------------------------

// writerPlace finds what the actor writes: about the person mentioned first
// (as their manager or approved peer), else their own self-review. It
// returns the role and the text after the mention.
func (s *Service) writerPlace(ctx context.Context, r *request, args string) (reviewPlace, string, string, error) {
	toks := parse.Words(args)
	if len(toks) > 0 {
		if who, ok := ParseMention(toks[0].Text); ok && who == r.actor.ID {
			args = args[toks[0].End:]
		} else if ok {
			p, err := s.placeOf(ctx, who)
			if err != nil {
				return reviewPlace{}, "", "", err
			}
			role, ok := s.reviewRole(p, r.actor.ID)
			if !ok {
				return reviewPlace{}, "", "", refuse("review_not_reviewer", nil)
			}
			rest := ""
			if len(toks) > 1 {
				rest = strings.TrimSpace(args[toks[1].Start:])
			}
			return p, role, rest, nil
		}
	}
	p, err := s.placeOf(ctx, r.actor.ID)
	if err != nil {
		return reviewPlace{}, "", "", err
	}
	return p, RoleSelf, strings.TrimSpace(args), nil
}

func (s *Service) reviewWrite(ctx context.Context, r *request, args string) (Response, error) {
	p, role, rest, err := s.writerPlace(ctx, r, args)
	if err != nil {
		return Response{}, err
	}
	if rest != "" {
		return Response{}, refuse("review_write_usage", nil)
	}
	return s.reviewForm(ctx, r, p, role)
}

// reviewForm shows the evidence pack beside the questions, as a form.
func (s *Service) reviewForm(ctx context.Context, r *request, p reviewPlace, role string) (Response, error) {
	if !p.sheet.Released.IsZero() {
		return Response{}, refuse("review_released", nil)
	}
	ans, err := s.loadAnswers(ctx, p, role, r.actor.ID)
	if err != nil {
		return Response{}, err
	}
	names, err := s.names(ctx, r, []UserID{p.sheet.Person})
	if err != nil {
		return Response{}, err
	}
	msg := Message{Title: s.t(r, "review_form_title_"+role, map[string]any{"Name": names[p.sheet.Person], "Title": p.cycle.Title})}
	ev, err := s.buildEvidence(ctx, p.team, p.sheet.Person, p.cycle.PeriodFrom, r.now, role != RolePeer)
	if err != nil {
		return Response{}, err
	}
	msg.Blocks = append(msg.Blocks, s.evidenceBlocks(ctx, r, ev, names[p.sheet.Person])...)
	msg.Blocks = append(msg.Blocks, Divider{})
	for i, q := range s.reviewQuestionTexts(p.cycle, r.locale) {
		initial := ""
		if i < len(ans.Answers) {
			initial = ans.Answers[i]
		}
		msg.Blocks = append(msg.Blocks, Input{ID: "q" + strconv.Itoa(i), Label: q, Multiline: true, Initial: initial})
	}
	for i, v := range p.cycle.Values {
		initial := ""
		if n := ans.Ratings[v]; n > 0 {
			initial = strconv.Itoa(n)
		}
		msg.Blocks = append(msg.Blocks, Input{ID: "r" + strconv.Itoa(i), Label: s.t(r, "review_q_rating", map[string]any{"Value": v}), Initial: initial})
	}
	btn := s.writeButton(r.locale, p.team, p.cycle, p.sheet.Person, role, "/review answer <text>")
	btn[0].Label = s.t(r, "button_submit", nil)
	msg.Blocks = append(msg.Blocks, btn, Context{Text: s.t(r, "review_form_hint", nil)})
	return Response{Reply: msg, Visibility: Private}, nil
}

// submitReviewForm saves a submitted review form, or opens the form when
// the button came without fields.
func (s *Service) submitReviewForm(ctx context.Context, r *request) (Response, error) {
	parts := strings.Split(r.ev.Action.Value, "|")
	if len(parts) != 4 {
		return Response{}, refuse("error_unknown_action", nil)
	}
	p, err := s.placeOf(ctx, UserID(parts[2]))
	if err != nil {
		return Response{}, err
	}
	role, ok := s.reviewRole(p, r.actor.ID)
	if !ok || role != parts[3] || p.team.ID != parts[0] || p.cycle.ID != parts[1] {
		return Response{}, refuse("review_not_reviewer", nil)
	}
	if len(r.ev.Action.Fields) == 0 {
		return s.reviewForm(ctx, r, p, role)
	}
	if !p.sheet.Released.IsZero() {
		return Response{}, refuse("review_released", nil)
	}
	ans, err := s.loadAnswers(ctx, p, role, r.actor.ID)
	if err != nil {
		return Response{}, err
	}
	qs := s.reviewQuestionTexts(p.cycle, r.locale)
	ans.Answers = make([]string, len(qs))
	ans.Ratings = map[string]int{}
	errs := map[string]string{}
	for i := range qs {
		id := "q" + strconv.Itoa(i)
		ans.Answers[i] = strings.TrimSpace(r.ev.Action.Fields[id])
		if ans.Answers[i] == "" {
			errs[id] = s.t(r, "review_answer_missing", nil)
		}
	}
	for i, v := range p.cycle.Values {
		id := "r" + strconv.Itoa(i)
		n, ok := parseMood(r.ev.Action.Fields[id])
		if !ok {
			errs[id] = s.t(r, "review_rating_invalid", nil)
		}
		ans.Ratings[v] = n
	}
	if len(errs) > 0 {
		return Response{FieldErrors: errs, Visibility: Private}, nil
	}
	return s.submitAnswers(ctx, r, p, ans)
}

// submitAnswers saves a complete answer sheet and says what comes next.
func (s *Service) submitAnswers(ctx context.Context, r *request, p reviewPlace, ans ReviewAnswers) (Response, error) {
	if ans.Submitted.IsZero() {
		ans.Submitted = r.now
	}
	ans.UpdatedAt = r.now
	if err := s.store.SaveReviewAnswers(ctx, ans, r.audit("review.submitted", p.cycle.ID+":"+string(ans.Subject), ans.Role)); err != nil {
		return Response{}, fmt.Errorf("save review: %w", err)
	}
	names, err := s.names(ctx, r, []UserID{ans.Subject})
	if err != nil {
		return Response{}, err
	}
	key := "review_submitted"
	if ans.Role == RoleSelf && len(p.sheet.Nominated) == 0 && p.sheet.Approved.IsZero() && p.cycle.Peers > 0 {
		key = "review_submitted_nominate"
	}
	return s.say(r, key, map[string]any{"Name": names[ans.Subject], "Max": p.cycle.Peers}), nil
}

// reviewAnswer records one answer at a time: the next open question, then
// each value's rating; the last one submits.
func (s *Service) reviewAnswer(ctx context.Context, r *request, args string) (Response, error) {
	p, role, text, err := s.writerPlace(ctx, r, args)
	if err != nil {
		return Response{}, err
	}
	if text == "" {
		return Response{}, refuse("review_answer_usage", nil)
	}
	if !p.sheet.Released.IsZero() {
		return Response{}, refuse("review_released", nil)
	}
	ans, err := s.loadAnswers(ctx, p, role, r.actor.ID)
	if err != nil {
		return Response{}, err
	}
	if ans.Done() {
		return Response{}, refuse("review_already_submitted", nil)
	}
	qs := s.reviewQuestionTexts(p.cycle, r.locale)
	for len(ans.Answers) < len(qs) {
		ans.Answers = append(ans.Answers, "")
	}
	if ans.Ratings == nil {
		ans.Ratings = map[string]int{}
	}
	next := nextReviewItem(ans, len(qs), p.cycle.Values)
	if next < len(qs) {
		ans.Answers[next] = text
	} else {
		n, ok := parseMood(text)
		if !ok {
			return Response{}, refuse("review_rating_invalid", nil)
		}
		ans.Ratings[p.cycle.Values[next-len(qs)]] = n
	}
	total := len(qs) + len(p.cycle.Values)
	if after := nextReviewItem(ans, len(qs), p.cycle.Values); after < total {
		ans.UpdatedAt = r.now
		if err := s.store.SaveReviewAnswers(ctx, ans, r.audit("review.answered", p.cycle.ID+":"+string(ans.Subject), role)); err != nil {
			return Response{}, fmt.Errorf("save review answer: %w", err)
		}
		label := ""
		if after < len(qs) {
			label = qs[after]
		} else {
			label = s.t(r, "review_q_rating", map[string]any{"Value": p.cycle.Values[after-len(qs)]})
		}
		return s.say(r, "review_next_question", map[string]any{"N": after + 1, "Total": total, "Question": label}), nil
	}
	return s.submitAnswers(ctx, r, p, ans)
}

// nextReviewItem is the index of the first open question, then of the
// first unrated value (offset by the questions); n+len(values) when all are done.
func nextReviewItem(ans ReviewAnswers, n int, values []string) int {
	for i := 0; i < n; i++ {
		if i >= len(ans.Answers) || strings.TrimSpace(ans.Answers[i]) == "" {
			return i
		}
	}
	for i, v := range values {
		if ans.Ratings[v] == 0 {
			return n + i
		}
	}
	return n + len(values)
}

// --- release and results ----------------------------------------------------

func (s *Service) reviewRelease(ctx context.Context, r *request, args string) (Response, error) {
	p, rest, err := s.placeForManager(ctx, r, args, "review_release_usage")
	if err != nil {
		return Response{}, err
	}
	if rest != "" {
		return Response{}, refuse("review_release_usage", nil)
	}
	all, err := s.store.CycleAnswers(ctx, p.team.ID, p.cycle.ID)
	if err != nil {
		return Response{}, fmt.Errorf("answers of %s: %w", p.cycle.ID, err)
	}
	if !managerDone(answersOf(all), p.sheet) {
		names, err := s.names(ctx, r, []UserID{p.sheet.Person})
		if err != nil {
			return Response{}, err
		}
		return Response{}, refuse("review_release_needs_manager", map[string]any{"Mention": "@" + names[p.sheet.Person]})
	}
	p.sheet.Released, p.sheet.ReleasedBy = r.now, r.actor.ID
	if _, err := s.saveSheet(ctx, p.sheet, r.audit("review.released", p.cycle.ID+":"+string(p.sheet.Person), "")); err != nil {
		return Response{}, err
	}
	if err := s.closeCycleIfDone(ctx, r, p); err != nil {
		return Response{}, err
	}
	people, err := s.store.People(ctx, []UserID{p.sheet.Person})
	if err != nil {
		return Response{}, fmt.Errorf("load %s: %w", p.sheet.Person, err)
	}
	person := people[p.sheet.Person]
	person.ID = p.sheet.Person
	pr := &request{ev: r.ev, now: r.now, actor: person, locale: localeOf(person, p.team)}
	msg, err := s.resultsMessage(ctx, pr, p, all)
	if err != nil {
		return Response{}, err
	}
	s.notify(ctx, Address{Platform: person.ID.Platform(), User: person.ID}, msg, r.ev.Key+":released")
	names, err := s.names(ctx, r, []UserID{p.sheet.Person})
	if err != nil {
		return Response{}, err
	}
	return s.say(r, "review_release_done", map[string]any{"Name": names[p.sheet.Person]}), nil
}

// closeCycleIfDone closes the cycle once every person's results are out.
func (s *Service) closeCycleIfDone(ctx context.Context, r *request, p reviewPlace) error {
	sheets, err := s.store.ReviewSheets(ctx, p.team.ID, p.cycle.ID)
	if err != nil {
		return fmt.Errorf("sheets of %s: %w", p.cycle.ID, err)
	}
	for _, sh := range sheets {
		if sh.Person != p.sheet.Person && sh.Released.IsZero() {
			return nil
		}
	}
	p.cycle.Closed = r.now
	if err := s.store.SaveReviewCycle(ctx, p.cycle, r.audit("review.closed", p.cycle.ID, "")); err != nil {
		return fmt.Errorf("close cycle %s: %w", p.cycle.ID, err)
	}
	return nil
}

// resultsMessage is what the person sees once released: their own
// answers, the manager's, peers' (attributed, or anonymous above the floor)
// and the evidence pack.
func (s *Service) resultsMessage(ctx context.Context, r *request, p reviewPlace, all []ReviewAnswers) (Message, error) {
	return s.reviewSummary(ctx, r, p, all, false)
}

// reviewSummary renders a person's review. forManager shows peers by name
// and works before release; otherwise peers follow the cycle's anonymity.
func (s *Service) reviewSummary(ctx context.Context, r *request, p reviewPlace, all []ReviewAnswers, forManager bool) (Message, error) {
	subject := p.sheet.Person
	var self, mgr []ReviewAnswers
	var peers []ReviewAnswers
	var ids []UserID
	for _, a := range all {
		if a.Subject != subject || !a.Done() {
			continue
		}
		ids = append(ids, a.Author)
		switch a.Role {
		case RoleSelf:
			self = append(self, a)
		case RoleManager:
			mgr = append(mgr, a)
		case RolePeer:
			peers = append(peers, a)
		}
	}
	names, err := s.names(ctx, r, append(ids, subject))
	if err != nil {
		return Message{}, err
	}
	qs := s.reviewQuestionTexts(p.cycle, r.locale)
	msg := Message{Title: s.t(r, "review_results_title", map[string]any{"Name": names[subject], "Title": p.cycle.Title})}
	section := func(titleKey string, list []ReviewAnswers, named bool) {
		for _, a := range list {
			head := s.t(r, titleKey, map[string]any{"Name": names[a.Author]})
			if !named {
				head = s.t(r, titleKey, map[string]any{"Name": s.t(r, "review_anonymous_peer", nil)})
			}
			msg.Blocks = append(msg.Blocks, Divider{}, Text{Text: head})
			msg.Blocks = append(msg.Blocks, s.answerFields(r, p.cycle, qs, a)...)
		}
	}
	section("review_section_self", self, true)
	section("review_section_manager", mgr, true)
	switch {
	case forManager || !p.cycle.Anonymous:
		section("review_section_peer", peers, true)
	case len(peers) >= AnonymityFloor:
		msg.Blocks = append(msg.Blocks, Divider{}, Text{Text: s.t(r, "review_section_peers_anonymous", map[string]any{"Count": len(peers)})})
		msg.Blocks = append(msg.Blocks, s.anonymousPeerFields(r, p.cycle, qs, peers)...)
	case len(peers) > 0:
		msg.Blocks = append(msg.Blocks, Divider{}, Context{Text: s.t(r, "review_peers_held", map[string]any{"Count": len(peers), "Min": AnonymityFloor})})
	}
	ev, err := s.buildEvidence(ctx, p.team, subject, p.cycle.PeriodFrom, minTime(r.now, p.cycle.Due), true)
	if err != nil {
		return Message{}, err
	}
	msg.Blocks = append(msg.Blocks, Divider{})
	msg.Blocks = append(msg.Blocks, s.evidenceBlocks(ctx, r, ev, names[subject])...)
	return msg, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (s *Service) answerFields(r *request, c ReviewCycle, qs []string, a ReviewAnswers) []Block {
	var f Fields
	for i, q := range qs {
		if i < len(a.Answers) {
			f = append(f, Field{Label: q, Value: a.Answers[i]})
		}
	}
	for _, v := range c.Values {
		if n := a.Ratings[v]; n > 0 {
			f = append(f, Field{Label: s.t(r, "review_q_rating", map[string]any{"Value": v}), Value: strconv.Itoa(n) + "/5"})
		}
	}
	return []Block{f}
}

// anonymousPeerFields merges peers' answers per question, in text order,
// and averages their ratings, so no answer points at its author.
func (s *Service) anonymousPeerFields(r *request, c ReviewCycle, qs []string, peers []ReviewAnswers) []Block {
	var f Fields
	for i, q := range qs {
		var list []Feedback
		for _, a := range peers {
			if i < len(a.Answers) {
				list = append(list, Feedback{Text: a.Answers[i]})
			}
		}
		f = append(f, Field{Label: q, Value: strings.Join(anonymousLines(list), "\n")})
	}
	for _, v := range c.Values {
		sum, n := 0, 0
		for _, a := range peers {
			if a.Ratings[v] > 0 {
				sum, n = sum+a.Ratings[v], n+1
			}
		}
		if n > 0 {
			f = append(f, Field{Label: s.t(r, "review_q_rating", map[string]any{"Value": v}), Value: fmt.Sprintf("%.1f/5", float64(sum)/float64(n))})
		}
	}
	return []Block{f}
}

// reviewShow lets a manager (or admin) read a person's review so far, and
// the person their own once released.
func (s *Service) reviewShow(ctx context.Context, r *request, args string) (Response, error) {
	who, rest, err := oneMention(args, "review_show_usage")
	if err != nil {
		return Response{}, err
	}
	if rest != "" {
		return Response{}, refuse("review_show_usage", nil)
	}
	p, err := s.latestPlace(ctx, who)
	if err != nil {
		return Response{}, err
	}
	manager := s.canManage(p.team, r.actor.ID)
	switch {
	case manager:
	case who == r.actor.ID && !p.sheet.Released.IsZero():
	case who == r.actor.ID:
		return Response{}, refuse("review_not_released", nil)
	default:
		return Response{}, refuse("review_forbidden", nil)
	}
	all, err := s.store.CycleAnswers(ctx, p.team.ID, p.cycle.ID)
	if err != nil {
		return Response{}, fmt.Errorf("answers of %s: %w", p.cycle.ID, err)
	}
	msg, err := s.reviewSummary(ctx, r, p, all, manager)
	if err != nil {
		return Response{}, err
	}
	return Response{Reply: msg, Visibility: Private}, nil
}

// latestPlace is the person's sheet in the newest cycle of any of their
// teams, open or closed.
func (s *Service) latestPlace(ctx context.Context, person UserID) (reviewPlace, error) {
	places, err := s.placesOf(ctx, person)
	if err != nil {
		return reviewPlace{}, err
	}
	if len(places) == 0 {
		return reviewPlace{}, refuse("review_no_cycle", nil)
	}
	return places[len(places)-1], nil
}

// placesOf lists every cycle sheet of the person, per team oldest first.
func (s *Service) placesOf(ctx context.Context, person UserID) ([]reviewPlace, error) {
	teams, err := s.store.TeamsOf(ctx, person)
	if err != nil {
		return nil, fmt.Errorf("teams of %s: %w", person, err)
	}
	var out []reviewPlace
	for _, t := range teams {
		cycles, err := s.store.ReviewCycles(ctx, t.ID)
		if err != nil {
			return nil, fmt.Errorf("cycles of %s: %w", t.ID, err)
		}
		for _, c := range cycles {
			sh, err := s.store.GetReviewSheet(ctx, t.ID, c.ID, person)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("sheet of %s: %w", person, err)
			}
			out = append(out, reviewPlace{team: t, cycle: c, sheet: sh})
		}
	}
	return out, nil
}

// reviewMine shows the actor's steps in open cycles, the peer reviews they
// owe, and their released results.
func (s *Service) reviewMine(ctx context.Context, r *request) (Response, error) {
	places, err := s.placesOf(ctx, r.actor.ID)
	if err != nil {
		return Response{}, err
	}
	msg := Message{Title: s.t(r, "review_mine_title", nil)}
	for _, p := range places {
		all, err := s.store.CycleAnswers(ctx, p.team.ID, p.cycle.ID)
		if err != nil {
			return Response{}, fmt.Errorf("answers of %s: %w", p.cycle.ID, err)
		}
		if !p.sheet.Released.IsZero() {
			res, err := s.resultsMessage(ctx, r, p, all)
			if err != nil {
				return Response{}, err
			}
			msg.Blocks = append(msg.Blocks, Text{Text: res.Title})
			msg.Blocks = append(msg.Blocks, res.Blocks...)
			continue
		}
		if !p.cycle.Closed.IsZero() {
			continue
		}
		msg.Blocks = append(msg.Blocks, s.mySteps(r, p, answersOf(all))...)
	}
	owed, err := s.peerReviewsOwed(ctx, r)
	if err != nil {
		return Response{}, err
	}
	msg.Blocks = append(msg.Blocks, owed...)
	if len(msg.Blocks) == 0 {
		msg.Blocks = []Block{Text{Text: s.t(r, "review_mine_none", nil)}}
	}
	return Response{Reply: msg, Visibility: Private}, nil
}

func (s *Service) mySteps(r *request, p reviewPlace, answers map[string]ReviewAnswers) []Block {
	mark := func(done bool) string {
		if done {
			return s.t(r, "review_step_done", nil)
		}
		return s.t(r, "review_step_todo", nil)
	}
	self := answers[answerKey(r.actor.ID, RoleSelf, r.actor.ID)].Done()
	nominated := len(p.sheet.Nominated) > 0 || !p.sheet.Approved.IsZero()
	return []Block{
		Text{Text: s.t(r, "review_cycle_line", map[string]any{"Title": p.cycle.Title, "Team": p.team.Name, "Due": dueDay(p.cycle.Due, p.team.Location())})},
		Fields{
			{Label: s.t(r, "review_step_self", nil), Value: mark(self)},
			{Label: s.t(r, "review_step_nominate", nil), Value: mark(nominated)},
			{Label: s.t(r, "review_step_approved", nil), Value: mark(!p.sheet.Approved.IsZero())},
		},
	}
}

// peerReviewsOwed lists the people the actor was approved to review and has not yet.
func (s *Service) peerReviewsOwed(ctx context.Context, r *request) ([]Block, error) {
	teams, err := s.store.ListTeams(ctx)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	var owed []UserID
	for _, t := range teams {
		c, ok, err := s.activeCycle(ctx, t.ID)
		if err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		sheets, err := s.store.ReviewSheets(ctx, t.ID, c.ID)
		if err != nil {
			return nil, fmt.Errorf("sheets of %s: %w", c.ID, err)
		}
		all, err := s.store.CycleAnswers(ctx, t.ID, c.ID)
		if err != nil {
			return nil, fmt.Errorf("answers of %s: %w", c.ID, err)
		}
		answers := answersOf(all)
		for _, sh := range sheets {
			if slices.Contains(sh.Peers, r.actor.ID) && sh.Released.IsZero() && !answers[answerKey(sh.Person, RolePeer, r.actor.ID)].Done() {
				owed = append(owed, sh.Person)
			}
		}
	}
	if len(owed) == 0 {
		return nil, nil
	}
	names, err := s.names(ctx, r, owed)
	if err != nil {
		return nil, err
	}
	return []Block{Text{Text: s.t(r, "review_peers_owed", map[string]any{"Names": joinNames(names, owed)})}}, nil
}

// --- status ---------------------------------------------------------------

func (s *Service) reviewStatus(ctx context.Context, r *request, args string) (Response, error) {
	team, err := s.resolveCheckInTeam(ctx, r, args)
	if err != nil {
		return Response{}, err
	}
	if !s.canManage(team, r.actor.ID) {
		return Response{}, refuse("error_not_manager", map[string]any{"Team": team.Name})
	}
	c, ok, err := s.activeCycle(ctx, team.ID)
	if err != nil {
		return Response{}, err
	}
	if !ok {
		return Response{}, refuse("review_no_cycle_team", map[string]any{"Team": team.Name})
	}
	st, err := s.cycleStatus(ctx, team, c)
	if err != nil {
		return Response{}, err
	}
	names, err := s.names(ctx, r, append(team.People(), st.peerAuthors()...))
	if err != nil {
		return Response{}, err
	}
	late := !r.now.Before(c.Due)
	msg := Message{Title: s.t(r, "review_status_title", map[string]any{"Title": c.Title, "Team": team.Name, "Due": dueDay(c.Due, team.Location())})}
	line := func(labelKey string, done, total int, waiting string) Field {
		v := fmt.Sprintf("%d/%d", done, total)
		if waiting != "" {
			key := "review_status_waiting"
			if late {
				key = "review_status_late"
			}
			v += " · " + s.t(r, key, map[string]any{"Names": waiting})
		}
		return Field{Label: s.t(r, labelKey, nil), Value: v}
	}
	var peerWaiting []string
	for _, pp := range st.peersMissing {
		peerWaiting = append(peerWaiting, names[pp.peer]+" → "+names[pp.subject])
	}
	msg.Blocks = append(msg.Blocks, Fields{
		line("review_step_self", st.total-len(st.selfMissing), st.total, joinNames(names, st.selfMissing)),
		line("review_step_nominate", st.total-len(st.nominationsMissing), st.total, joinNames(names, st.nominationsMissing)),
		line("review_step_approved", st.total-len(st.approvalsMissing), st.total, joinNames(names, st.approvalsMissing)),
		line("review_step_peers", st.peersDone, st.peersDone+len(st.peersMissing), strings.Join(peerWaiting, ", ")),
		line("review_step_manager", st.total-len(st.managerMissing), st.total, joinNames(names, st.managerMissing)),
		line("review_step_released", st.total-len(st.unreleased), st.total, ""),
	})
	return Response{Reply: msg, Visibility: Private}, nil
}

// cycleProgress is who still owes which step of a cycle.
type cycleProgress struct {
	total                                                         int
	selfMissing, nominationsMissing, approvalsMissing, unreleased []UserID
	managerMissing                                                []UserID
	peersMissing                                                  []peerPair
	peersDone                                                     int
}

type peerPair struct{ peer, subject UserID }

func (st cycleProgress) peerAuthors() []UserID {
	var out []UserID
	for _, p := range st.peersMissing {
		out = append(out, p.peer)
	}
	return out
}

func (s *Service) cycleStatus(ctx context.Context, team Team, c ReviewCycle) (cycleProgress, error) {
	sheets, err := s.store.ReviewSheets(ctx, team.ID, c.ID)
	if err != nil {
		return cycleProgress{}, fmt.Errorf("sheets of %s: %w", c.ID, err)
	}
	all, err := s.store.CycleAnswers(ctx, team.ID, c.ID)
	if err != nil {
		return cycleProgress{}, fmt.Errorf("answers of %s: %w", c.ID, err)
	}
	answers := answersOf(all)
	st := cycleProgress{total: len(sheets)}
	for _, sh := range sheets {
		id := sh.Person
		if !answers[answerKey(id, RoleSelf, id)].Done() {
			st.selfMissing = append(st.selfMissing, id)
		}
		if len(sh.Nominated) == 0 && sh.Approved.IsZero() && c.Peers > 0 {
			st.nominationsMissing = append(st.nominationsMissing, id)
		}
		if sh.Approved.IsZero() && c.Peers > 0 {
			st.approvalsMissing = append(st.approvalsMissing, id)
		}
		for _, peer := range sh.Peers {
			if answers[answerKey(id, RolePeer, peer)].Done() {
				st.peersDone++
			} else {
				st.peersMissing = append(st.peersMissing, peerPair{peer: peer, subject: id})
			}
		}
		if !managerDone(answers, sh) {
			st.managerMissing = append(st.managerMissing, id)
		}
		if sh.Released.IsZero() {
			st.unreleased = append(st.unreleased, id)
		}
	}
	return st, nil
}

// --- settings ----------------------------------------------------------------

// reviewQuestions sets the team's own written review questions
// ("<team> q1 | q2 | q3") or goes back to the template ("<team> default").
func (s *Service) reviewQuestions(ctx context.Context, r *request, args string) (Response, error) {
	toks := parse.Tokens(args)
	if len(toks) < 2 {
		return Response{}, refuse("review_questions_usage", map[string]any{"Max": MaxReviewQuestions})
	}
	team, err := s.loadTeamForChange(ctx, r, toks[0], true)
	if err != nil {
		return Response{}, err
	}
	rest := strings.TrimSpace(args[strings.Index(args, toks[0])+len(toks[0]):])
	var qs []string
	if w := parse.Fold(rest); w != "default" && w != "默认" {
		qs = splitList(rest, "|")
		if len(qs) == 0 || len(qs) > MaxReviewQuestions {
			return Response{}, refuse("review_questions_usage", map[string]any{"Max": MaxReviewQuestions})
		}
	}
	if err := s.SetReviewQuestions(ctx, team.ID, qs, r.audit("review.questions", "review_questions", strings.Join(qs, " | "))); err != nil {
		return Response{}, err
	}
	if len(qs) == 0 {
		return s.say(r, "review_questions_default", map[string]any{"Team": team.Name}), nil
	}
	return s.say(r, "review_questions_set", map[string]any{"Team": team.Name, "Count": len(qs)}), nil
}

// SetReviewQuestions replaces a team's written review questions (nil goes
// back to the default template). The configuration file's teams use it
// too; cycles already started keep the questions they started with.
func (s *Service) SetReviewQuestions(ctx context.Context, teamID string, questions []string, a AuditEntry) error {
	settings, err := s.store.ReviewSettings(ctx, teamID)
	if err != nil {
		return fmt.Errorf("review settings of %s: %w", teamID, err)
	}
	settings.Questions = questions
	if a == (AuditEntry{}) {
		a = AuditEntry{At: s.clock.Now(), Actor: "config:file:pulse", Action: "review.questions", Subject: "review_questions"}
	}
	if err := s.store.SaveReviewSettings(ctx, teamID, settings, a); err != nil {
		return fmt.Errorf("save review questions of %s: %w", teamID, err)
	}
	return nil
}
