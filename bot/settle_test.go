package bot_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store/storetest"
)

// markingProcessor registers a mark per entry, as an adapter does for a
// sent reply, and reports whether the worker took it.
type markingProcessor struct {
	mu    sync.Mutex
	taken map[string]bool
	// late holds, per entry, a func that tries to mark after the try returned.
	late map[string]func() bool
	done chan string
}

func (p *markingProcessor) ProcessInbox(ctx context.Context, e bot.InboxEntry, _ bool) error {
	ok := bot.MarkOnSettle(ctx, "test:sent:"+e.Key, "1", time.Hour)
	p.mu.Lock()
	p.taken[e.Key] = ok
	p.late[e.Key] = func() bool { return bot.MarkOnSettle(ctx, "test:late:"+e.Key, "1", time.Hour) }
	p.mu.Unlock()
	p.done <- e.Key
	return nil
}

func TestInboxWorkerWritesEachEntrysMarksWithItsAcknowledgement(t *testing.T) {
	st := storetest.MustOpen(t)
	in := st.Inbox()
	const n = 20
	for i := range n {
		queueText(t, in, fmt.Sprintf("test:mark:%d", i), "x")
	}
	proc := &markingProcessor{taken: map[string]bool{}, late: map[string]func() bool{}, done: make(chan string, n)}
	w, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: in, Consumer: "marker", Log: zerolog.Nop(),
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformConsole: proc}})
	if err != nil {
		t.Fatal(err)
	}
	stop := runWorker(t, w)
	for range n {
		<-proc.done
	}
	stop()
	ctx := context.Background()
	for i := range n {
		key := fmt.Sprintf("test:mark:%d", i)
		if !proc.taken[key] {
			t.Errorf("the worker did not take %s's mark", key)
		}
		if v, ok, err := st.CacheGet(ctx, "test:sent:"+key); err != nil || !ok || v != "1" {
			t.Errorf("mark of %s: %q %v (%v) after it was acknowledged, want it written", key, v, ok, err)
		}
		// A goroutine that outlives its try writes its own mark.
		if proc.late[key]() {
			t.Errorf("a mark registered after %s's try returned was taken; nothing would write it", key)
		}
	}
	if left, err := in.Backlog(ctx); err != nil || left != 0 {
		t.Errorf("backlog %d (%v), want every entry acknowledged", left, err)
	}
	if bot.MarkOnSettle(ctx, "test:outside", "1", time.Hour) {
		t.Error("a mark outside any inbox try was taken; nothing would write it")
	}
}

// replyOnceProcessor replies like an adapter: unless the entry's first
// delivery, it looks for the sent-marker; it marks the reply, then fails
// its first try after replying (as a failure after the reply would).
type replyOnceProcessor struct {
	cache   bot.Cache
	mu      sync.Mutex
	tries   int
	replies int
	done    chan struct{}
}

func (p *replyOnceProcessor) ProcessInbox(ctx context.Context, e bot.InboxEntry, _ bool) error {
	p.mu.Lock()
	p.tries++
	try := p.tries
	p.mu.Unlock()
	if try > 1 {
		defer close(p.done)
	}
	key := "test:sent:" + e.Key
	if !e.FirstDelivery() {
		if _, ok, err := p.cache.CacheGet(ctx, key); err == nil && ok {
			return nil
		}
	}
	p.mu.Lock()
	p.replies++
	p.mu.Unlock()
	if !bot.MarkOnSettle(ctx, key, "1", time.Hour) {
		return errors.New("the worker did not take the mark")
	}
	if try == 1 {
		return errors.New("slack: connection reset after the reply")
	}
	return nil
}

// A try that fails after its reply is not acknowledged: its marks are
// written at once, so the next try finds the reply sent.
func TestInboxWorkerWritesAFailedTrysMarksBeforeTheNextTry(t *testing.T) {
	st := storetest.MustOpen(t)
	in := st.Inbox()
	queueText(t, in, "test:fails-after-reply", "x")
	proc := &replyOnceProcessor{cache: st, done: make(chan struct{})}
	w := retryingWorker(t, in, proc)
	stop := runWorker(t, w)
	select {
	case <-proc.done:
	case <-time.After(30 * time.Second): // a guard against hanging, not a wait
		stop()
		t.Fatal("no second try in 30 s")
	}
	stop()
	if proc.replies != 1 {
		t.Errorf("%d replies in %d tries, want 1: the second try did not find the first one's marker", proc.replies, proc.tries)
	}
	if left, err := in.Backlog(context.Background()); err != nil || left != 0 {
		t.Errorf("backlog %d (%v), want the entry acknowledged after its second try", left, err)
	}
}
