package bottest

import (
	"context"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// Queued returns what the inbox holds that no worker has taken: what a
// push left behind when it was acknowledged. Adapter tests of both
// platforms read the inbox this way to show that an event is stored
// before the platform hears 2xx.
func Queued(t testing.TB, in bot.InboxQueue) []bot.InboxEntry {
	t.Helper()
	ctx := context.Background()
	if err := in.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := in.Read(ctx, "test", 10, -1)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// AckBudget is how long an adapter may take to refuse a delivery it
// could not store: well inside the 3 s both Slack and Feishu wait.
const AckBudget = 2 * time.Second

// RefusedInTime sends one delivery to an adapter whose inbox cannot store
// (storetest.Stalled) and checks the platform hears a 5xx within
// AckBudget, so it delivers the event again rather than losing it.
func RefusedInTime(t testing.TB, send func() (status int)) {
	t.Helper()
	start := time.Now()
	status := send()
	if took := time.Since(start); status < 500 || took >= AckBudget {
		t.Errorf("answered %d after %v; want a 5xx within %v, so the platform delivers it again", status, took, AckBudget)
	}
}

// SlowInbox is an inbox on a store that answers, but slowly: each Enqueue
// moves Clock on by Delay before it queues (a delay inside bot.EnqueueWait
// is not refused), for tests of what the time spent queueing leaves.
type SlowInbox struct {
	bot.Inbox
	Clock *bot.ManualClock
	Delay time.Duration
}

// Enqueue moves the clock on by Delay, then queues e.
func (s SlowInbox) Enqueue(ctx context.Context, e bot.InboxEntry, ttl time.Duration) (bool, error) {
	s.Clock.Advance(s.Delay)
	return s.Inbox.Enqueue(ctx, e, ttl)
}
