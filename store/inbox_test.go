package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

func inboxEntry(key string) bot.InboxEntry {
	return bot.InboxEntry{Key: key, Platform: bot.PlatformSlack, Kind: "event", Body: []byte(`{"k":"` + key + `"}`),
		ReceivedAt: time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC)}
}

func TestInboxEnqueueQueuesEachKeyOnceAndARepeatFindsItQueued(t *testing.T) {
	t.Run("redis", func(t *testing.T) { testInboxEnqueue(t, storetest.MustOpen(t)) })
	t.Run("embedded", func(t *testing.T) { testInboxEnqueue(t, storetest.MustOpenEmbedded(t)) })
}

func testInboxEnqueue(t *testing.T, st *store.Store) {
	ctx := context.Background()
	in := st.Inbox()
	if err := in.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	// 20 concurrent deliveries of one event (platform retries, twins, a
	// go-redis retry of the script after a timeout): one queues it.
	var fresh atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := in.Enqueue(ctx, inboxEntry("slack:msg:C1:1.0"), time.Hour)
			if err != nil {
				t.Error(err)
			}
			if ok {
				fresh.Add(1)
			}
		}()
	}
	wg.Wait()
	if fresh.Load() != 1 {
		t.Fatalf("%d deliveries queued the event, want exactly 1", fresh.Load())
	}
	// The repeat answered "already queued": the event is there to be handled.
	got, err := in.Read(ctx, "c1", 10, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Key != "slack:msg:C1:1.0" || string(got[0].Body) != `{"k":"slack:msg:C1:1.0"}` ||
		got[0].Platform != bot.PlatformSlack || got[0].Kind != "event" || got[0].Deliveries != 1 ||
		!got[0].ReceivedAt.Equal(time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("read %+v, want the one queued entry", got)
	}
	if err := in.Ack(ctx, nil, got[0].ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := in.Backlog(ctx); n != 0 {
		t.Errorf("backlog %d after ack, want 0", n)
	}
	// The claim outlives the entry: a retry after handling is still a repeat.
	if ok, err := in.Enqueue(ctx, inboxEntry("slack:msg:C1:1.0"), time.Hour); ok || err != nil {
		t.Errorf("enqueue after handling: fresh=%v err=%v, want a repeat", ok, err)
	}
	// A worker acknowledges every entry that finished meanwhile in one call.
	for _, k := range []string{"slack:msg:C1:2.0", "slack:msg:C1:3.0", "slack:msg:C1:4.0"} {
		if ok, err := in.Enqueue(ctx, inboxEntry(k), time.Hour); !ok || err != nil {
			t.Fatalf("enqueue %s: fresh=%v err=%v", k, ok, err)
		}
	}
	three, err := in.Read(ctx, "c1", 10, -1)
	if err != nil || len(three) != 3 {
		t.Fatalf("read %d entries (%v), want 3", len(three), err)
	}
	if err := in.Ack(ctx, nil, three[0].ID, three[2].ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := in.Backlog(ctx); n != 1 {
		t.Errorf("backlog %d after acknowledging 2 of 3, want 1", n)
	}
	left, _, err := in.Reclaim(ctx, "c2", 0, "0-0", 10)
	if err != nil || len(left) != 1 || left[0].ID != three[1].ID {
		t.Errorf("pending after acknowledging 2 of 3: %+v (%v), want only %s", left, err, three[1].ID)
	}
}

func TestInboxReclaimCountsDeliveriesAndDeadLettersRetryAndDrop(t *testing.T) {
	t.Run("redis", func(t *testing.T) { testInboxDead(t, storetest.MustOpen(t)) })
	t.Run("embedded", func(t *testing.T) { testInboxDead(t, storetest.MustOpenEmbedded(t)) })
}

func testInboxDead(t *testing.T, st *store.Store) {
	ctx := context.Background()
	in := st.Inbox()
	if err := in.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Enqueue(ctx, inboxEntry("k1"), time.Hour); err != nil {
		t.Fatal(err)
	}
	first, err := in.Read(ctx, "dead-replica", 10, -1)
	if err != nil || len(first) != 1 {
		t.Fatalf("read: %v %v", first, err)
	}
	// The reader died holding it: another consumer takes it over, second delivery.
	taken, _, err := in.Reclaim(ctx, "survivor", 0, "0-0", 10)
	if err != nil || len(taken) != 1 || taken[0].ID != first[0].ID || taken[0].Deliveries != 2 {
		t.Fatalf("reclaim: %+v %v, want the entry on its second delivery", taken, err)
	}
	if moved, err := in.Bury(ctx, taken[0], "handling panicked", t0); err != nil || !moved {
		t.Fatalf("bury: moved %v, %v", moved, err)
	}
	if n, _ := in.Backlog(ctx); n != 0 {
		t.Errorf("backlog %d after burying, want 0", n)
	}
	if n, _ := in.DeadCount(ctx); n != 1 {
		t.Fatalf("dead count %d, want 1", n)
	}
	// A second bury of the same, already settled entry changes nothing.
	if moved, err := in.Bury(ctx, taken[0], "again", t0); err != nil || moved {
		t.Fatalf("second bury of a settled entry: moved %v, %v; want nothing moved", moved, err)
	}
	dead, err := in.DeadLetters(ctx, 10)
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters: %+v %v", dead, err)
	}
	d := dead[0]
	if d.Entry.Key != "k1" || d.Entry.ID != first[0].ID || d.Entry.Deliveries != 2 || d.Reason != "handling panicked" ||
		string(d.Entry.Body) != `{"k":"k1"}` || !d.BuriedAt.Equal(t0.Truncate(time.Millisecond)) {
		t.Errorf("dead letter %+v", d)
	}
	if err := in.RetryDead(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := in.DeadCount(ctx); n != 0 {
		t.Errorf("dead count %d after retry, want 0", n)
	}
	again, err := in.Read(ctx, "survivor", 10, -1)
	if err != nil || len(again) != 1 || again[0].Key != "k1" || again[0].Deliveries != 1 {
		t.Fatalf("read after retry: %+v %v", again, err)
	}
	if _, err := in.Bury(ctx, again[0], "still failing", t0); err != nil {
		t.Fatal(err)
	}
	dead, _ = in.DeadLetters(ctx, 10)
	if len(dead) != 1 {
		t.Fatalf("dead letters %+v, want 1", dead)
	}
	if err := in.DropDead(ctx, dead[0].ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := in.DeadCount(ctx); n != 0 {
		t.Errorf("dead count %d after drop, want 0", n)
	}
	if err := in.DropDead(ctx, dead[0].ID); !errors.Is(err, bot.ErrNoDeadLetter) {
		t.Errorf("drop of a gone dead letter: %v, want ErrNoDeadLetter", err)
	}
	if err := in.RetryDead(ctx, dead[0].ID); !errors.Is(err, bot.ErrNoDeadLetter) {
		t.Errorf("retry of a gone dead letter: %v, want ErrNoDeadLetter", err)
	}
}

func TestInboxAckWritesTheMarksWithTheirTTLFirstAndAcknowledgesInOneRoundTrip(t *testing.T) {
	t.Run("redis", func(t *testing.T) { testInboxAckMarks(t, storetest.MustOpen(t)) })
	t.Run("embedded", func(t *testing.T) { testInboxAckMarks(t, storetest.MustOpenEmbedded(t)) })
}

func testInboxAckMarks(t *testing.T, st *store.Store) {
	ctx := context.Background()
	in := st.Inbox()
	if err := in.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"slack:msg:C1:1.0", "slack:msg:C1:2.0", "slack:msg:C1:3.0"} {
		if ok, err := in.Enqueue(ctx, inboxEntry(k), time.Hour); !ok || err != nil {
			t.Fatalf("enqueue %s: fresh=%v err=%v", k, ok, err)
		}
	}
	three, err := in.Read(ctx, "c1", 10, -1)
	if err != nil || len(three) != 3 {
		t.Fatalf("read %d entries (%v), want 3", len(three), err)
	}
	marks := []bot.SettleMark{
		{Key: "slack:sent:slack:msg:C1:1.0:reply", Value: "1", TTL: time.Hour},
		{Key: "slack:sent:slack:msg:C1:2.0:reply", Value: "C1|2.5", TTL: 2 * time.Minute},
	}
	rec := &pipelineRecorder{}
	st.Client().AddHook(rec)
	if err := in.Ack(ctx, marks, three[0].ID, three[1].ID); err != nil {
		t.Fatal(err)
	}
	// One round trip: the marks first, so an acknowledged entry's marks are
	// written; then the acknowledgement as one command (no MULTI, which
	// could not span the cache's and the inbox's Cluster slots).
	if got := rec.rounds(); len(got) != 1 || strings.Join(got[0], " ") != "set set eval" {
		t.Errorf("Ack with 2 marks sent %q, want one pipeline \"set set eval\"", got)
	}
	for _, m := range marks {
		v, ok, err := st.CacheGet(ctx, m.Key)
		if err != nil || !ok || v != m.Value {
			t.Errorf("cache %s = %q, %v (%v) after the ack; want %q", m.Key, v, ok, err, m.Value)
		}
		ttl, err := st.Client().PTTL(ctx, st.Key("cache", m.Key)).Result()
		if err != nil || ttl <= m.TTL-time.Minute || ttl > m.TTL {
			t.Errorf("mark %s lives %v (%v), want its TTL %v", m.Key, ttl, err, m.TTL)
		}
	}
	if n, _ := in.Backlog(ctx); n != 1 {
		t.Errorf("backlog %d after acknowledging 2 of 3, want 1", n)
	}
	left, _, err := in.Reclaim(ctx, "c2", 0, "0-0", 10)
	if err != nil || len(left) != 1 || left[0].ID != three[2].ID {
		t.Errorf("pending after acknowledging 2 of 3: %+v (%v), want only %s", left, err, three[2].ID)
	}
	// Marks alone (a failed try's, for the next try to find) acknowledge nothing.
	alone := bot.SettleMark{Key: "slack:sent:slack:msg:C1:3.0:reply", Value: "1", TTL: time.Hour}
	if err := in.Ack(ctx, []bot.SettleMark{alone}); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := st.CacheGet(ctx, alone.Key); err != nil || !ok || v != "1" {
		t.Errorf("cache %s = %q, %v (%v) after writing it alone", alone.Key, v, ok, err)
	}
	if n, _ := in.Backlog(ctx); n != 1 {
		t.Errorf("backlog %d after writing marks only, want the 1 entry still there", n)
	}
}

// pipelineRecorder records the command names of each pipeline a client sends.
// A connection's handshake (HELLO, CLIENT ...) is left out.
type pipelineRecorder struct {
	mu   sync.Mutex
	sent [][]string
}

func (r *pipelineRecorder) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *pipelineRecorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.add([]redis.Cmder{cmd})
		return next(ctx, cmd)
	}
}

func (r *pipelineRecorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.add(cmds)
		return next(ctx, cmds)
	}
}

func (r *pipelineRecorder) add(cmds []redis.Cmder) {
	var names []string
	for _, c := range cmds {
		switch c.Name() {
		case "hello", "auth", "select", "client", "readonly":
		default:
			names = append(names, c.Name())
		}
	}
	if len(names) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, names)
}

func (r *pipelineRecorder) rounds() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sent
}
