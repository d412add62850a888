package bot_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// sheetState is a state of Ann's sheet to drive the real service into:
// the steps done, whether the cycle has peers, and the cycle's state.
type sheetState struct {
	done    []bot.ReviewStep
	noPeers bool
	cycle   bot.CycleState
}

func (st sheetState) has(step bot.ReviewStep) bool { return slices.Contains(st.done, step) }

func (st sheetState) String() string {
	var parts []string
	for _, s := range st.done {
		parts = append(parts, string(s))
	}
	name := "none"
	if len(parts) > 0 {
		name = strings.Join(parts, "+")
	}
	if st.noPeers {
		name += ",peers0"
	}
	return name + "," + string(st.cycle)
}

// facts is what the table reads in this state.
func (st sheetState) facts() bot.SheetFacts {
	f := bot.SheetFacts{Cycle: st.cycle, NoPeers: st.noPeers, Done: map[bot.ReviewStep]bool{}}
	for _, s := range st.done {
		f.Done[s] = true
	}
	if st.noPeers {
		f.Done[bot.StepNominate], f.Done[bot.StepApproved], f.Done[bot.StepPeers] = true, true, true
	}
	return f
}

// reachableSheetStates lists every state a sheet can be in: peers need
// approval, approval counts as nominated, release needs the manager's
// review; then a cycle without peers, and closed and cancelled cycles.
func reachableSheetStates() []sheetState {
	var out []sheetState
	peerSteps := [][]bot.ReviewStep{{}, {bot.StepNominate}, {bot.StepNominate, bot.StepApproved}, {bot.StepNominate, bot.StepApproved, bot.StepPeers}}
	endSteps := [][]bot.ReviewStep{{}, {bot.StepManager}, {bot.StepManager, bot.StepReleased}}
	for _, p := range peerSteps {
		for _, self := range []bool{false, true} {
			for _, e := range endSteps {
				done := slices.Clone(p)
				if self {
					done = append(done, bot.StepSelf)
				}
				out = append(out, sheetState{done: append(done, e...), cycle: bot.CycleOpen})
			}
		}
	}
	for _, self := range []bool{false, true} {
		for _, e := range endSteps {
			var done []bot.ReviewStep
			if self {
				done = append(done, bot.StepSelf)
			}
			out = append(out, sheetState{done: append(done, e...), noPeers: true, cycle: bot.CycleOpen})
		}
	}
	mid := []bot.ReviewStep{bot.StepNominate, bot.StepApproved, bot.StepSelf}
	out = append(out,
		sheetState{done: mid, cycle: bot.CycleClosed},
		sheetState{done: mid, cycle: bot.CycleCancelled},
		sheetState{done: append(slices.Clone(mid), bot.StepManager, bot.StepReleased), cycle: bot.CycleClosed})
	return out
}

// drive walks a fresh cycle (named, one peer: Ben) into the state for Ann.
func (h *rvHarness) drive(st sheetState) {
	h.t.Helper()
	peers := "peers 1 named"
	if st.noPeers {
		peers = "peers 0"
	}
	rvHas(h.t, h.say(rvMia, "/review start team Growth Drive due 2026-12-15 "+peers), "Started")
	answer := func(who bot.UserID, about string) {
		for _, a := range []string{"one", "two", "three", "4", "4"} {
			h.say(who, strings.TrimSpace("/review answer "+about+" "+a))
		}
	}
	if st.has(bot.StepNominate) && !st.noPeers {
		rvHas(h.t, h.say(rvAnn, "/review nominate @ben"), "Nominated")
	}
	if st.has(bot.StepApproved) && !st.noPeers {
		rvHas(h.t, h.say(rvMia, "/review approve @ann @ben"), "Approved")
	}
	if st.has(bot.StepSelf) {
		answer(rvAnn, "")
	}
	if st.has(bot.StepPeers) && !st.noPeers {
		answer(rvBen, "@ann")
	}
	if st.has(bot.StepManager) {
		answer(rvMia, "@ann")
	}
	if st.has(bot.StepReleased) {
		rvHas(h.t, h.say(rvMia, "/review release @ann anyway"), "Released")
	}
	switch st.cycle {
	case bot.CycleClosed:
		rvHas(h.t, h.say(rvMia, "/review close team growth"), "Closed")
	case bot.CycleCancelled:
		rvHas(h.t, h.say(rvMia, "/review cancel team growth"), "Cancelled")
	}
}

// sheetCommand is how a person asks for an action, and what its reply
// says when the action was allowed.
type sheetCommand struct {
	who     bot.UserID
	text    string
	allowed string
}

var sheetCommands = map[bot.SheetAction]sheetCommand{
	bot.ActNominate:      {rvAnn, "/review nominate @cat", "Nominated Cat"},
	bot.ActApprove:       {rvMia, "/review approve @ann @cat", "Approved Cat"},
	bot.ActWriteSelf:     {rvAnn, "/review write", "Your self-review"},
	bot.ActWritePeer:     {rvBen, "/review write @ann", "Peer review of Ann"},
	bot.ActWriteManager:  {rvMia, "/review write @ann", "Manager's review of Ann"},
	bot.ActRelease:       {rvMia, "/review release @ann", "Released"},
	bot.ActReleaseAnyway: {rvMia, "/review release @ann anyway", "Released"},
}

// sheetReminders is, for each reminder action, who gets it and the line
// that is there exactly when the table lets the reminder ask for the step.
// The other three members' sheets are untouched, so the manager's counts
// are theirs plus Ann's.
var sheetReminders = map[bot.SheetAction]struct {
	who        bot.UserID
	open, shut string
}{
	bot.ActRemindSelf:     {rvAnn, "your self-review", ""},
	bot.ActRemindNominate: {rvAnn, "your peer nominations", ""},
	bot.ActRemindPeer:     {rvBen, "a peer review of Ann", ""},
	bot.ActRemindApprove:  {rvMia, "approve peers for 1 people", ""},
	bot.ActRemindManager:  {rvMia, "manager's reviews for 4 people", "manager's reviews for 3 people"},
}

func sortedSheetActions() []bot.SheetAction {
	var out []bot.SheetAction
	for a := range bot.SheetTransitions {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// TestReviewSheetFollowsTheTransitionTable drives Ann's sheet into every
// reachable state and tries every action of the table there: each command
// is allowed exactly when the table says so (and a refusal is one sentence
// that changes nothing), and each reminder line is sent exactly when the
// table lets the reminder ask for the step.
func TestReviewSheetFollowsTheTransitionTable(t *testing.T) {
	for _, act := range sortedSheetActions() {
		_, cmd := sheetCommands[act]
		_, rem := sheetReminders[act]
		if !cmd && !rem {
			t.Fatalf("action %s of the table has no command or reminder in this test", act)
		}
	}
	late := time.Date(2026, 12, 16, 10, 0, 0, 0, time.UTC)
	for _, st := range reachableSheetStates() {
		t.Run(st.String(), func(t *testing.T) {
			// Refused commands change nothing, so they share one cycle;
			// each allowed one gets its own.
			h := newRVHarness(t)
			h.drive(st)
			for _, act := range sortedSheetActions() {
				c, ok := sheetCommands[act]
				if !ok || bot.SheetAllowsOK(act, st.facts()) {
					continue
				}
				got := h.say(c.who, c.text)
				if strings.Contains(got, c.allowed) {
					t.Errorf("%s (%s) refused by the table but allowed: %q", act, c.text, got)
				}
				if strings.Contains(got, "\n") || rvSentenceBreak.MatchString(got) || !strings.Contains(got, "`") {
					t.Errorf("%s (%s): refusal is not one sentence saying what to type: %q", act, c.text, got)
				}
			}
			list, err := h.svc.PlanReviewReminders(context.Background(), "growth", late)
			if err != nil {
				t.Fatal(err)
			}
			for _, act := range sortedSheetActions() {
				r, ok := sheetReminders[act]
				if !ok {
					continue
				}
				var msg string
				for _, d := range list {
					if d.Person == r.who {
						msg = bot.PlainText(d.Msg)
					}
				}
				want := bot.SheetAllowsOK(act, st.facts())
				if strings.Contains(msg, r.open) != want {
					t.Errorf("reminder %s: table says %v, %s's reminder is %q", act, want, r.who.Local(), msg)
				}
				if r.shut != "" && st.cycle == bot.CycleOpen && !want && !strings.Contains(msg, r.shut) {
					t.Errorf("reminder %s: closed step, want %q in %q", act, r.shut, msg)
				}
			}
			for _, act := range sortedSheetActions() {
				c, ok := sheetCommands[act]
				if !ok || !bot.SheetAllowsOK(act, st.facts()) {
					continue
				}
				h := newRVHarness(t)
				h.drive(st)
				if got := h.say(c.who, c.text); !strings.Contains(got, c.allowed) {
					t.Errorf("%s (%s) allowed by the table but got %q", act, c.text, got)
				}
			}
		})
	}
}

// TestReviewCycleFollowsTheTransitionTable closes and cancels cycles from
// every state of the cycle table, with and without a released result.
func TestReviewCycleFollowsTheTransitionTable(t *testing.T) {
	commands := map[bot.CycleAction]sheetCommand{
		bot.ActCycleClose:  {rvMia, "/review close team growth", "Closed"},
		bot.ActCycleCancel: {rvMia, "/review cancel team growth", "Cancelled"},
	}
	var acts []bot.CycleAction
	for a := range bot.CycleTransitions {
		acts = append(acts, a)
	}
	sort.Slice(acts, func(i, j int) bool { return acts[i] < acts[j] })
	for _, act := range acts {
		for _, state := range []bot.CycleState{bot.CycleOpen, bot.CycleClosed, bot.CycleCancelled} {
			for _, released := range []bool{false, true} {
				if released && state == bot.CycleCancelled {
					continue // a cancelled cycle never had a result out
				}
				t.Run(fmt.Sprintf("%s/%s/released=%v", act, state, released), func(t *testing.T) {
					h := newRVHarness(t)
					st := sheetState{done: []bot.ReviewStep{bot.StepSelf}, cycle: state}
					if released {
						st.done = append(st.done, bot.StepManager, bot.StepReleased)
					}
					h.drive(st)
					c := commands[act]
					got := h.say(c.who, c.text)
					if want := bot.CycleAllowsOK(act, state, released); strings.Contains(got, c.allowed) != want {
						t.Fatalf("%s in %s (released %v): table says %v, reply %q", act, state, released, want, got)
					}
					if bot.CycleAllowsOK(act, state, released) {
						// The cycle is over: writing stops, reminders stop, and a new cycle may start.
						h.refused(rvAnn, "/review write", "no open review")
						if list, _ := h.svc.PlanReviewReminders(context.Background(), "growth", time.Date(2026, 12, 16, 10, 0, 0, 0, time.UTC)); len(list) != 0 {
							t.Fatalf("%d reminders after %s", len(list), act)
						}
						rvHas(t, h.say(rvMia, "/review start team Growth Next due 2026-12-30"), "Started C2")
					}
				})
			}
		}
	}
}
