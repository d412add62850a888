package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store/storetest"
)

// Adversarial regression tests, round adv26b.

// recordUpdateLua rounds a relative sum to the decimal places of its terms
// capped at 12 ('%.12f'), so every value below 5e-13 becomes 0: a goal at
// 1.5e-13 moved by +1e-13 stands at 0 (the update is recorded as 1.5e-13 →
// 0), +1e-13 from 0 changes nothing, and a "+0" wipes a small value. The
// cap bounds decimal places, not significant digits; the parser accepts
// such numbers ("+0.0000000000001"), and an absolute update stores them.
func TestAdv26bRelativeUpdatesKeepSmallValues(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	cases := []struct {
		start, step, want float64
	}{
		{1.5e-13, 1e-13, 2.5e-13},
		{0, 1e-13, 1e-13},
		{5e-13, 0, 5e-13},
		{3e-20, 1e-20, 4e-20},
		{1e-120, 1e-120, 0}, // more places than Lua's format takes (99): rounded away, no script error
	}
	for i, c := range cases {
		g, err := s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "small", Owner: alice, State: bot.GoalOpen,
			Metric: bot.Metric{Baseline: 0, Target: 1}, Current: c.start, Start: t0, Due: t0.AddDate(0, 3, 0), UpdatedAt: t0}, bot.AuditEntry{})
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.RecordUpdate(ctx, bot.Update{GoalID: g.ID, At: t0.Add(time.Minute)},
			bot.ProgressChange{Number: c.step, Relative: true}, bot.AuditEntry{})
		if err != nil {
			t.Fatal(err)
		}
		if u.Value != c.want {
			t.Errorf("case %d: %v %+v stands at %v, want %v", i, c.start, c.step, u.Value, c.want)
		}
	}
}

// Bury now reports moved (false: another worker settled the entry), and the
// worker neither logs the dead letter nor calls OnDead (the dead-letter
// metric) when it is false. But buryLua tells "settled meanwhile" by XACK
// answering 0, which is also what go-redis's resend of the same call finds
// after a lost reply (read timeout, dropped connection): the first send
// buried it, the resend answers 0, and the entry lies in the dead-letter
// stream unlogged and uncounted. The script needs the call-id marker the
// other writes got (976c0bc).
func TestAdv26bBuryResentAfterALostReplyReportsTheEntryMoved(t *testing.T) {
	ctx := context.Background()
	st := storetest.MustOpen(t)
	in := st.Inbox()
	if err := in.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Enqueue(ctx, inboxEntry("adv26b-bury"), time.Hour); err != nil {
		t.Fatal(err)
	}
	got, err := in.Read(ctx, "c1", 10, -1)
	if err != nil || len(got) != 1 {
		t.Fatalf("read: %v %v", got, err)
	}
	hook := &adv26Resend{marker: ":dead"}
	st.Client().AddHook(hook)
	moved, err := in.Bury(ctx, got[0], "handling panicked", t0)
	if !hook.done.Load() {
		t.Fatal("setup: the bury script was not seen by the hook")
	}
	if n, _ := in.DeadCount(ctx); n != 1 {
		t.Fatalf("dead count %d, want 1", n)
	}
	if err != nil || !moved {
		t.Errorf("Bury, reply lost and resent by the client: moved %v, %v; it did move the entry (the worker will not log it nor count it)", moved, err)
	}
}
