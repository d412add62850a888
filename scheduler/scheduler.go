package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/scheduler/jobrun"
)

// Planner is what the scheduler needs from the core (*bot.Service): what a
// run sends, and sending one of those deliveries.
type Planner interface {
	// PlanJob returns the deliveries one run of a job makes for one team.
	PlanJob(ctx context.Context, req bot.JobRequest) ([]bot.Delivery, error)
	// Deliver sends one delivery (with d.Key as idempotency key) and applies
	// its side effects.
	Deliver(ctx context.Context, d bot.Delivery) error
}

// RunRecord is one fire of one job for one team and zone, with its outcome.
type RunRecord = jobrun.Record

// RunLog keeps run claims and records: the first claim of a fire wins, so
// two replicas (or a restarted process) never both run it. The store
// implements it on Redis.
type RunLog interface {
	Claim(ctx context.Context, rec RunRecord, now time.Time, ttl time.Duration, mode jobrun.ClaimMode) (won bool, stored RunRecord, err error)
	Release(ctx context.Context, teamID, runID string, now time.Time, cause string) error
	Fail(ctx context.Context, teamID, runID string, now time.Time, cause string) error
	Enqueued(ctx context.Context, teamID, runID string, planned int, now time.Time) (finished bool, err error)
	Get(ctx context.Context, teamID, runID string) (RunRecord, error)
	Recent(ctx context.Context, teamID string, n int) ([]RunRecord, error)
}

// DeliveryQueue is the durable stream of deliveries that every replica's
// workers share, with the per-delivery markers that make each send happen
// once. The store implements it on Redis.
type DeliveryQueue interface {
	Ensure(ctx context.Context) error
	Add(ctx context.Context, runID string, deliveries [][]byte) error
	Read(ctx context.Context, consumer string, count int, block time.Duration) ([]jobrun.Entry, error)
	ReadPending(ctx context.Context, consumer, after string, count int) ([]jobrun.Entry, error)
	Reclaim(ctx context.Context, consumer string, minIdle time.Duration, start string, count int) (entries []jobrun.Entry, next string, err error)
	Ack(ctx context.Context, id string) error
	RemoveConsumer(ctx context.Context, consumer string) error
	PruneConsumers(ctx context.Context, idle time.Duration) (int, error)
	Reserve(ctx context.Context, a jobrun.MarkerArgs, lease time.Duration, maxAttempts int) (jobrun.Reservation, error)
	Release(ctx context.Context, a jobrun.MarkerArgs, attempt int) error
	Complete(ctx context.Context, a jobrun.MarkerArgs, outcome jobrun.Outcome) (finished bool, err error)
	// Reopen readies a delivery of a manual re-run: it reports one sent
	// before (and counts it in the run as deduped), and forgets that one
	// failed for good, so it is tried again.
	Reopen(ctx context.Context, a jobrun.MarkerArgs) (sentBefore bool, err error)
}

// Config is what a Scheduler needs. Teams, People, Planner, Runs and Queue
// are required; every other field has a default.
type Config struct {
	Teams   bot.TeamStore
	People  bot.PersonStore
	Planner Planner
	Clock   bot.Clock
	Log     zerolog.Logger
	// Runs and Queue keep the scheduler's claims, run records and
	// deliveries, next to the store's keys.
	Runs  RunLog
	Queue DeliveryQueue
	// Workers is how many queue workers Run starts in this process
	// (default DefaultWorkers). Every replica runs some.
	Workers int
	// Consumer names this process in the queue's consumer group (default
	// "<hostname>-<pid>"). A process restarted under the same name finishes
	// what it held before first.
	Consumer string
	// After waits; default time.After. Tests pass one that moves a
	// bot.ManualClock, so nothing sleeps.
	After func(time.Duration) <-chan time.Time
	// Timing overrides the defaults of DefaultTiming field by field.
	Timing Timing
}

// DefaultWorkers is the number of queue workers a process runs by default.
const DefaultWorkers = 4

// Timing holds the scheduler's intervals. Zero fields take DefaultTiming's.
type Timing struct {
	// Wake is how often the loop looks for due fires (at most 30 s).
	Wake time.Duration
	// Lookback is how far back a wake looks for fires missed while down.
	Lookback time.Duration
	// ClaimTTL is how long run claims, run records and delivery markers are
	// kept: longer than Lookback, so a fire is never claimed twice.
	ClaimTTL time.Duration
	// PlanLease is how long a claimed run may stay in planning before another
	// replica takes it over (its owner died between claim and enqueue).
	PlanLease time.Duration
	// SendLease is how long a worker holds a delivery it is sending before
	// another may retry it (its holder died mid-send).
	SendLease time.Duration
	// ClaimIdle is how long (Redis time) an entry must sit unacknowledged
	// with a consumer before another consumer reclaims it.
	ClaimIdle time.Duration
	// ReadBlock is how long (real time) a worker's read waits for new entries.
	ReadBlock time.Duration
	// MaxAttempts bounds the sends of one delivery after errors.
	MaxAttempts int
	// Backoff is the wait after a failed send; it doubles per attempt up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// DrainPoll is how often RunNow looks at its runs while other workers send them.
	DrainPoll time.Duration
}

// DefaultTiming is the timing of a Scheduler whose Config leaves it out.
var DefaultTiming = Timing{
	Wake:        30 * time.Second,
	Lookback:    7 * 24 * time.Hour,
	ClaimTTL:    14 * 24 * time.Hour,
	PlanLease:   2 * time.Minute,
	SendLease:   10 * time.Minute,
	ClaimIdle:   time.Minute,
	ReadBlock:   2 * time.Second,
	MaxAttempts: 5,
	Backoff:     time.Second,
	MaxBackoff:  time.Minute,
	DrainPoll:   100 * time.Millisecond,
}

func (t Timing) withDefaults() Timing {
	d := DefaultTiming
	pick := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	pick(&t.Wake, d.Wake)
	t.Wake = min(t.Wake, d.Wake)
	pick(&t.Lookback, d.Lookback)
	pick(&t.ClaimTTL, d.ClaimTTL)
	t.ClaimTTL = max(t.ClaimTTL, t.Lookback+24*time.Hour)
	pick(&t.PlanLease, d.PlanLease)
	pick(&t.SendLease, d.SendLease)
	pick(&t.ClaimIdle, d.ClaimIdle)
	pick(&t.ReadBlock, d.ReadBlock)
	if t.MaxAttempts <= 0 {
		t.MaxAttempts = d.MaxAttempts
	}
	pick(&t.Backoff, d.Backoff)
	pick(&t.MaxBackoff, d.MaxBackoff)
	pick(&t.DrainPoll, d.DrainPoll)
	return t
}

// Scheduler fires each team's jobs on time, once across replicas and
// restarts, and sends their deliveries through a durable queue.
type Scheduler struct {
	cfg    Config
	timing Timing
	log    zerolog.Logger
	queue  DeliveryQueue
	runs   RunLog
	cals   calendars

	ensureMu sync.Mutex
	ensured  bool

	// settled remembers fires this process saw finished (or claimed by a
	// live owner), by run id, with their fire time, so a wake does not ask
	// Redis about them again.
	mu      sync.Mutex
	settled map[string]time.Time

	// groups caches each team's zone groups for groupsTTL, so a wake does
	// not read every member's profile; lastPrune is when idle consumers
	// were last dropped.
	groups    map[string]cachedGroups
	lastPrune time.Time

	// hooks inject crashes in tests.
	hooks hooks
}

// cachedGroups is a team's zone groups as read at at, for the team's
// membership and zone summed up in key.
type cachedGroups struct {
	key    uint64
	at     time.Time
	groups []zoneGroup
}

// groupsTTL bounds how stale a member's time zone may be when a fire is
// computed. A person who moves zone in that time is found in two groups at
// worst, and the delivery key keeps them from being prompted twice.
const groupsTTL = 5 * time.Minute

// pruneEvery and pruneIdle: how often, and after how long unused, consumer
// names of stopped processes are dropped from the queue's group.
const (
	pruneEvery = time.Hour
	pruneIdle  = 24 * time.Hour
)

// hooks let tests stop a worker dead at a chosen step, as a crash would.
// A hook returning true kills the worker there.
type hooks struct {
	afterReserve  func(bot.Delivery) bool
	afterComplete func(bot.Delivery) bool
}

// errCrashed is how a test-injected crash unwinds a worker.
var errCrashed = errors.New("worker crashed (injected)")

// New checks cfg and returns a Scheduler.
func New(cfg Config) (*Scheduler, error) {
	switch {
	case cfg.Teams == nil:
		return nil, errors.New("new scheduler: a team store is required")
	case cfg.People == nil:
		return nil, errors.New("new scheduler: a person store is required")
	case cfg.Planner == nil:
		return nil, errors.New("new scheduler: a planner is required")
	case cfg.Runs == nil:
		return nil, errors.New("new scheduler: a run log is required")
	case cfg.Queue == nil:
		return nil, errors.New("new scheduler: a delivery queue is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Consumer == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "pulse"
		}
		cfg.Consumer = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	return &Scheduler{
		cfg:     cfg,
		timing:  cfg.Timing.withDefaults(),
		log:     cfg.Log,
		queue:   cfg.Queue,
		runs:    cfg.Runs,
		settled: map[string]time.Time{},
		groups:  map[string]cachedGroups{},
	}, nil
}

// Run runs the loop and this process's workers until ctx ends. It returns
// nil on a normal stop.
func (s *Scheduler) Run(ctx context.Context) error {
	if err := s.ensureQueue(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for i := range s.cfg.Workers {
		consumer := fmt.Sprintf("%s-%d", s.cfg.Consumer, i)
		wg.Go(func() { s.work(ctx, consumer) })
	}
	for {
		if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.Error().Err(err).Msg("scheduler wake")
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil
		case <-s.cfg.After(s.timing.Wake):
		}
	}
}

// RecentRuns returns the team's newest n runs, newest first, for `/pulse status`.
func (s *Scheduler) RecentRuns(ctx context.Context, teamID string, n int) ([]RunRecord, error) {
	return s.runs.Recent(ctx, teamID, n)
}

func (s *Scheduler) ensureQueue(ctx context.Context) error {
	s.ensureMu.Lock()
	defer s.ensureMu.Unlock()
	if s.ensured {
		return nil
	}
	if err := s.queue.Ensure(ctx); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	s.ensured = true
	return nil
}

// Tick is one wake of the loop: for every team, claim and run the fires
// that are due (including those missed while every process was down and
// still within their grace window), and record older missed ones.
func (s *Scheduler) Tick(ctx context.Context) error {
	if err := s.ensureQueue(ctx); err != nil {
		return err
	}
	now := s.cfg.Clock.Now()
	teams, err := s.cfg.Teams.ListTeams(ctx)
	if err != nil {
		return fmt.Errorf("scheduler wake: list teams: %w", err)
	}
	var errs []error
	for _, t := range teams {
		if err := s.tickTeam(ctx, t, now); err != nil {
			errs = append(errs, err)
		}
	}
	s.forget(now.Add(-s.timing.Lookback))
	if s.pruneDue(now) {
		if n, err := s.queue.PruneConsumers(ctx, pruneIdle); err != nil {
			errs = append(errs, err)
		} else if n > 0 {
			s.log.Info().Int("consumers", n).Msg("dropped queue consumers of stopped processes")
		}
	}
	return errors.Join(errs...)
}

func (s *Scheduler) tickTeam(ctx context.Context, t bot.Team, now time.Time) error {
	from := now.Add(-s.timing.Lookback)
	if t.CreatedAt.After(from) {
		from = t.CreatedAt
	}
	due, err := s.teamFires(ctx, t, from, now)
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range due {
		if s.isSettled(f.id) {
			continue
		}
		if _, _, err := s.fire(ctx, t, f, now, false); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// dueFire is one fire of one job for one zone group of a team.
type dueFire struct {
	id   string
	job  bot.Job
	zone string
	fire
	// people are the members a per-person job goes to in this zone; nil
	// for team-wide jobs.
	people []bot.UserID
}

// zoneGroup is the members of a team whose effective zone is zone.
type zoneGroup struct {
	zone   string
	loc    *time.Location
	people []bot.UserID
}

// perPerson reports whether a job reaches each member at the schedule's
// time in the member's own zone.
func perPerson(job bot.Job) bool { return job == bot.JobCheckInPrompt || job == bot.JobCheckInRemind }

// teamSetup reads what a team's fires depend on: its timetable and zone groups.
func (s *Scheduler) teamSetup(ctx context.Context, t bot.Team) (timetable, zoneGroup, []zoneGroup, error) {
	teamZone := orDefault(t.TimeZone, bot.DefaultTimeZone)
	teamLoc, err := time.LoadLocation(teamZone)
	if err != nil {
		return timetable{}, zoneGroup{}, nil, fmt.Errorf("team %s: time zone %q: %w", t.ID, t.TimeZone, err)
	}
	cal, err := s.cals.get(t.Holidays)
	if err != nil {
		s.log.Error().Err(err).Str("team", t.ID).Msg("holiday calendar unreadable; using weekends only")
		cal = WeekendsOnly
	}
	tt, err := newTimetable(t, cal)
	if err != nil {
		return timetable{}, zoneGroup{}, nil, err
	}
	groups, err := s.zoneGroups(ctx, t, teamZone, teamLoc)
	if err != nil {
		return timetable{}, zoneGroup{}, nil, err
	}
	return tt, zoneGroup{zone: teamZone, loc: teamLoc}, groups, nil
}

// zoneGroups splits the team's members by their own zone, falling back to
// the team's; the team's zone comes first.
func (s *Scheduler) zoneGroups(ctx context.Context, t bot.Team, teamZone string, teamLoc *time.Location) ([]zoneGroup, error) {
	h := fnv.New64a()
	h.Write([]byte(teamZone))
	for _, m := range t.Members {
		h.Write([]byte{0})
		h.Write([]byte(m))
	}
	key, now := h.Sum64(), s.cfg.Clock.Now()
	s.mu.Lock()
	c, ok := s.groups[t.ID]
	s.mu.Unlock()
	if ok && c.key == key && now.Sub(c.at) < groupsTTL && !now.Before(c.at) {
		return c.groups, nil
	}
	groups, err := s.readZoneGroups(ctx, t, teamZone, teamLoc)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.groups[t.ID] = cachedGroups{key: key, at: now, groups: groups}
	s.mu.Unlock()
	return groups, nil
}

func (s *Scheduler) readZoneGroups(ctx context.Context, t bot.Team, teamZone string, teamLoc *time.Location) ([]zoneGroup, error) {
	people, err := s.cfg.People.People(ctx, t.Members)
	if err != nil {
		return nil, fmt.Errorf("team %s: read members: %w", t.ID, err)
	}
	groups := []zoneGroup{{zone: teamZone, loc: teamLoc}}
	index := map[string]int{teamZone: 0}
	for _, id := range t.Members {
		zone, loc := teamZone, teamLoc
		if p, ok := people[id]; ok && p.TimeZone != "" && p.TimeZone != teamZone {
			if l, err := time.LoadLocation(p.TimeZone); err == nil {
				zone, loc = p.TimeZone, l
			} else {
				s.log.Warn().Str("team", t.ID).Str("person", string(id)).Str("zone", p.TimeZone).
					Msg("unknown time zone; using the team's")
			}
		}
		i, ok := index[zone]
		if !ok {
			i = len(groups)
			index[zone] = i
			groups = append(groups, zoneGroup{zone: zone, loc: loc})
		}
		groups[i].people = append(groups[i].people, id)
	}
	return groups, nil
}

// teamFires lists the team's fires in (from, to], every job and zone group.
func (s *Scheduler) teamFires(ctx context.Context, t bot.Team, from, to time.Time) ([]dueFire, error) {
	tt, team, groups, err := s.teamSetup(ctx, t)
	if err != nil {
		return nil, err
	}
	var out []dueFire
	for _, job := range bot.Jobs {
		for _, g := range jobGroups(job, team, groups) {
			fs, err := tt.fires(job, g.loc, from, to)
			if err != nil {
				return nil, fmt.Errorf("team %s: %w", t.ID, err)
			}
			for _, f := range fs {
				out = append(out, newDueFire(job, t.ID, g, f))
			}
		}
	}
	return out, nil
}

// jobGroups returns the zone groups a job fires for: each non-empty member
// group for per-person jobs, the team's zone for the others.
func jobGroups(job bot.Job, team zoneGroup, groups []zoneGroup) []zoneGroup {
	if !perPerson(job) {
		return []zoneGroup{team}
	}
	var out []zoneGroup
	for _, g := range groups {
		if len(g.people) > 0 {
			out = append(out, g)
		}
	}
	return out
}

func newDueFire(job bot.Job, teamID string, g zoneGroup, f fire) dueFire {
	return dueFire{id: RunID(job, teamID, g.zone, f.At), job: job, zone: g.zone, fire: f, people: g.people}
}

// RunID names a fire: (job, team, zone, fire time). Every replica computes
// the same id for the same fire, which is what makes the claim exclusive.
func RunID(job bot.Job, teamID, zone string, at time.Time) string {
	return fmt.Sprintf("%s/%s/%s/%s", job, teamID, zone, at.UTC().Format("20060102T1504Z"))
}

// fire claims one fire and, if this process won it and it is due, plans
// and enqueues it. It returns the run's record as stored, and whether
// this call claimed it.
func (s *Scheduler) fire(ctx context.Context, t bot.Team, f dueFire, now time.Time, manual bool) (RunRecord, bool, error) {
	rec := RunRecord{
		ID: f.id, Job: f.job, TeamID: t.ID, Zone: f.zone, FireAt: f.At,
		Period: bot.ISOWeek(f.At, t.Location()), Manual: manual,
		Owner: s.cfg.Consumer, StartedAt: now,
	}
	mode := jobrun.ClaimNew
	switch {
	case manual:
		mode = jobrun.ClaimManual
		rec.Status, rec.Lease = jobrun.Planning, now.Add(s.timing.PlanLease)
	case f.DayOff:
		rec.Status, rec.FinishedAt = jobrun.DayOff, now
	case !withinGrace(f.job, f.At, now):
		rec.Status, rec.FinishedAt = jobrun.Missed, now
	default:
		rec.Status, rec.Lease = jobrun.Planning, now.Add(s.timing.PlanLease)
	}
	won, stored, err := s.runs.Claim(ctx, rec, now, s.timing.ClaimTTL, mode)
	if err != nil {
		return RunRecord{}, false, err
	}
	if !won {
		if stored.Status != jobrun.Planning {
			s.settle(f.id, f.At)
		}
		return stored, false, nil
	}
	log := s.log.With().Str("run", f.id).Str("job", string(f.job)).Str("team", t.ID).Str("zone", f.zone).
		Time("fire", f.At).Logger()
	switch stored.Status {
	case jobrun.Missed:
		log.Warn().Dur("late", now.Sub(f.At)).Msg("run missed: every process was down past its grace window; nothing sent")
		s.settle(f.id, f.At)
		return stored, true, nil
	case jobrun.DayOff:
		log.Info().Msg("run skipped: day off in the team's calendar")
		s.settle(f.id, f.At)
		return stored, true, nil
	}
	rec, err = s.plan(ctx, t, f, stored, now, manual, log)
	return rec, true, err
}

// maxPlanAttempts bounds how often a run whose planning fails is retried
// (once per wake) before it is recorded failed.
const maxPlanAttempts = 3

func (s *Scheduler) plan(ctx context.Context, t bot.Team, f dueFire, rec RunRecord, now time.Time, manual bool, log zerolog.Logger) (RunRecord, error) {
	err := s.enqueue(ctx, t, f, now, manual, log)
	if err == nil {
		s.settle(f.id, f.At)
		return s.runs.Get(ctx, t.ID, f.id)
	}
	bg := context.WithoutCancel(ctx)
	if rec.Attempts >= maxPlanAttempts {
		log.Error().Err(err).Int("attempts", rec.Attempts).Msg("run failed")
		s.settle(f.id, f.At)
		if ferr := s.runs.Fail(bg, t.ID, f.id, s.cfg.Clock.Now(), err.Error()); ferr != nil {
			return RunRecord{}, errors.Join(err, ferr)
		}
		return RunRecord{}, err
	}
	log.Warn().Err(err).Int("attempts", rec.Attempts).Msg("run planning failed; retrying at the next wake")
	if rerr := s.runs.Release(bg, t.ID, f.id, s.cfg.Clock.Now(), err.Error()); rerr != nil {
		return RunRecord{}, errors.Join(err, rerr)
	}
	return RunRecord{}, err
}

// enqueue asks the planner for the run's deliveries and puts them on the
// queue. A manual run (`pulse jobs run`, /run) may repeat a fire whose
// deliveries partly went out: it queues only those not sent before, and
// tries again those that failed for good.
func (s *Scheduler) enqueue(ctx context.Context, t bot.Team, f dueFire, now time.Time, manual bool, log zerolog.Logger) error {
	deliveries, err := s.cfg.Planner.PlanJob(ctx, bot.JobRequest{Job: f.job, TeamID: t.ID, At: f.At, People: f.people})
	if err != nil {
		return fmt.Errorf("plan %s: %w", f.id, err)
	}
	if manual {
		if deliveries, err = s.reopen(ctx, f.id, deliveries); err != nil {
			return fmt.Errorf("plan %s: %w", f.id, err)
		}
	}
	payloads := make([][]byte, len(deliveries))
	for i, d := range deliveries {
		if d.Key == "" || d.TeamID == "" {
			return fmt.Errorf("plan %s: delivery %d has no key or team", f.id, i)
		}
		if payloads[i], err = encodeDelivery(d); err != nil {
			return fmt.Errorf("plan %s: %w", f.id, err)
		}
	}
	if err := s.queue.Add(ctx, f.id, payloads); err != nil {
		return err
	}
	finished, err := s.runs.Enqueued(ctx, t.ID, f.id, len(deliveries), s.cfg.Clock.Now())
	if err != nil {
		return err
	}
	log.Info().Int("planned", len(deliveries)).Msg("run enqueued")
	if finished {
		s.logFinished(ctx, t.ID, f.id)
	}
	return nil
}

// reopen keeps the deliveries of a manual run that were not sent before,
// readying those that failed for good to be tried again.
func (s *Scheduler) reopen(ctx context.Context, runID string, deliveries []bot.Delivery) ([]bot.Delivery, error) {
	out := deliveries[:0:0]
	for _, d := range deliveries {
		if d.Key == "" || d.TeamID == "" {
			out = append(out, d) // enqueue refuses it with its reason
			continue
		}
		sent, err := s.queue.Reopen(ctx, jobrun.MarkerArgs{TeamID: d.TeamID, Key: d.Key, RunID: runID, TTL: s.timing.ClaimTTL})
		if err != nil {
			return nil, err
		}
		if !sent {
			out = append(out, d)
		}
	}
	return out, nil
}

// logFinished logs a finished run's id, counts and duration.
func (s *Scheduler) logFinished(ctx context.Context, teamID, runID string) {
	rec, err := s.runs.Get(ctx, teamID, runID)
	if err != nil {
		s.log.Error().Err(err).Str("run", runID).Msg("read finished run")
		return
	}
	ev := s.log.Info()
	if rec.Status != jobrun.Done {
		ev = s.log.Warn()
	}
	ev.Str("run", rec.ID).Str("job", string(rec.Job)).Str("team", rec.TeamID).Str("zone", rec.Zone).
		Str("status", string(rec.Status)).Int("planned", rec.Planned).Int("sent", rec.Sent).
		Int("failed", rec.Failed).Int("deduped", rec.Deduped).Dur("duration", rec.Duration()).
		Msg("run finished")
}

func (s *Scheduler) pruneDue(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.lastPrune) < pruneEvery {
		return false
	}
	s.lastPrune = now
	return true
}

func (s *Scheduler) isSettled(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.settled[id]
	return ok
}

func (s *Scheduler) settle(id string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settled[id] = at
}

// forget drops remembered fires older than the lookback: no wake asks about them again.
func (s *Scheduler) forget(before time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, at := range s.settled {
		if at.Before(before) {
			delete(s.settled, id)
		}
	}
}

// RunNow runs one job for one team now, through the same claim and queue
// as the loop (`pulse jobs run`, the console's /run): the fire it runs is
// the job's latest scheduled fire at or before at (now when at is zero),
// per zone group, so it is idempotent per team and period and never doubles
// the loop's run. A fire that was recorded missed or fell on a day off is
// run, since an operator asked for it; one that ended with failed
// deliveries (or failed planning) is run again, sending only what did not
// go out before. A fire that ended done is not: the record comes back with
// Repeat set. RunNow returns once every delivery of the run is settled,
// with the counts summed over zone groups.
func (s *Scheduler) RunNow(ctx context.Context, job bot.Job, teamID string, at time.Time) (RunRecord, error) {
	if _, ok := bot.ParseJob(string(job)); !ok {
		return RunRecord{}, fmt.Errorf("run %s: unknown job", job)
	}
	if err := s.ensureQueue(ctx); err != nil {
		return RunRecord{}, err
	}
	now := s.cfg.Clock.Now()
	if at.IsZero() {
		at = now
	}
	t, err := s.cfg.Teams.GetTeam(ctx, teamID)
	if err != nil {
		return RunRecord{}, fmt.Errorf("run %s for %s: %w", job, teamID, err)
	}
	tt, team, groups, err := s.teamSetup(ctx, t)
	if err != nil {
		return RunRecord{}, fmt.Errorf("run %s for %s: %w", job, teamID, err)
	}
	anchor, err := tt.latest(job, team.loc, at)
	if err != nil {
		return RunRecord{}, fmt.Errorf("run %s for %s: %w", job, teamID, err)
	}
	var fires []dueFire
	repeat := true
	for _, g := range jobGroups(job, team, groups) {
		f, err := tt.samePeriod(job, g.loc, at, anchor.At, team.loc)
		if err == nil {
			f, err = tt.workingDay(job, g.loc, f)
		}
		if err != nil {
			return RunRecord{}, fmt.Errorf("run %s for %s: %w", job, teamID, err)
		}
		df := newDueFire(job, t.ID, g, f)
		stored, won, err := s.fire(ctx, t, df, now, true)
		if err != nil {
			return RunRecord{}, fmt.Errorf("run %s for %s: %w", job, teamID, err)
		}
		// Only a run that ended done is not taken again (see ClaimManual).
		repeat = repeat && !won && stored.Status == jobrun.Done
		fires = append(fires, df)
	}
	if len(fires) == 0 {
		return RunRecord{}, fmt.Errorf("run %s for %s: the team has no members to send to", job, teamID)
	}
	recs, err := s.drain(ctx, t, fires)
	if err != nil {
		return RunRecord{}, fmt.Errorf("run %s for %s: %w", job, teamID, err)
	}
	out := combine(recs)
	out.Repeat = repeat
	return out, nil
}

// drain works the queue in this goroutine until every run of fires is
// final, taking over a run whose planner died (its lease passed).
func (s *Scheduler) drain(ctx context.Context, t bot.Team, fires []dueFire) ([]RunRecord, error) {
	consumer := s.cfg.Consumer + "-now-" + randomSuffix()
	defer func() {
		if err := s.queue.RemoveConsumer(context.WithoutCancel(ctx), consumer); err != nil {
			s.log.Warn().Err(err).Msg("remove one-shot consumer")
		}
	}()
	for {
		recs := make([]RunRecord, 0, len(fires))
		final := true
		for _, f := range fires {
			rec, err := s.runs.Get(ctx, t.ID, f.id)
			if err != nil {
				return nil, err
			}
			if now := s.cfg.Clock.Now(); rec.Status == jobrun.Planning && rec.Lease.Before(now) {
				if rec, _, err = s.fire(ctx, t, f, now, true); err != nil {
					return nil, err
				}
			}
			final = final && rec.Status.Final()
			recs = append(recs, rec)
		}
		if final {
			return recs, nil
		}
		progress, err := s.workOnce(ctx, consumer)
		if err != nil {
			return nil, err
		}
		if progress == 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-s.cfg.After(s.timing.DrainPoll):
			}
		}
	}
}

// combine sums zone groups' runs into one record; the first (the team's
// zone, when it has members) gives id, zone and fire time.
func combine(recs []RunRecord) RunRecord {
	out := recs[0]
	for _, r := range recs[1:] {
		out.Planned += r.Planned
		out.Sent += r.Sent
		out.Failed += r.Failed
		out.Deduped += r.Deduped
		out.FinishedAt = latestTime(out.FinishedAt, r.FinishedAt)
		if r.Status != out.Status && rank(r.Status) > rank(out.Status) {
			out.Status = r.Status
		}
		if out.Error == "" {
			out.Error = r.Error
		}
	}
	return out
}

// rank orders statuses by how much an operator needs to see them.
func rank(s jobrun.Status) int {
	return slices.Index([]jobrun.Status{jobrun.DayOff, jobrun.Done, jobrun.Missed, jobrun.DoneWithErrors, jobrun.Failed}, s)
}

func latestTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func randomSuffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
