package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

// adv22cStalled is a store with production client settings (store.Connect:
// ContextTimeoutEnabled, 2 s read timeout) on a server that accepts
// connections and never answers, as a SIGSTOPped Redis does.
func adv22cStalled(t *testing.T) *store.Store {
	return storetest.Connected(t, "redis://"+storetest.StalledAddr(t)+"/0", "adv22c:")
}

// Enqueue is bounded by its own deadline, also behind a batch sent for a
// caller with a later deadline (or none): Receive's goroutine, and
// Enqueue's contract, are not held for the other caller's time.
func TestAdv22cEnqueueHonoursItsOwnDeadlineBehindALongerBatch(t *testing.T) {
	in := adv22cStalled(t).Inbox()
	endsAtItsOwnDeadline(t, "Enqueue", func(ctx context.Context, i int) error {
		_, err := adv22cEnqueue(ctx, in, fmt.Sprintf("test:%d", i))
		return err
	})
}

// adv22cPanicHook panics in the first pipeline it sees (a broken
// instrumentation hook, a bug in a driver path), once.
type adv22cPanicHook struct{ fired atomic.Bool }

func (h *adv22cPanicHook) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h *adv22cPanicHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h *adv22cPanicHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.fired.CompareAndSwap(false, true) {
			panic("adv22c: pipeline hook panics once")
		}
		return next(ctx, cmds)
	}
}

// A panic while a batch is sent unwinds past send: `sending` stays true
// and nobody is ever handed the lead, so every later Enqueue waits forever
// (regardless of its deadline), even after the fault is gone. Fatal to the
// process today only because Receive's goroutine does not recover; any
// caller that recovers (net/http does for handler goroutines) wedges the
// inbox for good.
func TestAdv22cPanicWhileSendingDoesNotWedgeLaterEnqueues(t *testing.T) {
	s := storetest.MustOpenEmbedded(t)
	in := s.Inbox()
	s.Client().AddHook(&adv22cPanicHook{})
	func() {
		defer func() { _ = recover() }()
		_, _ = adv22cEnqueue(context.Background(), in, "test:panics")
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := adv22cEnqueue(ctx, in, "test:after-panic"); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after the fault passed: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Enqueue with a 1s deadline still waiting 3s after a panic in an earlier batch: the batcher is wedged (sending stays true)")
	}
}

// Hundreds of deliveries against a stalled server through bot.Receive:
// every Receive refuses at EnqueueWait, not after the client's read
// timeout, and every Enqueue goroutine ends soon after the deadlines pass
// (batches of 128, each behind the last).
func TestAdv22cHundredsWaitingOnAStalledServerAllEnd(t *testing.T) {
	s := adv22cStalled(t)
	in := &adv22cCounting{in: s.Inbox()}
	const n = 600
	// A Receive that waited for the store's read timeout takes at least
	// store.ReadTimeout (2 s); one that ends at its own EnqueueWait (1.2 s)
	// takes that plus however late 1,200 goroutines under -race are woken,
	// which on two loaded cores was more than 0.5 s (CI-like load, 1 run
	// in 20).
	bound := store.ReadTimeout
	took := make([]time.Duration, n) // each Receive writes its own
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			start := time.Now()
			_, err := bot.Receive(context.Background(), in, bot.InboxEntry{Key: fmt.Sprintf("test:stall:%d", i),
				Platform: bot.PlatformConsole, Kind: "text", Body: []byte("x"), ReceivedAt: time.Unix(1700000000, 0)}, time.Hour)
			if err == nil {
				t.Error("a stalled server acknowledged a delivery")
			}
			took[i] = time.Since(start)
		})
	}
	wg.Wait()
	if slow := slices.DeleteFunc(slices.Clone(took), func(d time.Duration) bool { return d < bound }); len(slow) > 0 {
		t.Errorf("%d Receive calls took %s (the read timeout) or longer, the longest %s; want each refused at EnqueueWait (%s)",
			len(slow), bound, slices.Max(slow).Round(time.Millisecond), bot.EnqueueWait)
	}
	deadline := time.After(4 * time.Second)
	for in.inflight.Load() > 0 {
		select {
		case <-in.changed():
		case <-deadline:
			t.Fatalf("%d Enqueue goroutines still running 4s after every Receive gave up", in.inflight.Load())
		}
	}
}

// adv22cCounting counts Enqueue calls under way.
type adv22cCounting struct {
	in       *store.Inbox
	inflight atomic.Int64
	mu       sync.Mutex
	ch       chan struct{}
}

func (c *adv22cCounting) changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch == nil {
		c.ch = make(chan struct{})
	}
	return c.ch
}

func (c *adv22cCounting) Enqueue(ctx context.Context, e bot.InboxEntry, ttl time.Duration) (bool, error) {
	c.inflight.Add(1)
	defer func() {
		c.inflight.Add(-1)
		c.mu.Lock()
		if c.ch != nil {
			close(c.ch)
			c.ch = nil
		}
		c.mu.Unlock()
	}()
	return c.in.Enqueue(ctx, e, ttl)
}

// adv22cEnqueue queues one console event under key.
func adv22cEnqueue(ctx context.Context, in *store.Inbox, key string) (bool, error) {
	return in.Enqueue(ctx, bot.InboxEntry{Key: key, Platform: bot.PlatformConsole, Kind: "text",
		Body: []byte("x"), ReceivedAt: time.Unix(1700000000, 0)}, time.Hour)
}

// A server (on a Cluster, every node) that lost its scripts while a burst
// arrives: the whole first pipeline answers NOSCRIPT, the script is
// loaded and only those calls resent; each delivery, twins included, is
// queued exactly once and each caller gets its own answer. On real Redis
// (REDIS_URL may name a Cluster).
func TestAdv22cBurstAfterScriptFlushOnRealRedisQueuesEachOnce(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	in := s.Inbox()
	if err := in.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := adv22cEnqueue(ctx, in, "test:warm"); err != nil {
		t.Fatal(err)
	}
	const distinct, twins = 300, 3
	for round := range 2 {
		if err := s.Client().ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		fresh := make([]atomic.Int64, distinct)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range distinct * twins {
			wg.Go(func() {
				<-start
				c, cancel := context.WithTimeout(ctx, bot.EnqueueWait)
				defer cancel()
				ok, err := adv22cEnqueue(c, in, fmt.Sprintf("test:flush:%d:%d", round, i%distinct))
				if err != nil {
					t.Error(err)
				}
				if ok {
					fresh[i%distinct].Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		for i := range fresh {
			if n := fresh[i].Load(); n != 1 {
				t.Errorf("round %d key %d reported fresh %d times, want once", round, i, n)
			}
		}
	}
	if n, err := in.Backlog(ctx); err != nil || n != 2*distinct+1 {
		t.Errorf("backlog %d (%v), want %d", n, err, 2*distinct+1)
	}
}

// When the connection cannot be set up because the server refuses the
// handshake with a Redis error (a rotated password: WRONGPASS; a refused
// SELECT), go-redis returns that error from the pipeline without stamping
// it on the commands, which never ran. The batch drops the pipeline's own
// error and reads each command: "redis: unexpected type=<nil> for Int64".
// Still an error (the delivery is refused, not acknowledged: that held),
// but the log and the refusal no longer say why; before the batch
// Script.Run returned WRONGPASS.
func TestAdv22cHandshakeRefusedKeepsTheServersReason(t *testing.T) {
	srv := miniredis.RunT(t)
	srv.RequireAuth("rotated")
	in := storetest.Connected(t, "redis://:stale@"+srv.Addr()+"/0", "adv22c:").Inbox()
	rc, err := bot.Receive(context.Background(), in, bot.InboxEntry{Key: "test:auth", Platform: bot.PlatformConsole,
		Kind: "text", Body: []byte("x"), ReceivedAt: time.Unix(1700000000, 0)}, time.Hour)
	if err == nil {
		t.Fatalf("Receive acknowledged (receipt %v) a delivery the server never queued", rc)
	}
	if !strings.Contains(err.Error(), "WRONGPASS") {
		t.Errorf("refused with %q: the server's reason (WRONGPASS) is lost", err)
	}
}

// A caller whose context is already cancelled (the request's client went
// away before the store was asked) used to get context.Canceled at once.
// The batch drops cancellation, and with no deadline among its callers it
// runs under none: on a stalled server the call is held until the client's
// read timeout (and retries) give up, seconds later.
func TestAdv22cAlreadyCancelledCallerReturnsAtOnce(t *testing.T) {
	s := adv22cStalled(t)
	in := s.Inbox()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() { _, err := adv22cEnqueue(ctx, in, "test:cancelled"); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a stalled server answered")
		}
	case <-time.After(time.Second):
		t.Fatal("Enqueue with an already-cancelled context still waiting after 1s on a stalled server")
	}
}
