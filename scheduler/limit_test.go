package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
)

// strictPlatform is a fake platform that accepts one message per interval
// (on the manual clock) and answers anything faster with a rate-limit
// error carrying Retry-After, like Slack's 429. It records what it accepted
// and every request that came before the time it had asked that sender to wait.
type strictPlatform struct {
	clock    bot.Clock
	interval time.Duration
	// retryAfter is what a 429 asks for, on top of the time until the next free slot.
	retryAfter time.Duration

	mu       sync.Mutex
	next     time.Time
	accepted map[string]int
	limited  int
	// notBefore is, per key, when its last 429 said to come back.
	notBefore map[string]time.Time
	early     []string
	// holdUntil is the latest Retry-After deadline given to anyone.
	holdUntil    time.Time
	duringHold   int
	acceptedAt   []time.Time
	requestCount int
}

func newStrictPlatform(clock bot.Clock, perSecond float64, retryAfter time.Duration) *strictPlatform {
	return &strictPlatform{
		clock: clock, interval: time.Duration(float64(time.Second) / perSecond), retryAfter: retryAfter,
		accepted: map[string]int{}, notBefore: map[string]time.Time{},
	}
}

func (p *strictPlatform) Send(_ context.Context, to bot.Address, _ bot.Message, key string) (bot.MessageRef, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	p.requestCount++
	if nb, ok := p.notBefore[key]; ok && now.Before(nb) {
		p.early = append(p.early, fmt.Sprintf("%s at %s, %s early", key, now.Format("15:04:05.000"), nb.Sub(now)))
	}
	if now.Before(p.holdUntil) {
		p.duringHold++
	}
	if now.Before(p.next) {
		p.limited++
		wait := p.next.Sub(now) + p.retryAfter
		p.notBefore[key] = now.Add(wait)
		p.holdUntil = latestTime(p.holdUntil, now.Add(wait))
		return bot.MessageRef{}, fmt.Errorf("slack: %w", retryAfter(wait))
	}
	p.next = now.Add(p.interval)
	p.accepted[key]++
	p.acceptedAt = append(p.acceptedAt, now)
	return bot.MessageRef{Platform: to.Platform, ID: key}, nil
}

func (e *env) limiter(limits map[bot.Platform]Limit) *Limiter {
	e.t.Helper()
	l, err := NewLimiter(LimiterConfig{
		Pace: e.st.RateLimiter(), Limits: limits, Clock: e.clock,
		After: instantAfter(e.clock), Log: zerolog.Nop(), MaxRetries: 20,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// The platform allows 2 messages a second while Pulse is configured for 20:
// it answers 429s, and every delivery still arrives once, none before the
// time the platform asked for.
func TestRateLimitedSendsWaitRetryAfterAndArriveOnce(t *testing.T) {
	for _, workers := range []int{1, 4} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			monday := local(t, "Europe/Berlin", 2026, 3, 23, 10, 1)
			e := newEnv(t, monday)
			team := e.team("eng", "Europe/Berlin", 30, func(tm *bot.Team) { tm.CreatedAt = monday.Add(-time.Hour) })
			platform := newStrictPlatform(e.clock, 2, 3*time.Second)
			e.planner.messenger = e.limiter(map[bot.Platform]Limit{
				bot.PlatformSlack: {PerSecond: 20, Burst: 1, ConversationPerSecond: 1, ConversationBurst: 1},
			}).Wrap(platform)
			s := e.scheduler("a", nil)
			e.tick(s)
			var ss []*Scheduler
			for i := range workers {
				ss = append(ss, e.scheduler(fmt.Sprintf("w%d", i), nil))
			}
			e.parallel(ss, func(s *Scheduler) error { return drainErr(s, s.cfg.Consumer) })

			platform.mu.Lock()
			defer platform.mu.Unlock()
			for _, k := range promptKeys(team, bot.JobCheckInPrompt, "2026-W13") {
				if platform.accepted[k] != 1 {
					t.Errorf("%s arrived %d times, want 1", k, platform.accepted[k])
				}
			}
			if len(platform.accepted) != 30 {
				t.Errorf("%d deliveries arrived, want 30", len(platform.accepted))
			}
			if platform.limited == 0 {
				t.Error("the platform never rate-limited; the test proves nothing")
			}
			for _, early := range platform.early {
				t.Errorf("retried before Retry-After: %s", early)
			}
			if workers == 1 && platform.duringHold > 0 {
				t.Errorf("%d requests arrived while a Retry-After was in force", platform.duringHold)
			}
			if run := runOf(t, s, team.ID, bot.JobCheckInPrompt); run.Sent != 30 || run.Failed != 0 {
				t.Errorf("run %+v, want 30 sent", run)
			}
		})
	}
}

// Under its configured rate, the limiter alone keeps sends apart, and its
// pace is shared: two replicas' limiters (one Redis) sending in turn never
// make the platform say no.
func TestLimiterPaceIsSharedByReplicas(t *testing.T) {
	e := newEnv(t, time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC))
	platform := newStrictPlatform(e.clock, 5, time.Second)
	limits := map[bot.Platform]Limit{bot.PlatformSlack: {PerSecond: 5, Burst: 1}}
	replicas := []bot.Messenger{e.limiter(limits).Wrap(platform), e.limiter(limits).Wrap(platform)}
	for i := range 20 {
		to := bot.Address{Platform: bot.PlatformSlack, User: bot.UserID(fmt.Sprintf("slack:T1:U%d", i))}
		if _, err := replicas[i%2].Send(context.Background(), to, bot.Message{Title: "hi"}, fmt.Sprint("k", i)); err != nil {
			t.Fatal(err)
		}
	}
	if len(platform.accepted) != 20 || platform.limited != 0 {
		t.Errorf("%d arrived, %d rate-limited; want 20 and 0", len(platform.accepted), platform.limited)
	}
	for i := 1; i < len(platform.acceptedAt); i++ {
		if gap := platform.acceptedAt[i].Sub(platform.acceptedAt[i-1]); gap < 200*time.Millisecond {
			t.Errorf("sends %d and %d only %v apart", i-1, i, gap)
		}
	}
}

func TestUnlimitedPlatformStillWaitsRetryAfter(t *testing.T) {
	e := newEnv(t, time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC))
	platform := newStrictPlatform(e.clock, 1, 2*time.Second)
	m := e.limiter(map[bot.Platform]Limit{}).Wrap(platform)
	to := bot.Address{Platform: bot.PlatformConsole, User: "console:demo:ana"}
	for i := range 3 {
		if _, err := m.Send(context.Background(), to, bot.Message{Title: "hi"}, fmt.Sprint("k", i)); err != nil {
			t.Fatal(err)
		}
	}
	if len(platform.accepted) != 3 || len(platform.early) != 0 {
		t.Errorf("accepted %d, early %v", len(platform.accepted), platform.early)
	}
}

// fileStrictPlatform is a strictPlatform that also takes files, under the same limit.
type fileStrictPlatform struct{ *strictPlatform }

func (p fileStrictPlatform) SendFile(ctx context.Context, to bot.Address, f bot.File, key string) (bot.MessageRef, error) {
	return p.Send(ctx, to, bot.Message{Title: f.Name}, key)
}

// A digest's chart goes through the same pacing as messages: a file sent
// right after a message waits for the platform's Retry-After and arrives once.
func TestFilesArePacedAndRetriedLikeMessages(t *testing.T) {
	e := newEnv(t, time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC))
	platform := fileStrictPlatform{newStrictPlatform(e.clock, 1, 2*time.Second)}
	m := e.limiter(map[bot.Platform]Limit{}).Wrap(platform)
	to := bot.Address{Platform: bot.PlatformConsole, Channel: "growth"}
	if _, err := m.Send(context.Background(), to, bot.Message{Title: "digest"}, "digest"); err != nil {
		t.Fatal(err)
	}
	files, ok := m.(bot.FileSender)
	if !ok {
		t.Fatal("the rate-limited messenger does not pass files on")
	}
	if _, err := files.SendFile(context.Background(), to, bot.File{Name: "chart.png", Data: []byte{1}}, "digest:file"); err != nil {
		t.Fatal(err)
	}
	if platform.accepted["digest:file"] != 1 || len(platform.early) != 0 || platform.limited == 0 {
		t.Errorf("file accepted %d times, early %v, limited %d", platform.accepted["digest:file"], platform.early, platform.limited)
	}
	// A platform that cannot send files gets the core's "skip" error.
	plain := e.limiter(map[bot.Platform]Limit{}).Wrap(newStrictPlatform(e.clock, 1, 0))
	var nf *bot.NoFileSenderError
	if _, err := plain.(bot.FileSender).SendFile(context.Background(), to, bot.File{Name: "x"}, "k"); !errors.As(err, &nf) {
		t.Errorf("err = %v, want NoFileSenderError", err)
	}
}

// retractingPlatform records the messages taken back through it.
type retractingPlatform struct {
	*strictPlatform
	retracted []bot.MessageRef
}

func (p *retractingPlatform) Retract(_ context.Context, ref bot.MessageRef) error {
	p.retracted = append(p.retracted, ref)
	return nil
}

// An undone kudos takes its posts back through the rate-limited messenger:
// the wrapper passes Retract on, and says so when the platform cannot.
func TestRetractPassesThroughTheLimiter(t *testing.T) {
	e := newEnv(t, time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC))
	platform := &retractingPlatform{strictPlatform: newStrictPlatform(e.clock, 1, 0)}
	m := e.limiter(map[bot.Platform]Limit{}).Wrap(platform)
	ref := bot.MessageRef{Platform: bot.PlatformConsole, Channel: "growth", ID: "m1"}
	rt, ok := m.(bot.Retractor)
	if !ok {
		t.Fatal("the rate-limited messenger does not pass Retract on")
	}
	if err := rt.Retract(context.Background(), ref); err != nil || len(platform.retracted) != 1 || platform.retracted[0] != ref {
		t.Fatalf("retracted %v (%v), want %v", platform.retracted, err, ref)
	}
	plain := e.limiter(map[bot.Platform]Limit{}).Wrap(newStrictPlatform(e.clock, 1, 0))
	var nr *bot.NoRetractorError
	if err := plain.(bot.Retractor).Retract(context.Background(), ref); !errors.As(err, &nr) {
		t.Errorf("err = %v, want NoRetractorError", err)
	}
}
