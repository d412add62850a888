package scheduler

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store/storetest"
)

// paced is a fake platform on the real clock that accepts R messages a
// second (burst B) and answers faster sends with Retry-After, counting every
// message it accepted by key.
type paced struct {
	interval time.Duration
	burst    time.Duration

	mu       sync.Mutex
	tat      time.Time
	accepted map[string]int
	limited  int
	first    time.Time
	last     time.Time
}

func newPaced(perSecond float64, burst int) *paced {
	iv := time.Duration(float64(time.Second) / perSecond)
	return &paced{interval: iv, burst: time.Duration(burst) * iv, accepted: map[string]int{}}
}

func (p *paced) Send(_ context.Context, to bot.Address, _ bot.Message, key string) (bot.MessageRef, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	tat := p.tat
	if tat.Before(now) {
		tat = now
	}
	if allow := tat.Add(p.interval - p.burst); allow.After(now) {
		p.limited++
		return bot.MessageRef{}, retryAfter(allow.Sub(now))
	}
	p.tat = tat.Add(p.interval)
	p.accepted[key]++
	if p.first.IsZero() {
		p.first = now
	}
	p.last = now
	return bot.MessageRef{Platform: to.Platform, ID: key}, nil
}

// BenchmarkPrompt10k prompts 10,000 members through a platform that allows
// R messages a second (PULSE_BENCH_RATE, default 1000) across two replicas
// of 4 workers each, and reports the total time over the ideal N/R,
// duplicates and losses. "killed" crashes one replica a fifth of the way in
// (a worker dies holding a delivery, the others stop) and restarts it.
//
//	go test ./scheduler -run '^$' -bench Prompt10k -benchtime 1x
func BenchmarkPrompt10k(b *testing.B) {
	rate := 1000.0
	if v, err := strconv.ParseFloat(os.Getenv("PULSE_BENCH_RATE"), 64); err == nil && v > 0 {
		rate = v
	}
	for _, killed := range []bool{false, true} {
		name := "steady"
		if killed {
			name = "killed"
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				benchPrompt(b, 10000, rate, killed)
			}
		})
	}
}

func benchPrompt(b *testing.B, n int, rate float64, kill bool) {
	b.StopTimer()
	st := storetest.MustOpen(b)
	trips := storetest.CountRoundTrips(st)
	clock := bot.SystemClock{}
	now := clock.Now()
	team := bot.NewTeam("big", bot.PlatformSlack, "Cbig", now)
	for i := range n {
		team.Members = append(team.Members, bot.NewUserID(bot.PlatformSlack, "T1", fmt.Sprintf("u%05d", i)))
	}
	ctx := context.Background()
	if err := st.SaveTeam(ctx, team, bot.AuditEntry{At: now, Action: "team.create", Subject: team.ID}); err != nil {
		b.Fatal(err)
	}
	// Platforms allow short bursts; 50 messages is 5% of a second at 1000/s.
	const burst = 50
	platform := newPaced(rate, burst)
	limiter, err := NewLimiter(LimiterConfig{
		Pace: st.RateLimiter(), Clock: clock, Log: zerolog.Nop(), MaxRetries: 50,
		Backoff: time.Millisecond,
		Limits:  map[bot.Platform]Limit{bot.PlatformSlack: {PerSecond: rate, Burst: burst}},
	})
	if err != nil {
		b.Fatal(err)
	}
	planner := newFakePlanner(st, clock)
	planner.messenger = limiter.Wrap(platform)
	timing := Timing{Wake: 5 * time.Second, SendLease: 2 * time.Second, ClaimIdle: time.Second, ReadBlock: 100 * time.Millisecond}
	replica := func(name string) *Scheduler {
		s, err := New(Config{
			Teams: st, People: st, Planner: planner, Clock: clock, Log: zerolog.Nop(),
			Runs: st.Runs(), Queue: st.Queue(), Consumer: name, Workers: 4, Timing: timing,
		})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	start := func(s *Scheduler) (stop func()) {
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := s.Run(rctx); err != nil {
				b.Error(err)
			}
		}()
		return func() { cancel(); <-done }
	}
	a, bb := replica("A"), replica("B")
	var killedAt atomic.Int64
	var restarted chan struct{}
	if kill {
		restarted = make(chan struct{})
		var seen atomic.Int64
		bb.hooks.afterReserve = func(bot.Delivery) bool {
			if seen.Add(1) == int64(n/(5*2)) { // about a fifth of the way in: B does half the work
				killedAt.Store(time.Now().UnixNano())
				return true
			}
			return false
		}
	}
	stopA, stopB := start(a), start(bb)
	if kill {
		go func() {
			// Watch for B's crash: stop the rest of B (a dead process) and start it again.
			for killedAt.Load() == 0 {
				time.Sleep(time.Millisecond)
			}
			stopB()
			stopB = start(replica("B"))
			close(restarted)
		}()
	}
	trips.Reset()
	b.StartTimer()
	began := time.Now()
	f := newDueFire(bot.JobCheckInPrompt, team.ID, zoneGroup{zone: "UTC", loc: time.UTC, people: team.Members},
		fire{At: now.Truncate(time.Minute)})
	if _, _, err := a.fire(ctx, team, f, clock.Now(), true); err != nil {
		b.Fatal(err)
	}
	deadline := began.Add(10*time.Duration(float64(n)/rate*float64(time.Second)) + 30*time.Second)
	for {
		rec, err := a.runs.Get(ctx, team.ID, f.id)
		if err != nil {
			b.Fatal(err)
		}
		if rec.Status.Final() {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("run not finished: %+v", rec)
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	platform.mu.Lock()
	total, firstSend := platform.last.Sub(began), platform.first.Sub(began)
	dups, lost := 0, 0
	for _, m := range team.Members {
		switch c := platform.accepted[fmt.Sprintf("%s:%s:%s:%s", bot.JobCheckInPrompt, team.ID, bot.ISOWeek(f.At, time.UTC), m)]; {
		case c == 0:
			lost++
		case c > 1:
			dups += c - 1
		}
	}
	limited := platform.limited
	platform.mu.Unlock()
	if kill {
		<-restarted
	}
	roundTrips := float64(trips.N()) / float64(n)
	stopA()
	stopB()
	ideal := time.Duration(float64(n) / rate * float64(time.Second))
	b.ReportMetric(total.Seconds(), "s_total")
	b.ReportMetric(firstSend.Seconds(), "s_to_first_send")
	b.ReportMetric(ideal.Seconds(), "s_ideal")
	b.ReportMetric(total.Seconds()/ideal.Seconds(), "x_ideal")
	b.ReportMetric(float64(dups), "duplicates")
	b.ReportMetric(float64(lost), "lost")
	b.ReportMetric(float64(limited), "429s")
	b.ReportMetric(roundTrips, "roundtrips/delivery")
	if dups != 0 || lost != 0 {
		b.Errorf("%d duplicates, %d lost", dups, lost)
	}
}
