package bot_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// progressMessage is a progress update posted in the team's channel, as
// the adapters deliver it: one event, one key.
func progressMessage(key string, user bot.UserID, text string) bot.Event {
	return bot.Event{Key: key, Kind: bot.KindMessage, Platform: bot.PlatformConsole, User: user, Channel: "growth",
		Text: text, Message: bot.MessageRef{Platform: bot.PlatformConsole, Channel: "growth", ID: key}}
}

// handleAll sends every event through the service at once and fails on
// any error or any reply that is not an update's.
func handleAll(t *testing.T, h *harness, events []bot.Event) []bot.Response {
	t.Helper()
	out := make([]bot.Response, len(events))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, ev := range events {
		wg.Go(func() {
			<-start
			resp, err := h.svc.Handle(context.Background(), ev)
			if err != nil {
				t.Errorf("event %s: %v", ev.Key, err)
			}
			out[i] = resp
		})
	}
	close(start)
	wg.Wait()
	return out
}

// updatesOf returns the goal and its recorded history.
func updatesOf(t *testing.T, h *harness, id string) (bot.Goal, []bot.Update) {
	t.Helper()
	g, err := h.store.GetGoal(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	ups, err := h.store.GoalUpdates(context.Background(), id, time.Time{}, h.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return g, ups
}

func newOrdersGoal(t *testing.T, h *harness) string {
	t.Helper()
	mustContain(t, text(h.say(alice, "/goal new Orders from 0 to 1000 orders by 2026-12-31")), "G")
	goals, err := h.store.TeamGoals(context.Background(), "growth")
	if err != nil || len(goals) != 1 {
		t.Fatalf("goals %v %v", goals, err)
	}
	return goals[0].ID
}

func TestTwoHundredConcurrentRelativeUpdatesAllLandWithTheirExactSum(t *testing.T) {
	h := newHarness(t)
	id := newOrdersGoal(t, h)
	const n = 200
	events := make([]bot.Event, n)
	for i := range events {
		events[i] = progressMessage(fmt.Sprintf("slack:EvAdd%d", i), alice, id+" +1 one more")
	}
	replies := handleAll(t, h, events)
	g, ups := updatesOf(t, h, id)
	if g.Current != n || len(ups) != n {
		t.Fatalf("after %d concurrent +1: current %v with %d updates recorded, want %d and %d", n, g.Current, len(ups), n, n)
	}
	// Each reply shows the step its own update really made.
	seen := map[string]bool{}
	for i, r := range replies {
		if r.Reaction != "check" {
			t.Fatalf("event %d: reaction %q, want check; reply %q", i, r.Reaction, text(r))
		}
		line := text(r)
		step := ""
		for prev := range n {
			if s := fmt.Sprintf("%d orders → %d orders", prev, prev+1); strings.Contains(line, s) {
				step = s
			}
		}
		if step == "" || seen[step] {
			t.Fatalf("reply %d %q does not show a step of its own", i, line)
		}
		seen[step] = true
	}
}

func TestConcurrentDuplicatesOfEachUpdateRecordOnce(t *testing.T) {
	h := newHarness(t)
	id := newOrdersGoal(t, h)
	const n, copies = 40, 3
	var events []bot.Event
	for i := range n {
		for range copies {
			events = append(events, progressMessage(fmt.Sprintf("slack:EvDup%d", i), alice, id+" +2.5"))
		}
	}
	replies := handleAll(t, h, events)
	g, ups := updatesOf(t, h, id)
	if g.Current != 2.5*n || len(ups) != n {
		t.Fatalf("%d events delivered %d times each: current %v with %d updates, want %v and %d", n, copies, g.Current, len(ups), 2.5*n, n)
	}
	// Every delivery of an event answers with the update it recorded (the
	// adapters send one reply per event key): the same step each time.
	answers := map[string]map[string]bool{}
	for i, r := range replies {
		key := events[i].Key
		if answers[key] == nil {
			answers[key] = map[string]bool{}
		}
		answers[key][text(r)] = true
		if r.Reply.IsZero() {
			t.Fatalf("delivery %d of %s got no answer", i, key)
		}
	}
	for key, texts := range answers {
		if len(texts) != 1 {
			t.Fatalf("the deliveries of %s answered differently: %v", key, texts)
		}
	}
}

// Absolute and relative updates racing: the absolute ones set the value
// at their moment, the relative ones add to whatever they find. Replaying
// the recorded history in its order must give every step and the final
// value exactly, and every event is recorded once.
func TestMixedAbsoluteAndRelativeUpdatesReplayExactly(t *testing.T) {
	h := newHarness(t)
	id := newOrdersGoal(t, h)
	rng := rand.New(rand.NewPCG(11, 7))
	const n = 120
	events := make([]bot.Event, n)
	for i := range events {
		change := fmt.Sprintf("+%d", rng.IntN(5)+1)
		if rng.IntN(4) == 0 {
			change = fmt.Sprintf("%d", rng.IntN(500))
		}
		events[i] = progressMessage(fmt.Sprintf("slack:EvMix%d", i), alice, id+" "+change+" orders")
	}
	for i, r := range handleAll(t, h, events) {
		if r.Reaction != "check" {
			t.Fatalf("event %d not recorded: %q", i, text(r))
		}
	}
	g, ups := updatesOf(t, h, id)
	if len(ups) != n {
		t.Fatalf("%d updates recorded for %d events", len(ups), n)
	}
	cur := 0.0
	for i, u := range ups {
		if u.Previous != cur {
			t.Fatalf("update %d starts from %v, but the one before ended at %v", i, u.Previous, cur)
		}
		cur = u.Value
	}
	if g.Current != cur {
		t.Fatalf("goal at %v, its history ends at %v", g.Current, cur)
	}
}

// A relative update that would take a milestone past 100 % is refused by
// the atomic step, however the racing updates interleave: the value never
// leaves 0–100 and every refusal says so.
func TestConcurrentMilestoneUpdatesStayWithinRange(t *testing.T) {
	h := newHarness(t)
	mustContain(t, text(h.say(alice, "/goal new Launch the new pricing page")), "G")
	goals, _ := h.store.TeamGoals(context.Background(), "growth")
	id := goals[0].ID
	const n = 30
	events := make([]bot.Event, n)
	for i := range events {
		events[i] = progressMessage(fmt.Sprintf("slack:EvMs%d", i), alice, id+" +10%")
	}
	replies := handleAll(t, h, events)
	g, ups := updatesOf(t, h, id)
	if g.Current != 100 || len(ups) != 10 {
		t.Fatalf("milestone at %v after %d updates, want 100 after 10", g.Current, len(ups))
	}
	refused := 0
	for _, r := range replies {
		if strings.Contains(text(r), "from 0 to 100") {
			refused++
		}
	}
	if refused != n-10 {
		t.Fatalf("%d of %d updates past 100 %% refused with the range sentence, want %d", refused, n, n-10)
	}
}

// A goal closed while updates race it: every update recorded happened
// before the close (the close keeps their value), the ones after are
// refused with the closed sentence, none is lost from the value.
func TestGoalDoneRacingUpdatesLosesNoRecordedUpdate(t *testing.T) {
	h := newHarness(t)
	id := newOrdersGoal(t, h)
	const n = 60
	events := make([]bot.Event, 0, n+1)
	for i := range n {
		events = append(events, progressMessage(fmt.Sprintf("slack:EvRace%d", i), alice, id+" +1"))
	}
	events = append(events, bot.Event{Key: "slack:EvDone", Kind: bot.KindCommand, Platform: bot.PlatformConsole,
		User: alice, Direct: true, Channel: "dm", Text: "/goal done " + id + " shipped"})
	replies := handleAll(t, h, events)
	g, ups := updatesOf(t, h, id)
	if g.State != bot.GoalDone {
		t.Fatalf("goal state %q after /goal done", g.State)
	}
	if g.Current != float64(len(ups)) {
		t.Fatalf("closed goal at %v with %d updates recorded: an update was lost", g.Current, len(ups))
	}
	closed := 0
	for _, r := range replies[:n] {
		if strings.Contains(text(r), "already closed") {
			closed++
		}
	}
	if closed+len(ups) != n {
		t.Fatalf("%d updates recorded and %d refused as closed, want %d in all", len(ups), closed, n)
	}
}

// TestConcurrentEditsOfDifferentFieldsAllLand: edits of one goal racing
// each other are applied to the goal as stored (SaveGoal checks the
// version read), so an edit never writes back a field another edit
// changed meanwhile. Before, the last save wrote its whole stale record.
func TestConcurrentEditsOfDifferentFieldsAllLand(t *testing.T) {
	h := newHarness(t)
	id := newOrdersGoal(t, h)
	for round := range 10 {
		title := fmt.Sprintf("Orders round %d", round)
		due := fmt.Sprintf("2027-01-%02d", round+1)
		private := []string{"on", "off"}[round%2]
		edits := []bot.Event{
			{Text: "/goal edit " + id + " title " + title},
			{Text: "/goal edit " + id + " due " + due},
			{Text: "/goal edit " + id + " private " + private},
			{Text: "/goal " + id + " +1"},
		}
		for i := range edits {
			edits[i].Key = fmt.Sprintf("test:edit:%d:%d", round, i)
			edits[i].Kind, edits[i].Platform, edits[i].User, edits[i].Direct, edits[i].Channel =
				bot.KindCommand, bot.PlatformConsole, alice, true, "dm"
		}
		for i, resp := range handleAll(t, h, edits) {
			if strings.Contains(text(resp), "not saved") {
				t.Fatalf("round %d edit %d refused: %s", round, i, text(resp))
			}
		}
		g, _ := updatesOf(t, h, id)
		if g.Title != title || g.Due.Format("2006-01-02") != due || g.Private != (private == "on") || g.Current != float64(round+1) {
			t.Fatalf("round %d: goal title %q due %s private %v current %v; want %q, %s, %s and %d: one edit wrote back another's field",
				round, g.Title, g.Due.Format("2006-01-02"), g.Private, g.Current, title, due, private, round+1)
		}
	}
}

// TestRedeliveredGoalEditWritesOneAuditEntry: an inbox entry may be worked
// twice (a worker stopped before acknowledging it). The edit is keyed by
// its event in the same step that saves it, so the second delivery writes
// nothing, no second "goal.edited" entry, and still answers with the card.
func TestRedeliveredGoalEditWritesOneAuditEntry(t *testing.T) {
	h := newHarness(t)
	id := newOrdersGoal(t, h)
	edit := bot.Event{Key: "test:edit:redelivered", Kind: bot.KindCommand, Platform: bot.PlatformConsole,
		User: alice, Direct: true, Channel: "dm", Text: "/goal edit " + id + " title Orders shipped"}
	first, second := h.event(edit), h.event(edit)
	if text(first) != text(second) {
		t.Errorf("the redelivery answered %q, the first delivery %q", text(second), text(first))
	}
	log, err := h.store.AuditLog(context.Background(), "growth", 0)
	if err != nil {
		t.Fatal(err)
	}
	edits := 0
	for _, e := range log {
		if e.Action == "goal.edited" && e.Subject == id {
			edits++
		}
	}
	if edits != 1 {
		t.Errorf("%d goal.edited audit entries for one edit delivered twice, want 1", edits)
	}
	if g, _ := updatesOf(t, h, id); g.Title != "Orders shipped" || g.Version != 1 {
		t.Errorf("goal title %q at version %d, want %q saved once (version 1)", g.Title, g.Version, "Orders shipped")
	}
}
