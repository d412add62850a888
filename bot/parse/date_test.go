package parse

import (
	"strings"
	"testing"
	"time"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

func TestParseDate(t *testing.T) {
	utc := time.UTC
	// Thursday 14 May 2026, 10:00 UTC.
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, utc)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, utc) }
	tests := []struct {
		in   string
		now  time.Time
		want time.Time
		used int
		key  string
	}{
		{in: "2026-12-31", want: day(2026, 12, 31), used: 1},
		{in: "2026/12/31 for", want: day(2026, 12, 31), used: 1},
		{in: "2026.1.5", want: day(2026, 1, 5), used: 1},
		{in: "２０２６－１２－３１", want: day(2026, 12, 31), used: 1},
		{in: "2026年12月31日", want: day(2026, 12, 31), used: 1},
		{in: "2026年12月31号", want: day(2026, 12, 31), used: 1},
		{in: "2026年12月31日前", want: day(2026, 12, 31), used: 1},
		{in: "2026-12-31之前", want: day(2026, 12, 31), used: 1},
		{in: "12月31日", want: day(2026, 12, 31), used: 1},
		{in: "3月1日", want: day(2027, 3, 1), used: 1}, // already past this year
		{in: "5月14日", want: day(2026, 5, 14), used: 1},
		{in: "2024-02-29", want: day(2024, 2, 29), used: 1},
		{in: "2028-02-29", want: day(2028, 2, 29), used: 1},
		{in: "2000-02-29", want: day(2000, 2, 29), used: 1},
		{in: "2100-02-29", key: keyDateImpossible},
		{in: "2026-02-29", key: keyDateImpossible},
		{in: "2026-02-30", key: keyDateImpossible},
		{in: "2026-13-01", key: keyDateImpossible},
		{in: "2026-00-10", key: keyDateImpossible},
		{in: "2026-04-31", key: keyDateImpossible},
		{in: "2026年2月30日", key: keyDateImpossible},
		{in: "1999-12-31", key: keyDateYearRange},
		{in: "2101-01-01", key: keyDateYearRange},
		{in: "Q1", want: day(2027, 3, 31), used: 1}, // Q1 2026 has ended
		{in: "Q2", want: day(2026, 6, 30), used: 1}, // current quarter
		{in: "q3", want: day(2026, 9, 30), used: 1},
		{in: "Ｑ４", want: day(2026, 12, 31), used: 1},
		{in: "Q4 2027", want: day(2027, 12, 31), used: 2},
		{in: "Q1 2026年", want: day(2026, 3, 31), used: 2},
		{in: "Q2-2027", want: day(2027, 6, 30), used: 1},
		{in: "2027Q2", want: day(2027, 6, 30), used: 1},
		{in: "2027年Q2", want: day(2027, 6, 30), used: 1},
		{in: "Q3 2101", key: keyDateYearRange},
		{in: "Q5", key: keyDateInvalid},
		{in: "Q3 for", want: day(2026, 9, 30), used: 1},
		{in: "三季度末", want: day(2026, 9, 30), used: 1},
		{in: "第一季度", want: day(2027, 3, 31), used: 1},
		{in: "2027年第二季度", want: day(2027, 6, 30), used: 1},
		{in: "end of month", want: day(2026, 5, 31), used: 3},
		{in: "End Of The Quarter", want: day(2026, 6, 30), used: 4},
		{in: "end of year now", want: day(2026, 12, 31), used: 3},
		{in: "end of days", key: keyDateInvalid},
		{in: "end", key: keyDateInvalid},
		{in: "eoq", want: day(2026, 6, 30), used: 1},
		{in: "月底", want: day(2026, 5, 31), used: 1},
		{in: "月底前", want: day(2026, 5, 31), used: 1},
		{in: "本季度末", want: day(2026, 6, 30), used: 1},
		{in: "季度末", want: day(2026, 6, 30), used: 1},
		{in: "年底", want: day(2026, 12, 31), used: 1},
		{in: "今年年底", want: day(2026, 12, 31), used: 1},
		{in: "in 30 days", want: day(2026, 6, 13), used: 3},
		{in: "in 1 day", want: day(2026, 5, 15), used: 3},
		{in: "in 2 weeks", want: day(2026, 5, 28), used: 3},
		{in: "in 2weeks", want: day(2026, 5, 28), used: 2},
		{in: "in 3 months", want: day(2026, 8, 14), used: 3},
		{in: "in 0 days", want: day(2026, 5, 14), used: 3},
		{in: "in ３ days", want: day(2026, 5, 17), used: 3},
		{in: "in many days", key: keyDateInvalid},
		{in: "in 3", key: keyDateInvalid},
		{in: "in 3 years", key: keyDateInvalid},
		{in: "in 9999999 days", key: keyDateYearRange},
		{in: "in 1000 months", key: keyDateYearRange},
		{in: "30天后", want: day(2026, 6, 13), used: 1},
		{in: "30天内", want: day(2026, 6, 13), used: 1},
		{in: "2周后", want: day(2026, 5, 28), used: 1},
		{in: "2个星期后", want: day(2026, 5, 28), used: 1},
		{in: "3个月后", want: day(2026, 8, 14), used: 1},
		{in: "3 个月后", want: day(2026, 8, 14), used: 2},
		{in: "30 天内", want: day(2026, 6, 13), used: 2},
		{in: "today", want: day(2026, 5, 14), used: 1},
		{in: "tomorrow", want: day(2026, 5, 15), used: 1},
		{in: "明天", want: day(2026, 5, 15), used: 1},
		{in: "后天", want: day(2026, 5, 16), used: 1},
		// Months that are shorter than the starting day clamp to their end.
		{in: "in 1 month", now: time.Date(2026, 1, 31, 9, 0, 0, 0, utc), want: day(2026, 2, 28), used: 3},
		{in: "in 1 month", now: time.Date(2028, 1, 31, 9, 0, 0, 0, utc), want: day(2028, 2, 29), used: 3},
		{in: "1个月后", now: time.Date(2026, 3, 31, 9, 0, 0, 0, utc), want: day(2026, 4, 30), used: 1},
		{in: "in 11 months", now: time.Date(2026, 12, 31, 9, 0, 0, 0, utc), want: day(2027, 11, 30), used: 3},
		// Quarter rollover at the end of the year.
		{in: "Q4", now: time.Date(2026, 12, 31, 23, 0, 0, 0, utc), want: day(2026, 12, 31), used: 1},
		{in: "Q3", now: time.Date(2026, 12, 31, 23, 0, 0, 0, utc), want: day(2027, 9, 30), used: 1},
		{in: "Q4", now: time.Date(2027, 1, 1, 0, 0, 0, 0, utc), want: day(2027, 12, 31), used: 1},
		{in: "end of quarter", now: time.Date(2026, 12, 31, 23, 0, 0, 0, utc), want: day(2026, 12, 31), used: 3},
		{in: "in 1 day", now: time.Date(2026, 12, 31, 23, 0, 0, 0, utc), want: day(2027, 1, 1), used: 3},
		{in: "12月31日", now: time.Date(2026, 12, 31, 23, 0, 0, 0, utc), want: day(2026, 12, 31), used: 1},
		{in: "Dec 31", want: day(2026, 12, 31), used: 2},
		{in: "December 31st, 2027", want: day(2027, 12, 31), used: 3},
		{in: "31 Dec 2026", want: day(2026, 12, 31), used: 3},
		{in: "1 March", want: day(2027, 3, 1), used: 2}, // already past this year
		{in: "Feb 29", want: day(2028, 2, 29), used: 2}, // the next leap day
		{in: "sept. 1 for", want: day(2026, 9, 1), used: 2},
		{in: "Feb 30", key: keyDateImpossible},
		{in: "Feb 29 2027", key: keyDateImpossible},
		{in: "Dec 31 2200", key: keyDateYearRange},
		{in: "May day", key: keyDateInvalid},
		{in: "", key: keyDateMissing},
		{in: "soon", key: keyDateInvalid},
		{in: "2026", key: keyDateInvalid},
		{in: "31/12/2026", key: keyDateInvalid},
		{in: "🎉", key: keyDateInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n := now
			if !tt.now.IsZero() {
				n = tt.now
			}
			got, used, err := ParseDate(strings.Fields(tt.in), n, utc)
			wantKey(t, err, tt.key)
			if tt.key != "" {
				if used != 0 || !got.IsZero() {
					t.Fatalf("error %s came with %v, %d", tt.key, got, used)
				}
				return
			}
			if !got.Equal(tt.want) || used != tt.used {
				t.Fatalf("ParseDate(%q) = %v, %d; want %v, %d", tt.in, got, used, tt.want, tt.used)
			}
		})
	}
}

func TestParseDateInZone(t *testing.T) {
	shanghai := mustZone(t, "Asia/Shanghai")
	ny := mustZone(t, "America/New_York")
	// 2026-03-31 20:00 UTC is already 1 April in Shanghai: Q1 is over there.
	late := time.Date(2026, 3, 31, 20, 0, 0, 0, time.UTC)
	got, _, err := ParseDate([]string{"Q1"}, late, shanghai)
	if err != nil || !got.Equal(time.Date(2027, 3, 31, 0, 0, 0, 0, shanghai)) {
		t.Errorf("Q1 in Shanghai = %v, %v; want 2027-03-31 Shanghai", got, err)
	}
	got, _, err = ParseDate([]string{"Q1"}, late, ny)
	if err != nil || !got.Equal(time.Date(2026, 3, 31, 0, 0, 0, 0, ny)) {
		t.Errorf("Q1 in New York = %v, %v; want 2026-03-31 New York", got, err)
	}
	// Across the spring-forward night (8 March 2026 in New York) the answer
	// is still midnight of the right calendar day, not 23:00 or 01:00.
	before := time.Date(2026, 3, 7, 12, 0, 0, 0, ny)
	got, _, err = ParseDate([]string{"in", "2", "days"}, before, ny)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 9, 0, 0, 0, 0, ny); !got.Equal(want) || got.Hour() != 0 {
		t.Errorf("in 2 days across DST = %v, want %v", got, want)
	}
	if got.Location() != ny {
		t.Errorf("location %v, want %v", got.Location(), ny)
	}
	// Fall back (1 November 2026): the 25-hour day still maps to one date.
	got, _, err = ParseDate([]string{"2026-11-01"}, before, ny)
	if err != nil || got.Hour() != 0 || got.Day() != 1 {
		t.Errorf("2026-11-01 in New York = %v, %v", got, err)
	}
	if _, _, err := ParseDate([]string{"today"}, before, nil); err != nil {
		t.Errorf("nil location: %v", err)
	}
}

func TestParsePeriod(t *testing.T) {
	utc := time.UTC
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, utc) // 2026-W20
	tests := []struct {
		in   string
		now  time.Time
		loc  *time.Location
		want string
		key  string
	}{
		{in: "", want: "2026-W20"},
		{in: "this week", want: "2026-W20"},
		{in: "  This   Week ", want: "2026-W20"},
		{in: "本周", want: "2026-W20"},
		{in: "last week", want: "2026-W19"},
		{in: "上周", want: "2026-W19"},
		{in: "2026-W48", want: "2026-W48"},
		{in: "2026-w5", want: "2026-W05"},
		{in: "2026W05", want: "2026-W05"},
		{in: "２０２６－Ｗ４８", want: "2026-W48"},
		{in: "2026年第48周", want: "2026-W48"},
		{in: "2026-W53", want: "2026-W53"}, // 2026 has 53 ISO weeks
		{in: "2027-W53", key: keyPeriodInvalid},
		{in: "2026-W00", key: keyPeriodInvalid},
		{in: "2026-W54", key: keyPeriodInvalid},
		{in: "1999-W10", key: keyPeriodInvalid},
		{in: "next week", key: keyPeriodInvalid},
		{in: "W48", key: keyPeriodInvalid},
		// The first days of January belong to the last ISO week of the year before.
		{in: "", now: time.Date(2027, 1, 1, 12, 0, 0, 0, utc), want: "2026-W53"},
		{in: "last week", now: time.Date(2027, 1, 4, 12, 0, 0, 0, utc), want: "2026-W53"},
		// Sunday 23:00 UTC is already Monday in Shanghai.
		{in: "", now: time.Date(2026, 5, 17, 23, 0, 0, 0, utc), loc: mustZone(t, "Asia/Shanghai"), want: "2026-W21"},
		{in: "", now: time.Date(2026, 5, 17, 23, 0, 0, 0, utc), want: "2026-W20"},
	}
	for _, tt := range tests {
		n, loc := now, tt.loc
		if !tt.now.IsZero() {
			n = tt.now
		}
		if loc == nil {
			loc = utc
		}
		got, err := ParsePeriod(tt.in, n, loc)
		wantKey(t, err, tt.key)
		if got != tt.want {
			t.Errorf("ParsePeriod(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseAwayUntil(t *testing.T) {
	utc := time.UTC
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, utc)
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, utc) }
	tests := []struct {
		in   string
		want time.Time
		key  string
	}{
		{in: "until 2026-08-15", want: day(8, 15)},
		{in: "2026-08-15", want: day(8, 15)},
		{in: "Until end of month", want: day(5, 31)},
		{in: "到 8月15日", want: day(8, 15)},
		{in: "到8月15日", want: day(8, 15)},
		{in: "直到 2026年8月15日", want: day(8, 15)},
		{in: "明天", want: day(5, 15)},
		{in: "until", key: keyDateMissing},
		{in: "", key: keyDateMissing},
		{in: "until friday", key: keyDateInvalid},
		{in: "until 2026-08-15 at the beach", key: keyAwayDateExtra},
		{in: "until 2026-02-30", key: keyDateImpossible},
		{in: strings.Repeat("x", MaxParseText+1), key: keyTextTooLong},
	}
	for _, tt := range tests {
		got, err := ParseAwayUntil(tt.in, now, utc)
		wantKey(t, err, tt.key)
		if !got.Equal(tt.want) {
			t.Errorf("ParseAwayUntil(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
