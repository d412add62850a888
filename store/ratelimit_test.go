package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/scheduler/jobrun"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

func TestRateLimiterPacesEveryRuleAndHonoursHolds(t *testing.T) {
	t.Run("redis", func(t *testing.T) { testRateLimiter(t, storetest.MustOpen(t)) })
	t.Run("embedded", func(t *testing.T) { testRateLimiter(t, storetest.MustOpenEmbedded(t)) })
}

func testRateLimiter(t *testing.T, st *store.Store) {
	ctx := context.Background()
	rl := st.RateLimiter()
	t0 := time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC)
	app := jobrun.RateRule{Name: "app", Interval: 100 * time.Millisecond, Burst: 2}
	chat := func(id string) jobrun.RateRule {
		return jobrun.RateRule{Name: "to:" + id, Interval: time.Second, Burst: 1}
	}
	take := func(at time.Time, rules ...jobrun.RateRule) time.Duration {
		t.Helper()
		w, err := rl.Take(ctx, "slack", at, rules...)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	if w := take(t0, app, chat("a")); w != 0 {
		t.Fatalf("first send waits %v", w)
	}
	if w := take(t0, app, chat("b")); w != 0 {
		t.Errorf("burst of 2: second send waits %v", w)
	}
	if w := take(t0, app, chat("c")); w != 100*time.Millisecond {
		t.Errorf("third send at once waits %v, want 100ms", w)
	}
	if w := take(t0.Add(100*time.Millisecond), app, chat("a")); w != 900*time.Millisecond {
		t.Errorf("second message to a within its second waits %v, want 900ms", w)
	}
	if w := take(t0.Add(100*time.Millisecond), app, chat("c")); w != 0 {
		t.Errorf("a refused send must not use up tokens; waits %v", w)
	}
	if w := take(t0, jobrun.RateRule{Name: "x"}); w != 0 {
		t.Errorf("unlimited rule waits %v", w)
	}
	if err := rl.Hold(ctx, "slack", t0, t0.Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := rl.Hold(ctx, "slack", t0, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if w := take(t0.Add(2*time.Second), app, chat("d")); w != 3*time.Second {
		t.Errorf("send during a hold waits %v, want the 3s left of the longer hold", w)
	}
	if w := take(t0.Add(5*time.Second), app, chat("d")); w != 0 {
		t.Errorf("send after the hold waits %v", w)
	}
}
