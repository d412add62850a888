package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// InboxProcessor handles the inbox entries of one platform: its adapter,
// which knows how to read the Body it stored.
type InboxProcessor interface {
	// ProcessInbox handles one entry: builds the Event, calls the handler,
	// delivers the response. An error leaves the entry for another
	// delivery; last is set on the final delivery the worker allows, when
	// the adapter should tell the person that handling failed instead of
	// waiting for a retry.
	ProcessInbox(ctx context.Context, e InboxEntry, last bool) error
}

// InboxWorkerConfig configures the inbox workers of one replica.
type InboxWorkerConfig struct {
	Queue      InboxQueue
	Processors map[Platform]InboxProcessor
	// Consumer names this replica in the consumer group; unique per process.
	Consumer string
	// Concurrency bounds the events handled at once (default 64).
	Concurrency int
	// ClaimIdle is how long (Redis time) an entry may sit unacknowledged
	// with a consumer before another takes it over (default 60 s; negative:
	// at once, for tests that stand in for a dead replica).
	ClaimIdle time.Duration
	// MaxDeliveries is how many deliveries an entry gets before it goes to
	// the dead-letter stream (default 5).
	MaxDeliveries int
	// ReadBlock is how long one read waits for new entries (default 2 s).
	ReadBlock time.Duration
	// Reclaim is how often a busy worker still looks for entries to take
	// over (default 10 s); an idle one looks after every empty read.
	Reclaim time.Duration
	// WorkTimeout bounds the handling of one entry (default 50 s, and at
	// most four fifths of ClaimIdle, so a slow entry is not taken over by
	// another worker while this one still works on it).
	WorkTimeout time.Duration
	// RetryBackoff is the first wait before a failed entry is tried again
	// while the worker still holds it (default 1 s, doubling each time,
	// within WorkTimeout, so no other worker can take it meanwhile); a
	// fault that heals in seconds, such as a Redis restart, then delays
	// the event by seconds instead of ClaimIdle. Negative: no retries in
	// hand, the next delivery waits for ClaimIdle.
	RetryBackoff time.Duration
	// OnDead, when set, is told about every entry moved to the dead-letter
	// stream (cmd/pulse counts them).
	OnDead func(e InboxEntry)
	// AckFirst, when set, holds a new entry back while this replica is
	// answering platform requests, for at most AckFirstFor after the entry
	// was queued (default 2 s, and at most a tenth of ClaimIdle): the
	// answers keep within the platforms' 3 s under a burst, and the work
	// follows right after it.
	AckFirst    *AckFirst
	AckFirstFor time.Duration
	Clock       Clock
	Log         zerolog.Logger
}

// InboxWorker consumes the inbox stream through its one consumer group:
// at-least-once delivery, bounded concurrency, acknowledgement after the
// work, takeover of a dead replica's entries, and a dead-letter stream for
// entries that keep failing. The effects are exactly once because every
// write an event causes is keyed by Event.Key.
type InboxWorker struct {
	cfg InboxWorkerConfig
	sem chan struct{}
	wg  sync.WaitGroup
}

// NewInboxWorker checks cfg and fills in defaults.
func NewInboxWorker(cfg InboxWorkerConfig) (*InboxWorker, error) {
	switch {
	case cfg.Queue == nil:
		return nil, errors.New("inbox worker: a queue is required")
	case cfg.Consumer == "":
		return nil, errors.New("inbox worker: a consumer name is required")
	case len(cfg.Processors) == 0:
		return nil, errors.New("inbox worker: at least one processor is required")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	switch {
	case cfg.ClaimIdle < 0:
		cfg.ClaimIdle = 0
	case cfg.ClaimIdle == 0:
		cfg.ClaimIdle = time.Minute
	}
	if cfg.MaxDeliveries <= 0 {
		cfg.MaxDeliveries = 5
	}
	if cfg.ReadBlock <= 0 {
		cfg.ReadBlock = 2 * time.Second
	}
	if cfg.Reclaim <= 0 {
		cfg.Reclaim = 10 * time.Second
	}
	if cfg.WorkTimeout <= 0 {
		cfg.WorkTimeout = 50 * time.Second
	}
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = time.Second
	}
	if cfg.ClaimIdle > 0 {
		cfg.WorkTimeout = min(cfg.WorkTimeout, cfg.ClaimIdle*4/5)
	}
	if cfg.AckFirstFor <= 0 {
		cfg.AckFirstFor = 2 * time.Second
	}
	// Held and then handled, an entry stays within ClaimIdle, so no other
	// worker takes it over meanwhile.
	cfg.AckFirstFor = min(cfg.AckFirstFor, cfg.ClaimIdle/10)
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	return &InboxWorker{cfg: cfg, sem: make(chan struct{}, cfg.Concurrency)}, nil
}

// Run consumes the inbox until ctx ends, then waits for the entries in
// hand (each bounded by WorkTimeout).
func (w *InboxWorker) Run(ctx context.Context) error {
	log := w.cfg.Log.With().Str("consumer", w.cfg.Consumer).Logger()
	// Finished entries go to one goroutine that acknowledges them, all that
	// arrived meanwhile in one round trip.
	acks, acked := make(chan InboxEntry, cap(w.sem)), make(chan struct{})
	held := newHeldEntries()
	go func() {
		defer close(acked)
		w.acknowledge(context.WithoutCancel(ctx), acks, held, log)
	}()
	defer func() {
		w.wg.Wait()
		close(acks)
		<-acked
	}()
	// One goroutine per slot handles the entries, each in turn: their
	// stacks stay grown, where a goroutine per entry grew a new one through
	// the whole call chain every time.
	work := make(chan InboxEntry)
	defer close(work)
	for range cap(w.sem) {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for e := range work {
				settled := false
				w.process(ctx, e, func(e InboxEntry, _ zerolog.Logger) { settled = true; acks <- e }, log, w.cfg.RetryBackoff)
				if !settled {
					held.remove(e.ID) // left pending: a later delivery may take it
				}
				w.giveSlots(1)
			}
		}()
	}
	for {
		err := w.cfg.Queue.EnsureGroup(ctx)
		if err == nil {
			break
		}
		log.Error().Err(err).Msg("inbox group not ready; retrying")
		if !sleep(ctx, time.Second) {
			return nil
		}
	}
	cursor := "0-0"
	var lastReclaim time.Time
	// lostReply is set when a read failed: its reply may have been lost
	// after Redis delivered entries to this consumer, which only a read of
	// its own pending entries finds (else they wait for ClaimIdle).
	lostReply := false
	for ctx.Err() == nil {
		n := w.takeSlots(ctx)
		if n == 0 {
			return nil
		}
		entries, err := w.cfg.Queue.Read(ctx, w.cfg.Consumer, n, w.cfg.ReadBlock)
		if err != nil && ctx.Err() == nil {
			lostReply = true
			log.Error().Err(err).Msg("read inbox")
			sleep(ctx, time.Second)
		}
		// Held from now on, so a re-read of this consumer's own pending
		// entries or a takeover does not hand the same entry out twice.
		held.add(entries...)
		if lostReply && err == nil && len(entries) < n {
			var own []InboxEntry
			own, lostReply = w.ownPending(ctx, held, n-len(entries), log)
			held.add(own...)
			entries = append(entries, own...)
		}
		if now := w.cfg.Clock.Now(); len(entries) < n && (len(entries) == 0 || now.Sub(lastReclaim) >= w.cfg.Reclaim) {
			lastReclaim = now
			more, next, err := w.cfg.Queue.Reclaim(ctx, w.cfg.Consumer, w.cfg.ClaimIdle, cursor, n-len(entries))
			if err != nil && ctx.Err() == nil {
				lostReply = true
				log.Error().Err(err).Msg("reclaim inbox entries")
			}
			cursor = next
			for _, e := range more {
				if !held.has(e.ID) { // taken over from this very worker: in hand already
					held.add(e)
					entries = append(entries, e)
				}
			}
		}
		w.giveSlots(n - len(entries))
		w.handOut(ctx, entries, work)
	}
	return nil
}

// handOut gives entries to the handling goroutines, oldest first, each
// once it may start (letAnswersGoFirst): an overdue entry never waits
// behind a fresh one that is held.
func (w *InboxWorker) handOut(ctx context.Context, entries []InboxEntry, work chan<- InboxEntry) {
	readAt := w.cfg.Clock.Now()
	slices.SortStableFunc(entries, func(a, b InboxEntry) int { return a.ReceivedAt.Compare(b.ReceivedAt) })
	for _, e := range entries {
		w.letAnswersGoFirst(ctx, e, readAt)
		work <- e
	}
}

// letAnswersGoFirst waits, before e is started, while this replica is
// answering platform requests, until AckFirstFor after e was queued, or
// after it was read when that is earlier (the queueing replica's clock may
// be ahead of this one's).
func (w *InboxWorker) letAnswersGoFirst(ctx context.Context, e InboxEntry, readAt time.Time) {
	if w.cfg.AckFirst == nil {
		return
	}
	queued := e.ReceivedAt
	if readAt.Before(queued) {
		queued = readAt
	}
	w.cfg.AckFirst.wait(ctx, queued.Add(w.cfg.AckFirstFor))
}

// ownPending re-reads up to count of this consumer's pending entries that
// it does not hold (being handled, or handled and not yet acknowledged),
// marked Retried: a lost read reply may have delivered them. still is
// true when the read failed and must be tried again.
func (w *InboxWorker) ownPending(ctx context.Context, held *heldEntries, count int, log zerolog.Logger) (found []InboxEntry, still bool) {
	own, err := w.cfg.Queue.Pending(ctx, w.cfg.Consumer, count+held.len())
	if err != nil {
		if ctx.Err() == nil {
			log.Error().Err(err).Msg("re-read own pending inbox entries")
		}
		return nil, true
	}
	for _, e := range own {
		if len(found) < count && !held.has(e.ID) {
			e.Retried = true
			found = append(found, e)
		}
	}
	return found, false
}

// heldEntries are the ids of the entries a worker holds: being handled, or
// handled and waiting for their acknowledgement.
type heldEntries struct {
	mu  sync.Mutex
	ids map[string]struct{}
}

func newHeldEntries() *heldEntries { return &heldEntries{ids: map[string]struct{}{}} }

func (h *heldEntries) add(entries ...InboxEntry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range entries {
		h.ids[e.ID] = struct{}{}
	}
}

func (h *heldEntries) remove(ids ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		delete(h.ids, id)
	}
}

func (h *heldEntries) has(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.ids[id]
	return ok
}

func (h *heldEntries) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ids)
}

// RunOnce takes over idle entries and reads new ones without waiting, and
// handles them all before it returns; tests and tools drive it by hand.
// It returns how many entries it handled.
func (w *InboxWorker) RunOnce(ctx context.Context) (int, error) {
	if err := w.cfg.Queue.EnsureGroup(ctx); err != nil {
		return 0, err
	}
	reclaimed, _, err := w.cfg.Queue.Reclaim(ctx, w.cfg.Consumer, w.cfg.ClaimIdle, "0-0", w.cfg.Concurrency)
	if err != nil {
		return 0, err
	}
	fresh, err := w.cfg.Queue.Read(ctx, w.cfg.Consumer, w.cfg.Concurrency, -1)
	if err != nil {
		return 0, err
	}
	entries := append(reclaimed, fresh...)
	var wg sync.WaitGroup
	for _, e := range entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.process(ctx, e, w.ack, w.cfg.Log, -1)
		}()
	}
	wg.Wait()
	return len(entries), nil
}

// takeSlots waits for one free slot, then takes every other free one;
// 0 means ctx ended.
func (w *InboxWorker) takeSlots(ctx context.Context) int {
	select {
	case w.sem <- struct{}{}:
	case <-ctx.Done():
		return 0
	}
	n := 1
	for n < cap(w.sem) {
		select {
		case w.sem <- struct{}{}:
			n++
		default:
			return n
		}
	}
	return n
}

func (w *InboxWorker) giveSlots(n int) {
	for range n {
		<-w.sem
	}
}

// process handles one entry: settled (acknowledged) after the work; after
// a failure tried again in hand, waiting backoff and doubling it, while
// WorkTimeout leaves room (backoff < 0: not at all); then left pending
// (another delivery follows after ClaimIdle), or moved to the dead-letter
// stream when its last delivery fails too.
func (w *InboxWorker) process(ctx context.Context, e InboxEntry, settle func(InboxEntry, zerolog.Logger), log zerolog.Logger, backoff time.Duration) {
	bg := context.WithoutCancel(ctx)
	if e.Key == "" {
		// Deleted while pending (already settled): only the bookkeeping is left.
		settle(e, log)
		return
	}
	// The logger with the entry's fields is built only when something is
	// logged: most entries succeed, and it costs allocations per entry.
	entryLog := func() zerolog.Logger {
		return log.With().Str("entry", e.ID).Str("event_key", e.Key).Str("platform", string(e.Platform)).Str("kind", e.Kind).Logger()
	}
	if e.Deliveries > int64(w.cfg.MaxDeliveries) {
		w.bury(bg, e, fmt.Sprintf("gave up after %d deliveries (a worker stopped while holding it)", e.Deliveries-1), entryLog())
		return
	}
	last := e.Deliveries >= int64(w.cfg.MaxDeliveries)
	workCtx, cancel := context.WithTimeout(bg, w.cfg.WorkTimeout)
	err := w.try(workCtx, &e, last, entryLog)
	for ; err != nil && !last && backoff > 0 && roomFor(workCtx, backoff); backoff *= 2 {
		if !sleep(ctx, backoff) {
			break // shutting down: left pending for the next delivery
		}
		// What the failed try did is keyed by the event; the adapter must
		// look for it as on a redelivery.
		e.Retried = true
		err = w.try(workCtx, &e, last, entryLog)
	}
	cancel()
	if err == nil {
		settle(e, log) // with the marks of the try that succeeded
		return
	}
	log = entryLog()
	if last {
		w.bury(bg, e, err.Error(), log)
		return
	}
	log.Warn().Err(err).Int64("deliveries", e.Deliveries).Msg("inbox entry failed; it will be delivered again")
}

// roomFor reports whether ctx leaves time for a wait of backoff and a
// try at least as long.
func roomFor(ctx context.Context, backoff time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return ok && time.Until(deadline) > 2*backoff
}

// try runs the entry once. A successful try leaves its marks
// (MarkOnSettle) on e for the acknowledgement; a failed one writes them at
// once, as the entry is not settled and the next try or delivery must
// find them.
func (w *InboxWorker) try(ctx context.Context, e *InboxEntry, last bool, entryLog func() zerolog.Logger) error {
	s := &settlement{}
	err := w.run(withSettlement(ctx, s), *e, last)
	marks := s.close()
	if err == nil {
		e.marks = marks
		return nil
	}
	if len(marks) > 0 {
		if werr := w.cfg.Queue.Ack(context.WithoutCancel(ctx), marks); werr != nil {
			log := entryLog()
			log.Error().Err(werr).Msg("write the marks of a failed try; a redelivery may repeat what it did")
		}
	}
	return err
}

// run calls the entry's processor, turning a panic into an error.
func (w *InboxWorker) run(ctx context.Context, e InboxEntry, last bool) (err error) {
	p, ok := w.cfg.Processors[e.Platform]
	if !ok {
		return fmt.Errorf("no adapter for platform %q on this replica", e.Platform)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handling panicked: %v", r)
		}
	}()
	return p.ProcessInbox(ctx, e, last)
}

// ack settles one entry at once, with its marks (RunOnce).
func (w *InboxWorker) ack(e InboxEntry, log zerolog.Logger) {
	if err := w.settle(context.Background(), e.marks, e.ID); err != nil {
		// Left pending: another delivery follows, finds the marks, and the keyed effects record once.
		log.Error().Err(err).Str("entry", e.ID).Str("event_key", e.Key).Msg("acknowledge inbox entry")
	}
}

// settle acknowledges ids with marks in one round trip. When that fails
// (most often the whole round trip is lost: a reset connection, Redis
// away for a moment), the entries are delivered again, so the marks are
// written once more on their own: the next delivery must find them, or it
// repeats what this one did (a reply).
func (w *InboxWorker) settle(ctx context.Context, marks []SettleMark, ids ...string) error {
	err := w.cfg.Queue.Ack(ctx, marks, ids...)
	if err == nil || len(marks) == 0 {
		return err
	}
	if merr := w.cfg.Queue.Ack(ctx, marks); merr != nil {
		return fmt.Errorf("%w; writing the marks again failed too: %v", err, merr)
	}
	return err
}

// acknowledge settles the finished entries Run hands it until acks is
// closed: every entry that finished while one round trip was under way
// goes in the next, with the marks their handling registered
// (MarkOnSettle), so a busy worker pays a fraction of a round trip per
// entry and an idle one acknowledges at once. An entry whose
// acknowledgement fails stays pending and is delivered again; its effects
// are keyed by the event, so it records once, and it finds its marks,
// written before the acknowledgement.
func (w *InboxWorker) acknowledge(ctx context.Context, acks <-chan InboxEntry, held *heldEntries, log zerolog.Logger) {
	batch := make([]string, 0, cap(acks))
	var marks []SettleMark
	for e := range acks {
		batch = append(batch[:0], e.ID)
		marks = append(marks[:0], e.marks...)
	more:
		for len(batch) < cap(batch) {
			select {
			case next, ok := <-acks:
				if !ok {
					break more
				}
				batch = append(batch, next.ID)
				marks = append(marks, next.marks...)
			default:
				break more
			}
		}
		if err := w.settle(ctx, marks, batch...); err != nil {
			log.Error().Err(err).Int("entries", len(batch)).Int("marks", len(marks)).Msg("settle inbox entries; any not acknowledged stay pending and are delivered again")
		}
		held.remove(batch...)
	}
}

// maxReasonLen keeps a dead letter's reason to one readable line.
const maxReasonLen = 300

func (w *InboxWorker) bury(ctx context.Context, e InboxEntry, reason string, log zerolog.Logger) {
	if len(reason) > maxReasonLen {
		// Cut at a byte count, then drop a character cut in half.
		reason = strings.ToValidUTF8(reason[:maxReasonLen], "")
	}
	moved, err := w.cfg.Queue.Bury(ctx, e, reason, w.cfg.Clock.Now())
	if err != nil {
		log.Error().Err(err).Msg("move inbox entry to the dead-letter stream; it stays pending")
		return
	}
	if !moved {
		log.Info().Int64("deliveries", e.Deliveries).Msg("inbox entry settled by another worker meanwhile; not moved to the dead-letter stream")
		return
	}
	log.Error().Int64("deliveries", e.Deliveries).Str("reason", reason).Msg("inbox entry moved to the dead-letter stream")
	if w.cfg.OnDead != nil {
		w.cfg.OnDead(e)
	}
}

// sleep waits d unless ctx ends first; false when it did.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
