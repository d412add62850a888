package scheduler

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/pulse-bot/pulse/bot"
)

// Fixed timings of the jobs that have no schedule of their own. They are
// documented in doc.go and README; change them there too.
const (
	// RemindAfter is how long after a prompt the reminder goes out...
	RemindAfter = 4 * time.Hour
	// ...but at least RemindBeforeClose before the window closes.
	RemindBeforeClose = time.Hour
	// SummaryHour is the local hour the check-in window closes and the
	// summary is posted, on the prompt's day...
	SummaryHour = 17
	// ...but never sooner than MinWindow after the prompt.
	MinWindow = 4 * time.Hour
	// NudgeSchedule is when goal nudges go out: 09:00 team time, daily.
	NudgeSchedule = "0 9 * * *"
	// DigestGrace is how late a missed digest may still be posted.
	DigestGrace = 24 * time.Hour
)

// cronStarBit marks a cron field that was written as "*" (robfig/cron's starBit).
const cronStarBit = 1 << 63

// schedule is a five-field cron expression, parsed by robfig/cron and
// evaluated by calendar day in a zone: for each local day the expression
// matches, each of its local times fires once. robfig's own Next steps
// through absolute hours, so a time inside a daylight-saving change is
// skipped (spring) or fired twice (autumn); building each fire with
// time.Date from the local day and clock time gives exactly one instant per
// local time (a time in the spring gap moves forward by the gap).
type schedule struct {
	expr  string
	spec  *cron.SpecSchedule
	times []clock
}

type clock struct{ hour, minute int }

func parseSchedule(expr string) (schedule, error) {
	e := strings.TrimSpace(expr)
	if strings.HasPrefix(e, "CRON_TZ=") || strings.HasPrefix(e, "TZ=") {
		return schedule{}, fmt.Errorf("schedule %q: leave out the zone; the team's (or person's) zone applies", expr)
	}
	parsed, err := cron.ParseStandard(e)
	if err != nil {
		return schedule{}, fmt.Errorf("schedule %q: %w", expr, err)
	}
	spec, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return schedule{}, fmt.Errorf("schedule %q: want five fields: minute hour day-of-month month day-of-week", expr)
	}
	s := schedule{expr: e, spec: spec}
	for h := 0; h < 24; h++ {
		for m := 0; m < 60; m++ {
			if spec.Hour&(1<<uint(h)) != 0 && spec.Minute&(1<<uint(m)) != 0 {
				s.times = append(s.times, clock{h, m})
			}
		}
	}
	return s, nil
}

// matches reports whether the schedule fires on the civil date d, with
// cron's rule that day-of-month and day-of-week are OR-ed when both are
// restricted.
func (s schedule) matches(d time.Time) bool {
	if s.spec.Month&(1<<uint(d.Month())) == 0 {
		return false
	}
	dom := s.spec.Dom&(1<<uint(d.Day())) != 0
	dow := s.spec.Dow&(1<<uint(d.Weekday())) != 0
	if s.spec.Dom&cronStarBit != 0 || s.spec.Dow&cronStarBit != 0 {
		return dom && dow
	}
	return dom || dow
}

// firesOnMakeUpDays reports whether the schedule fires on every working
// day (all of Monday–Friday, any day of the month), so a make-up working
// Saturday or Sunday counts as one of its days. A weekly schedule does not:
// its week's prompt is on its own weekday.
func (s schedule) firesOnMakeUpDays(d time.Time) bool {
	if s.spec.Dom&cronStarBit == 0 || s.spec.Month&(1<<uint(d.Month())) == 0 {
		return false
	}
	for wd := time.Monday; wd <= time.Friday; wd++ {
		if s.spec.Dow&(1<<uint(wd)) == 0 {
			return false
		}
	}
	return true
}

// fire is one moment a job is due in one zone.
type fire struct {
	At time.Time
	// DayOff is set when the fire falls on a day off in the calendar: it
	// is recorded, not run.
	DayOff bool
}

// fires returns the schedule's fires in (from, to], in loc, oldest first.
// With a calendar, fires on days off are flagged and make-up working days
// fire for schedules that fire on every working day.
func (s schedule) fires(loc *time.Location, cal *Calendar, from, to time.Time) []fire {
	var out []fire
	for day := civilDay(from.In(loc)); !day.After(civilDay(to.In(loc))); day = day.AddDate(0, 0, 1) {
		matched := s.matches(day)
		makeUp := cal != nil && cal.MakeUpDay(day) && s.firesOnMakeUpDays(day)
		if !matched && !makeUp {
			continue
		}
		off := cal != nil && cal.DayOff(day)
		for _, c := range s.times {
			at := time.Date(day.Year(), day.Month(), day.Day(), c.hour, c.minute, 0, 0, loc)
			if at.After(from) && !at.After(to) {
				out = append(out, fire{At: at, DayOff: off})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b fire) int { return a.At.Compare(b.At) })
	return slices.CompactFunc(out, func(a, b fire) bool { return a.At.Equal(b.At) })
}

// civilDay holds t's calendar date as midnight UTC, so stepping by days
// never meets a daylight-saving change.
func civilDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// closeOf is when the check-in window opened by prompt closes: 17:00 on the
// prompt's local day, or MinWindow after the prompt if that is later.
func closeOf(prompt time.Time) time.Time {
	c := time.Date(prompt.Year(), prompt.Month(), prompt.Day(), SummaryHour, 0, 0, 0, prompt.Location())
	if late := prompt.Add(MinWindow); late.After(c) {
		return late
	}
	return c
}

// remindOf is when those who have not answered prompt are reminded:
// RemindAfter after it, but at least RemindBeforeClose before the close.
func remindOf(prompt time.Time) time.Time {
	r := prompt.Add(RemindAfter)
	if limit := closeOf(prompt).Add(-RemindBeforeClose); limit.Before(r) {
		return limit
	}
	return r
}

// timetable is what a team's settings say about when its jobs fire.
type timetable struct {
	checkIn, digest, nudge schedule
	cal                    *Calendar
}

func newTimetable(t bot.Team, cal *Calendar) (timetable, error) {
	checkIn, err := parseSchedule(orDefault(t.CheckInSchedule, bot.DefaultCheckInSchedule))
	if err != nil {
		return timetable{}, fmt.Errorf("team %s check-in: %w", t.ID, err)
	}
	digest, err := parseSchedule(orDefault(t.DigestSchedule, bot.DefaultDigestSchedule))
	if err != nil {
		return timetable{}, fmt.Errorf("team %s digest: %w", t.ID, err)
	}
	nudge, err := parseSchedule(NudgeSchedule)
	if err != nil {
		return timetable{}, fmt.Errorf("nudge: %w", err)
	}
	return timetable{checkIn: checkIn, digest: digest, nudge: nudge, cal: cal}, nil
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// fires returns a job's fires in (from, to] in loc.
func (tt timetable) fires(job bot.Job, loc *time.Location, from, to time.Time) ([]fire, error) {
	switch job {
	case bot.JobCheckInPrompt:
		return tt.checkIn.fires(loc, tt.cal, from, to), nil
	case bot.JobCheckInRemind, bot.JobCheckInSummary:
		derive := remindOf
		if job == bot.JobCheckInSummary {
			derive = closeOf
		}
		// A late prompt's reminder or close can fall on the next day.
		var out []fire
		for _, p := range tt.checkIn.fires(loc, tt.cal, from.Add(-24*time.Hour-MinWindow), to) {
			at := derive(p.At)
			if at.After(from) && !at.After(to) {
				out = append(out, fire{At: at, DayOff: p.DayOff})
			}
		}
		return out, nil
	case bot.JobScorecardDigest:
		return tt.digest.fires(loc, nil, from, to), nil
	case bot.JobGoalNudge, bot.JobFeedbackRemind, bot.JobReviewRemind, bot.JobActionNudge:
		// The daily jobs share the nudge's time: 09:00 on working days.
		return tt.nudge.fires(loc, tt.cal, from, to), nil
	}
	return nil, fmt.Errorf("unknown job %q", job)
}

// next returns the job's next n fires after from in loc that are not days off.
func (tt timetable) next(job bot.Job, loc *time.Location, from time.Time, n int) ([]fire, error) {
	var out []fire
	const window = 31 * 24 * time.Hour
	for start, end := from, from.AddDate(5, 0, 0); len(out) < n && start.Before(end); start = start.Add(window) {
		fs, err := tt.fires(job, loc, start, start.Add(window))
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if !f.DayOff && len(out) < n {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// errNoFire says a job has no fire in the searched past.
var errNoFire = errors.New("no scheduled fire in the last year")

// latest returns the job's last fire at or before at in loc (day off or
// not), searching back a year. A reminder or summary belongs to the last
// prompt at or before at, even when its own time is still ahead: asked for
// on a Monday morning, it closes this week's check-in, not last week's.
func (tt timetable) latest(job bot.Job, loc *time.Location, at time.Time) (fire, error) {
	if job == bot.JobCheckInRemind || job == bot.JobCheckInSummary {
		p, err := tt.latest(bot.JobCheckInPrompt, loc, at)
		if err != nil {
			return fire{}, err
		}
		if job == bot.JobCheckInRemind {
			return fire{At: remindOf(p.At), DayOff: p.DayOff}, nil
		}
		return fire{At: closeOf(p.At), DayOff: p.DayOff}, nil
	}
	const window = 8 * 24 * time.Hour
	for end, stop := at, at.AddDate(-1, 0, 0); end.After(stop); end = end.Add(-window) {
		fs, err := tt.fires(job, loc, end.Add(-window), end)
		if err != nil {
			return fire{}, err
		}
		if len(fs) > 0 {
			return fs[len(fs)-1], nil
		}
	}
	return fire{}, fmt.Errorf("%s before %s: %w", job, at.Format(time.RFC3339), errNoFire)
}

// workingDay returns f, or, for the daily jobs (nudges and reminders), when
// f falls on a day off, the job's last fire before it that does not: a
// manual run on a weekend means the fire of the last working day, as the
// schedule itself skips days off. Weekly jobs keep their week's fire. f
// itself when the past year holds no working fire.
func (tt timetable) workingDay(job bot.Job, loc *time.Location, f fire) (fire, error) {
	switch job {
	case bot.JobGoalNudge, bot.JobFeedbackRemind, bot.JobReviewRemind, bot.JobActionNudge:
	default:
		return f, nil
	}
	const window = 8 * 24 * time.Hour
	for end, stop := f.At.Add(-time.Nanosecond), f.At.AddDate(-1, 0, 0); f.DayOff && end.After(stop); end = end.Add(-window) {
		fs, err := tt.fires(job, loc, end.Add(-window), end)
		if err != nil {
			return fire{}, err
		}
		for i := len(fs) - 1; i >= 0; i-- {
			if !fs[i].DayOff {
				return fs[i], nil
			}
		}
	}
	return f, nil
}

// samePeriod returns the fire in loc that a manual run at at means: the
// latest at or before at, unless that belongs to an earlier period (ISO
// week in the team's zone) than anchor, the team's own latest fire. Then
// it is loc's fire in anchor's period, even if still ahead: a member far
// west of the team is prompted for this week, not again for last week's.
func (tt timetable) samePeriod(job bot.Job, loc *time.Location, at, anchor time.Time, teamLoc *time.Location) (fire, error) {
	f, err := tt.latest(job, loc, at)
	if err != nil {
		return fire{}, err
	}
	period := bot.ISOWeek(anchor, teamLoc)
	if bot.ISOWeek(f.At, teamLoc) >= period {
		return f, nil
	}
	next, err := tt.fires(job, loc, f.At, f.At.AddDate(0, 0, 8))
	if err != nil {
		return fire{}, err
	}
	for _, n := range next {
		if bot.ISOWeek(n.At, teamLoc) == period {
			return n, nil
		}
	}
	return f, nil
}

// withinGrace reports whether a fire missed while every process was down
// may still run at now: check-ins and nudges on the same local day, the
// digest within DigestGrace.
func withinGrace(job bot.Job, at, now time.Time) bool {
	if job == bot.JobScorecardDigest {
		return now.Sub(at) <= DigestGrace
	}
	return civilDay(at).Equal(civilDay(now.In(at.Location())))
}

// NextRun is one upcoming fire of a job, for `pulse config check`.
type NextRun struct {
	Job bot.Job
	// At is in the team's zone.
	At time.Time
}

// NextRuns returns each job's next n fires after from in the team's zone,
// skipping days off in the team's calendar, in bot.Jobs order. It fails on
// a schedule, zone or calendar that Pulse cannot read, so it doubles as the
// check of a team's scheduling settings.
func NextRuns(t bot.Team, from time.Time, n int) ([]NextRun, error) {
	loc, err := time.LoadLocation(orDefault(t.TimeZone, bot.DefaultTimeZone))
	if err != nil {
		return nil, fmt.Errorf("team %s: time zone %q: %w", t.ID, t.TimeZone, err)
	}
	cal, err := LoadCalendar(t.Holidays)
	if err != nil {
		return nil, fmt.Errorf("team %s: %w", t.ID, err)
	}
	tt, err := newTimetable(t, cal)
	if err != nil {
		return nil, err
	}
	var out []NextRun
	for _, job := range bot.Jobs {
		fs, err := tt.next(job, loc, from, n)
		if err != nil {
			return nil, fmt.Errorf("team %s: %w", t.ID, err)
		}
		for _, f := range fs {
			out = append(out, NextRun{Job: job, At: f.At})
		}
	}
	return out, nil
}
