package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Review commands: the dispatch and the helpers every section shares. The
// sections live beside it: review_cycle.go (start, nominations, approval,
// questions), review_writing.go, review_results.go, review_status.go.

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

func (s *Service) reviewCommand(ctx context.Context, r *request, cmd Command) (Response, error) {
	switch cmd.Sub {
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
	case "close":
		return s.reviewEndCycle(ctx, r, cmd.Args, ActCycleClose)
	case "cancel":
		return s.reviewEndCycle(ctx, r, cmd.Args, ActCycleCancel)
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
		if cycles[i].State() == CycleOpen {
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

// placeOf finds the open cycle that reviews the person, in any of their
// teams; when cycles of several teams review them, the team is found by
// the one rule (resolveTeam), which asks rather than picks.
func (s *Service) placeOf(ctx context.Context, r *request, person UserID, teamName string) (reviewPlace, error) {
	places, err := s.openPlacesOf(ctx, person)
	if err != nil {
		return reviewPlace{}, err
	}
	if len(places) <= 1 && teamName == "" {
		return firstPlace(places)
	}
	var teams []Team
	for _, p := range places {
		teams = append(teams, p.team)
	}
	t, err := s.chooseTeam(ctx, r, teamQuery{name: teamName, among: teams,
		fits: func(t Team) bool { return containsTeam(teams, t.ID) }})
	if err != nil {
		return reviewPlace{}, err
	}
	for _, p := range places {
		if p.team.ID == t.ID {
			return p, nil
		}
	}
	return reviewPlace{}, refuse("review_no_cycle", nil)
}

// firstPlace is the only place, or the refusal that there is none.
func firstPlace(places []reviewPlace) (reviewPlace, error) {
	if len(places) == 0 {
		return reviewPlace{}, refuse("review_no_cycle", nil)
	}
	return places[0], nil
}

// openPlacesOf lists every open cycle that reviews the person.
func (s *Service) openPlacesOf(ctx context.Context, person UserID) ([]reviewPlace, error) {
	teams, err := s.store.TeamsOf(ctx, person)
	if err != nil {
		return nil, fmt.Errorf("teams of %s: %w", person, err)
	}
	var out []reviewPlace
	for _, t := range teams {
		c, ok, err := s.activeCycle(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		sh, err := s.store.GetReviewSheet(ctx, t.ID, c.ID, person)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("sheet of %s: %w", person, err)
		}
		out = append(out, reviewPlace{team: t, cycle: c, sheet: sh})
	}
	return out, nil
}

// reviewRole is what the actor may write about the subject: their own
// self-review, the manager's review (the team's managers; admins read but
// do not write), or a peer review once approved. A manager is never a
// peer (approval refuses it), so the roles cannot overlap.
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

// loadAnswers is the author's sheet about the subject: what they wrote so
// far, or — for an anonymous peer review already submitted — a marker that
// says done and holds nothing.
func (s *Service) loadAnswers(ctx context.Context, p reviewPlace, role string, author UserID) (ReviewAnswers, error) {
	all, err := s.loadCycleAnswers(ctx, p.team.ID, p.cycle.ID)
	if err != nil {
		return ReviewAnswers{}, err
	}
	if a, ok := all.progress()[answerKey(p.sheet.Person, role, author)]; ok {
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
