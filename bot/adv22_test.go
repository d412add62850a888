package bot_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store/storetest"
)

// Adversary tests for AckFirst (round 22): the promise is that answers go
// first while work is delayed at most about AckFirstFor, never starved,
// and nothing acknowledged is lost or doubled.

var adv22Epoch = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// adv22Queue queues one console entry received at at.
func adv22Queue(t *testing.T, in bot.Inbox, key string, at time.Time) {
	t.Helper()
	if _, err := bot.Receive(context.Background(), in, bot.InboxEntry{Key: key, Platform: bot.PlatformConsole,
		Kind: "text", Body: []byte("x"), ReceivedAt: at}, time.Hour); err != nil {
		t.Fatal(err)
	}
}

// adv22Guard bounds, in real time, a wait for an entry that a worker on a
// stopped ManualClock must handle: held, it would never be handled, so
// the bound only keeps a broken worker from hanging the test and is far
// above what a -race run on two loaded cores takes (1-2.5 s bounds here
// were within reach of it).
const adv22Guard = 10 * time.Second

// adv22Await waits (up to adv22Guard, in real time) for the processor to
// report key.
func adv22Await(t *testing.T, done <-chan string, key string) {
	t.Helper()
	if !adv22Handled(done, key, adv22Guard) {
		t.Fatalf("%s not handled within %s", key, adv22Guard)
	}
}

// A replica whose clock runs ahead (ReceivedAt is the enqueueing
// replica's clock) queues an entry "from the future". While this replica
// answers, its worker holds that entry until ReceivedAt+AckFirstFor, an
// hour here, instead of at most AckFirstFor: the work is starved for the
// skew, not delayed 2 s.
func TestAdv22EntryFromAClockAheadIsHeldAtMostAckFirstFor(t *testing.T) {
	st := storetest.MustOpen(t)
	in := st.Inbox()
	clock := bot.NewManualClock(adv22Epoch)
	answers := bot.NewAckFirst(clock, 0)
	proc := countingProcessor{done: make(chan string, 4)}
	w := answersFirstWorker(t, in, clock, answers, proc)
	answers.Begin() // answers keep coming (a long burst of them)
	defer answers.End()
	adv22Queue(t, in, "test:skewed", clock.Now().Add(time.Hour))
	stop := runWorker(t, w)
	defer stop()
	waitPending(t, in, "runner")
	// 3 s after this replica first could see it, well past AckFirstFor.
	// The worker notes when it read the entry just after the read, so
	// this step may come before that note; a second step is 3 s past
	// any moment it could have noted. Six seconds in all, not the hour.
	clock.Advance(3 * time.Second)
	if !adv22Handled(proc.done, "test:skewed", time.Second) {
		clock.Advance(3 * time.Second)
		adv22Await(t, proc.done, "test:skewed")
	}
}

// adv22Handled reports whether the processor reports key within (real
// time).
func adv22Handled(done <-chan string, key string, within time.Duration) bool {
	timeout := time.NewTimer(within)
	defer timeout.Stop()
	for {
		select {
		case got := <-done:
			if got == key {
				return true
			}
		case <-timeout.C:
			return false
		}
	}
}

// One entry held for an answer blocks the whole read loop: an entry
// queued long ago, that AckFirst should let through at once, waits
// behind a fresh one (here one from a clock ahead, so "behind" is
// unbounded; with equal clocks it adds up to AckFirstFor to reclaimed
// entries, which Run appends after the fresh ones).
func TestAdv22AHeldEntryDoesNotHoldBackAnOverdueOne(t *testing.T) {
	st := storetest.MustOpen(t)
	in := st.Inbox()
	clock := bot.NewManualClock(adv22Epoch)
	answers := bot.NewAckFirst(clock, 0)
	proc := countingProcessor{done: make(chan string, 4)}
	w := answersFirstWorker(t, in, clock, answers, proc)
	answers.Begin()
	defer answers.End()
	adv22Queue(t, in, "test:skewed", clock.Now().Add(time.Hour))
	adv22Queue(t, in, "test:overdue", clock.Now().Add(-10*time.Second))
	stop := runWorker(t, w)
	defer stop()
	adv22Await(t, proc.done, "test:overdue")
}

// PULSE_SCHEDULER_RECLAIM_AFTER may be 1 s (its minimum), which sets
// ClaimIdle 1 s and WorkTimeout 0.8 s so that a live worker's entry is
// never taken over. The AckFirst hold (2 s) is not counted in that
// budget: an entry held while this replica answers sits idle with it
// past ClaimIdle, another replica takes it over and handles it, and this
// replica handles it again once the answers end.
func TestAdv22AHeldEntryIsNotTakenOverAndHandledTwice(t *testing.T) {
	st := storetest.MustOpen(t)
	in := st.Inbox()
	// Real time: ClaimIdle is Redis time, so the hold must pass in real
	// time too for the two to be compared.
	clock := bot.SystemClock{}
	answers := bot.NewAckFirst(clock, 0)
	procA := countingProcessor{done: make(chan string, 4)}
	a, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: in, Consumer: "a", Log: zerolog.Nop(), Clock: clock,
		ClaimIdle: time.Second, ReadBlock: 50 * time.Millisecond,
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformConsole: procA}, AckFirst: answers})
	if err != nil {
		t.Fatal(err)
	}
	answers.Begin() // replica a is answering
	adv22Queue(t, in, "test:held", clock.Now())
	stopA := runWorker(t, a)
	// Replica a has read the entry (it is pending with a, or handled) before b starts.
	deadline := time.Now().Add(5 * time.Second)
	for {
		own, err := in.Pending(context.Background(), "a", 10)
		if (err == nil && len(own) > 0) || len(procA.done) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica a did not read the entry within 5 s (%v)", err)
		}
		time.Sleep(10 * time.Millisecond) // polling a bounded condition, not timing
	}

	procB := countingProcessor{done: make(chan string, 4)}
	b, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: in, Consumer: "b", Log: zerolog.Nop(),
		ClaimIdle: time.Second, ReadBlock: 50 * time.Millisecond,
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformConsole: procB}})
	if err != nil {
		t.Fatal(err)
	}
	stopB := runWorker(t, b)
	took := false
	select {
	case <-procB.done:
		took = true
	case <-time.After(3 * time.Second): // ClaimIdle is 1 s of Redis time
	}
	stopB()
	answers.End()
	stopA() // Run returns once the entry it holds is finished
	handledByA := len(procA.done)
	if took && handledByA > 0 {
		t.Fatalf("entry handled twice: replica b took it over after ClaimIdle while a held it for an answer, then a handled it too")
	}
	if took {
		t.Fatalf("replica b took over an entry replica a was holding for an answer (held past ClaimIdle)")
	}
}

// waitPending waits (bounded) until consumer has an entry pending (the
// group may not exist yet when it starts).
func waitPending(t *testing.T, q bot.InboxQueue, consumer string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		own, err := q.Pending(context.Background(), consumer, 10)
		if err == nil && len(own) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing pending with %s after 5 s (%v)", consumer, err)
		}
		time.Sleep(10 * time.Millisecond) // polling a bounded condition, not timing
	}
}

// A request that carries its own answer (a slash command, a modal
// submission, a card callback: bot.ReplyWait) waits for this replica's
// worker to handle the entry it queued. Were it counted as an answer under
// way while it waits, AckFirst would hold exactly that entry until the
// request ends or AckFirstFor passes: every such answer 2 s late. Only the
// queueing counts (AckFirst.Inbox).
func TestAdv22AnAnswerThatWaitsForItsOwnEntryIsNotHeldBack(t *testing.T) {
	st := storetest.MustOpen(t)
	in := st.Inbox()
	clock := bot.NewManualClock(adv22Epoch)
	answers := bot.NewAckFirst(clock, 0)
	proc := countingProcessor{done: make(chan string, 4)}
	w := answersFirstWorker(t, in, clock, answers, proc)
	stop := runWorker(t, w)
	defer stop()
	// The slash command's request queues its entry, then waits for it.
	adv22Queue(t, answers.Inbox(in), "test:slash", clock.Now())
	adv22Await(t, proc.done, "test:slash")
}

// Held that: shutdown while an entry is held returns promptly, and the
// entry read is handled (not lost) before Run returns.
func TestAdv22ShutdownWhileHeldIsPromptAndHandlesTheEntry(t *testing.T) {
	st := storetest.MustOpen(t)
	in := st.Inbox()
	clock := bot.NewManualClock(adv22Epoch)
	answers := bot.NewAckFirst(clock, 0)
	proc := countingProcessor{done: make(chan string, 4)}
	w := answersFirstWorker(t, in, clock, answers, proc)
	answers.Begin()
	defer answers.End()
	adv22Queue(t, in, "test:held", clock.Now())
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- w.Run(ctx) }()
	waitPending(t, in, "runner")
	cancel()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5 s of its context ending while it held an entry")
	}
	if len(proc.done) != 1 {
		t.Fatalf("%d entries handled, want the held one handled before Run returned", len(proc.done))
	}
	if own, err := in.Pending(context.Background(), "runner", 10); err != nil || len(own) != 0 {
		t.Fatalf("pending after Run returned: %v %v, want the entry acknowledged", own, err)
	}
}

// adv22LostThenGatedQueue loses the reply of the first read that
// delivers entries (as lostReplyQueue), then holds the next read until
// the test lets it go, so the test can queue an entry in between.
type adv22LostThenGatedQueue struct {
	bot.InboxQueue
	lost, gate chan struct{}
	mu         sync.Mutex
	reads      int
}

func (q *adv22LostThenGatedQueue) Read(ctx context.Context, consumer string, count int, block time.Duration) ([]bot.InboxEntry, error) {
	q.mu.Lock()
	q.reads++
	n := q.reads
	q.mu.Unlock()
	if n > 1 {
		select {
		case <-q.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	entries, err := q.InboxQueue.Read(ctx, consumer, count, block)
	if n == 1 && err == nil && len(entries) > 0 {
		close(q.lost)
		return nil, errors.New("read tcp: connection reset by peer")
	}
	return entries, err
}

// After a read whose reply was lost, the worker re-reads its own pending
// entries "that it does not hold". But the entries the next, successful
// read just delivered are pending with it too and not yet in held (Run
// adds them only when it hands them out, after ownPending): each comes
// back a second time, marked Retried, and two slots handle the same
// entry at once. (Older than round 22; the pool kept it.)
func TestAdv22EntryReadRightAfterALostReadIsHandledOnce(t *testing.T) {
	st := storetest.MustOpen(t)
	q := &adv22LostThenGatedQueue{InboxQueue: st.Inbox(), lost: make(chan struct{}), gate: make(chan struct{})}
	queueText(t, q, "test:lost", "x")
	proc := countingProcessor{done: make(chan string, 8)}
	w, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: q, Consumer: "reader", Log: zerolog.Nop(), ClaimIdle: time.Hour,
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformConsole: proc}})
	if err != nil {
		t.Fatal(err)
	}
	stop := runWorker(t, w)
	<-q.lost
	queueText(t, q, "test:fresh", "x")
	close(q.gate)
	seen := map[string]int{}
	guard := time.After(30 * time.Second) // a guard against hanging, not a wait
	for len(seen) < 2 {
		select {
		case key := <-proc.done:
			seen[key]++
		case <-guard:
			stop()
			t.Fatalf("handled %v in 30 s", seen)
		}
	}
	stop() // Run returns once every entry in hand is finished
	for len(proc.done) > 0 {
		seen[<-proc.done]++
	}
	for key, n := range seen {
		if n != 1 {
			t.Errorf("%s handled %d times", key, n)
		}
	}
}

// adv22GateProcessor counts the entries in flight and holds each until
// the test releases one.
type adv22GateProcessor struct {
	started chan string
	release chan struct{}
	mu      sync.Mutex
	now     int
	most    int
}

func (p *adv22GateProcessor) ProcessInbox(_ context.Context, e bot.InboxEntry, _ bool) error {
	p.mu.Lock()
	p.now++
	p.most = max(p.most, p.now)
	p.mu.Unlock()
	p.started <- e.Key
	<-p.release
	p.mu.Lock()
	p.now--
	p.mu.Unlock()
	return nil
}

// Held: the pool of one goroutine per slot keeps concurrency at
// Concurrency with many more entries than slots, hands every entry out
// once, and acknowledges them all before Run returns.
func TestAdv22PoolKeepsConcurrencyBoundedAndHandsOutEveryEntryOnce(t *testing.T) {
	st := storetest.MustOpen(t)
	in := st.Inbox()
	const n, slots = 12, 3
	for i := range n {
		queueText(t, in, "test:pool:"+strconv.Itoa(i), "x")
	}
	proc := &adv22GateProcessor{started: make(chan string, n), release: make(chan struct{})}
	w, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: in, Consumer: "pool", Log: zerolog.Nop(), Concurrency: slots,
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformConsole: proc}})
	if err != nil {
		t.Fatal(err)
	}
	stop := runWorker(t, w)
	seen := map[string]int{}
	for i := range n {
		seen[<-proc.started]++
		if i >= slots-1 {
			proc.release <- struct{}{} // one finishes, one slot frees
		}
	}
	for range slots - 1 {
		proc.release <- struct{}{}
	}
	stop()
	if proc.most != slots {
		t.Errorf("%d entries in flight at most, want %d", proc.most, slots)
	}
	for key, c := range seen {
		if c != 1 {
			t.Errorf("%s handled %d times", key, c)
		}
	}
	if len(seen) != n {
		t.Errorf("%d entries handled, want %d", len(seen), n)
	}
	if left, err := in.Backlog(context.Background()); err != nil || left != 0 {
		t.Errorf("backlog %d (%v) after Run returned, want every entry acknowledged", left, err)
	}
}
