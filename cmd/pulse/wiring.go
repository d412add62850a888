package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/chart"
	"github.com/pulse-bot/pulse/scheduler"
	"github.com/pulse-bot/pulse/store"
)

// backend is an open store with the client under it.
type backend struct {
	rdb   redis.UniversalClient
	store *store.Store
	// ack is the same store over a connection pool of its own, which only
	// the acknowledgement path (queueing into the inbox) uses: a burst of
	// inbox work holding every connection of the main pool must not make an
	// acknowledgement wait for one (go-redis opens connections lazily, so
	// commands that never acknowledge anything open none here).
	ack *store.Store
	// inMemory is set for the embedded server: the data goes when Pulse stops.
	inMemory bool
	close    func()
}

// errNoRedis is returned by commands that need a Redis and got none.
var errNoRedis = errors.New("REDIS_URL: is not set; point it at your Redis (redis://host:6379/0)")

// openBackend connects to REDIS_URL, or starts the embedded server when
// embedded is allowed and REDIS_URL is unset.
func (e *environment) openBackend(ctx context.Context, embeddedAllowed bool) (*backend, error) {
	if e.cfg.RedisURL == "" {
		if !embeddedAllowed {
			return nil, errNoRedis
		}
		rdb, stop, err := store.StartEmbedded()
		if err != nil {
			return nil, fmt.Errorf("start the embedded store: %w", err)
		}
		if e.obs != nil {
			rdb.AddHook(redisHook{m: e.obs})
		}
		st := store.New(rdb, store.Options{Prefix: e.cfg.RedisPrefix})
		return &backend{rdb: rdb, store: st, ack: st, inMemory: true, close: stop}, nil
	}
	rdb, err := store.Connect(e.cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	if e.obs != nil {
		rdb.AddHook(redisHook{m: e.obs})
	}
	st := store.New(rdb, store.Options{Prefix: e.cfg.RedisPrefix})
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := st.Ping(pingCtx); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("REDIS_URL: Redis does not answer: %w", err)
	}
	ackRDB, err := store.Connect(e.cfg.RedisURL)
	if err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	if e.obs != nil {
		ackRDB.AddHook(redisHook{m: e.obs})
	}
	ack := store.New(ackRDB, store.Options{Prefix: e.cfg.RedisPrefix})
	return &backend{rdb: rdb, store: st, ack: ack, close: func() { _ = ackRDB.Close(); _ = rdb.Close() }}, nil
}

// core is the service and the scheduler that fires its jobs.
type core struct {
	svc   *bot.Service
	sched *scheduler.Scheduler
}

// recentRunsShown is how many runs `/pulse status` lists per team.
const recentRunsShown = 5

// newCore builds the service on a backend, sending through messenger (a
// Router the caller fills with adapters once they exist: adapters need the
// service as their handler, the service needs them to send), and the
// scheduler that plans and delivers its jobs.
func (e *environment) newCore(b *backend, messenger bot.Messenger, clock bot.Clock) (*core, error) {
	c := &core{}
	svc, err := bot.NewService(bot.Config{
		Store:            b.store,
		Messenger:        messenger,
		Clock:            clock,
		Log:              e.log.With().Str("component", "core").Logger(),
		Admins:           e.cfg.Admins,
		Organisation:     e.cfg.Organisation,
		ValidateSchedule: validateSchedule,
		RunStatus:        c.runStatus,
		DeadLetters:      b.store.Inbox().DeadCount,
	})
	if err != nil {
		return nil, fmt.Errorf("start the core: %w", err)
	}
	charts, err := chart.New(svc.Catalog())
	if err != nil {
		return nil, fmt.Errorf("start the chart renderer: %w", err)
	}
	svc.SetChartRenderer(charts)
	var planner scheduler.Planner = svc
	if e.obs != nil {
		planner = &observedPlanner{next: svc, m: e.obs, log: e.log.With().Str("component", "jobs").Logger()}
	}
	sched, err := scheduler.New(scheduler.Config{
		Teams:   b.store,
		People:  b.store,
		Planner: planner,
		Clock:   clock,
		Log:     e.log.With().Str("component", "scheduler").Logger(),
		Runs:    b.store.Runs(),
		Queue:   b.store.Queue(),
		Timing:  reclaimTiming(e.cfg.ReclaimAfter),
	})
	if err != nil {
		return nil, fmt.Errorf("start the scheduler: %w", err)
	}
	c.svc, c.sched = svc, sched
	return c, nil
}

// reclaimTiming maps PULSE_SCHEDULER_RECLAIM_AFTER onto the scheduler's
// takeover times: a dead replica's queued deliveries (ClaimIdle), the
// delivery it was sending (SendLease) and the run it was planning
// (PlanLease) all pass to another replica after d. Zero keeps the defaults.
func reclaimTiming(d time.Duration) scheduler.Timing {
	if d <= 0 {
		return scheduler.Timing{}
	}
	return scheduler.Timing{ClaimIdle: d, SendLease: d, PlanLease: d}
}

// runStatus describes a team's latest runs for `/pulse status`.
func (c *core) runStatus(ctx context.Context, teamID string) ([]string, error) {
	recs, err := c.sched.RecentRuns(ctx, teamID, recentRunsShown)
	if err != nil {
		return nil, fmt.Errorf("recent runs of %s: %w", teamID, err)
	}
	lines := make([]string, len(recs))
	for i, rec := range recs {
		lines[i] = string(rec.Job) + " " + describeRun(rec)
	}
	return lines, nil
}

// rateLimited wraps the platforms' router in the scheduler's limiter, so
// every send of every replica keeps under the platforms' rate limits and
// waits out their rate-limit answers.
func (e *environment) rateLimited(b *backend, router bot.Router, clock bot.Clock) (bot.Messenger, error) {
	l, err := scheduler.NewLimiter(scheduler.LimiterConfig{
		Pace:  b.store.RateLimiter(),
		Clock: clock,
		Log:   e.log.With().Str("component", "limiter").Logger(),
	})
	if err != nil {
		return nil, fmt.Errorf("start the rate limiter: %w", err)
	}
	return l.Wrap(router), nil
}

// offsetClock is the system clock moved by an offset that can change. `pulse
// try` seeds its demo with the clock weeks in the past, so the demo's goals
// have a history, then sets the offset to zero.
type offsetClock struct {
	base bot.Clock
	mu   sync.Mutex
	off  time.Duration
}

// Now returns the base clock's time plus the offset.
func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Now().Add(c.off)
}

// Set changes the offset.
func (c *offsetClock) Set(off time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off = off
}

// discard is a messenger that sends nothing, for seeding the demo quietly.
type discard struct{}

func (discard) Send(_ context.Context, to bot.Address, _ bot.Message, key string) (bot.MessageRef, error) {
	return bot.MessageRef{Platform: to.Platform, Channel: to.Channel, ID: "seed:" + key}, nil
}

// sendingCore is the core of a command that only sends (pulse jobs run,
// pulse progress): the platforms' adapters serve as its messengers, behind
// the shared rate limiter, and nothing is received. Rate limits are about
// real time, whatever clock the core runs on.
func (e *environment) sendingCore(b *backend, clock bot.Clock) (*core, error) {
	router := bot.Router{}
	messenger, err := e.rateLimited(b, router, bot.SystemClock{})
	if err != nil {
		return nil, err
	}
	c, err := e.newCore(b, messenger, clock)
	if err != nil {
		return nil, err
	}
	platforms, err := e.newPlatforms(b, c.svc, clock, nil)
	if err != nil {
		return nil, err
	}
	for p, adapter := range platforms {
		router[p] = adapter
	}
	return c, nil
}
