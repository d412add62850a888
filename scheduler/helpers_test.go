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
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

// env is one Redis prefix with teams, people and a manual clock, on which
// tests start as many schedulers (replicas) as they like.
type env struct {
	t       testing.TB
	st      *store.Store
	clock   *bot.ManualClock
	planner *fakePlanner
}

func newEnv(t testing.TB, start time.Time) *env {
	t.Helper()
	st := storetest.MustOpen(t)
	e := &env{t: t, st: st, clock: bot.NewManualClock(start)}
	e.planner = newFakePlanner(st, e.clock)
	return e
}

// team saves a team of n members named m0…m(n-1) in zone, created long ago.
func (e *env) team(id, zone string, n int, edit func(*bot.Team)) bot.Team {
	e.t.Helper()
	t := bot.NewTeam(id, bot.PlatformSlack, "C"+id, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	t.TimeZone = zone
	for i := range n {
		t.Members = append(t.Members, bot.NewUserID(bot.PlatformSlack, "T1", fmt.Sprintf("%s-m%d", id, i)))
	}
	if edit != nil {
		edit(&t)
	}
	ctx := context.Background()
	if err := e.st.SaveTeam(ctx, t, bot.AuditEntry{At: t.CreatedAt, Action: "team.create", Subject: t.ID}); err != nil {
		e.t.Fatalf("save team: %v", err)
	}
	for _, m := range t.Members {
		if err := e.st.SavePerson(ctx, bot.Person{ID: m, Name: m.Local()}); err != nil {
			e.t.Fatalf("save person: %v", err)
		}
	}
	return t
}

func (e *env) person(p bot.Person) {
	e.t.Helper()
	if err := e.st.SavePerson(context.Background(), p); err != nil {
		e.t.Fatalf("save person: %v", err)
	}
}

// testTiming keeps leases on the manual clock and lets reclaim happen at once.
var testTiming = Timing{ClaimIdle: time.Millisecond, ReadBlock: 20 * time.Millisecond, DrainPoll: time.Millisecond}

// scheduler starts a replica named consumer.
func (e *env) scheduler(consumer string, edit func(*Config)) *Scheduler {
	e.t.Helper()
	cfg := Config{
		Teams: e.st, People: e.st, Planner: e.planner, Clock: e.clock,
		Log: zerolog.Nop(), Runs: e.st.Runs(), Queue: e.st.Queue(),
		Consumer: consumer, Workers: 2, After: instantAfter(e.clock), Timing: testTiming,
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		e.t.Fatalf("new scheduler: %v", err)
	}
	return s
}

// instantAfter is an After that moves the manual clock forward by d instead
// of sleeping.
func instantAfter(c *bot.ManualClock) func(time.Duration) <-chan time.Time {
	return func(d time.Duration) <-chan time.Time {
		c.Advance(d)
		ch := make(chan time.Time, 1)
		ch <- c.Now()
		return ch
	}
}

// neverAfter is an After that never fires: Run's loop wakes only once.
func neverAfter(time.Duration) <-chan time.Time { return nil }

func (e *env) tick(ss ...*Scheduler) {
	e.t.Helper()
	for _, s := range ss {
		if err := s.Tick(context.Background()); err != nil {
			e.t.Fatalf("tick: %v", err)
		}
	}
}

// drain works the queue as consumer until nothing is left to settle.
func (e *env) drain(s *Scheduler, consumer string) {
	e.t.Helper()
	for {
		n, err := s.workOnce(context.Background(), consumer)
		if err != nil {
			e.t.Fatalf("work: %v", err)
		}
		if n == 0 {
			return
		}
	}
}

// fakePlanner plans like the core (one DM per person for check-in jobs,
// one channel post otherwise, keyed by job, team, period and person) and
// records what it was asked and what it sent.
type fakePlanner struct {
	teams bot.TeamStore
	clock bot.Clock

	mu    sync.Mutex
	plans []bot.JobRequest
	sent  map[string]int
	times map[string][]time.Time
	// fail makes Deliver fail for a key while it returns true.
	fail func(key string, attempt int) error
	// tries counts Deliver calls per key.
	tries map[string]int
	// messenger, when set, is what Deliver sends through.
	messenger bot.Messenger
}

func newFakePlanner(teams bot.TeamStore, clock bot.Clock) *fakePlanner {
	return &fakePlanner{teams: teams, clock: clock, sent: map[string]int{}, times: map[string][]time.Time{}, tries: map[string]int{}}
}

func (p *fakePlanner) PlanJob(ctx context.Context, req bot.JobRequest) ([]bot.Delivery, error) {
	t, err := p.teams.GetTeam(ctx, req.TeamID)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.plans = append(p.plans, req)
	p.mu.Unlock()
	period := bot.ISOWeek(req.At, t.Location())
	switch req.Job {
	case bot.JobFeedbackRemind, bot.JobReviewRemind, bot.JobActionNudge:
		// Like the real planner with no open requests, cycles or actions: nothing to send.
		return nil, nil
	}
	if perPerson(req.Job) || req.Job == bot.JobGoalNudge {
		people := req.People
		if people == nil {
			people = t.Members
		}
		slot := period
		if req.Job == bot.JobGoalNudge {
			slot = req.At.In(t.Location()).Format(time.DateOnly)
		}
		var out []bot.Delivery
		for _, m := range people {
			out = append(out, bot.Delivery{
				Key: fmt.Sprintf("%s:%s:%s:%s", req.Job, t.ID, slot, m), Job: req.Job, TeamID: t.ID, Period: period,
				Person: m, To: bot.Address{Platform: t.Platform, User: m},
				Msg: bot.Message{Title: "check-in", Blocks: []bot.Block{bot.Text{Text: "What did you get done?"}}},
			})
		}
		return out, nil
	}
	return []bot.Delivery{{
		Key: fmt.Sprintf("%s:%s:%s", req.Job, t.ID, period), Job: req.Job, TeamID: t.ID, Period: period,
		To: bot.Address{Platform: t.Platform, Channel: t.Channel}, Msg: bot.Message{Title: string(req.Job)},
	}}, nil
}

func (p *fakePlanner) Deliver(ctx context.Context, d bot.Delivery) error {
	p.mu.Lock()
	p.tries[d.Key]++
	attempt := p.tries[d.Key]
	fail := p.fail
	p.mu.Unlock()
	if fail != nil {
		if err := fail(d.Key, attempt); err != nil {
			return err
		}
	}
	if p.messenger != nil {
		if _, err := p.messenger.Send(ctx, d.To, d.Msg, d.Key); err != nil {
			return err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent[d.Key]++
	p.times[d.Key] = append(p.times[d.Key], p.clock.Now())
	return nil
}

// planned returns the requests planned for job, in order.
func (p *fakePlanner) planned(job bot.Job) []bot.JobRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []bot.JobRequest
	for _, r := range p.plans {
		if r.Job == job {
			out = append(out, r)
		}
	}
	return out
}

// sentCounts returns a copy of the per-key send counts.
func (p *fakePlanner) sentCounts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.sent))
	for k, v := range p.sent {
		out[k] = v
	}
	return out
}

// total returns how many sends happened.
func (p *fakePlanner) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, v := range p.sent {
		n += v
	}
	return n
}

// assertOnce checks that exactly the given keys were each sent once.
func assertOnce(t *testing.T, p *fakePlanner, keys []string) {
	t.Helper()
	got := p.sentCounts()
	for _, k := range keys {
		if got[k] != 1 {
			t.Errorf("%s sent %d times, want 1", k, got[k])
		}
		delete(got, k)
	}
	for k, n := range got {
		t.Errorf("unexpected send %s (%d times)", k, n)
	}
}

// promptKeys are the keys of the prompts a team's members get for period.
func promptKeys(team bot.Team, job bot.Job, period string) []string {
	var out []string
	for _, m := range team.Members {
		out = append(out, fmt.Sprintf("%s:%s:%s:%s", job, team.ID, period, m))
	}
	return out
}

// eventually waits (for goroutines, not for time) until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

var errPlatform = errors.New("platform unavailable")

// local builds a time in zone.
func local(t *testing.T, zone string, y int, m time.Month, d, h, min int) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(y, m, d, h, min, 0, 0, loc)
}
