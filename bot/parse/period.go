package parse

import (
	"fmt"
	"time"
)

// ISOWeek returns the ISO week ("2026-W48") that t falls in, in loc.
func ISOWeek(t time.Time, loc *time.Location) string {
	y, w := t.In(loc).ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// WeekBounds returns the start (Monday 00:00) and end (next Monday 00:00) of
// the ISO week "YYYY-Www" in loc.
func WeekBounds(period string, loc *time.Location) (time.Time, time.Time, error) {
	var y, w int
	if _, err := fmt.Sscanf(period, "%4d-W%2d", &y, &w); err != nil || w < 1 || w > 53 {
		return time.Time{}, time.Time{}, fmt.Errorf("parse week %q: want YYYY-Www", period)
	}
	// January 4th is always in week 1.
	jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, loc)
	offset := (int(jan4.Weekday()) + 6) % 7
	start := jan4.AddDate(0, 0, -offset+(w-1)*7)
	if gy, gw := start.ISOWeek(); gy != y || gw != w {
		return time.Time{}, time.Time{}, fmt.Errorf("week %q does not exist", period)
	}
	return start, start.AddDate(0, 0, 7), nil
}
