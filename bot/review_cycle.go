package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot/parse"
)

// A review cycle's life: start, nominations and approval of peers, and the
// team's question template. The command dispatch is in review.go.

// reviewStartSpec is "team <name> <title> due <date> [peers N] [named|anonymous]".
type reviewStartSpec struct {
	Team      string
	Title     string
	Due       time.Time
	Peers     int
	Anonymous bool
}

func parseReviewStart(args string, now time.Time, loc *time.Location) (reviewStartSpec, error) {
	typed, ok, err := parse.ParseReviewStart(args, now, loc)
	if err != nil {
		return reviewStartSpec{}, err
	}
	if !ok {
		return reviewStartSpec{}, refuse("review_start_usage", nil)
	}
	spec := reviewStartSpec{Team: typed.Team, Title: typed.Title, Due: typed.Due.AddDate(0, 0, 1), Peers: DefaultReviewPeers, Anonymous: !typed.Named}
	if typed.Peers != -1 {
		if typed.Peers < 0 || typed.Peers > MaxReviewPeers {
			return spec, refuse("review_peers_invalid", map[string]any{"Max": MaxReviewPeers})
		}
		spec.Peers = typed.Peers
	}
	if !spec.Due.After(now) {
		return spec, refuse("error_date_past", map[string]any{"Date": typed.Due.Format("2006-01-02")})
	}
	if spec.Anonymous && spec.Peers > 0 && spec.Peers < AnonymityFloor {
		return spec, refuse("review_peers_anonymous_min", map[string]any{"Min": AnonymityFloor, "Peers": spec.Peers})
	}
	return spec, nil
}

func (s *Service) reviewStart(ctx context.Context, r *request, args string) (Response, error) {
	name, _ := parse.TeamPrefix(args)
	if name == "" {
		return Response{}, refuse("review_start_usage", nil)
	}
	team, err := s.loadTeamForChange(ctx, r, name, true)
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
		switch c.State() {
		case CycleOpen:
			return Response{}, refuse("review_cycle_open", map[string]any{"Team": team.Name, "Title": c.Title})
		case CycleClosed:
			from = c.Due
		}
	}
	settings, err := s.store.ReviewSettings(ctx, team.ID)
	if err != nil {
		return Response{}, fmt.Errorf("review settings of %s: %w", team.ID, err)
	}
	c := ReviewCycle{TeamID: team.ID, Title: s.mentionsAsNames(ctx, r, spec.Title), PeriodFrom: from, Due: spec.Due, Peers: spec.Peers,
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
		s.notify(ctx, Address{Platform: id.Platform(), User: id}, l, msg, r.ev.Key+":review:"+string(id))
	}
	for _, id := range team.Managers {
		l := localeOf(people[id], team)
		msg := Message{Title: s.catalog.T(l, "review_started_title", data), Blocks: []Block{Text{Text: s.catalog.T(l, "review_started_manager_dm", data)}}}
		s.notify(ctx, Address{Platform: id.Platform(), User: id}, l, msg, r.ev.Key+":review:"+string(id))
	}
}

// writeButton opens the review form for one subject and role.
func (s *Service) writeButton(l Locale, team Team, c ReviewCycle, subject UserID, role, command string) Buttons {
	value := strings.Join([]string{team.ID, c.ID, string(subject), role}, "|")
	return Buttons{{ID: ActionReviewSubmit, Label: s.catalog.T(l, "button_review_write", nil), Value: value, Command: command}}
}

// --- nominations -----------------------------------------------------------

// mentions reads a list of mentions and nothing else; anything else is
// refused with usageKey.
func mentions(args, usageKey string) ([]UserID, error) {
	ids, ok, err := parse.MentionList(args)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, refuse(usageKey, nil)
	}
	out := make([]UserID, len(ids))
	for i, id := range ids {
		out[i] = UserID(id)
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
	args, name := s.cutTeam(ctx, args)
	p, err := s.placeOf(ctx, r, r.actor.ID, name)
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
	if err := s.checkSheet(ctx, r, p, ActNominate); err != nil {
		return Response{}, err
	}
	if slices.Contains(peers, r.actor.ID) {
		return Response{}, refuse("review_nominate_self", nil)
	}
	if err := s.refuseManagerPeers(ctx, r, p, peers); err != nil {
		return Response{}, err
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
		s.notify(ctx, Address{Platform: id.Platform(), User: id}, l, Message{Blocks: []Block{Text{Text: s.catalog.T(l, msgKey, data)}}}, key+":"+string(id))
	}
}

// refuseManagerPeers refuses peers who manage the person's team: a
// manager writes the manager's review, never a peer review.
func (s *Service) refuseManagerPeers(ctx context.Context, r *request, p reviewPlace, peers []UserID) error {
	for _, id := range peers {
		if !p.team.HasManager(id) {
			continue
		}
		names, err := s.names(ctx, r, []UserID{id, p.sheet.Person})
		if err != nil {
			return err
		}
		return refuse("review_peer_is_manager", map[string]any{"Peer": names[id], "Name": names[p.sheet.Person], "Team": p.team.Name})
	}
	return nil
}

// placeForManager finds the open cycle of the person named first in args
// and checks the actor manages their team.
func (s *Service) placeForManager(ctx context.Context, r *request, args, usageKey string) (reviewPlace, string, error) {
	who, rest, err := oneMention(args, usageKey)
	if err != nil {
		return reviewPlace{}, "", err
	}
	rest, name := s.cutTeam(ctx, rest)
	p, err := s.placeOf(ctx, r, who, name)
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
	if err := s.checkSheet(ctx, r, p, ActApprove); err != nil {
		return Response{}, err
	}
	names, err := s.names(ctx, r, append([]UserID{p.sheet.Person}, peers...))
	if err != nil {
		return Response{}, err
	}
	subject := map[string]any{"Name": names[p.sheet.Person], "Mention": "@" + names[p.sheet.Person], "Min": AnonymityFloor, "Max": MaxReviewPeers}
	switch {
	case len(peers) == 0:
		return Response{}, refuse("review_nothing_to_approve", subject)
	case slices.Contains(peers, p.sheet.Person):
		return Response{}, refuse("review_approve_subject", subject)
	case len(peers) > MaxReviewPeers:
		return Response{}, refuse("review_approve_too_many", subject)
	case p.cycle.Anonymous && len(peers) < AnonymityFloor:
		subject["Peers"] = joinNames(names, peers)
		return Response{}, refuse("review_approve_too_few", subject)
	}
	if err := s.refuseManagerPeers(ctx, r, p, peers); err != nil {
		return Response{}, err
	}
	people, err := s.ensurePeople(ctx, r, peers)
	if err != nil {
		return Response{}, err
	}
	p.sheet.Peers, p.sheet.Approved, p.sheet.ApprovedBy = peers, r.now, r.actor.ID
	if _, err := s.saveSheet(ctx, p.sheet, r.audit("review.peers_approved", p.cycle.ID+":"+string(p.sheet.Person), userList(peers))); err != nil {
		return Response{}, err
	}
	for _, id := range peers {
		l := localeOf(people[id], p.team)
		data := map[string]any{"Name": names[p.sheet.Person], "Title": p.cycle.Title, "Due": dueDay(p.cycle.Due, p.team.Location()), "Mention": "@" + names[p.sheet.Person]}
		msg := Message{Title: s.catalog.T(l, "review_peer_title", data), Blocks: []Block{
			Text{Text: s.catalog.T(l, "review_peer_dm", data)},
			s.writeButton(l, p.team, p.cycle, p.sheet.Person, RolePeer, "/review write @"+names[p.sheet.Person]),
		}}
		s.notify(ctx, Address{Platform: id.Platform(), User: id}, l, msg, r.ev.Key+":peer:"+string(id))
	}
	return s.say(r, "review_approved", map[string]any{"Name": names[p.sheet.Person], "Peers": joinNames(names, peers)}), nil
}

// Settings: the team's own written questions.

// reviewQuestions sets the team's own written review questions
// ("<team> q1 | q2 | q3") or goes back to the template ("<team> default").
func (s *Service) reviewQuestions(ctx context.Context, r *request, args string) (Response, error) {
	spec, ok := parse.ParseReviewQuestions(args)
	if !ok {
		return Response{}, refuse("review_questions_usage", map[string]any{"Max": MaxReviewQuestions})
	}
	team, err := s.loadTeamForChange(ctx, r, spec.Team, true)
	if err != nil {
		return Response{}, err
	}
	qs := spec.Questions
	if !spec.Default && (len(qs) == 0 || len(qs) > MaxReviewQuestions) {
		return Response{}, refuse("review_questions_usage", map[string]any{"Max": MaxReviewQuestions})
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

// reviewEndCycle closes or cancels the team's open cycle ("[team <name>]"),
// as the cycle table allows: close at any time (results not released stay
// with the managers), cancel only while no result is out. The members
// still waiting are told, so nobody keeps writing into a finished cycle.
func (s *Service) reviewEndCycle(ctx context.Context, r *request, args string, act CycleAction) (Response, error) {
	team, c, err := s.managedActiveCycle(ctx, r, args)
	if err != nil {
		return Response{}, err
	}
	sheets, err := s.store.ReviewSheets(ctx, team.ID, c.ID)
	if err != nil {
		return Response{}, fmt.Errorf("sheets of %s: %w", c.ID, err)
	}
	var waiting []UserID
	for _, sh := range sheets {
		if sh.Released.IsZero() {
			waiting = append(waiting, sh.Person)
		}
	}
	data := map[string]any{"Team": team.Name, "Title": c.Title, "Count": len(waiting)}
	if !cycleAllows(act, c.State(), len(waiting) < len(sheets)) {
		return Response{}, refuse("review_cancel_released", data)
	}
	action := "review.closed"
	if act == ActCycleCancel {
		c.Cancelled, action = r.now, "review.cancelled"
	} else {
		c.Closed = r.now
	}
	if err := s.store.SaveReviewCycle(ctx, c, r.audit(action, c.ID, "")); err != nil {
		return Response{}, fmt.Errorf("%s cycle %s: %w", act, c.ID, err)
	}
	people, err := s.store.People(ctx, waiting)
	if err != nil {
		s.log.Warn().Err(err).Msg("load review people")
	}
	for _, id := range waiting {
		l := localeOf(people[id], team)
		msg := Message{Blocks: []Block{Text{Text: s.catalog.T(l, "review_"+string(act)+"_dm", data)}}}
		s.notify(ctx, Address{Platform: id.Platform(), User: id}, l, msg, r.ev.Key+":review-end:"+string(id))
	}
	names, err := s.names(ctx, r, waiting)
	if err != nil {
		return Response{}, err
	}
	data["Names"] = joinNames(names, waiting)
	key := "review_" + string(act) + "_done"
	if act == ActCycleClose && len(waiting) > 0 {
		key = "review_close_done_unreleased"
	}
	return s.say(r, key, data), nil
}
