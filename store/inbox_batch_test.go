package store_test

import (
	"context"
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
