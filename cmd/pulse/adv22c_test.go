package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
)

// adv22cEntry is one console delivery under key.
func adv22cEntry(key string) bot.InboxEntry {
	return bot.InboxEntry{Key: key, Platform: bot.PlatformConsole, Kind: "text",
		Body: []byte("x"), ReceivedAt: time.Unix(1700000000, 0)}
}

// adv22cBurst receives the keys at once through bot.Receive and returns
// how many were acknowledged fresh, acknowledged as already queued, and
// refused; and the longest any Receive took.
func adv22cBurst(in bot.Inbox, keys []string) (fresh, again, refused int64, longest time.Duration) {
	var f, a, r, l atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, k := range keys {
		wg.Go(func() {
			<-start
			t0 := time.Now()
			rc, err := bot.Receive(context.Background(), in, adv22cEntry(k), time.Hour)
			switch {
			case err != nil:
				r.Add(1)
			case rc == bot.AlreadyQueued:
				a.Add(1)
			default:
				f.Add(1)
			}
			d := int64(time.Since(t0))
			for {
				old := l.Load()
				if d <= old || l.CompareAndSwap(old, d) {
					break
				}
			}
		})
	}
	close(start)
	wg.Wait()
	return f.Load(), a.Load(), r.Load(), time.Duration(l.Load())
}

// A real Redis SIGSTOPped while hundreds of deliveries wait, then
// continued, then killed and restarted (its scripts gone, its data kept
// by the append-only file): every Receive ends within EnqueueWait, no
// refused delivery was acknowledged, the retries of everything find it
// queued or queue it, and each key is in the stream exactly once.
func TestAdv22cStallResumeRestartEachDeliveryQueuedOnce(t *testing.T) {
	rds := startPrivateRedis(t)
	rdb, err := store.Connect(rds.url())
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	s := store.New(rdb, store.Options{Prefix: "adv22c:"})
	in := s.Inbox()
	ctx := context.Background()
	if err := in.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 400
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("test:adv22c:%d", i)
	}
	bound := bot.EnqueueWait + 500*time.Millisecond

	rds.pause()
	fresh, _, _, longest := adv22cBurst(in, keys)
	rds.resume()
	if fresh != 0 {
		t.Errorf("%d deliveries acknowledged fresh while Redis was stopped", fresh)
	}
	if longest > bound {
		t.Errorf("a Receive took %s while Redis was stopped, want ≤ %s", longest, bound)
	}

	// Retried after the stall: everything is queued, now or before.
	for range 3 {
		_, _, r, longest := adv22cBurst(in, keys)
		if longest > bound {
			t.Errorf("a Receive took %s after the stall, want ≤ %s", longest, bound)
		}
		if r == 0 {
			break
		}
	}

	// Killed and restarted: the scripts are gone (NOSCRIPT for the whole
	// batch), the pool's connections are dead.
	rds.stop()
	rds.start()
	more := make([]string, n)
	for i := range more {
		more[i] = fmt.Sprintf("test:adv22c:after:%d", i)
	}
	var refusedAfterRestart int64
	for try := range 3 {
		_, _, r, longest := adv22cBurst(in, append(append([]string{}, keys...), more...))
		if longest > bound {
			t.Errorf("a Receive took %s after the restart, want ≤ %s", longest, bound)
		}
		if try == 0 {
			refusedAfterRestart = r
		}
		if r == 0 {
			break
		}
	}
	if refusedAfterRestart > 0 {
		t.Logf("%d refused on the first burst after the restart (retried)", refusedAfterRestart)
	}
	if got, err := in.Backlog(ctx); err != nil || got != 2*n {
		t.Errorf("backlog %d (%v), want %d: each delivery queued exactly once", got, err, 2*n)
	}
}
