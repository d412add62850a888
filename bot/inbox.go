package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// The inbox is how Pulse keeps its promise that an acknowledged event is
// never lost. An adapter verifies a delivery, then queues it with one
// atomic store step (claim the event's key, append the event to a stream)
// and only then answers 2xx; workers in every replica take the events from
// the stream, handle them and acknowledge them after the work. A delivery
// that cannot be queued in time is refused (5xx, or a "not saved" reply for
// a slash command), so the platform sends it again.

// EnqueueWait bounds the queueing step on an acknowledgement path, well
// inside the 3 s Slack and Feishu give: a store that does not answer in
// time means "refuse", not "wait".
const EnqueueWait = 1200 * time.Millisecond

// ReplyWait is how long a request that can carry its own answer (a slash
// command, a modal submission, a card callback) waits for this replica's
// worker before answering empty; the reply then follows by response URL or chat.
const ReplyWait = 2500 * time.Millisecond

// ReplyWaitLeft is what is left of ReplyWait for a request that arrived at
// arrived: queueing it may itself have taken up to EnqueueWait, and the
// platform's 3 s count from the arrival. Never negative.
func ReplyWaitLeft(arrived, now time.Time) time.Duration {
	return max(ReplyWait-now.Sub(arrived), 0)
}

// InboxEntry is one event as a platform delivered it, stored before the
// acknowledgement. Body holds only the fields the adapter reads (never a
// verification token); Kind tells the adapter how to read it.
type InboxEntry struct {
	// ID is the stream entry id; the store sets it.
	ID string
	// Key identifies the event across deliveries: a platform's retries, an
	// app_mention/message twin and a second replica all carry the same key.
	Key        string
	Platform   Platform
	Kind       string
	Body       []byte
	ReceivedAt time.Time
	// Deliveries is how many times the entry was handed to a worker, this time included.
	Deliveries int64
	// Requeued is set on a dead letter an operator queued again: its
	// earlier deliveries (under another entry) may have done some of its work.
	Requeued bool
	// Retried is set when the worker holding the entry tries it again
	// after a failure: the failed try may have done some of its work.
	Retried bool
	// marks are what the try that finished the entry registered with
	// MarkOnSettle: the worker carries them with the entry to its
	// acknowledgement.
	marks []SettleMark
}

// FirstDelivery reports whether no worker had this event before, nor
// this worker in an earlier try: nothing can have done any of its work, so an adapter may skip
// looking for what one did (a sent-marker read per reply). A platform's
// retries and twins never make a second entry: the claim stops them.
func (e InboxEntry) FirstDelivery() bool { return e.Deliveries == 1 && !e.Requeued && !e.Retried }

// Inbox queues events on the acknowledgement path.
type Inbox interface {
	// Enqueue claims e.Key for claimTTL and appends e to the inbox stream,
	// in one atomic step. fresh is false when the key was claimed before:
	// the event is already queued (or was handled), and a 2xx is still honest.
	Enqueue(ctx context.Context, e InboxEntry, claimTTL time.Duration) (fresh bool, err error)
}

// InboxQueue is the inbox as its workers and operators see it.
type InboxQueue interface {
	Inbox
	// EnsureGroup creates the stream and its one consumer group if needed.
	EnsureGroup(ctx context.Context) error
	// Read takes up to count new entries for consumer, waiting up to block
	// for one (block < 0: do not wait).
	Read(ctx context.Context, consumer string, count int, block time.Duration) ([]InboxEntry, error)
	// Pending re-reads up to count entries delivered to consumer and not
	// yet acknowledged, with their delivery counts: after a read whose
	// reply was lost (Redis restarted mid-read), the entries it delivered
	// wait there, unknown to the worker.
	Pending(ctx context.Context, consumer string, count int) ([]InboxEntry, error)
	// Reclaim moves to consumer up to count entries idle for at least
	// minIdle with any consumer (a dead or stuck worker's), scanning from
	// start ("0-0" first); it returns them with their delivery counts and
	// the cursor of the next scan.
	Reclaim(ctx context.Context, consumer string, minIdle time.Duration, start string, count int) ([]InboxEntry, string, error)
	// Ack settles entries: writes marks (cache entries, as Cache.CacheSet
	// writes them), then acknowledges ids and removes them from the
	// stream, in one round trip however many. The marks go first, so an
	// entry whose acknowledgement fails finds them when it is delivered
	// again. Either may be empty.
	Ack(ctx context.Context, marks []SettleMark, ids ...string) error
	// Bury moves an entry to the dead-letter stream and settles it, in one
	// atomic step, with the reason it failed (no message text in it) and
	// the time. moved is false when another worker settled it meanwhile:
	// nothing was buried.
	Bury(ctx context.Context, e InboxEntry, reason string, at time.Time) (moved bool, err error)
	// DeadLetters lists up to count dead letters, oldest first.
	DeadLetters(ctx context.Context, count int) ([]DeadLetter, error)
	// DeadCount counts the dead letters.
	DeadCount(ctx context.Context) (int64, error)
	// RetryDead moves a dead letter back to the inbox stream, for the workers to try again.
	RetryDead(ctx context.Context, id string) error
	// DropDead deletes a dead letter for good.
	DropDead(ctx context.Context, id string) error
}

// DeadLetter is an inbox entry that kept failing.
type DeadLetter struct {
	// ID is the dead-letter stream entry id (what retry and drop take).
	ID       string
	Entry    InboxEntry
	Reason   string
	BuriedAt time.Time
}

// ErrNoDeadLetter is returned for a dead-letter id that does not exist.
var ErrNoDeadLetter = errors.New("no such dead letter")

// Receipt is what queueing a delivery found.
type Receipt int

// Receipts.
const (
	// Queued: the event is stored now; acknowledge it.
	Queued Receipt = iota
	// AlreadyQueued: an earlier delivery stored it; acknowledge, say nothing.
	AlreadyQueued
)

// MaybeQueued reports whether a delivery Receive refused may still have
// been stored: the store did not answer in time, and a command it had
// already been sent may run after all (the platform's own retry then finds
// it queued). A store that refused it outright stored nothing. (Serve's
// client dials an unreachable Redis again until the bound, so that too
// reads as "maybe".) A person told "not saved" sends the command again, as
// a new event, so they are told which of the two it was.
func MaybeQueued(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var timeout interface{ Timeout() bool }
	return errors.As(err, &timeout) && timeout.Timeout()
}

// NotQueuedKey is the catalog key of what a person reads when their
// command could not be queued: "not confirmed, check first" when it may
// still have been stored (MaybeQueued), else "not saved, send it again".
func NotQueuedKey(err error) string {
	if MaybeQueued(err) {
		return "inbox_maybe_saved"
	}
	return "inbox_not_saved"
}

// Receive is the one acknowledgement rule of every adapter: queue the
// delivery, bounded by EnqueueWait whatever the store client does with
// deadlines. An error means the delivery must be refused (5xx, or a "not
// saved" reply where the platform shows the body), never acknowledged as
// if handled and never handled without being stored. A store that answers
// after the bound may still have queued it: the platform's retry then
// finds it queued, so the refusal costs a retry, never the event.
func Receive(ctx context.Context, inbox Inbox, e InboxEntry, claimTTL time.Duration) (Receipt, error) {
	ctx, cancel := context.WithTimeout(ctx, EnqueueWait)
	defer cancel()
	type result struct {
		fresh bool
		err   error
	}
	done := make(chan result, 1)
	go func() {
		fresh, err := inbox.Enqueue(ctx, e, claimTTL)
		done <- result{fresh, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return Queued, fmt.Errorf("queue %s: %w", e.Key, r.err)
		}
		if !r.fresh {
			return AlreadyQueued, nil
		}
		return Queued, nil
	case <-ctx.Done():
		return Queued, fmt.Errorf("queue %s: the store did not answer within %s: %w", e.Key, EnqueueWait, ctx.Err())
	}
}

// Outcome is what the handler made of one event, handed from a worker to
// the request still waiting to answer it.
type Outcome struct {
	Event    Event
	Response Response
	Err      error
}

// Waiters lets a request that can carry its answer wait for the worker of
// its own replica. Exactly one side delivers the reply: the waiting request
// when the worker hands the outcome in time, else the worker.
type Waiters struct {
	mu sync.Mutex
	m  map[string]*Waiter
}

// Waiter is one request waiting for its event's outcome.
type Waiter struct {
	owner    *Waiters
	key      string
	done     chan Outcome
	answered bool
	gaveUp   bool
}

// Expect registers a waiter for key. Call it before queueing, so a fast
// worker finds it; Cancel it when the event was not queued.
func (w *Waiters) Expect(key string) *Waiter {
	wt := &Waiter{owner: w, key: key, done: make(chan Outcome, 1)}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[string]*Waiter{}
	}
	w.m[key] = wt
	return wt
}

// Hand passes o to the request waiting for key and reports whether it
// took it (and will deliver the reply). false: nobody waits any more, the
// worker delivers.
func (w *Waiters) Hand(key string, o Outcome) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	wt, ok := w.m[key]
	if !ok || wt.gaveUp || wt.answered {
		return false
	}
	wt.answered = true
	delete(w.m, key)
	wt.done <- o
	return true
}

// Await waits for the outcome until deadline fires or ctx ends; ok false
// means the request stopped waiting and the worker will deliver.
func (wt *Waiter) Await(ctx context.Context, deadline <-chan time.Time) (Outcome, bool) {
	select {
	case o := <-wt.done:
		return o, true
	case <-deadline:
	case <-ctx.Done():
	}
	wt.owner.mu.Lock()
	defer wt.owner.mu.Unlock()
	if wt.answered {
		return <-wt.done, true
	}
	wt.gaveUp = true
	if wt.owner.m[wt.key] == wt {
		delete(wt.owner.m, wt.key)
	}
	return Outcome{}, false
}

// Cancel withdraws the waiter (the event was not queued by this request).
func (wt *Waiter) Cancel() {
	wt.owner.mu.Lock()
	defer wt.owner.mu.Unlock()
	wt.gaveUp = true
	if wt.owner.m[wt.key] == wt {
		delete(wt.owner.m, wt.key)
	}
}
