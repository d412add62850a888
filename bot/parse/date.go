package parse

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Years a date may fall in; anything else is a typo.
const (
	minDateYear = 2000
	maxDateYear = 2100
)

var (
	reISODate     = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$`)
	reHanDate     = regexp.MustCompile(`^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$`)
	reHanMonthDay = regexp.MustCompile(`^(\d{1,2})月(\d{1,2})[日号]$`)
	reQuarter     = regexp.MustCompile(`^q([1-4])$`)
	reQuarterYear = regexp.MustCompile(`^(?:q([1-4])[-/]?(\d{4})|(\d{4})(?:[-/]|年)?q([1-4]))$`)
	reHanQuarter  = regexp.MustCompile(`^(?:(\d{4})年)?第?([1-4一二三四])季度[末底]?$`)
	reYear        = regexp.MustCompile(`^(\d{4})年?$`)
	reCount       = regexp.MustCompile(`^\d{1,7}$`)
	reHanIn       = regexp.MustCompile(`^(\d{1,7})?(天|日|周|个星期|星期|个礼拜|礼拜|个月)(后|以后|之后|内|以内|之内)$`)
)

// hanSpanUnit maps the Chinese period words after a count ("30 天后").
var hanSpanUnit = map[string]string{
	"天": "day", "日": "day", "周": "week", "个星期": "week", "星期": "week",
	"个礼拜": "week", "礼拜": "week", "个月": "month",
}

var enSpanUnit = map[string]string{
	"day": "day", "days": "day", "d": "day",
	"week": "week", "weeks": "week", "w": "week", "wk": "week", "wks": "week",
	"month": "month", "months": "month", "mo": "month", "mos": "month",
}

var hanPeriodEnd = map[string]string{
	"月底": "month", "月末": "month", "本月底": "month", "本月末": "month", "这个月底": "month",
	"季度末": "quarter", "季末": "quarter", "本季度末": "quarter", "本季末": "quarter", "本季度底": "quarter", "季度底": "quarter",
	"年底": "year", "年末": "year", "今年年底": "year", "今年底": "year", "本年底": "year", "本年末": "year",
}

var dayWords = map[string]int{
	"today": 0, "tomorrow": 1, "今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2,
}

// ParseDate reads a date from the start of tokens: "2026-12-31" (also
// 2026/12/31 and 2026年12月31日), "Q3" or "Q3 2027" (the last day of that
// quarter; without a year this year's, or next year's once it has ended),
// "end of month|quarter|year" (月底, 季度末, 年底), "in N days|weeks|months"
// (30天后, 2周后, 3个月后, 30天内), "today", "tomorrow" (今天, 明天). A Chinese
// date may end in 前 ("月底前"). It returns 00:00 of that day in loc and how
// many tokens it read.
//
// Past dates are allowed (the service decides what they mean); impossible
// dates (2026-02-30) and years outside 2000–2100 are errors.
func ParseDate(tokens []string, now time.Time, loc *time.Location) (time.Time, int, error) {
	t, used, err := parseDate(tokens, now, loc)
	if err != nil {
		return time.Time{}, 0, err
	}
	return t, used, nil
}

func parseDate(tokens []string, now time.Time, loc *time.Location) (time.Time, int, error) {
	if len(tokens) == 0 || strings.TrimSpace(tokens[0]) == "" {
		return time.Time{}, 0, parseErr(keyDateMissing, nil)
	}
	if loc == nil {
		loc = time.UTC
	}
	today := now.In(loc)
	w := dateWord(tokens[0])
	next := func(i int) string {
		if i < len(tokens) {
			return dateWord(tokens[i])
		}
		return ""
	}

	if m := reISODate.FindStringSubmatch(w); m != nil {
		t, err := calendarDate(tokens[0], m[1], m[2], m[3], loc)
		return t, 1, err
	}
	if m := reHanDate.FindStringSubmatch(w); m != nil {
		t, err := calendarDate(tokens[0], m[1], m[2], m[3], loc)
		return t, 1, err
	}
	if m := reHanMonthDay.FindStringSubmatch(w); m != nil {
		t, err := calendarDate(tokens[0], strconv.Itoa(today.Year()), m[1], m[2], loc)
		if err == nil && t.Before(startOfDate(today, loc)) {
			t, err = calendarDate(tokens[0], strconv.Itoa(today.Year()+1), m[1], m[2], loc)
		}
		return t, 1, err
	}
	if m := reQuarter.FindStringSubmatch(w); m != nil {
		q, _ := strconv.Atoi(m[1])
		if y := reYear.FindStringSubmatch(next(1)); y != nil {
			t, err := quarterEnd(y[1], q, loc)
			return t, 2, err
		}
		return nextQuarterEnd(today, q, loc), 1, nil
	}
	if m := reQuarterYear.FindStringSubmatch(w); m != nil {
		year, qs := m[2], m[1]
		if year == "" {
			year, qs = m[3], m[4]
		}
		q, _ := strconv.Atoi(qs)
		t, err := quarterEnd(year, q, loc)
		return t, 1, err
	}
	if m := reHanQuarter.FindStringSubmatch(w); m != nil {
		q := strings.Index("1234", m[2]) + 1
		if q == 0 {
			q = strings.Index("一二三四", m[2])/len("一") + 1
		}
		if m[1] != "" {
			t, err := quarterEnd(m[1], q, loc)
			return t, 1, err
		}
		return nextQuarterEnd(today, q, loc), 1, nil
	}
	if span, ok := hanPeriodEnd[w]; ok {
		return periodEnd(today, span, loc), 1, nil
	}
	if n, ok := dayWords[w]; ok {
		return dayIn(today, n, 0, loc), 1, nil
	}
	switch w {
	case "eom":
		return periodEnd(today, "month", loc), 1, nil
	case "eoq":
		return periodEnd(today, "quarter", loc), 1, nil
	case "eoy":
		return periodEnd(today, "year", loc), 1, nil
	case "end":
		return endOf(tokens, next, today, loc)
	case "in":
		return inSpan(tokens, next, today, loc)
	}
	if m := reHanIn.FindStringSubmatch(w); m != nil && m[1] != "" {
		t, err := spanFrom(tokens[0], today, m[1], hanSpanUnit[m[2]], loc)
		return t, 1, err
	}
	if reCount.MatchString(w) {
		// "30 天后": the count and the Chinese period word apart.
		if m := reHanIn.FindStringSubmatch(next(1)); m != nil && m[1] == "" {
			t, err := spanFrom(tokens[0], today, w, hanSpanUnit[m[2]], loc)
			return t, 2, err
		}
	}
	if t, used, ok, err := monthNameDate(w, next, today, loc); ok {
		return t, used, err
	}
	return time.Time{}, 0, quoteErr(keyDateInvalid, tokens[0])
}

var monthNames = map[string]time.Month{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
	"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
	"sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
	"dec": 12, "december": 12,
}

var reDayOfMonth = regexp.MustCompile(`^(\d{1,2})(?:st|nd|rd|th)?,?$`)

// monthNameDate reads "Dec 31", "December 31, 2026" and "31 Dec 2026".
// Without a year it is this year's, or next year's once it has passed.
// ok says whether the words were meant as such a date.
func monthNameDate(w string, next func(int) string, today time.Time, loc *time.Location) (time.Time, int, bool, error) {
	var month time.Month
	var dayWord string
	if m, found := monthNames[strings.TrimSuffix(w, ".")]; found {
		month, dayWord = m, next(1)
	} else if m, found := monthNames[strings.TrimRight(next(1), ".,")]; found {
		month, dayWord = m, w
	} else {
		return time.Time{}, 0, false, nil
	}
	dm := reDayOfMonth.FindStringSubmatch(dayWord)
	if dm == nil {
		return time.Time{}, 0, false, nil
	}
	d, _ := strconv.Atoi(dm[1])
	if y := reYear.FindStringSubmatch(next(2)); y != nil && !strings.HasSuffix(next(2), "年") {
		t, err := calendarDate(w+" "+dayWord+" "+next(2), y[1], strconv.Itoa(int(month)), dm[1], loc)
		return t, 3, true, err
	}
	y := today.Year()
	if d < 1 || d > daysIn(y, month) && !(month == 2 && d == 29) {
		return time.Time{}, 0, true, quoteErr(keyDateImpossible, w+" "+dayWord)
	}
	t := time.Date(y, month, d, 0, 0, 0, 0, loc)
	for t.Before(startOfDate(today, loc)) || t.Day() != d {
		y++
		t = time.Date(y, month, d, 0, 0, 0, 0, loc)
	}
	return t, 2, true, nil
}

// dateWord folds a token for date matching and drops a trailing 前/之前/以前
// ("月底前" means by the end of the month).
func dateWord(tok string) string {
	w := strings.TrimSpace(fold(tok))
	for _, suf := range []string{"之前", "以前", "前"} {
		if strings.HasSuffix(w, suf) && len(w) > len(suf) {
			return strings.TrimSuffix(w, suf)
		}
	}
	return w
}

// endOf reads "end of month|quarter|year" (also "end of the month").
func endOf(tokens []string, next func(int) string, today time.Time, loc *time.Location) (time.Time, int, error) {
	if next(1) != "of" {
		return time.Time{}, 0, quoteErr(keyDateInvalid, strings.Join(tokens[:min(len(tokens), 3)], " "))
	}
	i := 2
	if next(i) == "the" || next(i) == "this" {
		i++
	}
	span := strings.TrimSuffix(next(i), "s")
	switch span {
	case "month", "quarter", "year":
		return periodEnd(today, span, loc), i + 1, nil
	}
	return time.Time{}, 0, quoteErr(keyDateInvalid, strings.Join(tokens[:min(len(tokens), i+1)], " "))
}

// inSpan reads "in N days|weeks|months" (also "in 2weeks").
func inSpan(tokens []string, next func(int) string, today time.Time, loc *time.Location) (time.Time, int, error) {
	count, unit, used := next(1), next(2), 3
	if i := strings.IndexFunc(count, func(r rune) bool { return r < '0' || r > '9' }); i > 0 {
		count, unit, used = count[:i], count[i:], 2
	}
	span, ok := enSpanUnit[unit]
	if !ok || !reCount.MatchString(count) {
		return time.Time{}, 0, quoteErr(keyDateInvalid, strings.Join(tokens[:min(len(tokens), 3)], " "))
	}
	t, err := spanFrom(strings.Join(tokens[:used], " "), today, count, span, loc)
	return t, used, err
}

// spanFrom is the day n days, weeks or months after today. Months keep the
// day of the month, or the month's last day when it is shorter (Jan 31 + 1
// month is Feb 28 or 29).
func spanFrom(typed string, today time.Time, count, span string, loc *time.Location) (time.Time, error) {
	n, err := strconv.Atoi(count)
	if err != nil {
		return time.Time{}, quoteErr(keyDateInvalid, typed)
	}
	var t time.Time
	switch span {
	case "day":
		t = dayIn(today, n, 0, loc)
	case "week":
		t = dayIn(today, 7*n, 0, loc)
	default:
		t = dayIn(today, 0, n, loc)
	}
	if t.Year() < minDateYear || t.Year() > maxDateYear {
		return time.Time{}, parseErr(keyDateYearRange, map[string]any{"Year": t.Year(), "Min": minDateYear, "Max": maxDateYear})
	}
	return t, nil
}

// dayIn is 00:00 in loc of the day days and months (≥ 0) after today's
// date, clamping to the end of a shorter month.
func dayIn(today time.Time, days, months int, loc *time.Location) time.Time {
	y, m, d := today.Date()
	if months != 0 {
		total := int(m) - 1 + months
		y += total / 12
		m = time.Month(total%12 + 1)
		if last := daysIn(y, m); d > last {
			d = last
		}
	}
	return time.Date(y, m, d+days, 0, 0, 0, 0, loc)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func startOfDate(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// calendarDate checks and builds a date from its typed parts.
func calendarDate(typed, ys, ms, ds string, loc *time.Location) (time.Time, error) {
	y, _ := strconv.Atoi(ys)
	m, _ := strconv.Atoi(ms)
	d, _ := strconv.Atoi(ds)
	if y < minDateYear || y > maxDateYear {
		return time.Time{}, parseErr(keyDateYearRange, map[string]any{"Year": y, "Min": minDateYear, "Max": maxDateYear})
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
		return time.Time{}, quoteErr(keyDateImpossible, typed)
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc), nil
}

// quarterEnd is the last day of quarter q of the typed year.
func quarterEnd(ys string, q int, loc *time.Location) (time.Time, error) {
	y, _ := strconv.Atoi(ys)
	if y < minDateYear || y > maxDateYear {
		return time.Time{}, parseErr(keyDateYearRange, map[string]any{"Year": y, "Min": minDateYear, "Max": maxDateYear})
	}
	return time.Date(y, time.Month(3*q+1), 0, 0, 0, 0, 0, loc), nil
}

// nextQuarterEnd is the last day of quarter q this year, or next year when
// this year's has already ended.
func nextQuarterEnd(today time.Time, q int, loc *time.Location) time.Time {
	y := today.Year()
	end := time.Date(y, time.Month(3*q+1), 0, 0, 0, 0, 0, loc)
	if end.Before(startOfDate(today, loc)) {
		end = time.Date(y+1, time.Month(3*q+1), 0, 0, 0, 0, 0, loc)
	}
	return end
}

// periodEnd is the last day of today's month, quarter or year.
func periodEnd(today time.Time, span string, loc *time.Location) time.Time {
	y, m, _ := today.Date()
	switch span {
	case "month":
		return time.Date(y, m+1, 0, 0, 0, 0, 0, loc)
	case "quarter":
		q := (int(m)-1)/3 + 1
		return time.Date(y, time.Month(3*q+1), 0, 0, 0, 0, 0, loc)
	}
	return time.Date(y, 12, 31, 0, 0, 0, 0, loc)
}

// ParsePeriod reads the period of a scorecard or a kudos list: "" or "this
// week" (本周) is the ISO week of now in loc, "last week" (上周) the one
// before, "2026-W48" (any case) that week if it exists. It returns the week
// in ISOWeek's format.
func ParsePeriod(s string, now time.Time, loc *time.Location) (string, error) {
	if loc == nil {
		loc = time.UTC
	}
	w := strings.Join(strings.Fields(fold(s)), " ")
	switch w {
	case "", "this week", "this", "week", "本周", "这周", "本星期", "这星期", "这个星期":
		return ISOWeek(now, loc), nil
	case "last week", "last", "previous week", "上周", "上星期", "上个星期", "上一周":
		return ISOWeek(now.In(loc).AddDate(0, 0, -7), loc), nil
	}
	m := rePeriod.FindStringSubmatch(w)
	if m == nil {
		return "", quoteErr(keyPeriodInvalid, s)
	}
	ys, ns := m[1], m[2]
	if ys == "" {
		ys, ns = m[3], m[4]
	}
	y, _ := strconv.Atoi(ys)
	n, _ := strconv.Atoi(ns)
	if y < minDateYear || y > maxDateYear {
		return "", quoteErr(keyPeriodInvalid, s)
	}
	period := fmt.Sprintf("%04d-W%02d", y, n)
	if _, _, err := WeekBounds(period, loc); err != nil {
		return "", quoteErr(keyPeriodInvalid, s)
	}
	return period, nil
}

var rePeriod = regexp.MustCompile(`^(\d{4})[- ]?w(\d{1,2})$|^(\d{4})年第?(\d{1,2})周$`)

// ParseAwayUntil reads "/checkin away" arguments: "until <date>", "到
// <date>" or just "<date>", and returns that date (the last day away).
func ParseAwayUntil(args string, now time.Time, loc *time.Location) (time.Time, error) {
	if err := tooLong(args); err != nil {
		return time.Time{}, err
	}
	toks := Tokens(args)
	if len(toks) > 0 {
		switch fold(toks[0]) {
		case "until", "till", "til", "to", "到", "至", "直到", "截止", "截至":
			toks = toks[1:]
		default:
			for _, p := range []string{"直到", "到", "至"} {
				if strings.HasPrefix(toks[0], p) && len(toks[0]) > len(p) {
					toks = append([]string{toks[0][len(p):]}, toks[1:]...)
					break
				}
			}
		}
	}
	d, used, err := ParseDate(toks, now, loc)
	if err != nil {
		return time.Time{}, err
	}
	if used < len(toks) {
		return time.Time{}, quoteErr(keyAwayDateExtra, strings.Join(toks[used:], " "))
	}
	return d, nil
}
