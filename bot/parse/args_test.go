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
		got, err := ParseExport(in, argsNow, time.UTC)
		if err != nil || got != want {
			t.Errorf("ParseExport(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"pdf", "team", "from", "csv sometime", "to tomorrowish"} {
		if _, err := ParseExport(in, argsNow, time.UTC); err == nil {
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
		"ｔｅａｍ sales":           {"sales", ""},
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

func TestTeamAdminGrammars(t *testing.T) {
	if got, err := ParseTeamCreate("growth #growth-team"); err != nil || got != (TeamCreateSpec{Name: "growth", Channel: "growth-team"}) {
		t.Errorf("create with channel: %+v, %v", got, err)
	}
	if got, err := ParseTeamCreate("增长"); err != nil || got != (TeamCreateSpec{Name: "增长"}) {
		t.Errorf("create here: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "growth channel", "growth #a #b", "growth #"} {
		if _, err := ParseTeamCreate(bad); err == nil {
			t.Errorf("create %q accepted", bad)
		} else {
			checkParseError(t, err)
		}
	}
	people, err := ParseTeamPeople("growth " + Mention("slack:T1:UA") + " " + Mention("slack:T1:UB"))
	if err != nil || people.Team != "growth" || strings.Join(people.People, ",") != "slack:T1:UA,slack:T1:UB" {
		t.Errorf("people: %+v, %v", people, err)
	}
	joined, err := ParseTeamPeople("growth " + Mention("slack:T1:UA") + ", " + Mention("slack:T1:UB") + " 和 " + Mention("slack:T1:UA") + "，")
	if err != nil || strings.Join(joined.People, ",") != "slack:T1:UA,slack:T1:UB" {
		t.Errorf("people joined by commas and 和: %+v, %v", joined, err)
	}
	// A plain name used to come back as an empty spec without an error,
	// which the core read as "the asker's team, nobody".
	for _, bad := range []string{"growth", "growth @nobody", "", "growth nobody", "growth " + Mention("slack:T1:UA") + " bob",
		"growth ,", "growth " + Mention("slack:T1:UA") + " and", "growth " + Mention("slack:T1:UA") + " 小王"} {
		if _, err := ParseTeamPeople(bad); err == nil {
			t.Errorf("people %q accepted", bad)
		} else {
			checkParseError(t, err)
		}
	}
	set, err := ParseTeamSet("growth 问题 What shipped? | What is blocked?")
	if err != nil || set != (TeamSetSpec{Team: "growth", Key: "questions", Value: "What shipped? | What is blocked?"}) {
		t.Errorf("set: %+v, %v", set, err)
	}
	for _, bad := range []string{"growth colour blue", "growth timezone", ""} {
		if _, err := ParseTeamSet(bad); err == nil {
			t.Errorf("set %q accepted", bad)
		} else {
			checkParseError(t, err)
		}
	}
	for in, want := range map[string]string{"fri 16:00": "0 16 * * FRI", "周一 9:30": "30 9 * * MON", "周五　１６：００": "0 16 * * FRI", "ＦＲＩ 8:05": "5 8 * * FRI"} {
		if got, weekly := Schedule(in); !weekly || got != want {
			t.Errorf("Schedule(%q) = %q, %v", in, got, weekly)
		}
	}
	if got, weekly := Schedule(" 0  9 * * MON "); weekly || got != "0 9 * * MON" {
		t.Errorf("cron kept as %q, %v", got, weekly)
	}
}

func TestGoalCommandGrammars(t *testing.T) {
	for in, want := range map[string]GoalListSpec{
		"": {}, "我的": {}, "MINE": {}, "team growth squad": {Team: "growth squad"},
		Mention("slack:T1:UB"): {Person: "slack:T1:UB"},
	} {
		if got, err := ParseGoalList(in); err != nil || got != want {
			t.Errorf("ParseGoalList(%q) = %+v, %v", in, got, err)
		}
	}
	if got, err := ParseGoalClose("g7  shipped it "); err != nil || got != (GoalCloseSpec{ID: "G7", Note: "shipped it"}) {
		t.Errorf("close: %+v, %v", got, err)
	}
	edit, err := ParseGoalEdit("G7 目标 3.2% ")
	if err != nil || edit.ID != "G7" || edit.Field != "target" || edit.Typed != "目标" || edit.Value != "3.2%" || strings.Join(edit.Tokens, " ") != "3.2%" {
		t.Errorf("edit: %+v, %v", edit, err)
	}
	bad := map[string]func(string) error{
		"list":  func(s string) error { _, err := ParseGoalList(s); return err },
		"close": func(s string) error { _, err := ParseGoalClose(s); return err },
		"edit":  func(s string) error { _, err := ParseGoalEdit(s); return err },
	}
	for name, in := range map[string]string{"list": "everything please", "close": "shipped", "edit": "G7 colour red"} {
		if err := bad[name](in); err == nil {
			t.Errorf("%s %q accepted", name, in)
		} else {
			checkParseError(t, err)
		}
	}
}

func TestFeedbackAndReviewGrammars(t *testing.T) {
	a, b := Mention("slack:T1:UA"), Mention("slack:T1:UB")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if id, rest, ok, err := OneMention(b + ", great demo"); !ok || err != nil || id != "slack:T1:UB" || rest != "great demo" {
		t.Errorf("one mention: %q %q %v %v", id, rest, ok, err)
	}
	if _, _, ok, err := OneMention("@zed hi"); ok || err == nil {
		t.Error("a typed @name was taken for a mention")
	} else {
		checkParseError(t, err)
	}
	if ids, ok, err := MentionList(a + " " + b + " " + a); !ok || err != nil || strings.Join(ids, ",") != "slack:T1:UA,slack:T1:UB" {
		t.Errorf("mention list: %v %v %v", ids, ok, err)
	}
	if _, ok, _ := MentionList(a + " and"); ok {
		t.Error("a word in a mention list was accepted")
	}
	req, ok, err := ParseFeedbackRequest(a+" "+b+" about the launch anonymous by 2026-12-20", argsNow, berlin)
	if !ok || err != nil || len(req.Asked) != 2 || req.Topic != "the launch" || !req.Anonymous || req.Due.Format("2006-01-02") != "2026-12-21" {
		t.Errorf("feedback request: %+v %v %v", req, ok, err)
	}
	if _, ok, _ := ParseFeedbackRequest(a+" pizza", argsNow, berlin); ok {
		t.Error("a stray word in a request was accepted")
	}
	if got, ok := ParseIDAndText("fr3  it went well "); !ok || got != (IDAndText{ID: "FR3", Typed: "fr3", Text: "it went well"}) {
		t.Errorf("id and text: %+v %v", got, ok)
	}
	if team, managers, ok := FeedbackVisibility("growth 经理"); !ok || team != "growth" || !managers {
		t.Errorf("visibility: %q %v %v", team, managers, ok)
	}
	start, ok, err := ParseReviewStart("team growth H2 review due 2026-12-15 peers ３ named", argsNow, berlin)
	if !ok || err != nil || start.Team != "growth" || start.Title != "H2 review" || start.Peers != 3 || !start.Named || start.Due.Format("2006-01-02") != "2026-12-15" {
		t.Errorf("review start: %+v %v %v", start, ok, err)
	}
	if start, ok, _ := ParseReviewStart("team growth H2 due 2026-12-15 peers many", argsNow, berlin); !ok || start.Peers != -2 {
		t.Errorf("peers that are not a number: %+v %v", start, ok)
	}
	if q, ok := ParseReviewQuestions("growth What went well? | What next?"); !ok || q.Team != "growth" || len(q.Questions) != 2 || q.Default {
		t.Errorf("questions: %+v %v", q, ok)
	}
	if q, ok := ParseReviewQuestions("growth 默认"); !ok || !q.Default {
		t.Errorf("default questions: %+v %v", q, ok)
	}
	if id, ok := ActionDone("完成 a3"); !ok || id != "A3" {
		t.Errorf("action done: %q %v", id, ok)
	}
	if act, ok, err := ParseAction("write the runbook by 2026-12-18", argsNow, berlin); !ok || err != nil || act.Text != "write the runbook" {
		t.Errorf("action: %+v %v %v", act, ok, err)
	}
	if _, ok, _ := ParseAction("write the runbook by 2026-12-18 please", argsNow, berlin); ok {
		t.Error("words after the action's date were accepted")
	}
	if f, ok := ParseFlag("2026-W48 quiet week", argsNow, berlin); !ok || f.Period != "2026-W48" || f.Note != "quiet week" {
		t.Errorf("flag: %+v %v", f, ok)
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
		if spec, err := ParseExport(s, argsNow, time.UTC); err != nil {
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
		Schedule(s)
		ParseIDAndText(s)
		FeedbackVisibility(s)
		ParseReviewQuestions(s)
		ActionDone(s)
		ParseFlag(s, argsNow, time.UTC)
		// A spec accepted without an error is complete: the core acts on
		// it as it stands (an empty people list once emptied a team's
		// managers).
		if spec, err := ParseTeamPeople(s); err == nil && (spec.Team == "" || len(spec.People) == 0) {
			t.Fatalf("team people %+v from %q", spec, s)
		}
		if spec, err := ParseTeamCreate(s); err == nil && spec.Name == "" {
			t.Fatalf("team create %+v from %q", spec, s)
		}
		if spec, err := ParseTeamSet(s); err == nil && (spec.Team == "" || spec.Key == "" || spec.Value == "") {
			t.Fatalf("team set %+v from %q", spec, s)
		}
		if spec, err := ParseGoalClose(s); err == nil && spec.ID == "" {
			t.Fatalf("goal close %+v from %q", spec, s)
		}
		if spec, err := ParseGoalEdit(s); err == nil && (spec.ID == "" || spec.Field == "" || len(spec.Tokens) == 0) {
			t.Fatalf("goal edit %+v from %q", spec, s)
		}
		if id, _, ok, err := OneMention(s); err == nil && ok && !ValidPersonID(id) {
			t.Fatalf("one mention %q from %q", id, s)
		}
		if spec, ok, err := ParseFeedbackRequest(s, argsNow, time.UTC); err == nil && ok && len(spec.Asked) == 0 {
			t.Fatalf("feedback request %+v from %q", spec, s)
		}
		if spec, ok, err := ParseReviewStart(s, argsNow, time.UTC); err == nil && ok && (spec.Team == "" || spec.Title == "" || spec.Due.IsZero()) {
			t.Fatalf("review start %+v from %q", spec, s)
		}
		if spec, ok, err := ParseAction(s, argsNow, time.UTC); err == nil && ok && (spec.Text == "" || spec.Due.IsZero()) {
			t.Fatalf("action %+v from %q", spec, s)
		}
		for _, parse := range []func(string) error{
			func(s string) error { _, err := ParseTeamCreate(s); return err },
			func(s string) error { _, err := ParseTeamPeople(s); return err },
			func(s string) error { _, err := ParseTeamSet(s); return err },
			func(s string) error { _, err := ParseGoalList(s); return err },
			func(s string) error { _, err := ParseGoalClose(s); return err },
			func(s string) error { _, err := ParseGoalEdit(s); return err },
			func(s string) error { _, _, _, err := OneMention(s); return err },
			func(s string) error { _, _, err := MentionList(s); return err },
			func(s string) error { _, _, err := ParseFeedbackRequest(s, argsNow, time.UTC); return err },
			func(s string) error { _, _, err := ParseReviewStart(s, argsNow, time.UTC); return err },
			func(s string) error { _, _, err := ParseAction(s, argsNow, time.UTC); return err },
		} {
			if err := parse(s); err != nil {
				checkParseError(t, err)
			}
		}
	})
}

func TestSettingWords(t *testing.T) {
	for in, want := range map[string][2]bool{"on": {true, true}, "ＯＮ": {true, true}, "开启": {true, true}, " off ": {false, true}, "关": {false, true}, "maybe": {false, false}} {
		if on, ok := OnOff(in); on != want[0] || ok != want[1] {
			t.Errorf("OnOff(%q) = %v, %v", in, on, ok)
		}
	}
	for in, want := range map[string]bool{"none": true, "ＮＯＮＥ": true, "无": true, "-": true, "G7": false} {
		if IsNone(in) != want {
			t.Errorf("IsNone(%q) = %v", in, !want)
		}
	}
	if got := strings.Join(QuestionList(" What shipped? ｜ What is blocked? | "), "/"); got != "What shipped?/What is blocked?" {
		t.Errorf("questions %q", got)
	}
	if got := strings.Join(ValueList("#ownership, candor，担当、＃坦诚"), "/"); got != "ownership/candor/担当/坦诚" {
		t.Errorf("values %q", got)
	}
}

func TestParseTargetEdit(t *testing.T) {
	spec, ok, err := ParseTargetEdit(Tokens("5% 从 2%"))
	if err != nil || !ok || spec.Target.Number != 5 || !spec.HasFrom || spec.From.Number != 2 {
		t.Errorf("target from: %+v %v %v", spec, ok, err)
	}
	if spec, ok, err := ParseTargetEdit(Tokens("120 orders")); err != nil || !ok || spec.HasFrom || spec.Target.Unit != "orders" {
		t.Errorf("target: %+v %v %v", spec, ok, err)
	}
	for _, bad := range []string{"5% please", "5% from 2% now", "5% from"} {
		if _, ok, err := ParseTargetEdit(Tokens(bad)); ok && err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, _, err := ParseTargetEdit(Tokens("lots")); err == nil {
		t.Error("an unreadable target accepted")
	} else {
		checkParseError(t, err)
	}
}
