package bot

import (
	"context"
	"sync"
	"time"
)

// AckFirst lets the answers to platform requests go before the work they
// queue. Slack and Feishu wait at most 3 s for an answer and retry after
// that, while the work behind an answer may follow a moment later without
// anyone noticing; on a replica with two cores the two compete for the
// same CPU. So each delivery being queued counts as an answer under way
// (Begin and End, or the Inbox wrapper every adapter queues through, on
// every transport), and the inbox workers start a queued entry only when
// this replica is not answering: no delivery being queued, and deliveries
// not arriving in a burst (the burst rate or more a second over the last
// window). An entry waits at most its limit (InboxWorkerConfig.AckFirstFor)
// however long a burst lasts, so work is delayed, never starved: a burst
// is answered at the speed of the answers alone and its work follows.
// Only the queueing is counted, never a request that waits for its own
// entry's outcome (a slash command), nor one not yet verified.
type AckFirst struct {
	clock Clock
	// burst is the number of answers within one window that make a burst.
	burst int

	mu   sync.Mutex
	busy int
	// quiet is closed while no answer is under way; Begin replaces a
	// closed one when the first answer starts.
	quiet chan struct{}
	// The answers ended in the window that began at windowStart, and in
	// the window before it.
	windowStart      time.Time
	inWindow, before int
}

// ackWindow is how far back AckFirst looks for a burst.
const ackWindow = 100 * time.Millisecond

// ackPoll is how often a held worker looks again whether a burst ended
// (an answer ending wakes it at once).
const ackPoll = ackWindow / 4

// DefaultBurstRate is the answers per second (this many or more) that
// make a burst: more than people typing produce, as a flood of platform
// retries after an outage does.
const DefaultBurstRate = 2000

// NewAckFirst returns an AckFirst with no answer under way that counts
// burstRate or more answers a second as a burst (0: DefaultBurstRate).
func NewAckFirst(clock Clock, burstRate int) *AckFirst {
	if burstRate <= 0 {
		burstRate = DefaultBurstRate
	}
	quiet := make(chan struct{})
	close(quiet)
	return &AckFirst{clock: clock, burst: max(1, int(int64(burstRate)*int64(ackWindow)/int64(time.Second))),
		quiet: quiet, windowStart: clock.Now()}
}

// Begin marks an answer under way; End must follow.
func (a *AckFirst) Begin() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.busy == 0 {
		a.quiet = make(chan struct{})
	}
	a.busy++
}

// End marks an answer given.
func (a *AckFirst) End() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.roll(a.clock.Now())
	a.inWindow++
	a.busy--
	if a.busy == 0 {
		close(a.quiet)
	}
}

// roll moves the windows up to now.
func (a *AckFirst) roll(now time.Time) {
	switch since := now.Sub(a.windowStart); {
	case since >= 2*ackWindow:
		a.windowStart, a.inWindow, a.before = now, 0, 0
	case since >= ackWindow:
		a.windowStart, a.inWindow, a.before = a.windowStart.Add(ackWindow), 0, a.inWindow
	}
}

// state reports, as of now, whether work may start; while answers are
// under way, quiet is closed when they end (nil otherwise: a burst ends
// only with time).
func (a *AckFirst) state(now time.Time) (free bool, quiet <-chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.roll(now)
	if a.busy > 0 {
		return false, a.quiet
	}
	return max(a.inWindow, a.before) < a.burst, nil
}

// wait returns when work may start, at until, or when ctx ends.
func (a *AckFirst) wait(ctx context.Context, until time.Time) {
	for ctx.Err() == nil {
		now := a.clock.Now()
		free, quiet := a.state(now)
		if free || !now.Before(until) {
			return
		}
		t := time.NewTimer(min(ackPoll, until.Sub(now)))
		select {
		case <-quiet:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
}

// Inbox returns next with every Enqueue counted as an answer under way
// (nil a: next itself). Adapters queue every verified delivery through it,
// over HTTP, Socket Mode and Feishu's long connection alike.
func (a *AckFirst) Inbox(next Inbox) Inbox {
	if a == nil {
		return next
	}
	return answeringInbox{answers: a, next: next}
}

// answeringInbox marks each Enqueue on answers.
type answeringInbox struct {
	answers *AckFirst
	next    Inbox
}

// Enqueue queues e, counted as an answer under way meanwhile.
func (i answeringInbox) Enqueue(ctx context.Context, e InboxEntry, claimTTL time.Duration) (bool, error) {
	i.answers.Begin()
	defer i.answers.End()
	return i.next.Enqueue(ctx, e, claimTTL)
}
