package parse

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The fuzzers check that no input makes a parser panic, that every error is
// a *Error whose message exists and is fully filled, and that what a
// parser accepts is consistent. Run one for a while with
//
//	go test ./bot -run '^$' -fuzz FuzzParseGoalSpec -fuzztime 20s

var fuzzMention = Mention("slack:T1:U1")

var fuzzSeeds = []string{
	"", " ", "\u3000", "/", "／目标　列表", "goal", "/goal new Raise conversion from 2.1% to 3% by 2026-12-31",
	"/goal G7 2.6% on track", "/goal update G7 +0.3", "目标列表", "目标新建提升转化率从2.1%到3%截止2026年12月31日",
	"kudos " + fuzzMention + " thanks #ownership", "点赞" + fuzzMention + "辛苦了＃担当", "/pulse team add growth " + fuzzMention,
	"/pulse forget me", "pulse 忘记 确认", "/scorecard me last week", "周报跳过生病了", "/checkin away until 2026-08-15",
	"帮助 目标", "G7 2.6% shipped", "G7：50%，进展顺利", "Ｇ７ ５０％ 有风险", `"Move to Stripe" to 100% by Q3 for team growth`,
	"提升 到 120 单 于 30天内 隶属于G3 负责人 团队 增长组", "Launch by 2026-02-30", "to", "<@", "<@a:b:c>", "<@<@a:b:c>>",
	"G0 5", "G99999999999 1", "1,234,567.5", "$-1.2m", "￥500万", "1e400", "NaN", "+Inf", "in 9999999 days",
	"end of the quarter", "Q4 2100", "2028-02-29", "12月31日前", "🎉🎉 G7 🎉", "\xff\xfe", "a\u200bb",
}

func FuzzSplitCommand(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	verbs := []Verb{VerbGoal, VerbKudos, VerbCheckIn, VerbScorecard, VerbPulse, VerbHelp, VerbFeedback, VerbReview}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, ok := SplitCommand(text)
		if !ok {
			if cmd != (Command{}) {
				t.Fatalf("not a command but got %+v", cmd)
			}
			return
		}
		if !slices.Contains(verbs, cmd.Verb) {
			t.Fatalf("unknown verb %q", cmd.Verb)
		}
		if !strings.Contains(text, cmd.Args) {
			t.Fatalf("Args %q is not part of %q", cmd.Args, text)
		}
		if cmd.Args != strings.TrimSpace(cmd.Args) {
			t.Fatalf("Args %q not trimmed", cmd.Args)
		}
		if again, _ := SplitCommand(text); again != cmd {
			t.Fatalf("not deterministic: %+v then %+v", cmd, again)
		}
		if cmd.Verb == VerbGoal && cmd.Sub == "update" {
			f := fold(text)
			explicit := strings.Contains(f, "update") || strings.Contains(f, "更新") || strings.Contains(f, "进展")
			if toks := Tokens(cmd.Args); !explicit && (len(toks) == 0 || !looksLikeGoalID(toks[0])) {
				t.Fatalf("update without a goal id: %+v", cmd)
			}
		}
	})
}

func FuzzParseGoalSpec(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	loc := time.FixedZone("UTC+8", 8*3600)
	f.Fuzz(func(t *testing.T, args string) {
		spec, err := ParseGoalSpec(args, now, loc)
		if err != nil {
			checkParseError(t, err)
			return
		}
		n := utf8.RuneCountInString(spec.Title)
		if n == 0 || n > MaxGoalTitle {
			t.Fatalf("title %q has %d characters", spec.Title, n)
		}
		if spec.Title != strings.TrimSpace(spec.Title) {
			t.Fatalf("title %q not trimmed", spec.Title)
		}
		if !strings.Contains(args, spec.Title) {
			t.Fatalf("title %q is not part of %q", spec.Title, args)
		}
		for _, v := range []*Value{spec.Baseline, spec.Target} {
			if v != nil {
				checkValue(t, *v)
			}
		}
		if !spec.Due.IsZero() {
			checkDay(t, spec.Due, loc)
		}
		if spec.Parent != "" {
			if id, ok := GoalID(spec.Parent); !ok || id != spec.Parent {
				t.Fatalf("parent %q is not a normalised goal id", spec.Parent)
			}
		}
		if spec.ForPerson != "" && !ValidPersonID(spec.ForPerson) {
			t.Fatalf("owner %q is not a valid user id", spec.ForPerson)
		}
		if spec.ForPerson != "" && spec.ForTeam != "" {
			t.Fatalf("two owners: %q and %q", spec.ForPerson, spec.ForTeam)
		}
	})
}

func checkValue(t *testing.T, v Value) {
	t.Helper()
	if math.IsNaN(v.Number) || math.IsInf(v.Number, 0) || math.Abs(v.Number) > maxValue {
		t.Fatalf("number %v out of range", v.Number)
	}
	if v.Number < 0 && !v.Relative {
		t.Fatalf("negative %v without a sign", v.Number)
	}
	if utf8.RuneCountInString(v.Unit) > maxUnitLen+1 || strings.ContainsFunc(v.Unit, isSep) {
		t.Fatalf("unit %q", v.Unit)
	}
}

func checkDay(t *testing.T, d time.Time, loc *time.Location) {
	t.Helper()
	if d.Location() != loc {
		t.Fatalf("date %v not in %v", d, loc)
	}
	if y := d.Year(); y < minDateYear || y > maxDateYear {
		t.Fatalf("year %d out of range", y)
	}
	if !d.Equal(startOfDate(d, loc)) {
		t.Fatalf("date %v is not the start of its day", d)
	}
}

func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"2.6%", "+0.3", "-5", "3k", "¥500", "$1.2", "1,200", "120orders", "５０％", "$-1.2m",
		"1e15", "1000000000000000", "NaN", "", "1,2,3", ".5", "5.", "0.0000001", "999999999999999.9", "50万"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		v, err := ParseValue(tok)
		if err != nil {
			checkParseError(t, err)
			return
		}
		checkValue(t, v)
		// Written back and read again, a value is the same value.
		back, err := ParseValue(strings.ReplaceAll(v.String(), " ", ""))
		if err != nil || back != v {
			t.Fatalf("%q → %+v → %q → %+v, %v", tok, v, v.String(), back, err)
		}
		w, used, err := ParseValueWithUnit([]string{tok, "orders"})
		if err != nil || used < 1 || used > 2 || w.Number != v.Number {
			t.Fatalf("with unit: %+v %d %v", w, used, err)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, int64(1778752800), uint8(0))
	}
	f.Add("Q4", int64(1798761599), uint8(1))
	f.Add("in 1 month", int64(1769817600), uint8(2))
	zones := []*time.Location{time.UTC}
	for _, name := range []string{"Asia/Shanghai", "America/New_York", "Australia/Lord_Howe", "Pacific/Kiritimati", "America/Sao_Paulo"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			f.Fatal(err)
		}
		zones = append(zones, loc)
	}
	f.Fuzz(func(t *testing.T, s string, unix int64, zone uint8) {
		// Keep now within the years Pulse runs in.
		now := time.Unix(946684800+int64(uint64(unix)%(100*365*86400)), 0)
		loc := zones[int(zone)%len(zones)]
		toks := strings.Fields(s)
		d, used, err := ParseDate(toks, now, loc)
		if err != nil {
			checkParseError(t, err)
			if used != 0 || !d.IsZero() {
				t.Fatalf("error with result %v, %d", d, used)
			}
			return
		}
		if used < 1 || used > len(toks) || used > 4 {
			t.Fatalf("used %d of %d tokens", used, len(toks))
		}
		checkDay(t, d, loc)
		if again, used2, _ := ParseDate(toks[:used], now, loc); !again.Equal(d) || used2 != used {
			t.Fatalf("the used tokens alone give %v, %d; want %v, %d", again, used2, d, used)
		}
	})
}

func FuzzParseProgress(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	statuses := []Status{"", OnTrack, AtRisk, OffTrack}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseProgress(s)
		looks := LooksLikeProgress(s)
		if err != nil {
			checkParseError(t, err)
			if looks {
				t.Fatalf("LooksLikeProgress(%q) but ParseProgress fails: %v", s, err)
			}
			return
		}
		if !looks {
			t.Fatalf("ParseProgress(%q) works but LooksLikeProgress is false", s)
		}
		if id, ok := GoalID(p.GoalID); !ok || id != p.GoalID {
			t.Fatalf("goal id %q not normalised", p.GoalID)
		}
		checkValue(t, p.Value)
		if !slices.Contains(statuses, p.Status) {
			t.Fatalf("status %q", p.Status)
		}
		if p.Note != strings.TrimSpace(p.Note) || !strings.Contains(s, p.Note) {
			t.Fatalf("note %q (from %q)", p.Note, s)
		}
	})
}

func FuzzParseKudos(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	for _, s := range []string{fuzzMention + " thanks #Ownership ＃担当", "to " + fuzzMention + ": great", fuzzMention + "、" + fuzzMention + " 辛苦了",
		"@alice hi", fuzzMention + " #-x #1 issue#2 <#C1>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKudos(s)
		if LooksLikeKudos("kudos " + s) {
			var pe *Error
			if errors.As(err, &pe) && pe.Key == keyKudosRecipientMiss {
				t.Fatalf("LooksLikeKudos sees a recipient in %q that ParseKudos does not", s)
			}
		}
		if err != nil {
			checkParseError(t, err)
			return
		}
		if len(k.To) == 0 {
			t.Fatal("no recipients")
		}
		seen := map[string]bool{}
		for _, id := range k.To {
			if !ValidPersonID(id) || seen[id] {
				t.Fatalf("recipient %q invalid or repeated", id)
			}
			seen[id] = true
		}
		if k.Message == "" || k.Message != strings.TrimSpace(k.Message) || !strings.Contains(s, k.Message) {
			t.Fatalf("message %q (from %q)", k.Message, s)
		}
		if utf8.RuneCountInString(k.Message) > MaxParseText {
			t.Fatalf("message of %d characters", utf8.RuneCountInString(k.Message))
		}
		tags := map[string]bool{}
		for _, tag := range k.Tags {
			if tag == "" || tags[tag] || strings.ContainsAny(tag, "#＃ ") || tag != strings.ToLower(tag) {
				t.Fatalf("tag %q in %q", tag, k.Tags)
			}
			tags[tag] = true
		}
	})
}
