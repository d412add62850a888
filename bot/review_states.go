package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// The review cycle and each person's sheet are state machines, and this
// file is their one table of allowed transitions. Every review command and
// every reminder asks it (sheetAllows, cycleAllows) before it acts, so a
// step the table refuses is refused the same way whoever tries it.
//
// A person's sheet walks ReviewSteps: nominate → approved → self → peers →
// manager → released. The steps before "manager" may happen in any order
// (a self-review can be written before peers are nominated); what the
// table fixes is which steps an action needs done, and which ones close it.
// A cycle is open, then closed (every result released, or /review close)
// or cancelled (/review cancel, only while nothing was released).

// ReviewStep is one step of a person's sheet in a review cycle.
type ReviewStep string

// The steps of a sheet, in the order the cycle walks them.
const (
	StepNominate ReviewStep = "nominate"
	StepApproved ReviewStep = "approved"
	StepSelf     ReviewStep = "self"
	StepPeers    ReviewStep = "peers"
	StepManager  ReviewStep = "manager"
	StepReleased ReviewStep = "released"
)

// ReviewSteps lists every step in order.
var ReviewSteps = []ReviewStep{StepNominate, StepApproved, StepSelf, StepPeers, StepManager, StepReleased}

// CycleState is where a review cycle is in its life.
type CycleState string

// The states of a cycle.
const (
	CycleOpen      CycleState = "open"
	CycleClosed    CycleState = "closed"
	CycleCancelled CycleState = "cancelled"
)

// State is the cycle's state, read from its Closed and Cancelled marks.
func (c ReviewCycle) State() CycleState {
	switch {
	case !c.Cancelled.IsZero():
		return CycleCancelled
	case !c.Closed.IsZero():
		return CycleClosed
	}
	return CycleOpen
}

// SheetAction is something a command or a reminder does to one sheet.
type SheetAction string

// The actions on a sheet: the commands, then the reminders (one per step
// a reminder may ask for).
const (
	ActNominate       SheetAction = "nominate"
	ActApprove        SheetAction = "approve"
	ActWriteSelf      SheetAction = "write-self"
	ActWritePeer      SheetAction = "write-peer"
	ActWriteManager   SheetAction = "write-manager"
	ActRelease        SheetAction = "release"
	ActReleaseAnyway  SheetAction = "release-anyway"
	ActRemindSelf     SheetAction = "remind-self"
	ActRemindNominate SheetAction = "remind-nominate"
	ActRemindApprove  SheetAction = "remind-approve"
	ActRemindPeer     SheetAction = "remind-peer"
	ActRemindManager  SheetAction = "remind-manager"
)

// sheetRule is one row of the table: the action is allowed only in an
// open cycle, when every step in needs is done and none in closedBy is.
type sheetRule struct {
	needs    []ReviewStep
	closedBy []ReviewStep
	// peersOnly actions make no sense in a cycle without peer reviews.
	peersOnly bool
}

// SheetTransitions is the one table of what may happen to a sheet.
var SheetTransitions = map[SheetAction]sheetRule{
	ActNominate:       {closedBy: []ReviewStep{StepApproved, StepReleased}, peersOnly: true},
	ActApprove:        {closedBy: []ReviewStep{StepReleased}, peersOnly: true},
	ActWriteSelf:      {closedBy: []ReviewStep{StepReleased}},
	ActWritePeer:      {needs: []ReviewStep{StepApproved}, closedBy: []ReviewStep{StepReleased}, peersOnly: true},
	ActWriteManager:   {closedBy: []ReviewStep{StepReleased}},
	ActRelease:        {needs: []ReviewStep{StepNominate, StepApproved, StepSelf, StepPeers, StepManager}, closedBy: []ReviewStep{StepReleased}},
	ActReleaseAnyway:  {needs: []ReviewStep{StepManager}, closedBy: []ReviewStep{StepReleased}},
	ActRemindSelf:     {closedBy: []ReviewStep{StepSelf, StepReleased}},
	ActRemindNominate: {closedBy: []ReviewStep{StepNominate, StepApproved, StepReleased}, peersOnly: true},
	ActRemindApprove:  {needs: []ReviewStep{StepNominate}, closedBy: []ReviewStep{StepApproved, StepReleased}, peersOnly: true},
	ActRemindPeer:     {needs: []ReviewStep{StepApproved}, closedBy: []ReviewStep{StepPeers, StepReleased}, peersOnly: true},
	ActRemindManager:  {closedBy: []ReviewStep{StepManager, StepReleased}},
}

// SheetFacts is what the table reads of one sheet: the cycle's state,
// whether the cycle has peer reviews, and which steps are done.
type SheetFacts struct {
	Cycle CycleState
	// NoPeers is a cycle with peers 0: its peer steps count as done.
	NoPeers bool
	Done    map[ReviewStep]bool
}

// sheetVerdict is the table's answer: allowed, or why not.
type sheetVerdict struct {
	OK bool
	// CycleNotOpen, NoPeers, Missing (needed steps not done) and Closed
	// (a done step that closes the action) say why it was refused.
	CycleNotOpen bool
	NoPeers      bool
	Missing      []ReviewStep
	Closed       ReviewStep
}

// sheetAllows asks the table whether the action may happen to the sheet.
func sheetAllows(act SheetAction, f SheetFacts) sheetVerdict {
	rule, ok := SheetTransitions[act]
	if !ok {
		return sheetVerdict{}
	}
	if f.Cycle != CycleOpen {
		return sheetVerdict{CycleNotOpen: true}
	}
	if rule.peersOnly && f.NoPeers {
		return sheetVerdict{NoPeers: true}
	}
	for _, st := range rule.closedBy {
		if f.Done[st] {
			return sheetVerdict{Closed: st}
		}
	}
	var missing []ReviewStep
	for _, st := range rule.needs {
		if !f.Done[st] {
			missing = append(missing, st)
		}
	}
	if len(missing) > 0 {
		return sheetVerdict{Missing: missing}
	}
	return sheetVerdict{OK: true}
}

// sheetFacts reads a sheet and its cycle's answers into what the table needs.
func sheetFacts(c ReviewCycle, sh ReviewSheet, answers map[string]ReviewAnswers) SheetFacts {
	f := SheetFacts{Cycle: c.State(), NoPeers: c.Peers == 0, Done: map[ReviewStep]bool{}}
	approved := !sh.Approved.IsZero()
	f.Done[StepNominate] = len(sh.Nominated) > 0 || approved || f.NoPeers
	f.Done[StepApproved] = approved || f.NoPeers
	f.Done[StepSelf] = answers[answerKey(sh.Person, RoleSelf, sh.Person)].Done()
	peersDone := approved || f.NoPeers
	for _, p := range sh.Peers {
		if !answers[answerKey(sh.Person, RolePeer, p)].Done() {
			peersDone = false
		}
	}
	f.Done[StepPeers] = peersDone
	f.Done[StepManager] = managerDone(answers, sh)
	f.Done[StepReleased] = !sh.Released.IsZero()
	return f
}

// writeAction is the table's action for writing in a role.
func writeAction(role string) SheetAction {
	switch role {
	case RoleSelf:
		return ActWriteSelf
	case RolePeer:
		return ActWritePeer
	}
	return ActWriteManager
}

// CycleAction is something done to a whole cycle.
type CycleAction string

// The actions on a cycle.
const (
	ActCycleClose  CycleAction = "close"
	ActCycleCancel CycleAction = "cancel"
)

// cycleRule is one row of the cycle table: the states it may start from,
// and whether a released result forbids it.
type cycleRule struct {
	from              []CycleState
	refusedIfReleased bool
}

// CycleTransitions is the one table of what may happen to a cycle. A
// cycle with results already out cannot be cancelled (its results were
// read); it is closed instead.
var CycleTransitions = map[CycleAction]cycleRule{
	ActCycleClose:  {from: []CycleState{CycleOpen}},
	ActCycleCancel: {from: []CycleState{CycleOpen}, refusedIfReleased: true},
}

// cycleAllows asks the cycle table; released is whether anyone's results are out.
func cycleAllows(act CycleAction, state CycleState, released bool) bool {
	rule, ok := CycleTransitions[act]
	if !ok || !slices.Contains(rule.from, state) {
		return false
	}
	return !(rule.refusedIfReleased && released)
}

// checkSheet asks the table whether act may happen to the place's sheet,
// and turns a no into the one sentence the actor reads.
func (s *Service) checkSheet(ctx context.Context, r *request, p reviewPlace, act SheetAction) error {
	all, err := s.loadCycleAnswers(ctx, p.team.ID, p.cycle.ID)
	if err != nil {
		return fmt.Errorf("answers of %s: %w", p.cycle.ID, err)
	}
	v := sheetAllows(act, sheetFacts(p.cycle, p.sheet, all.progress()))
	if v.OK {
		return nil
	}
	names, err := s.names(ctx, r, []UserID{p.sheet.Person})
	if err != nil {
		return err
	}
	name := names[p.sheet.Person]
	data := map[string]any{"Name": name, "Mention": "@" + name, "Title": p.cycle.Title, "Team": p.team.Name}
	switch {
	case v.CycleNotOpen:
		return refuse("review_cycle_"+string(p.cycle.State()), data)
	case v.NoPeers:
		return refuse("review_no_peer_step", data)
	case v.Closed == StepReleased && p.sheet.Person == r.actor.ID:
		return refuse("review_released", data)
	case v.Closed == StepReleased:
		return refuse("review_released_other", data)
	case v.Closed == StepApproved:
		return refuse("review_already_approved", data)
	case slices.Contains(v.Missing, StepManager):
		return refuse("review_release_needs_manager", data)
	case act == ActRelease:
		missing := make([]string, len(v.Missing))
		for i, st := range v.Missing {
			missing[i] = s.t(r, "review_missing_"+string(st), nil)
		}
		data["Missing"] = strings.Join(missing, s.t(r, "review_list_sep", nil))
		return refuse("review_release_missing", data)
	}
	return refuse("review_not_reviewer", data)
}
