package bot

import (
	"context"
	"fmt"
	"strings"
)

// A cycle's progress: who still owes which step (/review status and the
// reminders).

// managedActiveCycle resolves the team named in args (or the caller's own)
// and its open cycle, refusing a caller who does not manage the team and a
// team with no open cycle: what every manager-only cycle command needs first.
func (s *Service) managedActiveCycle(ctx context.Context, r *request, args string) (Team, ReviewCycle, error) {
	team, err := s.resolveCheckInTeam(ctx, r, args, needManager)
	if err != nil {
		return Team{}, ReviewCycle{}, err
	}
	if !s.canManage(team, r.actor.ID) {
		return Team{}, ReviewCycle{}, refuse("error_not_manager", map[string]any{"Team": team.Name})
	}
	c, ok, err := s.activeCycle(ctx, team.ID)
	if err != nil {
		return Team{}, ReviewCycle{}, err
	}
	if !ok {
		return Team{}, ReviewCycle{}, refuse("review_no_cycle_team", map[string]any{"Team": team.Name})
	}
	return team, c, nil
}

func (s *Service) reviewStatus(ctx context.Context, r *request, args string) (Response, error) {
	team, c, err := s.managedActiveCycle(ctx, r, args)
	if err != nil {
		return Response{}, err
	}
	if !CanSeeReviewCycle(r.viewer, c) {
		return Response{}, refuse("error_not_manager", map[string]any{"Team": team.Name})
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
		line("review_step_self", st.done[StepSelf], st.total, joinNames(names, st.selfMissing)),
		line("review_step_nominate", st.done[StepNominate], st.total, joinNames(names, st.nominationsMissing)),
		line("review_step_approved", st.done[StepApproved], st.total, joinNames(names, st.approvalsMissing)),
		line("review_step_peers", st.peersDone, st.peersDone+len(st.peersMissing), strings.Join(peerWaiting, ", ")),
		line("review_step_manager", st.done[StepManager], st.total, joinNames(names, st.managerMissing)),
		line("review_step_released", st.done[StepReleased], st.total, ""),
	})
	return Response{Reply: msg, Visibility: Private}, nil
}

// cycleProgress is how far a cycle is: per step, how many sheets have it
// done, and who still owes it. The waiting lists are exactly the steps the
// transition table still lets a reminder ask for, so status and reminders
// never name a step that is closed (released, or done).
type cycleProgress struct {
	total int
	done  map[ReviewStep]int
	// selfMissing, nominationsMissing, approvalsMissing and managerMissing
	// are the subjects whose step is open; unreleased have no results out.
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
	all, err := s.loadCycleAnswers(ctx, team.ID, c.ID)
	if err != nil {
		return cycleProgress{}, fmt.Errorf("answers of %s: %w", c.ID, err)
	}
	answers := all.progress()
	st := cycleProgress{total: len(sheets), done: map[ReviewStep]int{}}
	for _, sh := range sheets {
		id := sh.Person
		f := sheetFacts(c, sh, answers)
		for _, step := range ReviewSteps {
			if f.Done[step] {
				st.done[step]++
			}
		}
		open := func(act SheetAction) bool { return sheetAllows(act, f).OK }
		if open(ActRemindSelf) {
			st.selfMissing = append(st.selfMissing, id)
		}
		if open(ActRemindNominate) {
			st.nominationsMissing = append(st.nominationsMissing, id)
		}
		if open(ActRemindApprove) {
			st.approvalsMissing = append(st.approvalsMissing, id)
		}
		for _, peer := range sh.Peers {
			switch {
			case answers[answerKey(id, RolePeer, peer)].Done():
				st.peersDone++
			case open(ActRemindPeer):
				st.peersMissing = append(st.peersMissing, peerPair{peer: peer, subject: id})
			}
		}
		if open(ActRemindManager) {
			st.managerMissing = append(st.managerMissing, id)
		}
		if !f.Done[StepReleased] {
			st.unreleased = append(st.unreleased, id)
		}
	}
	return st, nil
}
