package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/scheduler/jobrun"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

func TestReserveSendsEachDeliveryAtMostOnce(t *testing.T) {
	t.Run("redis", func(t *testing.T) { testReserve(t, storetest.MustOpen(t)) })
	t.Run("embedded", func(t *testing.T) { testReserve(t, storetest.MustOpenEmbedded(t)) })
}

func testReserve(t *testing.T, st *store.Store) {
	ctx := context.Background()
	q := st.Queue()
	now := time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC)
	a := jobrun.MarkerArgs{TeamID: "eng", Key: "prompt:ana", RunID: "r1", Now: now, TTL: time.Hour}

	r, err := q.Reserve(ctx, a, time.Minute, 2)
	if err != nil || r.State != jobrun.Reserved || r.Attempt != 1 {
		t.Fatalf("first reserve: %+v %v", r, err)
	}
	if r, _ := q.Reserve(ctx, a, time.Minute, 2); r.State != jobrun.Busy || !r.Until.Equal(now.Add(time.Minute)) {
		t.Errorf("second reserve while held: %+v, want busy until the lease", r)
	}
	if err := q.Release(ctx, a, 1); err != nil {
		t.Fatal(err)
	}
	if r, _ := q.Reserve(ctx, a, time.Minute, 2); r.State != jobrun.Reserved || r.Attempt != 2 {
		t.Errorf("reserve after release: %+v, want attempt 2", r)
	}
	// The holder died: once the lease passes, the next attempt would be the third.
	late := a
	late.Now = now.Add(2 * time.Minute)
	if r, _ := q.Reserve(ctx, late, time.Minute, 2); r.State != jobrun.Exhausted {
		t.Errorf("reserve past max attempts: %+v, want exhausted", r)
	}
	if r, _ := q.Reserve(ctx, late, time.Minute, 2); r.State != jobrun.AlreadyFailed {
		t.Errorf("reserve after exhaustion: %+v, want already failed", r)
	}

	b := a
	b.Key = "prompt:bo"
	if _, err := q.Reserve(ctx, b, time.Minute, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Complete(ctx, b, jobrun.OutcomeSent); err != nil {
		t.Fatal(err)
	}
	if r, _ := q.Reserve(ctx, b, time.Minute, 3); r.State != jobrun.AlreadySent {
		t.Errorf("reserve after sent: %+v", r)
	}
	if m, _ := q.Marker(ctx, "eng", "prompt:bo"); m != "sent" {
		t.Errorf("marker %q, want sent", m)
	}
}

func TestQueueHandsEachEntryToOneConsumerAndReclaimsTheDeads(t *testing.T) {
	t.Run("redis", func(t *testing.T) { testQueue(t, storetest.MustOpen(t)) })
	t.Run("embedded", func(t *testing.T) { testQueue(t, storetest.MustOpenEmbedded(t)) })
}

func testQueue(t *testing.T, st *store.Store) {
	ctx := context.Background()
	q := st.Queue()
	if err := q.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Ensure(ctx); err != nil {
		t.Fatalf("second Ensure: %v", err)
	}
	payloads := [][]byte{[]byte(`{"Key":"a"}`), []byte(`{"Key":"b"}`), []byte(`{"Key":"c"}`)}
	if err := q.Add(ctx, "r1", payloads); err != nil {
		t.Fatal(err)
	}
	got, err := q.Read(ctx, "dead", 2, -1)
	if err != nil || len(got) != 2 || got[0].RunID != "r1" || string(got[0].Delivery) != `{"Key":"a"}` {
		t.Fatalf("read: %+v %v", got, err)
	}
	rest, err := q.Read(ctx, "live", 10, -1)
	if err != nil || len(rest) != 1 {
		t.Fatalf("second consumer read %d entries (%v), want the one left", len(rest), err)
	}
	if pending, err := q.ReadPending(ctx, "dead", "0", 10); err != nil || len(pending) != 2 {
		t.Errorf("dead consumer's pending: %d (%v), want 2", len(pending), err)
	}
	var reclaimed []jobrun.Entry
	for len(reclaimed) < 2 { // entries become idle within a millisecond
		more, _, err := q.Reclaim(ctx, "live", time.Millisecond, "0-0", 10)
		if err != nil {
			t.Fatal(err)
		}
		reclaimed = append(reclaimed, more...)
	}
	for _, e := range append(reclaimed, rest...) {
		if err := q.Ack(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := q.Backlog(ctx); err != nil || n != 0 {
		t.Errorf("backlog %d (%v) after acknowledging everything", n, err)
	}
	if err := q.RemoveConsumer(ctx, "dead"); err != nil {
		t.Fatal(err)
	}
	if n, err := q.Pending(ctx, "live"); err != nil || n != 0 {
		t.Errorf("live consumer still holds %d (%v)", n, err)
	}
}

// Pruning reads XINFO CONSUMERS, whose counts the embedded server does not
// keep exactly; `pulse try` never runs long enough to need it.
func TestPruneConsumersDropsOnlyEmptyOnes(t *testing.T) {
	ctx := context.Background()
	q := storetest.MustOpen(t).Queue()
	if err := q.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Add(ctx, "r2", [][]byte{[]byte(`{"Key":"d"}`), []byte(`{"Key":"e"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Read(ctx, "holder", 1, -1); err != nil {
		t.Fatal(err)
	}
	done, err := q.Read(ctx, "empty", 1, -1)
	if err != nil || len(done) != 1 {
		t.Fatalf("read: %v %v", done, err)
	}
	if err := q.Ack(ctx, done[0].ID); err != nil {
		t.Fatal(err)
	}
	if n, err := q.PruneConsumers(ctx, 0); err != nil || n != 1 {
		t.Errorf("pruned %d (%v), want only the empty consumer", n, err)
	}
	if n, err := q.Pending(ctx, "holder"); err != nil || n != 1 {
		t.Errorf("the consumer holding an entry was dropped: pending %d (%v)", n, err)
	}
}
