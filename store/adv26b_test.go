package store_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
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
	hook := &adv26bResend{adv26Resend{marker: ":dead"}}
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

// adv26bResend is adv26Resend that resends the first send that ran (not a
// NOSCRIPT refusal, after which go-redis sends EVAL): another package's
// test may flush the shared server's scripts meanwhile.
type adv26bResend struct{ adv26Resend }

func (h *adv26bResend) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		name := cmd.Name()
		if (name != "evalsha" && name != "eval") || !h.hasMarker(cmd.Args()) || h.done.Load() {
			return next(ctx, cmd)
		}
		if err := next(ctx, cmd); err != nil {
			return err
		}
		h.done.Store(true)
		return next(ctx, cmd)
	}
}

// ae9b373 answers a command that could not be queued "Not saved, send it
// again" when Redis refused or could not be reached, and "Not confirmed"
// when it did not answer in time (bot.MaybeQueued). With the client pulse
// serve builds (store.Connect: go-redis retries a refused dial with
// backoff), a stopped Redis never fails fast: every Receive runs into its
// 1.2 s bound and reads as "did not answer in time", so "Not saved" is
// never said in production; only storetest.Down (MaxRetries -1) reaches
// it. cmd/pulse's TestSlashCommandsThroughRedisFaults.../redis_down fails
// the same way ("no command was answered 1 during the fault").
func TestAdv26bRedisDownIsNotSavedWithTheServeClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	rdb, err := store.Connect("redis://" + addr + "/0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	st := store.New(rdb, store.Options{Prefix: "adv26b-down:"})
	_, err = bot.Receive(context.Background(), st.Inbox(), bot.InboxEntry{Key: "slack:cmd:adv26b", Platform: bot.PlatformSlack,
		Kind: "command", Body: []byte("x"), ReceivedAt: t0}, time.Minute)
	if err == nil {
		t.Fatal("queued on a closed port")
	}
	if bot.MaybeQueued(err) {
		t.Errorf("Redis refusing connections: %v; MaybeQueued true, so the person reads 'Not confirmed', never 'Not saved'", err)
	}
}
