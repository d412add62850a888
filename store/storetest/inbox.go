package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
)

// Inbox is a store's event inbox for adapter tests: it counts the entries
// queued and not yet processed, so a test can wait for the inbox workers
// to finish them instead of sleeping.
type Inbox struct {
	bot.InboxQueue
	pending sync.WaitGroup
}

// NewInbox wraps st's inbox.
func NewInbox(st *store.Store) *Inbox { return &Inbox{InboxQueue: st.Inbox()} }

// Enqueue queues e and counts it when it was queued now.
func (in *Inbox) Enqueue(ctx context.Context, e bot.InboxEntry, ttl time.Duration) (bool, error) {
	in.pending.Add(1)
	fresh, err := in.InboxQueue.Enqueue(ctx, e, ttl)
	if err != nil || !fresh {
		in.pending.Done()
	}
	return fresh, err
}

// Start runs one replica's inbox workers over procs until the test ends.
// Each entry gets one delivery: a failure goes to the dead letters at once,
// as on the last of several deliveries in production.
func (in *Inbox) Start(t testing.TB, procs map[bot.Platform]bot.InboxProcessor) {
	t.Helper()
	counted := make(map[bot.Platform]bot.InboxProcessor, len(procs))
	for p, proc := range procs {
		counted[p] = countedProcessor{next: proc, pending: &in.pending}
	}
	w, err := bot.NewInboxWorker(bot.InboxWorkerConfig{
		Queue: in, Processors: counted, Consumer: "test-replica",
		MaxDeliveries: 1, ReadBlock: 50 * time.Millisecond, Log: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = w.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// Settle waits until every entry queued so far was processed.
func (in *Inbox) Settle() { in.pending.Wait() }

// countedProcessor marks an entry processed once its one delivery ends.
type countedProcessor struct {
	next    bot.InboxProcessor
	pending *sync.WaitGroup
}

func (p countedProcessor) ProcessInbox(ctx context.Context, e bot.InboxEntry, last bool) error {
	defer p.pending.Done()
	return p.next.ProcessInbox(ctx, e, last)
}
