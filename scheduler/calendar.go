package scheduler

import (
	"embed"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

//go:embed calendars/*.yaml
var calendarFiles embed.FS

// Calendar says which days are days off for a team: weekends, plus the
// holidays of its holiday calendar, minus the calendar's make-up working
// days (China's 调休 weekends, which count as working days).
type Calendar struct {
	// Name is what the team's Holidays setting said: "none", "cn" or a path.
	Name     string
	holidays map[string]bool
	workdays map[string]bool
}

// calendarFile is the YAML format of the shipped calendars and of teams' own files.
type calendarFile struct {
	Holidays []string `yaml:"holidays"`
	Workdays []string `yaml:"workdays"`
}

// WeekendsOnly is the calendar of a team whose Holidays is "none": Saturday
// and Sunday off.
var WeekendsOnly = &Calendar{Name: "none"}

// LoadCalendar reads a team's holiday calendar: "none" (or empty) for
// weekends only, "cn" for the shipped mainland China calendar, anything
// else is the path of a YAML file with `holidays:` and `workdays:` lists of
// YYYY-MM-DD dates.
func LoadCalendar(name string) (*Calendar, error) {
	switch strings.TrimSpace(name) {
	case "", "none":
		return WeekendsOnly, nil
	case "cn":
		data, err := calendarFiles.ReadFile("calendars/cn.yaml")
		if err != nil {
			return nil, fmt.Errorf("load calendar cn: %w", err)
		}
		return parseCalendar("cn", data)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("load calendar %s: %w", name, err)
	}
	return parseCalendar(name, data)
}

func parseCalendar(name string, data []byte) (*Calendar, error) {
	var f calendarFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("load calendar %s: %w", name, err)
	}
	c := &Calendar{Name: name, holidays: map[string]bool{}, workdays: map[string]bool{}}
	for _, list := range []struct {
		field string
		in    []string
		out   map[string]bool
	}{{"holidays", f.Holidays, c.holidays}, {"workdays", f.Workdays, c.workdays}} {
		for _, d := range list.in {
			day, err := time.Parse(time.DateOnly, strings.TrimSpace(d))
			if err != nil {
				return nil, fmt.Errorf("load calendar %s: %s: %q is not a YYYY-MM-DD date", name, list.field, d)
			}
			list.out[day.Format(time.DateOnly)] = true
		}
	}
	for d := range c.holidays {
		if c.workdays[d] {
			return nil, fmt.Errorf("load calendar %s: %s is both a holiday and a workday", name, d)
		}
	}
	return c, nil
}

// DayOff reports whether the civil date of t (in t's location) is a day off.
func (c *Calendar) DayOff(t time.Time) bool {
	d := t.Format(time.DateOnly)
	if c.workdays[d] {
		return false
	}
	if c.holidays[d] {
		return true
	}
	return isWeekend(t.Weekday())
}

// MakeUpDay reports whether the civil date of t is a weekend day that the
// calendar makes a working day.
func (c *Calendar) MakeUpDay(t time.Time) bool {
	return isWeekend(t.Weekday()) && c.workdays[t.Format(time.DateOnly)]
}

func isWeekend(d time.Weekday) bool { return d == time.Saturday || d == time.Sunday }

// calendars caches loaded calendars; a team's own file is read again when
// it changes, so editing it needs no restart.
type calendars struct {
	mu    sync.Mutex
	files map[string]cachedCalendar
}

type cachedCalendar struct {
	cal     *Calendar
	modTime time.Time
	size    int64
}

func (cs *calendars) get(name string) (*Calendar, error) {
	switch strings.TrimSpace(name) {
	case "", "none", "cn":
		cs.mu.Lock()
		defer cs.mu.Unlock()
		if c, ok := cs.files[name]; ok {
			return c.cal, nil
		}
		cal, err := LoadCalendar(name)
		if err != nil {
			return nil, err
		}
		cs.put(name, cachedCalendar{cal: cal})
		return cal, nil
	}
	info, err := os.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("load calendar %s: %w", name, err)
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c, ok := cs.files[name]; ok && c.modTime.Equal(info.ModTime()) && c.size == info.Size() {
		return c.cal, nil
	}
	cal, err := LoadCalendar(name)
	if err != nil {
		return nil, err
	}
	cs.put(name, cachedCalendar{cal: cal, modTime: info.ModTime(), size: info.Size()})
	return cal, nil
}

func (cs *calendars) put(name string, c cachedCalendar) {
	if cs.files == nil {
		cs.files = map[string]cachedCalendar{}
	}
	cs.files[name] = c
}
