package bot_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

// serviceProcessor is an adapter reduced to its inbox side: the body is
// the command text of a direct message, handled by the real core.
type serviceProcessor struct {
	svc  *bot.Service
	user bot.UserID
	// poison makes an entry with this body fail every time.
	poison string
	mu     sync.Mutex
	calls  map[string]int
}

func (p *serviceProcessor) ProcessInbox(ctx context.Context, e bot.InboxEntry, last bool) error {
	p.mu.Lock()
	p.calls[e.Key]++
	p.mu.Unlock()
	if p.poison != "" && string(e.Body) == p.poison {
		panic("poisoned event")
	}
	_, err := p.svc.Handle(ctx, bot.Event{Key: e.Key, Kind: bot.KindCommand, Platform: bot.PlatformConsole,
		User: p.user, Direct: true, Channel: "dm", Text: string(e.Body)})
	return err
}

func newWorker(t *testing.T, q bot.InboxQueue, p bot.InboxProcessor, consumer string, maxDeliveries int, onDead func(bot.InboxEntry)) *bot.InboxWorker {
	t.Helper()
	w, err := bot.NewInboxWorker(bot.InboxWorkerConfig{
		Queue: q, Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformConsole: p}, Consumer: consumer,
		ClaimIdle: -1, MaxDeliveries: maxDeliveries, OnDead: onDead, Log: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func queueText(t *testing.T, q bot.Inbox, key, text string) {
	t.Helper()
	fresh, err := bot.Receive(context.Background(), q, bot.InboxEntry{Key: key, Platform: bot.PlatformConsole, Kind: "text", Body: []byte(text)}, time.Hour)
	if err != nil || fresh != bot.Queued {
		t.Fatalf("queue %s: %v %v", key, fresh, err)
	}
}

var goalIDRE = regexp.MustCompile(`G\d+`)

func TestInboxWorkerTakesOverADeadReplicasEntriesAndEachHasOneEffect(t *testing.T) {
	h := newHarness(t)
	st := h.store.(*store.Store)
	ctx := context.Background()
	id := goalIDRE.FindString(text(h.say(alice, "/goal new Ship features from 0 to 10 by 2026-12-31")))
	if id == "" {
		t.Fatal("no goal created")
	}
	in := st.Inbox()
	for i := range 3 {
		queueText(t, in, fmt.Sprintf("test:update:%d", i), "/goal "+id+" +1")
	}
	proc := &serviceProcessor{svc: h.svc, user: alice, calls: map[string]int{}}
	if err := in.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	// The dead replica took all three; it recorded the first and was killed
	// before acknowledging anything.
	taken, err := in.Read(ctx, "dead-replica", 10, -1)
	if err != nil || len(taken) != 3 {
		t.Fatalf("dead replica read %d entries (%v)", len(taken), err)
	}
	if err := proc.ProcessInbox(ctx, taken[0], false); err != nil {
		t.Fatal(err)
	}
	survivor := newWorker(t, in, proc, "survivor", 5, nil)
	n, err := survivor.RunOnce(ctx)
	if err != nil || n != 3 {
		t.Fatalf("survivor handled %d entries (%v), want the dead replica's 3", n, err)
	}
	if n, _ := survivor.RunOnce(ctx); n != 0 {
		t.Errorf("a second round found %d entries; every one was acknowledged", n)
	}
	g, err := st.GetGoal(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(g.Current-3) > 1e-9 {
		t.Errorf("goal at %v after three +1 updates, one of them delivered twice; want 3", g.Current)
	}
	if proc.calls["test:update:0"] != 2 {
		t.Errorf("the interrupted entry was delivered %d times, want 2 (at least once)", proc.calls["test:update:0"])
	}
}

func TestInboxPoisonEventGoesToDeadLettersShownInStatusAndCanBeRetriedOrDropped(t *testing.T) {
	st := storetest.MustOpen(t)
	ctx := context.Background()
	in := st.Inbox()
	clock := bot.NewManualClock(monday)
	admin := bot.NewUserID(bot.PlatformConsole, "demo", "admin")
	svc, err := bot.NewService(bot.Config{Store: st, Clock: clock, Log: zerolog.Nop(), Admins: []bot.UserID{admin},
		DeadLetters: in.DeadCount})
	if err != nil {
		t.Fatal(err)
	}
	proc := &serviceProcessor{svc: svc, user: admin, poison: "/goal list", calls: map[string]int{}}
	var buried []string
	w := newWorker(t, in, proc, "replica", 2, func(e bot.InboxEntry) { buried = append(buried, e.Key) })
	queueText(t, in, "test:poison", "/goal list")
	queueText(t, in, "test:fine", "/pulse status")

	if _, err := w.RunOnce(ctx); err != nil { // first delivery: fails, stays pending
		t.Fatal(err)
	}
	if n, _ := in.DeadCount(ctx); n != 0 {
		t.Fatalf("dead letters after the first failure: %d, want 0 (it gets another delivery)", n)
	}
	if _, err := w.RunOnce(ctx); err != nil { // second and last delivery: fails, buried
		t.Fatal(err)
	}
	if n, _ := in.DeadCount(ctx); n != 1 || len(buried) != 1 || buried[0] != "test:poison" {
		t.Fatalf("dead letters %d, reported %v; want the poison event once", n, buried)
	}
	if n, _ := in.Backlog(ctx); n != 0 {
		t.Errorf("backlog %d: the good event and the buried one should both be settled", n)
	}
	dead, err := in.DeadLetters(ctx, 10)
	if err != nil || len(dead) != 1 || !strings.Contains(dead[0].Reason, "panicked") || dead[0].Entry.Deliveries != 2 {
		t.Fatalf("dead letters %+v (%v)", dead, err)
	}
	resp, err := svc.Handle(ctx, bot.Event{Key: "test:status", Kind: bot.KindCommand, Platform: bot.PlatformConsole,
		User: admin, Direct: true, Channel: "dm", Text: "/pulse status"})
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, text(resp), "1 event(s) failed", "pulse inbox dead list")

	// Fixed: retry queues it again and it is handled.
	proc.poison = ""
	if err := in.RetryDead(ctx, dead[0].ID); err != nil {
		t.Fatal(err)
	}
	if n, err := w.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("after retry handled %d (%v), want 1", n, err)
	}
	if n, _ := in.DeadCount(ctx); n != 0 {
		t.Errorf("dead letters %d after a successful retry", n)
	}
	if proc.calls["test:poison"] != 3 {
		t.Errorf("poison event delivered %d times, want 2 failures and 1 retry", proc.calls["test:poison"])
	}
	// Drop: another failure, dropped by the operator.
	proc.poison = "/goal list"
	queueText(t, in, "test:poison2", "/goal list")
	for range 2 {
		if _, err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	dead, _ = in.DeadLetters(ctx, 10)
	if len(dead) != 1 {
		t.Fatalf("dead letters %+v, want the second poison event", dead)
	}
	if err := in.DropDead(ctx, dead[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := in.DropDead(ctx, dead[0].ID); !errors.Is(err, bot.ErrNoDeadLetter) {
		t.Errorf("second drop: %v", err)
	}
	resp, _ = svc.Handle(ctx, bot.Event{Key: "test:status2", Kind: bot.KindCommand, Platform: bot.PlatformConsole,
		User: admin, Direct: true, Channel: "dm", Text: "/pulse status"})
	if strings.Contains(text(resp), "failed after every retry") {
		t.Errorf("status still shows dead letters after the drop: %q", text(resp))
	}
}

func TestWaitersHandToTheWaitingRequestOrToTheWorkerNeverBoth(t *testing.T) {
	var ws bot.Waiters
	// In time: the request takes the outcome.
	w := ws.Expect("k1")
	if !ws.Hand("k1", bot.Outcome{Event: bot.Event{Key: "k1"}}) {
		t.Fatal("a waiting request did not take the outcome")
	}
	never := make(chan time.Time)
	if o, ok := w.Await(context.Background(), never); !ok || o.Event.Key != "k1" {
		t.Fatalf("await: %+v %v", o, ok)
	}
	// Too late: the request gave up, the worker delivers.
	w = ws.Expect("k2")
	expired := make(chan time.Time)
	close(expired)
	if _, ok := w.Await(context.Background(), expired); ok {
		t.Fatal("await returned an outcome nobody handed")
	}
	if ws.Hand("k2", bot.Outcome{}) {
		t.Error("the worker handed an outcome to a request that stopped waiting")
	}
	// Cancelled (not queued by this request): nobody takes it.
	w = ws.Expect("k3")
	w.Cancel()
	if ws.Hand("k3", bot.Outcome{}) {
		t.Error("a cancelled waiter took an outcome")
	}
	// Racing: whatever the order, exactly one side delivers.
	for i := range 200 {
		key := fmt.Sprintf("race%d", i)
		w := ws.Expect(key)
		deadline := make(chan time.Time)
		var handed bool
		done := make(chan struct{})
		go func() {
			handed = ws.Hand(key, bot.Outcome{})
			close(done)
		}()
		close(deadline)
		_, got := w.Await(context.Background(), deadline)
		<-done
		if got != handed {
			t.Fatalf("round %d: request got=%v, worker handed=%v; exactly one must deliver", i, got, handed)
		}
	}
}

// runWorker runs w until the returned stop is called; stop waits for Run
// to return and fails the test on its error.
func runWorker(t *testing.T, w *bot.InboxWorker) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- w.Run(ctx) }()
	return func() {
		t.Helper()
		cancel()
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
	}
}

// countingProcessor succeeds on every entry and tells done about each.
type countingProcessor struct{ done chan string }

func (p countingProcessor) ProcessInbox(_ context.Context, e bot.InboxEntry, _ bool) error {
	p.done <- e.Key
	return nil
}

func TestInboxWorkerRunAcknowledgesEveryFinishedEntryBeforeItReturns(t *testing.T) {
	st := storetest.MustOpen(t)
	in := st.Inbox()
	const n = 50
	for i := range n {
		queueText(t, in, fmt.Sprintf("test:run:%d", i), "x")
	}
	proc := countingProcessor{done: make(chan string, n)}
	w, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: in, Consumer: "runner", Log: zerolog.Nop(),
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformConsole: proc}})
	if err != nil {
		t.Fatal(err)
	}
	stop := runWorker(t, w)
	seen := map[string]int{}
	for range n {
		seen[<-proc.done]++
	}
	// Stopped right after the last entry finished: Run returns only once
	// the acknowledgements still batched are written.
	stop()
	if len(seen) != n {
		t.Errorf("%d distinct entries handled, want %d", len(seen), n)
	}
	if left, err := in.Backlog(context.Background()); err != nil || left != 0 {
		t.Errorf("backlog %d (%v) after Run returned, want every entry acknowledged", left, err)
	}
}

// flakyProcessor fails the first tries of every entry, as during a Redis
// restart, and reports each try.
type flakyProcessor struct {
	failures int
	tries    chan bot.InboxEntry
	mu       sync.Mutex
	seen     map[string]int
}

func (p *flakyProcessor) ProcessInbox(_ context.Context, e bot.InboxEntry, _ bool) error {
	p.mu.Lock()
	p.seen[e.Key]++
	n := p.seen[e.Key]
	p.mu.Unlock()
	p.tries <- e
	if n <= p.failures {
		return errors.New("redis: connection refused")
	}
	return nil
}

// An entry that fails while a fault lasts seconds is tried again by the
// worker holding it, not left for ClaimIdle (a minute by default): after a
// Redis restart the event is handled seconds later, and each try after
// the first is marked so the adapter looks for what the failed one did.
func TestInboxWorkerRetriesAFailedEntryInHandWithoutWaitingForTakeover(t *testing.T) {
	st := storetest.MustOpen(t)
	in := st.Inbox()
	queueText(t, in, "test:flaky", "x")
	proc := &flakyProcessor{failures: 2, tries: make(chan bot.InboxEntry, 10), seen: map[string]int{}}
	w := retryingWorker(t, in, proc)
	stop := runWorker(t, w)
	var tries []bot.InboxEntry
	guard := time.After(30 * time.Second) // a guard against hanging, not a wait
	for len(tries) < 3 {
		select {
		case e := <-proc.tries:
			tries = append(tries, e)
		case <-guard:
			stop()
			t.Fatalf("%d tries in 30 s; the failed entry was not tried again in hand", len(tries))
		}
	}
	stop()
	if !tries[0].FirstDelivery() {
		t.Errorf("the first try was not a first delivery: %+v", tries[0])
	}
	for i, e := range tries[1:] {
		if e.FirstDelivery() || e.Deliveries != 1 {
			t.Errorf("try %d: first delivery %v, deliveries %d; want a marked retry of delivery 1", i+2, e.FirstDelivery(), e.Deliveries)
		}
	}
	if left, err := in.Backlog(context.Background()); err != nil || left != 0 {
		t.Errorf("backlog %d (%v): the entry that succeeded on its third try should be acknowledged", left, err)
	}
	if dead, _ := in.DeadCount(context.Background()); dead != 0 {
		t.Errorf("%d dead letters: tries in hand must not count as deliveries", dead)
	}
}

// lostReplyQueue is an inbox whose first read is delivered by Redis but
// whose reply never arrives, as when Redis is killed mid-read.
type lostReplyQueue struct {
	bot.InboxQueue
	mu   sync.Mutex
	lost bool
}

func (q *lostReplyQueue) Read(ctx context.Context, consumer string, count int, block time.Duration) ([]bot.InboxEntry, error) {
	entries, err := q.InboxQueue.Read(ctx, consumer, count, block)
	q.mu.Lock()
	defer q.mu.Unlock()
	if err == nil && len(entries) > 0 && !q.lost {
		q.lost = true
		return nil, errors.New("read tcp: connection reset by peer")
	}
	return entries, err
}

// Entries a read delivered whose reply was lost sit in the worker's own
// pending list, unknown to it: it re-reads that list once the store
// answers again, instead of leaving them for ClaimIdle (a minute).
func TestInboxWorkerFindsEntriesALostReadReplyDelivered(t *testing.T) {
	st := storetest.MustOpen(t)
	q := &lostReplyQueue{InboxQueue: st.Inbox()}
	for i := range 3 {
		queueText(t, q, fmt.Sprintf("test:lost:%d", i), "x")
	}
	proc := countingProcessor{done: make(chan string, 3)}
	w, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: q, Consumer: "reader", Log: zerolog.Nop(), ClaimIdle: time.Hour,
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformConsole: proc}})
	if err != nil {
		t.Fatal(err)
	}
	stop := runWorker(t, w)
	seen := map[string]int{}
	guard := time.After(30 * time.Second) // a guard against hanging, not a wait
	for len(seen) < 3 {
		select {
		case key := <-proc.done:
			seen[key]++
		case <-guard:
			stop()
			t.Fatalf("handled %v in 30 s; the entries of the lost read were left for the takeover", seen)
		}
	}
	stop()
	for key, n := range seen {
		if n != 1 {
			t.Errorf("%s handled %d times", key, n)
		}
	}
	if left, err := st.Inbox().Backlog(context.Background()); err != nil || left != 0 {
		t.Errorf("backlog %d (%v), want every entry acknowledged", left, err)
	}
}

// TestInboxWorkerLetsAnswersGoFirstButNeverHoldsAnEntryPastItsLimit runs
// a worker while an answer is under way: a fresh entry starts only after
// the answer ended, and an entry queued AckFirstFor ago starts at once.
func TestInboxWorkerLetsAnswersGoFirstButNeverHoldsAnEntryPastItsLimit(t *testing.T) {
	st := storetest.MustOpen(t)
	in := st.Inbox()
	clock := bot.NewManualClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	answers := bot.NewAckFirst(clock, 0)
	proc := countingProcessor{done: make(chan string, 2)}
	w := answersFirstWorker(t, in, clock, answers, proc)
	queue := func(key string, at time.Time) {
		t.Helper()
		if _, err := bot.Receive(context.Background(), in, bot.InboxEntry{Key: key, Platform: bot.PlatformConsole,
			Kind: "text", Body: []byte("x"), ReceivedAt: at}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	answers.Begin()
	queue("test:old", clock.Now().Add(-2*time.Second))
	stop := runWorker(t, w)
	defer stop()
	if got := <-proc.done; got != "test:old" {
		t.Fatalf("handled %s first, want the entry queued 2 s ago", got)
	}
	queue("test:fresh", clock.Now())
	answers.End()
	if got := <-proc.done; got != "test:fresh" {
		t.Fatalf("handled %s, want test:fresh", got)
	}
}

// answersFirstWorker is a worker named "runner" on clock that lets answers
// go first (AckFirstFor at its default, 2 s) and tells proc every entry.
func answersFirstWorker(t *testing.T, in bot.InboxQueue, clock bot.Clock, answers *bot.AckFirst, proc bot.InboxProcessor) *bot.InboxWorker {
	t.Helper()
	w, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: in, Consumer: "runner", Log: zerolog.Nop(), Clock: clock,
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformConsole: proc}, AckFirst: answers})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// retryingWorker is a worker named "holder" that keeps its entries for an
// hour (no takeover) and tries a failed one again after 1 ms, doubling.
func retryingWorker(t *testing.T, in bot.InboxQueue, proc bot.InboxProcessor) *bot.InboxWorker {
	t.Helper()
	w, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: in, Consumer: "holder", Log: zerolog.Nop(),
		ClaimIdle: time.Hour, RetryBackoff: time.Millisecond,
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformConsole: proc}})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// failingProcessor fails every entry with its message; settle, when set,
// runs first (another worker settling the entry meanwhile).
type failingProcessor struct {
	message string
	settle  func(e bot.InboxEntry)
}

func (p failingProcessor) ProcessInbox(_ context.Context, e bot.InboxEntry, _ bool) error {
	if p.settle != nil {
		p.settle(e)
	}
	return errors.New(p.message)
}

// A dead letter's reason is cut to one line by bytes; a Chinese reason was
// cut inside a character, leaving invalid UTF-8 in the stream, the log and
// `pulse inbox dead list`.
func TestDeadLetterReasonIsCutBetweenCharacters(t *testing.T) {
	st := storetest.MustOpen(t)
	ctx := context.Background()
	in := st.Inbox()
	w := newWorker(t, in, failingProcessor{message: "x" + strings.Repeat("处理失败", 100)}, "replica", 1, nil)
	queueText(t, in, "test:long-reason", "anything")
	if _, err := w.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	dead, err := in.DeadLetters(ctx, 10)
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters %+v (%v), want one", dead, err)
	}
	// "x" then 3-byte characters: 300 bytes end one byte into a character.
	if r := dead[0].Reason; !utf8.ValidString(r) || len(r) != 298 {
		t.Fatalf("reason %q (%d bytes): want the 298 bytes before the character cut in half", r, len(r))
	}
}

// An entry another worker settled while this one failed it for the last
// time is not buried, and not reported (log, metric) as buried.
func TestAnEntrySettledMeanwhileIsNotReportedAsBuried(t *testing.T) {
	st := storetest.MustOpen(t)
	ctx := context.Background()
	in := st.Inbox()
	var buried []string
	settle := func(e bot.InboxEntry) {
		if err := in.Ack(ctx, nil, e.ID); err != nil {
			t.Error(err)
		}
	}
	w := newWorker(t, in, failingProcessor{message: "boom", settle: settle}, "replica", 1, func(e bot.InboxEntry) { buried = append(buried, e.Key) })
	queueText(t, in, "test:settled", "anything")
	if _, err := w.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := in.DeadCount(ctx); n != 0 || len(buried) != 0 {
		t.Fatalf("dead letters %d, reported buried %v; want none: another worker settled it", n, buried)
	}
}
