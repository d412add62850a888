package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/scheduler/jobrun"
	"github.com/pulse-bot/pulse/store"
)

// walk moves the clock from its current time to end in steps, waking every
// replica concurrently and letting all of them work the queue at each step.
func (e *env) walk(end time.Time, step time.Duration, ss ...*Scheduler) {
	e.t.Helper()
	for e.clock.Now().Before(end) {
		e.clock.Advance(step)
		e.parallel(ss, func(s *Scheduler) error { return s.Tick(context.Background()) })
		e.parallel(ss, func(s *Scheduler) error { return drainErr(s, s.cfg.Consumer) })
	}
}

func (e *env) parallel(ss []*Scheduler, f func(*Scheduler) error) {
	e.t.Helper()
	errs := make([]error, len(ss))
	var wg sync.WaitGroup
	for i, s := range ss {
		wg.Go(func() { errs[i] = f(s) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		e.t.Fatal(err)
	}
}

func drainErr(s *Scheduler, consumer string) error {
	for {
		n, err := s.workOnce(context.Background(), consumer)
		if err != nil || n == 0 {
			return err
		}
	}
}

// plannedOnce checks that no fire was planned twice and returns the
// requests of job.
func plannedOnce(t *testing.T, p *fakePlanner, job bot.Job) []bot.JobRequest {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range p.planned(job) {
		id := fmt.Sprintf("%s %v", r.At.UTC(), r.People)
		if seen[id] {
			t.Errorf("%s at %s planned twice", job, id)
		}
		seen[id] = true
	}
	return p.planned(job)
}

func TestTwoReplicasRunEachFireOnce(t *testing.T) {
	start := local(t, "Europe/Berlin", 2026, 3, 23, 9, 0) // a Monday
	e := newEnv(t, start)
	team := e.team("eng", "Europe/Berlin", 5, nil)
	a, b := e.scheduler("a", nil), e.scheduler("b", nil)

	e.walk(start.AddDate(0, 0, 7).Add(-30*time.Minute), 30*time.Minute, a, b)

	for job, want := range map[bot.Job]int{
		bot.JobCheckInPrompt: 1, bot.JobCheckInRemind: 1, bot.JobCheckInSummary: 1,
		bot.JobScorecardDigest: 1, bot.JobGoalNudge: 5,
	} {
		if got := len(plannedOnce(t, e.planner, job)); got != want {
			t.Errorf("%s planned %d times, want %d", job, got, want)
		}
	}
	counts := e.planner.sentCounts()
	for k, n := range counts {
		if n != 1 {
			t.Errorf("%s sent %d times", k, n)
		}
	}
	// 5 prompts, 5 reminders, 1 summary, 1 digest, 5 days × 5 nudges.
	if len(counts) != 37 {
		t.Errorf("%d deliveries sent, want 37", len(counts))
	}
	for _, k := range promptKeys(team, bot.JobCheckInPrompt, "2026-W13") {
		if counts[k] != 1 {
			t.Errorf("prompt %s sent %d times", k, counts[k])
		}
	}
}

// Two replicas running their loops and workers at once, as in production.
func TestTwoRunningReplicasSendEachPromptOnce(t *testing.T) {
	monday := local(t, "Europe/Berlin", 2026, 3, 23, 10, 0).Add(10 * time.Second)
	e := newEnv(t, monday)
	team := e.team("eng", "Europe/Berlin", 20, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b"} {
		s := e.scheduler(name, func(c *Config) { c.After = neverAfter; c.Workers = 3 })
		wg.Go(func() {
			if err := s.Run(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	// Today's prompts and the 09:00 nudges.
	eventually(t, "40 sends", func() bool { return e.planner.total() >= 40 })
	cancel()
	wg.Wait()
	keys := promptKeys(team, bot.JobCheckInPrompt, "2026-W13")
	for _, m := range team.Members {
		keys = append(keys, fmt.Sprintf("%s:%s:%s:%s", bot.JobGoalNudge, team.ID, "2026-03-23", m))
	}
	assertOnce(t, e.planner, keys)
}

func TestBerlinTeamPromptedAtTenAcrossBothDSTChanges(t *testing.T) {
	for _, c := range []struct {
		name  string
		start time.Time
		want  []string
	}{
		{"spring", local(t, "Europe/Berlin", 2026, 3, 21, 0, 0),
			[]string{"2026-03-23 10:00 CET", "2026-03-30 10:00 CEST", "2026-04-06 10:00 CEST"}},
		{"autumn", local(t, "Europe/Berlin", 2026, 10, 17, 0, 0),
			[]string{"2026-10-19 10:00 CEST", "2026-10-26 10:00 CET", "2026-11-02 10:00 CET"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.start)
			e.team("eng", "Europe/Berlin", 3, func(tm *bot.Team) { tm.CreatedAt = c.start })
			s := e.scheduler("a", nil)
			e.walk(c.start.AddDate(0, 0, 17), 30*time.Minute, s)

			var got []string
			for _, r := range plannedOnce(t, e.planner, bot.JobCheckInPrompt) {
				got = append(got, r.At.Format("2006-01-02 15:04 MST"))
				if n := len(r.People); n != 3 {
					t.Errorf("prompt at %s for %d people, want 3", r.At, n)
				}
			}
			if strings.Join(got, ", ") != strings.Join(c.want, ", ") {
				t.Errorf("prompts at %v, want %v", got, c.want)
			}
			for k, n := range e.planner.sentCounts() {
				if n != 1 {
					t.Errorf("%s sent %d times", k, n)
				}
			}
		})
	}
}

func TestMemberPromptedAtTenInTheirOwnZone(t *testing.T) {
	start := time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC) // Sunday; New York is on EDT since 07:00Z
	e := newEnv(t, start)
	team := e.team("core", "Asia/Shanghai", 3, nil)
	ny := team.Members[2]
	e.person(bot.Person{ID: ny, Name: "ny", TimeZone: "America/New_York"})
	s := e.scheduler("a", nil)

	e.walk(time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), 15*time.Minute, s)

	prompts := plannedOnce(t, e.planner, bot.JobCheckInPrompt)
	if len(prompts) != 2 {
		t.Fatalf("%d prompt runs, want one per zone: %+v", len(prompts), prompts)
	}
	want := map[string]struct {
		at     time.Time
		people []bot.UserID
	}{
		"Asia/Shanghai":    {time.Date(2026, 3, 9, 2, 0, 0, 0, time.UTC), team.Members[:2]},
		"America/New_York": {time.Date(2026, 3, 9, 14, 0, 0, 0, time.UTC), []bot.UserID{ny}},
	}
	for _, r := range prompts {
		w, ok := want[r.At.Location().String()]
		if !ok || !r.At.Equal(w.at) || !slices.Equal(r.People, w.people) {
			t.Errorf("prompt %s %v for %v; want %v", r.At.Location(), r.At.UTC(), r.People, want)
		}
	}
	sentAt := e.planner.times[fmt.Sprintf("%s:%s:%s:%s", bot.JobCheckInPrompt, team.ID, "2026-W11", ny)]
	if len(sentAt) != 1 || sentAt[0].Before(want["America/New_York"].at) || sentAt[0].Sub(want["America/New_York"].at) > 15*time.Minute {
		t.Errorf("New York member prompted at %v, want once just after 14:00Z", sentAt)
	}
	reminds := plannedOnce(t, e.planner, bot.JobCheckInRemind)
	if len(reminds) != 2 {
		t.Errorf("%d reminder runs, want one per zone", len(reminds))
	}
	if n := len(plannedOnce(t, e.planner, bot.JobCheckInSummary)); n != 1 {
		t.Errorf("%d summaries, want one for the team", n)
	}
}

func TestSpringFestivalSkippedAndMakeUpSaturdayPrompted(t *testing.T) {
	start := local(t, "Asia/Shanghai", 2026, 2, 12, 0, 0)
	e := newEnv(t, start)
	e.team("core", "Asia/Shanghai", 2, func(tm *bot.Team) {
		tm.Holidays, tm.CheckInSchedule, tm.CreatedAt = "cn", "0 10 * * 1-5", start
	})
	s := e.scheduler("a", nil)
	e.walk(local(t, "Asia/Shanghai", 2026, 3, 1, 0, 0), time.Hour, s)

	var days []string
	for _, r := range plannedOnce(t, e.planner, bot.JobCheckInPrompt) {
		days = append(days, r.At.Format("01-02 Mon"))
	}
	want := "02-12 Thu, 02-13 Fri, 02-14 Sat, 02-24 Tue, 02-25 Wed, 02-26 Thu, 02-27 Fri, 02-28 Sat"
	if strings.Join(days, ", ") != want {
		t.Errorf("prompted on %v, want %s", days, want)
	}
	runs, err := s.RecentRuns(context.Background(), "core", store.RunsCap)
	if err != nil {
		t.Fatal(err)
	}
	var off []string
	for _, r := range runs {
		if r.Job == bot.JobCheckInPrompt && r.Status == jobrun.DayOff {
			off = append(off, r.FireAt.In(mustLoc(t, "Asia/Shanghai")).Format("01-02"))
		}
	}
	slices.Sort(off)
	if strings.Join(off, " ") != "02-16 02-17 02-18 02-19 02-20 02-23" {
		t.Errorf("day-off prompt runs %v", off)
	}
}

func mustLoc(t *testing.T, zone string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func statusOf(t *testing.T, s *Scheduler, teamID string, job bot.Job, fire time.Time) jobrun.Status {
	t.Helper()
	runs, err := s.RecentRuns(context.Background(), teamID, store.RunsCap)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Job == job && r.FireAt.Equal(fire) {
			return r.Status
		}
	}
	return ""
}

func TestFiresMissedWhileDownRunWithinGraceElseRecordedMissed(t *testing.T) {
	prompt := local(t, "Europe/Berlin", 2026, 3, 23, 10, 0)
	e := newEnv(t, prompt.Add(5*time.Hour)) // every process was down until 15:00
	team := e.team("eng", "Europe/Berlin", 2, func(tm *bot.Team) { tm.CreatedAt = prompt.Add(-time.Hour) })
	e.tick(e.scheduler("a", nil))
	e.drain(e.scheduler("a", nil), "a")
	if got := statusOf(t, e.scheduler("a", nil), team.ID, bot.JobCheckInPrompt, prompt); got != jobrun.Done {
		t.Errorf("prompt 5 h late: %s, want done", got)
	}
	assertOnce(t, e.planner, append(promptKeys(team, bot.JobCheckInPrompt, "2026-W13"),
		promptKeys(team, bot.JobCheckInRemind, "2026-W13")...))

	// Down again from 15:00 until Tuesday 08:00: the 17:00 summary is a day late.
	e.clock.Set(prompt.Add(22 * time.Hour))
	s := e.scheduler("b", nil)
	e.tick(s)
	summary := local(t, "Europe/Berlin", 2026, 3, 23, 17, 0)
	if got := statusOf(t, s, team.ID, bot.JobCheckInSummary, summary); got != jobrun.Missed {
		t.Errorf("summary the next day: %s, want missed", got)
	}
	if n := len(e.planner.planned(bot.JobCheckInSummary)); n != 0 {
		t.Errorf("missed summary planned %d times", n)
	}

	// The Friday 16:00 digest runs until Saturday 16:00, not after.
	digest := local(t, "Europe/Berlin", 2026, 3, 27, 16, 0)
	e.clock.Set(digest.Add(23 * time.Hour))
	e.tick(s)
	if got := statusOf(t, s, team.ID, bot.JobScorecardDigest, digest); got != jobrun.Sending {
		t.Errorf("digest 23 h late: %s, want sending", got)
	}
	nextDigest := digest.AddDate(0, 0, 7)
	e.clock.Set(nextDigest.Add(25 * time.Hour))
	e.tick(s)
	if got := statusOf(t, s, team.ID, bot.JobScorecardDigest, nextDigest); got != jobrun.Missed {
		t.Errorf("digest 25 h late: %s, want missed", got)
	}
}

// crashAt returns a hook that kills the worker at the n-th delivery it sees.
func crashAt(n int) func(bot.Delivery) bool {
	var mu sync.Mutex
	seen := 0
	return func(bot.Delivery) bool {
		mu.Lock()
		defer mu.Unlock()
		seen++
		return seen == n
	}
}

func TestCrashBetweenEnqueueAndSend(t *testing.T) {
	for _, restartAs := range []string{"w", "other"} {
		t.Run("restart as "+restartAs, func(t *testing.T) {
			monday := local(t, "Europe/Berlin", 2026, 3, 23, 10, 1)
			e := newEnv(t, monday)
			team := e.team("eng", "Europe/Berlin", 6, func(tm *bot.Team) { tm.CreatedAt = monday.Add(-time.Hour) })
			dying := e.scheduler("w", nil)
			dying.hooks.afterReserve = crashAt(3)
			e.tick(dying)
			if _, err := dying.workOnce(context.Background(), "w"); !errors.Is(err, errCrashed) {
				t.Fatalf("worker did not crash: %v", err)
			}
			if n := e.planner.total(); n != 2 {
				t.Fatalf("%d sent before the crash, want 2", n)
			}

			restarted := e.scheduler(restartAs, nil)
			eventually(t, "the other pending prompts", func() bool {
				if err := drainErr(restarted, restartAs); err != nil {
					t.Fatal(err)
				}
				return e.planner.total() == 5
			})
			// The crashed worker's reservation holds until its lease passes.
			e.clock.Advance(DefaultTiming.SendLease + time.Second)
			eventually(t, "the prompt held by the dead worker", func() bool {
				if err := drainErr(restarted, restartAs); err != nil {
					t.Fatal(err)
				}
				return e.planner.total() == 6
			})
			assertOnce(t, e.planner, promptKeys(team, bot.JobCheckInPrompt, "2026-W13"))
			run := runOf(t, restarted, team.ID, bot.JobCheckInPrompt)
			if run.Status != jobrun.Done || run.Planned != 6 || run.Sent != 6 {
				t.Errorf("run %+v, want done with 6 of 6 sent", run)
			}
		})
	}
}

func TestCrashBetweenSendAndAck(t *testing.T) {
	for _, restartAs := range []string{"w", "other"} {
		t.Run("restart as "+restartAs, func(t *testing.T) {
			monday := local(t, "Europe/Berlin", 2026, 3, 23, 10, 1)
			e := newEnv(t, monday)
			team := e.team("eng", "Europe/Berlin", 6, func(tm *bot.Team) { tm.CreatedAt = monday.Add(-time.Hour) })
			dying := e.scheduler("w", nil)
			dying.hooks.afterComplete = crashAt(3)
			e.tick(dying)
			if _, err := dying.workOnce(context.Background(), "w"); !errors.Is(err, errCrashed) {
				t.Fatalf("worker did not crash: %v", err)
			}
			if n := e.planner.total(); n != 3 {
				t.Fatalf("%d sent before the crash, want 3", n)
			}
			restarted := e.scheduler(restartAs, nil)
			eventually(t, "every prompt", func() bool {
				if err := drainErr(restarted, restartAs); err != nil {
					t.Fatal(err)
				}
				backlog, err := e.st.Queue().Backlog(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				return backlog == 0
			})
			assertOnce(t, e.planner, promptKeys(team, bot.JobCheckInPrompt, "2026-W13"))
			run := runOf(t, restarted, team.ID, bot.JobCheckInPrompt)
			if run.Status != jobrun.Done || run.Sent != 6 || run.Deduped != 1 {
				t.Errorf("run %+v, want done, 6 sent, 1 found already sent", run)
			}
		})
	}
}

func runOf(t *testing.T, s *Scheduler, teamID string, job bot.Job) RunRecord {
	t.Helper()
	runs, err := s.RecentRuns(context.Background(), teamID, store.RunsCap)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.Job == job && r.Status != jobrun.Missed && r.Status != jobrun.DayOff {
			return r
		}
	}
	t.Fatalf("no %s run for %s", job, teamID)
	return RunRecord{}
}

type retryAfter time.Duration

func (r retryAfter) Error() string             { return "rate limited" }
func (r retryAfter) RetryAfter() time.Duration { return time.Duration(r) }

func TestFailedSendsAreRetriedAndFinallyRecorded(t *testing.T) {
	monday := local(t, "Europe/Berlin", 2026, 3, 23, 10, 1)
	e := newEnv(t, monday)
	team := e.team("eng", "Europe/Berlin", 4, func(tm *bot.Team) { tm.CreatedAt = monday.Add(-time.Hour) })
	keys := promptKeys(team, bot.JobCheckInPrompt, "2026-W13")
	flaky, broken := keys[1], keys[2]
	var retryWaits []time.Time
	e.planner.fail = func(key string, attempt int) error {
		switch {
		case key == flaky && attempt == 1:
			return errPlatform
		case key == flaky && attempt == 2:
			retryWaits = append(retryWaits, e.clock.Now())
			return fmt.Errorf("send: %w", retryAfter(time.Minute))
		case key == broken:
			return errPlatform
		}
		return nil
	}
	s := e.scheduler("a", nil)
	e.tick(s)
	e.drain(s, "a")

	assertOnce(t, e.planner, []string{keys[0], flaky, keys[3]})
	if tries := e.planner.tries[broken]; tries != DefaultTiming.MaxAttempts {
		t.Errorf("broken delivery tried %d times, want %d", tries, DefaultTiming.MaxAttempts)
	}
	if sent := e.planner.times[flaky]; len(sent) != 1 || sent[0].Sub(retryWaits[0]) < time.Minute {
		t.Errorf("flaky delivery sent at %v, want a minute after the rate-limit error at %v", sent, retryWaits)
	}
	run := runOf(t, s, team.ID, bot.JobCheckInPrompt)
	if run.Status != jobrun.DoneWithErrors || run.Sent != 3 || run.Failed != 1 {
		t.Errorf("run %+v, want done-with-errors, 3 sent, 1 failed", run)
	}
}

func TestRunNowIsIdempotentPerTeamAndPeriod(t *testing.T) {
	wednesday := local(t, "Asia/Shanghai", 2026, 3, 25, 11, 0)
	e := newEnv(t, wednesday)
	team := e.team("core", "Asia/Shanghai", 3, func(tm *bot.Team) { tm.CreatedAt = wednesday })
	ny := team.Members[2]
	e.person(bot.Person{ID: ny, Name: "ny", TimeZone: "America/New_York"})
	s := e.scheduler("cli", nil)
	ctx := context.Background()

	rec, err := s.RunNow(ctx, bot.JobCheckInPrompt, team.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Manual || rec.Status != jobrun.Done || rec.Planned != 3 || rec.Sent != 3 {
		t.Errorf("first run: %+v, want a manual run with 3 of 3 sent", rec)
	}
	if want := local(t, "Asia/Shanghai", 2026, 3, 23, 10, 0); !rec.FireAt.Equal(want) {
		t.Errorf("ran the fire of %v, want this week's Monday %v", rec.FireAt, want)
	}
	again, err := s.RunNow(ctx, bot.JobCheckInPrompt, team.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != rec.ID || again.Sent != 3 {
		t.Errorf("second run: %+v, want the first run's record", again)
	}
	e.tick(s) // the loop sees the week's prompt as done
	e.drain(s, "cli")
	assertOnce(t, e.planner, promptKeys(team, bot.JobCheckInPrompt, "2026-W13"))
	if n := len(e.planner.planned(bot.JobCheckInPrompt)); n != 2 {
		t.Errorf("prompt planned %d times, want once per zone", n)
	}

	// A digest the loop recorded as missed still runs when asked.
	e.clock.Set(local(t, "Asia/Shanghai", 2026, 3, 28, 18, 0))
	e.tick(s)
	digest := local(t, "Asia/Shanghai", 2026, 3, 27, 16, 0)
	if got := statusOf(t, s, team.ID, bot.JobScorecardDigest, digest); got != jobrun.Missed {
		t.Fatalf("digest 26 h late: %s, want missed", got)
	}
	rec, err = s.RunNow(ctx, bot.JobScorecardDigest, team.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != jobrun.Done || rec.Sent != 1 || !rec.FireAt.Equal(digest) {
		t.Errorf("manual digest: %+v", rec)
	}
	if _, err := s.RunNow(ctx, bot.Job("reboot"), team.ID, time.Time{}); err == nil {
		t.Error("RunNow accepted an unknown job")
	}
}

// A run claimed by a process that died before enqueuing is taken over by
// another replica once its planning lease passes.
func TestRunStuckInPlanningIsTakenOver(t *testing.T) {
	monday := local(t, "Europe/Berlin", 2026, 3, 23, 10, 1)
	e := newEnv(t, monday)
	team := e.team("eng", "Europe/Berlin", 2, func(tm *bot.Team) { tm.CreatedAt = monday.Add(-time.Hour) })
	fire := local(t, "Europe/Berlin", 2026, 3, 23, 10, 0)
	runs := e.st.Runs()
	won, _, err := runs.Claim(context.Background(), RunRecord{
		ID: RunID(bot.JobCheckInPrompt, team.ID, "Europe/Berlin", fire), Job: bot.JobCheckInPrompt, TeamID: team.ID,
		Zone: "Europe/Berlin", FireAt: fire, Status: jobrun.Planning, Owner: "dead",
		Lease: monday.Add(DefaultTiming.PlanLease), StartedAt: monday,
	}, monday, time.Hour, jobrun.ClaimNew)
	if err != nil || !won {
		t.Fatalf("claim as the dead process: %v %v", won, err)
	}
	s := e.scheduler("a", nil)
	e.tick(s)
	if n := len(e.planner.planned(bot.JobCheckInPrompt)); n != 0 {
		t.Fatalf("run taken over while its lease holds")
	}
	e.clock.Advance(DefaultTiming.PlanLease + time.Second)
	e.tick(s)
	e.drain(s, "a")
	assertOnce(t, e.planner, promptKeys(team, bot.JobCheckInPrompt, "2026-W13"))
	if run := runOf(t, s, team.ID, bot.JobCheckInPrompt); run.Attempts != 2 || run.Owner != "a" {
		t.Errorf("run %+v, want taken over by a on attempt 2", run)
	}
}

// `pulse jobs run` waiting on a run whose planner died takes it over once
// the planning lease passes, instead of waiting forever.
func TestRunNowTakesOverARunWhosePlannerDied(t *testing.T) {
	monday := local(t, "Europe/Berlin", 2026, 3, 23, 10, 1)
	e := newEnv(t, monday)
	team := e.team("eng", "Europe/Berlin", 2, func(tm *bot.Team) { tm.CreatedAt = monday.Add(-time.Hour) })
	fire := local(t, "Europe/Berlin", 2026, 3, 23, 10, 0)
	if _, _, err := e.st.Runs().Claim(context.Background(), RunRecord{
		ID: RunID(bot.JobCheckInPrompt, team.ID, "Europe/Berlin", fire), Job: bot.JobCheckInPrompt, TeamID: team.ID,
		Zone: "Europe/Berlin", FireAt: fire, Status: jobrun.Planning, Owner: "dead",
		Lease: monday.Add(DefaultTiming.PlanLease), StartedAt: monday,
	}, monday, time.Hour, jobrun.ClaimNew); err != nil {
		t.Fatal(err)
	}
	s := e.scheduler("cli", func(c *Config) { c.Timing.DrainPoll = 10 * time.Second })
	rec, err := s.RunNow(context.Background(), bot.JobCheckInPrompt, team.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != jobrun.Done || rec.Sent != 2 || rec.Owner != "cli" {
		t.Errorf("run %+v, want done by cli with 2 sent", rec)
	}
	if waited := e.clock.Now().Sub(monday); waited < DefaultTiming.PlanLease {
		t.Errorf("took over after %v, before the lease passed", waited)
	}
	assertOnce(t, e.planner, promptKeys(team, bot.JobCheckInPrompt, "2026-W13"))
}

// On a Monday morning in Shanghai it is still Sunday in New York: a manual
// prompt reaches the New York member for this week (their fire is still
// ahead), not for last week, and the loop does not prompt them again later.
func TestRunNowPromptsEveryZoneForTheSamePeriod(t *testing.T) {
	mondayMorning := local(t, "Asia/Shanghai", 2026, 3, 23, 11, 0)
	e := newEnv(t, mondayMorning)
	team := e.team("core", "Asia/Shanghai", 3, func(tm *bot.Team) { tm.CreatedAt = mondayMorning })
	ny := team.Members[2]
	e.person(bot.Person{ID: ny, Name: "ny", TimeZone: "America/New_York"})
	s := e.scheduler("cli", nil)

	rec, err := s.RunNow(context.Background(), bot.JobCheckInPrompt, team.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Sent != 3 || rec.Period != "2026-W13" {
		t.Errorf("run %+v, want 3 prompts for 2026-W13", rec)
	}
	nyRun := RunID(bot.JobCheckInPrompt, team.ID, "America/New_York", time.Date(2026, 3, 23, 14, 0, 0, 0, time.UTC))
	if got, err := e.st.Runs().Get(context.Background(), team.ID, nyRun); err != nil || got.Status != jobrun.Done {
		t.Errorf("New York run %s: %+v %v", nyRun, got, err)
	}
	e.walk(mondayMorning.Add(24*time.Hour), 30*time.Minute, s)
	sent := e.planner.sentCounts()
	for _, k := range append(promptKeys(team, bot.JobCheckInPrompt, "2026-W13"), promptKeys(team, bot.JobCheckInRemind, "2026-W13")...) {
		if sent[k] != 1 {
			t.Errorf("%s sent %d times, want 1", k, sent[k])
		}
	}
	for k := range sent {
		if strings.Contains(k, "2026-W12") {
			t.Errorf("sent for last week: %s", k)
		}
	}
}

// slowPlatformPlanner is a planner whose first send is held until released,
// and which, like an HTTP client, reports a cancelled context as an error
// even though the platform already took the message.
type slowPlatformPlanner struct {
	*fakePlanner
	started, release chan struct{}
	once             sync.Once
}

func (p *slowPlatformPlanner) Deliver(ctx context.Context, d bot.Delivery) error {
	p.once.Do(func() { close(p.started); <-p.release })
	if err := p.fakePlanner.Deliver(ctx, d); err != nil {
		return err
	}
	return ctx.Err()
}

// A stop that comes while a send is under way lets the send finish and
// records it, instead of handing the delivery back to be sent again.
func TestStopDuringASendFinishesItOnce(t *testing.T) {
	monday := local(t, "Europe/Berlin", 2026, 3, 23, 10, 1)
	e := newEnv(t, monday)
	team := e.team("eng", "Europe/Berlin", 1, func(tm *bot.Team) { tm.CreatedAt = monday.Add(-time.Hour) })
	slow := &slowPlatformPlanner{fakePlanner: e.planner, started: make(chan struct{}), release: make(chan struct{})}
	stopping := e.scheduler("w", func(c *Config) { c.Planner = slow })
	e.tick(stopping)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := stopping.workOnce(ctx, "w"); done <- err }()
	<-slow.started
	stop()
	close(slow.release)
	<-done
	// The same replica restarted picks up whatever it held first.
	restarted := e.scheduler("w", nil)
	if err := drainErr(restarted, "w"); err != nil {
		t.Fatal(err)
	}
	assertOnce(t, e.planner, promptKeys(team, bot.JobCheckInPrompt, "2026-W13"))
}

// On a weekend, `/run goal-nudge` runs Friday's nudge, as of Friday: the
// daily jobs skip days off, so a manual run means the last working day.
func TestRunNowOfADailyJobOnAWeekendRunsTheLastWorkingDay(t *testing.T) {
	saturday := local(t, "Asia/Shanghai", 2026, 3, 28, 11, 0)
	e := newEnv(t, saturday)
	team := e.team("core", "Asia/Shanghai", 2, func(tm *bot.Team) { tm.CreatedAt = saturday.AddDate(0, 0, -14) })
	s := e.scheduler("cli", nil)
	rec, err := s.RunNow(context.Background(), bot.JobGoalNudge, team.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if want := local(t, "Asia/Shanghai", 2026, 3, 27, 9, 0); !rec.FireAt.Equal(want) {
		t.Errorf("a Saturday run fired as of %v, want Friday's nudge %v", rec.FireAt, want)
	}
	for _, req := range e.planner.planned(bot.JobGoalNudge) {
		if req.At.Weekday() == time.Saturday {
			t.Errorf("planned as of a Saturday: %+v", req)
		}
	}
}
