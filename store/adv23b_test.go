package store_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store/storetest"
)

// A keyed update retried by another call (a platform retry, a second
// replica) is still a duplicate: the call-named marker answers 'ok' only
// to the call that wrote it. A marker in the format before call ids (the
// bare update id, written by a replica of the previous release within the
// last 72h) is a duplicate too.
func TestAdv23bKeyedUpdateRetriedByAnotherCallIsStillADuplicate(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	g, err := s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "count", Owner: alice, State: bot.GoalOpen}, bot.AuditEntry{})
	must(t, "create goal", err)
	up := func(key string) (bot.Update, error) {
		return s.RecordUpdate(ctx, bot.Update{GoalID: g.ID, Author: bob, At: t0, Key: key},
			bot.ProgressChange{Number: 1, Relative: true}, bot.AuditEntry{At: t0, Action: "goal.updated", Key: key})
	}
	first, err := up("slack:ev 1")
	must(t, "first update", err)
	again, err := up("slack:ev 1")
	if !errors.Is(err, bot.ErrDuplicate) {
		t.Fatalf("the same key from another call: %v, want ErrDuplicate", err)
	}
	if again.Key != first.Key || again.Value != 1 || again.Previous != 0 {
		t.Errorf("the duplicate replied %+v, want the first update (0 -> 1)", again)
	}
	prior, err := s.Client().Get(ctx, s.Key("{team:eng}", "idem", "update", "slack:ev 1")).Result()
	must(t, "read marker", err)
	id, _, _ := strings.Cut(prior, " ")

	// A marker in the old format: the bare update id.
	marker := s.Key("{team:eng}", "idem", "update", "slack:old")
	must(t, "old marker", s.Client().Set(ctx, marker, id, time.Hour).Err())
	old, err := up("slack:old")
	if !errors.Is(err, bot.ErrDuplicate) {
		t.Fatalf("a key with an old-format marker: %v, want ErrDuplicate", err)
	}
	if old.Key != first.Key || old.Value != 1 {
		t.Errorf("the old-format duplicate replied %+v, want update %s", old, id)
	}
	got, err := s.GetGoal(ctx, g.ID)
	must(t, "get goal", err)
	if got.Current != 1 {
		t.Errorf("goal at %v, want 1: one update applied", got.Current)
	}
	ups, err := s.GoalUpdates(ctx, g.ID, time.Time{}, t0.Add(time.Hour))
	must(t, "goal updates", err)
	if len(ups) != 1 {
		t.Errorf("%d updates recorded, want 1", len(ups))
	}
}

// A repeat of an event key from another call is not fresh, however the
// key is spelled (spaces, a key ending in what looks like a call id), and
// a claim in the old format (the bare stream id) is a repeat as well.
func TestAdv23bEnqueueRepeatedByAnotherCallIsNotFresh(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	in := s.Inbox()
	must(t, "ensure group", in.EnsureGroup(ctx))
	for _, key := range []string{"test:a", "test:with space", "test:x ABCDEFGHIJKLMNOPQRSTUVWXYZ", " "} {
		fresh, err := enqueueEvent(ctx, in, key)
		if err != nil || !fresh {
			t.Fatalf("first enqueue of %q: fresh %v, %v", key, fresh, err)
		}
		fresh, err = enqueueEvent(ctx, in, key)
		if err != nil || fresh {
			t.Errorf("repeat of %q from another call: fresh %v (%v), want a repeat", key, fresh, err)
		}
	}
	must(t, "old claim", s.Client().Set(ctx, s.Key("{inbox}", "claim", "test:old"), "1700000000000-0", time.Hour).Err())
	if fresh, err := enqueueEvent(ctx, in, "test:old"); err != nil || fresh {
		t.Errorf("key with an old-format claim: fresh %v (%v), want a repeat", fresh, err)
	}
	if n, err := in.Backlog(ctx); err != nil || n != 4 {
		t.Errorf("backlog %d (%v), want 4", n, err)
	}
}

// 200 keyless +1 updates racing on one goal (they share pipelines) all
// land, once each, with one audit entry each; each leaves a marker of its
// own call that expires within the resend window, not the 72h of an
// event key's.
func TestAdv23bConcurrentKeylessUpdatesLandOnceAndTheirMarkersExpire(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	g, err := s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "count", Owner: alice, State: bot.GoalOpen}, bot.AuditEntry{})
	must(t, "create goal", err)
	const n = 200
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			_, err := s.RecordUpdate(ctx, bot.Update{GoalID: g.ID, Author: bob, At: t0.Add(time.Duration(i) * time.Millisecond)},
				bot.ProgressChange{Number: 1, Relative: true}, bot.AuditEntry{At: t0, Actor: bob, Action: "goal.updated", Subject: g.ID})
			if err != nil {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, err := s.GetGoal(ctx, g.ID)
	must(t, "get goal", err)
	if got.Current != n {
		t.Errorf("goal at %v after %d +1 updates", got.Current, n)
	}
	ups, err := s.GoalUpdates(ctx, g.ID, time.Time{}, t0.Add(time.Hour))
	must(t, "goal updates", err)
	if len(ups) != n {
		t.Errorf("%d updates in the history, want %d", len(ups), n)
	}
	log, err := s.AuditLog(ctx, "eng", 2*n)
	must(t, "audit log", err)
	updated := 0
	for _, a := range log {
		if a.Action == "goal.updated" {
			updated++
		}
	}
	if updated != n {
		t.Errorf("%d audit entries of updates, want %d", updated, n)
	}
	var markers []string
	iter := s.Client().Scan(ctx, 0, s.Key("{team:eng}", "idem", "update", "call:*"), 1000).Iterator()
	for iter.Next(ctx) {
		markers = append(markers, iter.Val())
	}
	must(t, "scan markers", iter.Err())
	if len(markers) != n {
		t.Errorf("%d keyless markers, want %d (one per call)", len(markers), n)
	}
	for _, m := range markers {
		ttl, err := s.Client().TTL(ctx, m).Result()
		must(t, "ttl", err)
		if ttl <= 0 || ttl > 10*time.Minute {
			t.Fatalf("marker %s has TTL %v, want within (0, 10m]", m, ttl)
		}
	}
}

// A leader whose context is cancelled while its batch is held by the
// server returns at once; the batch goes on in the background, a caller
// arriving meanwhile is sent after it, and once the server answers every
// goroutine the batcher started ends.
func TestAdv23bCancelledLeaderLeavesNoGoroutineAndNoOneStuck(t *testing.T) {
	s := adv23MiniStore(t)
	ctx := context.Background()
	_, err := s.Membership(ctx, "U-warm") // dials the connection outside the count
	must(t, "warm", err)
	base := runtime.NumGoroutine()
	gate := newAdv23Gate()
	s.Client().AddHook(gate)
	close(gate.release2)

	lctx, cancel := context.WithCancel(ctx)
	lead := make(chan error, 1)
	go func() { _, err := s.Membership(lctx, "U-leader"); lead <- err }()
	adv23WaitSent(t, gate, 1)
	cancel()
	select {
	case err := <-lead:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled leader: %v, want context.Canceled", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("cancelled leader still waiting")
	}

	// Behind the batch still held: a caller with a deadline, one without.
	results := make(chan error, 2)
	for i, d := range []time.Duration{5 * time.Second, 0} {
		c, stop := ctx, context.CancelFunc(func() {})
		if d > 0 {
			c, stop = context.WithTimeout(ctx, d)
		}
		defer stop()
		qctx := adv23Queued(c)
		go func() { _, err := s.Membership(qctx, bot.UserID(fmt.Sprintf("U-%d", i))); results <- err }()
		adv23Wait(t, qctx.seen, "a later caller queued")
	}
	close(gate.release1)
	for range 2 {
		select {
		case err := <-results:
			if err != nil {
				t.Errorf("a caller behind the cancelled leader's batch: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a caller behind the cancelled leader's batch is stuck")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			var mine []string
			for _, g := range strings.Split(string(buf), "\n\n") {
				if strings.Contains(g, "store.(*pipelineBatcher)") {
					mine = append(mine, g)
				}
			}
			t.Fatalf("%d goroutines, %d before: the batcher's still running:\n%s", runtime.NumGoroutine(), base, strings.Join(mine, "\n\n"))
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}
