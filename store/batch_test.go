package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

// enqueueEvent queues one console event under key.
func enqueueEvent(ctx context.Context, in *store.Inbox, key string) (bool, error) {
	return in.Enqueue(ctx, bot.InboxEntry{Key: key, Platform: bot.PlatformConsole, Kind: "text",
		Body: []byte("x"), ReceivedAt: time.Unix(1700000000, 0)}, time.Hour)
}

// Deliveries queued at the same moment share round trips (one pipeline),
// and each is still queued exactly once: 200 distinct events and 50
// repeats of them racing, on real Redis.
func TestConcurrentEnqueuesShareRoundTripsAndEachIsQueuedOnce(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	in := s.Inbox()
	if err := in.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := enqueueEvent(ctx, in, "test:warm"); err != nil { // loads the script
		t.Fatal(err)
	}
	rt := storetest.CountRoundTrips(s)
	const distinct, repeats = 200, 50
	var fresh atomic.Int64
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range distinct + repeats {
		wg.Go(func() {
			<-start
			ok, err := enqueueEvent(ctx, in, fmt.Sprintf("test:burst:%d", i%distinct))
			if err != nil {
				t.Error(err)
			}
			if ok {
				fresh.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := fresh.Load(); got != distinct {
		t.Errorf("%d deliveries queued fresh, want %d: each distinct event once", got, distinct)
	}
	if n, err := in.Backlog(ctx); err != nil || n != distinct+1 {
		t.Errorf("backlog %d (%v), want %d entries", n, err, distinct+1)
	}
	if n := rt.N(); n >= distinct+repeats {
		t.Errorf("%d round trips for %d concurrent deliveries: none shared a pipeline", n, distinct+repeats)
	}
}

// A server that lost its scripts (a restart, SCRIPT FLUSH) answers the
// batch NOSCRIPT: the script is loaded and the deliveries sent again, and
// each is queued once.
func TestEnqueueAfterTheServerLostItsScriptsQueuesOnce(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpenEmbedded(t)
	in := s.Inbox()
	if _, err := enqueueEvent(ctx, in, "test:before"); err != nil {
		t.Fatal(err)
	}
	if err := s.Client().ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	fresh, err := enqueueEvent(ctx, in, "test:after-flush")
	if err != nil || !fresh {
		t.Fatalf("after SCRIPT FLUSH: fresh %v, %v; want queued", fresh, err)
	}
	if again, err := enqueueEvent(ctx, in, "test:after-flush"); err != nil || again {
		t.Fatalf("the same event again: fresh %v, %v; want found queued", again, err)
	}
	if n, err := in.Backlog(ctx); err != nil || n != 2 {
		t.Errorf("backlog %d (%v), want 2", n, err)
	}
}

// A worker's reads and writes of events handled at the same moment share
// round trips too (membership of the sender with the goal, the recorded
// update), and each caller gets its own answers: every sender's teams, and
// every update once, on real Redis.
func TestConcurrentMembershipReadsAndUpdatesShareRoundTrips(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	must(t, "save eng", s.SaveTeam(ctx, fullTeam("eng"), bot.AuditEntry{}))
	ops := fullTeam("ops")
	ops.Members = []bot.UserID{bob}
	must(t, "save ops", s.SaveTeam(ctx, ops, bot.AuditEntry{}))
	g, err := s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "count", Owner: alice, State: bot.GoalOpen}, bot.AuditEntry{})
	must(t, "create goal", err)
	_, err = s.RecordUpdate(ctx, bot.Update{GoalID: g.ID, At: t0}, bot.ProgressChange{Number: 0}, bot.AuditEntry{})
	must(t, "first update (loads the script)", err)
	wantTeams := map[bot.UserID]int{alice: 1, bob: 2}
	for id := range wantTeams { // warm the team guesses: one round trip each
		_, _, err := s.MembershipWithGoal(ctx, id, g.ID)
		must(t, "warm membership", err)
	}

	rt := storetest.CountRoundTrips(s)
	const events = 200
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range events {
		wg.Go(func() {
			<-start
			sender := []bot.UserID{alice, bob}[i%2]
			m, read, err := s.MembershipWithGoal(ctx, sender, g.ID)
			if err != nil || len(m.Teams) != wantTeams[sender] || !read.Done || read.Goal.ID != g.ID {
				t.Errorf("%s: %d teams, goal read %v %q, %v; want %d teams and the goal", sender,
					len(m.Teams), read.Done, read.Goal.ID, err, wantTeams[sender])
				return
			}
			u := bot.Update{GoalID: g.ID, Author: sender, At: t0.Add(time.Duration(i) * time.Second), Key: fmt.Sprintf("ev-%d", i)}
			if _, err := s.RecordUpdate(ctx, u, bot.ProgressChange{Number: 1, Relative: true}, bot.AuditEntry{}); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	got, err := s.GetGoal(ctx, g.ID)
	must(t, "get goal", err)
	if got.Current != events {
		t.Errorf("goal at %v after %d concurrent +1 updates, want %d", got.Current, events, events)
	}
	if n := rt.N(); n >= 2*events {
		t.Errorf("%d round trips for %d concurrent reads and %d updates: none shared a pipeline", n, events, events)
	}
}

// A server that lost its scripts answers a shared update NOSCRIPT: it is
// sent again in full, recorded once, and its retry is still a duplicate.
func TestRecordUpdateAfterTheServerLostItsScriptsRecordsOnce(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpenEmbedded(t)
	g, err := s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "count", Owner: alice, State: bot.GoalOpen}, bot.AuditEntry{})
	must(t, "create goal", err)
	_, err = s.RecordUpdate(ctx, bot.Update{GoalID: g.ID, At: t0, Key: "before"}, bot.ProgressChange{Number: 1, Relative: true}, bot.AuditEntry{})
	must(t, "before the flush", err)
	must(t, "script flush", s.Client().ScriptFlush(ctx).Err())
	after := bot.Update{GoalID: g.ID, At: t0.Add(time.Second), Key: "after"}
	_, err = s.RecordUpdate(ctx, after, bot.ProgressChange{Number: 1, Relative: true}, bot.AuditEntry{})
	must(t, "after the flush", err)
	if _, err := s.RecordUpdate(ctx, after, bot.ProgressChange{Number: 1, Relative: true}, bot.AuditEntry{}); !errors.Is(err, bot.ErrDuplicate) {
		t.Fatalf("the same update again: %v, want a duplicate", err)
	}
	got, err := s.GetGoal(ctx, g.ID)
	must(t, "get goal", err)
	if got.Current != 2 {
		t.Fatalf("goal at %v, want 2: each update once", got.Current)
	}
}

// A worker's read behind a stalled batch ends at its own deadline, not
// the batch's, and says why.
func TestMembershipBehindAStalledBatchEndsAtItsOwnDeadline(t *testing.T) {
	s := adv22cStalled(t)
	endsAtItsOwnDeadline(t, "Membership", func(ctx context.Context, i int) error {
		_, err := s.Membership(ctx, bot.UserID(fmt.Sprintf("slack:T1:U%d", i)))
		return err
	})
}

// endsAtItsOwnDeadline starts call (on a stalled server) with a long
// deadline, then five times with 100ms: each short call returns its
// deadline exceeded by then, whether it led its batch (the first tries)
// or queued behind the long one's (the later ones).
func endsAtItsOwnDeadline(t *testing.T, what string, call func(ctx context.Context, i int) error) {
	t.Helper()
	long, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	go func() { _ = call(long, 0) }()
	for i := range 5 {
		started := time.Now()
		short, cancelShort := context.WithTimeout(context.Background(), 100*time.Millisecond)
		done := make(chan error, 1)
		go func() { done <- call(short, i+1) }()
		select {
		case err := <-done:
			cancelShort()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("%s on a stalled server: %v, want its deadline exceeded", what, err)
			}
		case <-time.After(1500 * time.Millisecond):
			cancelShort()
			t.Fatalf("%s with a 100ms deadline still waiting after %s: it waits for another caller's batch", what, time.Since(started).Round(time.Millisecond))
		}
	}
}

// A context already ended returns at once, without a round trip.
func TestSharedPipelineWithAnEndedContextSendsNothing(t *testing.T) {
	s := storetest.MustOpen(t)
	g, err := s.CreateGoal(context.Background(), bot.Goal{TeamID: "eng", Title: "count", Owner: alice}, bot.AuditEntry{})
	must(t, "create goal", err)
	rt := storetest.CountRoundTrips(s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Membership(ctx, alice); !errors.Is(err, context.Canceled) {
		t.Fatalf("membership with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := s.RecordUpdate(ctx, bot.Update{GoalID: g.ID, At: t0}, bot.ProgressChange{Number: 1}, bot.AuditEntry{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("update with a cancelled context: %v, want context.Canceled", err)
	}
	if n := rt.N(); n != 0 {
		t.Fatalf("%d round trips with an ended context, want none", n)
	}
}
