package scheduler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestChinaCalendar2026(t *testing.T) {
	cn, err := LoadCalendar("cn")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		date   string
		off    bool
		makeUp bool
	}{
		{"2026-02-13", false, false}, // Friday before the Spring Festival
		{"2026-02-14", false, true},  // Saturday, 调休 working day
		{"2026-02-16", true, false},  // Monday in the Spring Festival
		{"2026-02-23", true, false},  // last day of the holiday, a Monday
		{"2026-02-24", false, false}, // back to work
		{"2026-02-28", false, true},  // Saturday, 调休 working day
		{"2026-03-01", true, false},  // an ordinary Sunday
		{"2026-10-10", false, true},  // Saturday after National Day
		{"2025-01-26", false, true},  // Sunday, 调休 working day in 2025
		{"2025-10-08", true, false},  // last day of 2025's National Day holiday
		{"2027-02-08", false, false}, // 2027 is not in the file: weekends only
		{"2027-02-06", true, false},
	} {
		if got := cn.DayOff(day(c.date)); got != c.off {
			t.Errorf("%s: day off %v, want %v", c.date, got, c.off)
		}
		if got := cn.MakeUpDay(day(c.date)); got != c.makeUp {
			t.Errorf("%s: make-up day %v, want %v", c.date, got, c.makeUp)
		}
	}
}

// A schedule that fires every working day skips the Spring Festival and
// fires on its 调休 Saturdays; a weekly one skips its holiday Mondays and
// stays on Mondays.
func TestSpringFestivalSkipsAndMakeUpSaturdayPrompts(t *testing.T) {
	cn, err := LoadCalendar("cn")
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	from, to := time.Date(2026, 2, 12, 0, 0, 0, 0, loc), time.Date(2026, 3, 3, 0, 0, 0, 0, loc)

	run := func(expr string) (on, off []string) {
		for _, f := range mustSchedule(t, expr).fires(loc, cn, from, to) {
			if f.DayOff {
				off = append(off, f.At.Format("01-02"))
			} else {
				on = append(on, f.At.Format("01-02"))
			}
		}
		return on, off
	}
	on, off := run("0 10 * * 1-5")
	if want := "02-12 02-13 02-14 02-24 02-25 02-26 02-27 02-28 03-02"; strings.Join(on, " ") != want {
		t.Errorf("workday prompts on %v, want %s", on, want)
	}
	if want := "02-16 02-17 02-18 02-19 02-20 02-23"; strings.Join(off, " ") != want {
		t.Errorf("workday prompts recorded off %v, want %s", off, want)
	}
	on, off = run("0 10 * * MON")
	if strings.Join(on, " ") != "03-02" || strings.Join(off, " ") != "02-16 02-23" {
		t.Errorf("weekly prompts on %v off %v, want on [03-02] off [02-16 02-23]", on, off)
	}
}

func TestOwnCalendarFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acme.yaml")
	if err := os.WriteFile(path, []byte("holidays: [2026-12-24, 2026-12-25]\nworkdays: [2026-12-19]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCalendar(path)
	if err != nil {
		t.Fatal(err)
	}
	if !c.DayOff(day("2026-12-24")) || c.DayOff(day("2026-12-19")) || !c.DayOff(day("2026-12-20")) || c.DayOff(day("2026-12-23")) {
		t.Error("own calendar: wrong days off")
	}

	var cs calendars
	first, err := cs.get(path)
	if err != nil || first != mustGet(t, &cs, path) {
		t.Fatalf("cached calendar not reused: %v", err)
	}
	if err := os.WriteFile(path, []byte("holidays: [2026-12-23, 2026-12-24, 2026-12-25]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if !mustGet(t, &cs, path).DayOff(day("2026-12-23")) {
		t.Error("edited calendar file not read again")
	}

	for name, body := range map[string]string{
		"bad date": "holidays: [2026-13-01]\n",
		"both":     "holidays: [2026-12-19]\nworkdays: [2026-12-19]\n",
		"not yaml": "holidays: [\n",
	} {
		bad := filepath.Join(t.TempDir(), "bad.yaml")
		if err := os.WriteFile(bad, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadCalendar(bad); err == nil {
			t.Errorf("%s: calendar accepted", name)
		}
	}
	none, err := LoadCalendar("none")
	if err != nil {
		t.Fatal(err)
	}
	if none.DayOff(day("2026-02-16")) || !none.DayOff(day("2026-02-14")) {
		t.Error(`"none": want weekends off and nothing else`)
	}
}

func mustGet(t *testing.T, cs *calendars, name string) *Calendar {
	t.Helper()
	c, err := cs.get(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func FuzzParseCalendar(f *testing.F) {
	f.Add([]byte("holidays: [2026-02-16]\nworkdays: [2026-02-14]\n"))
	f.Add([]byte("holidays:\n  - 2026-10-01\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseCalendar("fuzz", b)
		if err != nil {
			return
		}
		for d := range c.holidays {
			if c.workdays[d] {
				t.Fatalf("%s is both a holiday and a workday", d)
			}
			if !c.DayOff(day(d)) {
				t.Fatalf("holiday %s is not a day off", d)
			}
		}
		for d := range c.workdays {
			if c.DayOff(day(d)) {
				t.Fatalf("workday %s is a day off", d)
			}
		}
	})
}
