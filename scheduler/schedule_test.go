package scheduler

import (
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

func mustSchedule(t *testing.T, expr string) schedule {
	t.Helper()
	s, err := parseSchedule(expr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fireTimes(fs []fire) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.At.Format("2006-01-02 15:04 MST"))
	}
	return out
}

func TestWeeklyPromptKeepsLocalTimeAcrossBerlinDST(t *testing.T) {
	s := mustSchedule(t, "0 10 * * MON")
	loc, _ := time.LoadLocation("Europe/Berlin")
	for _, c := range []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"spring 2026-03-29", time.Date(2026, 3, 20, 0, 0, 0, 0, loc), time.Date(2026, 4, 7, 0, 0, 0, 0, loc),
			[]string{"2026-03-23 10:00 CET", "2026-03-30 10:00 CEST", "2026-04-06 10:00 CEST"}},
		{"autumn 2026-10-25", time.Date(2026, 10, 16, 0, 0, 0, 0, loc), time.Date(2026, 11, 3, 0, 0, 0, 0, loc),
			[]string{"2026-10-19 10:00 CEST", "2026-10-26 10:00 CET", "2026-11-02 10:00 CET"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := fireTimes(s.fires(loc, nil, c.from, c.to))
			if strings.Join(got, ", ") != strings.Join(c.want, ", ") {
				t.Errorf("fires = %v, want %v", got, c.want)
			}
		})
	}
}

// A daily schedule inside the changed hour is where robfig/cron v3.0.1's
// own Next skips (spring) and doubles (autumn); ours fires once each day.
func TestDailyScheduleInTheChangedHourFiresOncePerDay(t *testing.T) {
	s := mustSchedule(t, "30 2 * * *")
	loc, _ := time.LoadLocation("Europe/Berlin")

	spring := fireTimes(s.fires(loc, nil, time.Date(2026, 3, 28, 0, 0, 0, 0, loc), time.Date(2026, 3, 31, 0, 0, 0, 0, loc)))
	wantSpring := []string{"2026-03-28 02:30 CET", "2026-03-29 03:30 CEST", "2026-03-30 02:30 CEST"}
	if strings.Join(spring, ", ") != strings.Join(wantSpring, ", ") {
		t.Errorf("spring fires = %v, want %v", spring, wantSpring)
	}
	autumn := s.fires(loc, nil, time.Date(2026, 10, 24, 0, 0, 0, 0, loc), time.Date(2026, 10, 27, 0, 0, 0, 0, loc))
	if len(autumn) != 3 {
		t.Errorf("autumn fires = %v, want one per day", fireTimes(autumn))
	}

}

// A New York member of a Shanghai team is prompted at 10:00 New York time,
// through New York's own changes (2026-03-08, 2026-11-01), which Shanghai
// does not have.
func TestMemberZoneFollowsItsOwnDST(t *testing.T) {
	s := mustSchedule(t, "0 10 * * MON")
	ny, _ := time.LoadLocation("America/New_York")
	sh, _ := time.LoadLocation("Asia/Shanghai")
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 17, 0, 0, 0, 0, time.UTC)

	var nyUTC, shUTC []string
	for _, f := range s.fires(ny, nil, from, to) {
		nyUTC = append(nyUTC, f.At.UTC().Format("01-02 15:04Z"))
	}
	for _, f := range s.fires(sh, nil, from, to) {
		shUTC = append(shUTC, f.At.UTC().Format("01-02 15:04Z"))
	}
	if want := "03-02 15:00Z, 03-09 14:00Z, 03-16 14:00Z"; strings.Join(nyUTC, ", ") != want {
		t.Errorf("New York fires = %v, want %s", nyUTC, want)
	}
	if want := "03-02 02:00Z, 03-09 02:00Z, 03-16 02:00Z"; strings.Join(shUTC, ", ") != want {
		t.Errorf("Shanghai fires = %v, want %s", shUTC, want)
	}
}

func TestReminderAndSummaryFollowThePrompt(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Berlin")
	for _, c := range []struct{ prompt, remind, close string }{
		{"10:00", "14:00", "17:00"},
		{"13:00", "16:00", "17:00"},
		{"15:00", "18:00", "19:00"},
		{"08:00", "12:00", "17:00"},
	} {
		p, _ := time.ParseInLocation("2006-01-02 15:04", "2026-03-30 "+c.prompt, loc)
		if got := remindOf(p).Format("15:04"); got != c.remind {
			t.Errorf("prompt %s: remind %s, want %s", c.prompt, got, c.remind)
		}
		if got := closeOf(p).Format("15:04"); got != c.close {
			t.Errorf("prompt %s: close %s, want %s", c.prompt, got, c.close)
		}
	}
}

func TestScheduleRejectsWhatItCannotHonour(t *testing.T) {
	for _, expr := range []string{"CRON_TZ=Asia/Shanghai 0 10 * * MON", "@every 1h", "0 25 * * *", "10 * *"} {
		if _, err := parseSchedule(expr); err == nil {
			t.Errorf("parseSchedule(%q) accepted", expr)
		}
	}
}

func TestWithinGrace(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	prompt := time.Date(2026, 3, 30, 10, 0, 0, 0, loc)
	if !withinGrace(bot.JobCheckInPrompt, prompt, time.Date(2026, 3, 30, 23, 59, 0, 0, loc)) {
		t.Error("prompt not runnable later the same local day")
	}
	if withinGrace(bot.JobCheckInPrompt, prompt, time.Date(2026, 3, 31, 0, 1, 0, 0, loc)) {
		t.Error("prompt runnable the next local day")
	}
	digest := time.Date(2026, 4, 3, 16, 0, 0, 0, loc)
	if !withinGrace(bot.JobScorecardDigest, digest, digest.Add(23*time.Hour)) {
		t.Error("digest not runnable 23 h late")
	}
	if withinGrace(bot.JobScorecardDigest, digest, digest.Add(25*time.Hour)) {
		t.Error("digest runnable 25 h late")
	}
}

func TestNextRunsListsEveryJobInTheTeamZone(t *testing.T) {
	team := bot.NewTeam("core", bot.PlatformFeishu, "oc_1", time.Time{})
	team.TimeZone = "Asia/Shanghai"
	team.Holidays = "cn"
	// Wednesday 2026-02-11: the next prompts skip the Spring Festival Monday.
	from := time.Date(2026, 2, 11, 12, 0, 0, 0, time.UTC)
	runs, err := NextRuns(team, from, 2)
	if err != nil {
		t.Fatal(err)
	}
	got := map[bot.Job][]string{}
	for _, r := range runs {
		got[r.Job] = append(got[r.Job], r.At.Format("2006-01-02 15:04"))
	}
	want := map[bot.Job][]string{
		bot.JobCheckInPrompt:   {"2026-03-02 10:00", "2026-03-09 10:00"},
		bot.JobCheckInRemind:   {"2026-03-02 14:00", "2026-03-09 14:00"},
		bot.JobCheckInSummary:  {"2026-03-02 17:00", "2026-03-09 17:00"},
		bot.JobScorecardDigest: {"2026-02-13 16:00", "2026-02-20 16:00"},
		bot.JobGoalNudge:       {"2026-02-12 09:00", "2026-02-13 09:00"},
		bot.JobFeedbackRemind:  {"2026-02-12 09:00", "2026-02-13 09:00"},
		bot.JobReviewRemind:    {"2026-02-12 09:00", "2026-02-13 09:00"},
		bot.JobActionNudge:     {"2026-02-12 09:00", "2026-02-13 09:00"},
	}
	for _, job := range bot.Jobs {
		if strings.Join(got[job], ",") != strings.Join(want[job], ",") {
			t.Errorf("%s: next runs %v, want %v", job, got[job], want[job])
		}
	}
	team.CheckInSchedule = "0 10 * *"
	if _, err := NextRuns(team, from, 1); err == nil {
		t.Error("NextRuns accepted a four-field schedule")
	}
	team.CheckInSchedule, team.Holidays = "", "/nonexistent/holidays.yaml"
	if _, err := NextRuns(team, from, 1); err == nil {
		t.Error("NextRuns accepted a missing calendar file")
	}
}

func TestManualRunOfReminderOrSummaryClosesTheLatestPrompt(t *testing.T) {
	team := bot.NewTeam("core", bot.PlatformSlack, "C1", time.Time{})
	team.TimeZone = "Europe/Berlin"
	tt, err := newTimetable(team, WeekendsOnly)
	if err != nil {
		t.Fatal(err)
	}
	loc := team.Location()
	mondayMorning := time.Date(2026, 3, 30, 11, 0, 0, 0, loc)
	for job, want := range map[bot.Job]string{
		bot.JobCheckInPrompt:   "2026-03-30 10:00",
		bot.JobCheckInRemind:   "2026-03-30 14:00",
		bot.JobCheckInSummary:  "2026-03-30 17:00",
		bot.JobScorecardDigest: "2026-03-27 16:00",
		bot.JobGoalNudge:       "2026-03-30 09:00",
	} {
		f, err := tt.latest(job, loc, mondayMorning)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.At.Format("2006-01-02 15:04"); got != want {
			t.Errorf("%s asked for at Monday 11:00 runs the fire of %s, want %s", job, got, want)
		}
	}
}

// Whatever expression is accepted, its fires are ordered, distinct, inside
// the window, and at most one per local day and clock time.
func FuzzScheduleFires(f *testing.F) {
	for _, s := range []string{"0 10 * * MON", "30 2 * * *", "*/20 9-17 * * 1-5", "0 0 29 2 *", "59 23 31 12 SUN"} {
		f.Add(s, int64(1774656000))
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	cn, err := LoadCalendar("cn")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, expr string, unix int64) {
		s, err := parseSchedule(expr)
		if err != nil {
			return
		}
		from := time.Unix(unix%(4<<30), 0)
		to := from.Add(9 * 24 * time.Hour)
		seen := map[string]bool{}
		var prev time.Time
		for _, fr := range s.fires(berlin, cn, from, to) {
			if !fr.At.After(from) || fr.At.After(to) || !fr.At.After(prev) {
				t.Fatalf("%q: fire %v out of order or outside (%v, %v]", expr, fr.At, from, to)
			}
			prev = fr.At
			wall := fr.At.Format("2006-01-02 15:04")
			if seen[wall] {
				t.Fatalf("%q: %s fired twice", expr, wall)
			}
			seen[wall] = true
		}
	})
}
