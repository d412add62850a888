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

// Releasing results to the person and showing them (summary, /review show,
// /review mine).

func (s *Service) reviewRelease(ctx context.Context, r *request, args string) (Response, error) {
	p, rest, err := s.placeForManager(ctx, r, args, "review_release_usage")
	if err != nil {
		return Response{}, err
	}
	act := ActRelease
	switch {
	case parse.IsAnyway(rest):
		act = ActReleaseAnyway
	case rest != "":
		return Response{}, refuse("review_release_usage", nil)
	}
	if err := s.checkSheet(ctx, r, p, act); err != nil {
		return Response{}, err
	}
	all, err := s.loadCycleAnswers(ctx, p.team.ID, p.cycle.ID)
	if err != nil {
		return Response{}, err
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
	viewer, err := s.ViewerOf(ctx, person.ID)
	if err != nil {
		return Response{}, err
	}
	pr := &request{ev: r.ev, now: r.now, actor: person, locale: localeOf(person, p.team), viewer: viewer}
	msg, err := s.resultsMessage(ctx, pr, p, all)
	if err != nil {
		return Response{}, err
	}
	s.notify(ctx, Address{Platform: person.ID.Platform(), User: person.ID}, pr.locale, msg, r.ev.Key+":released")
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
func (s *Service) resultsMessage(ctx context.Context, r *request, p reviewPlace, all cycleAnswers) (Message, error) {
	return s.reviewSummary(ctx, r, p, all)
}

// reviewSummary renders a person's review from the sheets r.viewer may
// read (CanSeeReviewAnswers): peers by name in a named cycle; in an
// anonymous one merged, as CanSeeAnonymousReviews allows, to managers too.
func (s *Service) reviewSummary(ctx context.Context, r *request, p reviewPlace, all cycleAnswers) (Message, error) {
	subject := p.sheet.Person
	var self, mgr []ReviewAnswers
	var peers []ReviewAnswers
	var ids []UserID
	for _, a := range all.named {
		if a.Subject != subject || !a.Done() || !CanSeeReviewAnswers(r.viewer, p.cycle, a, p.sheet) {
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
	anon := all.anon.About(subject)
	if p.cycle.Anonymous {
		// Peer sheets kept under a name in an anonymous cycle (written
		// before reviews were stored apart) are shown like the others: merged.
		for _, a := range peers {
			anon = append(anon, AnonymousReview{Subject: subject, Answers: a.Answers, Ratings: a.Ratings})
		}
	}
	switch {
	case !p.cycle.Anonymous:
		section("review_section_peer", peers, true)
	case CanSeeAnonymousReviews(r.viewer, p.cycle, p.sheet, len(anon)):
		msg.Blocks = append(msg.Blocks, Divider{}, Text{Text: s.t(r, "review_section_peers_anonymous", map[string]any{"Count": len(anon)})})
		msg.Blocks = append(msg.Blocks, s.anonymousPeerFields(r, p.cycle, qs, anon)...)
	case len(anon) > 0:
		msg.Blocks = append(msg.Blocks, Divider{}, Context{Text: s.t(r, "review_peers_held", map[string]any{"Count": len(anon), "Min": AnonymityFloor})})
	}
	ev, err := s.buildEvidence(ctx, r.viewer, p.team, subject, p.cycle.PeriodFrom, minTime(r.now, p.cycle.Due), true)
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
func (s *Service) anonymousPeerFields(r *request, c ReviewCycle, qs []string, peers []AnonymousReview) []Block {
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
	manager := CanSeeReviewCycle(r.viewer, p.cycle)
	switch {
	case !CanSeeReviewSheet(r.viewer, p.sheet):
		return Response{}, refuse("review_forbidden", nil)
	case !manager && p.sheet.Released.IsZero():
		return Response{}, refuse("review_not_released", nil)
	}
	all, err := s.loadCycleAnswers(ctx, p.team.ID, p.cycle.ID)
	if err != nil {
		return Response{}, err
	}
	msg, err := s.reviewSummary(ctx, r, p, all)
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
		all, err := s.loadCycleAnswers(ctx, p.team.ID, p.cycle.ID)
		if err != nil {
			return Response{}, err
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
		msg.Blocks = append(msg.Blocks, s.mySteps(r, p, all.progress())...)
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
	f := sheetFacts(p.cycle, p.sheet, answers)
	return []Block{
		Text{Text: s.t(r, "review_cycle_line", map[string]any{"Title": p.cycle.Title, "Team": p.team.Name, "Due": dueDay(p.cycle.Due, p.team.Location())})},
		Fields{
			{Label: s.t(r, "review_step_self", nil), Value: mark(f.Done[StepSelf])},
			{Label: s.t(r, "review_step_nominate", nil), Value: mark(f.Done[StepNominate])},
			{Label: s.t(r, "review_step_approved", nil), Value: mark(f.Done[StepApproved])},
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
		all, err := s.loadCycleAnswers(ctx, t.ID, c.ID)
		if err != nil {
			return nil, err
		}
		answers := all.progress()
		for _, sh := range sheets {
			if slices.Contains(sh.Peers, r.actor.ID) && sheetAllows(ActRemindPeer, sheetFacts(c, sh, answers)).OK &&
				!answers[answerKey(sh.Person, RolePeer, r.actor.ID)].Done() {
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
