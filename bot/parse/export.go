package parse

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ExportSpec is "/scorecard export [csv|json] [team <name>] [<period>]
// [from <date>] [to <date>]" (Chinese: 团队, 从, 到).
type ExportSpec struct {
	// Format is "csv" (the default) or "json".
	Format string
	// Team is the named team; "" for the asker's own.
	Team string
	// Period is a month, quarter or ISO week as typed ("2026-Q4"); "" when none.
	Period string
	// From and To bound the export [From, To): the dates typed, as days in
	// the location ParseExport was given; zero when not given. To is the
	// day after the date typed, so "to 2026-12-31" includes it.
	From, To time.Time
}

// ParseExport reads the arguments of "/scorecard export". Dates are days
// in loc (the team's time zone, as its periods are), read relative to now.
func ParseExport(args string, now time.Time, loc *time.Location) (ExportSpec, error) {
	spec := ExportSpec{Format: "csv"}
	toks := Tokens(args)
	if len(toks) > 0 && (fold(toks[0]) == "csv" || fold(toks[0]) == "json") {
		spec.Format, toks = fold(toks[0]), toks[1:]
	}
	for len(toks) > 0 {
		word := fold(toks[0])
		switch {
		case rePeriodToken.MatchString(strings.ToUpper(toks[0])):
			spec.Period, toks = toks[0], toks[1:]
		case len(toks) >= 2 && isTeamWord(toks[0]):
			spec.Team, toks = toks[1], toks[2:]
		case len(toks) >= 2 && (word == "from" || word == "从" || word == "to" || word == "到"):
			d, used, err := ParseDate(toks[1:], now, loc)
			if err != nil {
				return ExportSpec{}, err
			}
			if word == "from" || word == "从" {
				spec.From = d
			} else {
				spec.To = d.AddDate(0, 0, 1)
			}
			toks = toks[1+used:]
		default:
			return ExportSpec{}, parseErr(keyExportUsage, nil)
		}
	}
	return spec, nil
}

// RangeBackwards reports whether an export range [from, to) ends before
// it starts; open ends (zero) never do. `/scorecard export … from … to …`
// and `pulse export --from … --to …` both refuse such a range by it.
func RangeBackwards(from, to time.Time) bool {
	return !from.IsZero() && !to.IsZero() && !from.Before(to)
}

// rePeriodToken recognises the period words export accepts: a month
// "2026-11", a quarter "2026-Q4" or an ISO week "2026-W48" (upper-cased).
var rePeriodToken = regexp.MustCompile(`^\d{4}-(\d{1,2}|Q[1-4]|W\d{1,2})$`)

// ExportPeriod reads a month ("2026-11"), a quarter ("2026-Q4") or an ISO
// week ("2026-W48") and returns its bounds [from, to) in loc, so
// `/scorecard export` and `pulse export --period` cover whole calendar
// periods of the team's time zone.
func ExportPeriod(s string, loc *time.Location) (from, to time.Time, err error) {
	p := strings.ToUpper(strings.TrimSpace(s))
	bad := fmt.Errorf("period %q: want a month (2026-11), a quarter (2026-Q4) or an ISO week (2026-W48)", s)
	if !rePeriodToken.MatchString(p) {
		return time.Time{}, time.Time{}, bad
	}
	year, _ := strconv.Atoi(p[:4])
	rest := p[5:]
	switch {
	case strings.HasPrefix(rest, "W"):
		f, t, err := WeekBounds(fmt.Sprintf("%04d-W%02s", year, rest[1:]), loc)
		if err != nil {
			return time.Time{}, time.Time{}, bad
		}
		return f, t, nil
	case strings.HasPrefix(rest, "Q"):
		q := int(rest[1] - '0')
		from = time.Date(year, time.Month(3*q-2), 1, 0, 0, 0, 0, loc)
		return from, from.AddDate(0, 3, 0), nil
	}
	m, _ := strconv.Atoi(rest)
	if m < 1 || m > 12 {
		return time.Time{}, time.Time{}, bad
	}
	from = time.Date(year, time.Month(m), 1, 0, 0, 0, 0, loc)
	return from, from.AddDate(0, 1, 0), nil
}
