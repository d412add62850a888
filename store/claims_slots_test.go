package store

import (
	"context"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/scheduler/jobrun"
)

// The scheduler's scripts (claims, queue markers, rate limiter) keep their
// KEYS in one Cluster slot too.
func TestSchedulerScriptKeysShareOneSlot(t *testing.T) {
	s, checker, step := slotCheckedStore(t)
	var err error
	ctx := context.Background()
	now := time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC)
	runs, q, rl := s.Runs(), s.Queue(), s.RateLimiter()
	_, _, err = runs.Claim(ctx, jobrun.Record{ID: "r1", Job: bot.JobCheckInPrompt, TeamID: "eng", Status: jobrun.Planning,
		Lease: now.Add(time.Minute)}, now, time.Hour, jobrun.ClaimNew)
	step("claim", err)
	_, err = runs.Enqueued(ctx, "eng", "r1", 2, now)
	step("enqueued", err)
	a := jobrun.MarkerArgs{TeamID: "eng", Key: "k1", RunID: "r1", Now: now, TTL: time.Hour}
	_, err = q.Reserve(ctx, a, time.Minute, 3)
	step("reserve", err)
	step("release", q.Release(ctx, a, 1))
	_, err = q.Complete(ctx, a, jobrun.OutcomeSent)
	step("complete", err)
	_, err = rl.Take(ctx, "slack", now, jobrun.RateRule{Name: "app", Interval: time.Second, Burst: 1},
		jobrun.RateRule{Name: "to:C1", Interval: time.Second, Burst: 1})
	step("take", err)
	step("hold", rl.Hold(ctx, "slack", now, now.Add(time.Second)))

	for _, e := range checker.errors {
		t.Error(e)
	}
	if n := len(checker.seen); n != 7 {
		t.Errorf("%d distinct scripts ran, want the scheduler's 7", n)
	}
}
