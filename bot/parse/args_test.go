package parse

import (
	"strings"
	"testing"
	"time"
)

var argsNow = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

func TestParseExport(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for in, want := range map[string]ExportSpec{
		"":                        {Format: "csv"},
		"JSON":                    {Format: "json"},
		"csv team growth 2026-Q4": {Format: "csv", Team: "growth", Period: "2026-Q4"},
		"json 团队 增长 从 2026-10-01 到 2026-12-31": {Format: "json", Team: "增长", From: day("2026-10-01"), To: day("2027-01-01")},
		"from 2026-11-01": {Format: "csv", From: day("2026-11-01")},
	} {
		got, err := ParseExport(in, argsNow)
		if err != nil || got != want {
			t.Errorf("ParseExport(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"pdf", "team", "from", "csv sometime", "to tomorrowish"} {
		if _, err := ParseExport(in, argsNow); err == nil {
			t.Errorf("ParseExport(%q) accepted garbage", in)
		} else {
			checkParseError(t, err)
		}
	}
}

func TestTeamPrefix(t *testing.T) {
	for in, want := range map[string][2]string{
		"team growth 2026-W48": {"growth", "2026-W48"},
		"团队 增长":                {"增长", ""},
		"TEAM sales":           {"sales", ""},
		"  2026-W48 ":          {"", "2026-W48"},
		"team":                 {"", "team"},
	} {
		team, rest := TeamPrefix(in)
		if team != want[0] || rest != want[1] {
			t.Errorf("TeamPrefix(%q) = %q, %q; want %q, %q", in, team, rest, want[0], want[1])
		}
	}
}

func TestLeadingMention(t *testing.T) {
	id, rest, ok := LeadingMention(Mention("slack:T1:UB") + "  great quarter ")
	if !ok || id != "slack:T1:UB" || rest != "great quarter" {
		t.Errorf("got %q, %q, %v", id, rest, ok)
	}
	if _, _, ok := LeadingMention("great " + Mention("slack:T1:UB")); ok {
		t.Error("a mention that does not open the text was taken")
	}
	if _, rest, ok := LeadingMention(Mention("slack:T1:UB")); !ok || rest != "" {
		t.Errorf("a lone mention: %q, %v", rest, ok)
	}
}

func TestHasFiveFields(t *testing.T) {
	if !HasFiveFields("0 9 * * MON") || HasFiveFields("0 9 * *") || HasFiveFields("") {
		t.Error("five fields misread")
	}
}

// FuzzSmallArgs feeds the small argument grammars anything: none panics,
// export refuses with a parser message, and what they return comes from
// what was typed.
func FuzzSmallArgs(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	for _, s := range []string{"json team growth 2026-Q4 from 2026-10-01 to 2026-12-31", "团队 增长 2026-W48", fuzzMention + " hi", "csv 从 昨天"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if spec, err := ParseExport(s, argsNow); err != nil {
			checkParseError(t, err)
		} else if spec.Format != "csv" && spec.Format != "json" {
			t.Fatalf("format %q from %q", spec.Format, s)
		}
		if team, _ := TeamPrefix(s); team != "" && !strings.Contains(fold(s), fold(team)) {
			t.Fatalf("team %q not in %q", team, s)
		}
		if id, rest, ok := LeadingMention(s); ok && (!ValidPersonID(id) || !strings.Contains(s, rest)) {
			t.Fatalf("mention %q, rest %q from %q", id, rest, s)
		}
		HasFiveFields(s)
	})
}
