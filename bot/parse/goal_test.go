package parse

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func vp(n float64, unit string) *Value { return &Value{Number: n, Unit: unit} }

func TestParseGoalSpec(t *testing.T) {
	utc := time.UTC
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, utc)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, utc) }
	alice := "slack:T1:U1"
	zhang := "feishu:tk:ou_1"
	tests := []struct {
		name string
		in   string
		want GoalSpec
		key  string
	}{
		{name: "spec example", in: "Raise checkout conversion from 2.1% to 3% by 2026-12-31",
			want: GoalSpec{Title: "Raise checkout conversion", Baseline: vp(2.1, "%"), Target: vp(3, "%"), Due: day(2026, 12, 31)}},
		{name: "all clauses", in: "Move billing to Stripe to 100% by Q3 under G3 for " + Mention(alice),
			want: GoalSpec{Title: "Move billing to Stripe", Target: vp(100, "%"), Due: day(2026, 9, 30), Parent: "G3", ForPerson: alice}},
		{name: "clauses in any order", in: "Hire two engineers for team platform under g12 by end of quarter to 2",
			want: GoalSpec{Title: "Hire two engineers", Target: vp(2, ""), Due: day(2026, 6, 30), Parent: "G12", ForTeam: "platform"}},
		{name: "word unit", in: "Grow orders to 120 orders in 30 days",
			want: GoalSpec{Title: "Grow orders", Target: vp(120, "orders"), Due: day(2026, 6, 13)}},
		{name: "currency", in: "Cut cloud bill from $12k to $9k by Q4 2026",
			want: GoalSpec{Title: "Cut cloud bill", Baseline: vp(12, "$k"), Target: vp(9, "$k"), Due: day(2026, 12, 31)}},
		{name: "quoted title keeps keywords", in: `"Move to Stripe by default" to 100% by Q3`,
			want: GoalSpec{Title: "Move to Stripe by default", Target: vp(100, "%"), Due: day(2026, 9, 30)}},
		{name: "curly quotes", in: "“Go from zero to one” to 1 by 2026-12-31",
			want: GoalSpec{Title: "Go from zero to one", Target: vp(1, ""), Due: day(2026, 12, 31)}},
		{name: "quoted part of title", in: `Launch "to the moon" app to 5 by Q3`,
			want: GoalSpec{Title: `Launch "to the moon" app`, Target: vp(5, ""), Due: day(2026, 9, 30)}},
		{name: "unclosed quote is literal", in: `"Launch app to 5 by Q3`,
			want: GoalSpec{Title: `"Launch app`, Target: vp(5, ""), Due: day(2026, 9, 30)}},
		{name: "keyword without value stays in title", in: "Learn to fly",
			want: GoalSpec{Title: "Learn to fly"}},
		{name: "milestone", in: "Publish the security whitepaper",
			want: GoalSpec{Title: "Publish the security whitepaper"}},
		{name: "milestone with date", in: "Publish the whitepaper by end of month",
			want: GoalSpec{Title: "Publish the whitepaper", Due: day(2026, 5, 31)}},
		{name: "for in title", in: "Build a dashboard for sales to 5 by Q3",
			want: GoalSpec{Title: "Build a dashboard for sales", Target: vp(5, ""), Due: day(2026, 9, 30)}},
		{name: "relative target kept for the service", in: "Improve NPS to +5 by Q3",
			want: GoalSpec{Title: "Improve NPS", Target: &Value{Number: 5, Relative: true}, Due: day(2026, 9, 30)}},
		{name: "emoji title", in: "🚀 Ship v2 🎉 to 100% by Q3",
			want: GoalSpec{Title: "🚀 Ship v2 🎉", Target: vp(100, "%"), Due: day(2026, 9, 30)}},
		{name: "mention in title", in: "Pair with " + Mention(alice) + " on onboarding",
			want: GoalSpec{Title: "Pair with " + Mention(alice) + " on onboarding"}},
		{name: "full-width", in: "提升ＮＰＳ 到 ５０ 截止 ２０２６－１２－３１",
			want: GoalSpec{Title: "提升ＮＰＳ", Target: vp(50, ""), Due: day(2026, 12, 31)}},
		// Chinese.
		{name: "chinese spaced", in: "提升结账转化率 从 2.1% 到 3% 截止 2026年12月31日 隶属 G3 负责人 " + Mention(zhang),
			want: GoalSpec{Title: "提升结账转化率", Baseline: vp(2.1, "%"), Target: vp(3, "%"), Due: day(2026, 12, 31), Parent: "G3", ForPerson: zhang}},
		{name: "chinese glued", in: "提升结账转化率从2.1%到3%截止2026年12月31日",
			want: GoalSpec{Title: "提升结账转化率", Baseline: vp(2.1, "%"), Target: vp(3, "%"), Due: day(2026, 12, 31)}},
		{name: "chinese 达到 and bare date", in: "日活达到10万 年底前",
			want: GoalSpec{Title: "日活", Target: vp(10, "万"), Due: day(2026, 12, 31)}},
		{name: "chinese 于 and 隶属于", in: "上线新版支付页 于 6月30日 隶属于G2",
			want: GoalSpec{Title: "上线新版支付页", Due: day(2026, 6, 30), Parent: "G2"}},
		{name: "chinese bare span", in: "上线支付页 30天内",
			want: GoalSpec{Title: "上线支付页", Due: day(2026, 6, 13)}},
		{name: "chinese team owner", in: "订单量 到 120 单 截止 Q3 负责人 团队 增长组",
			want: GoalSpec{Title: "订单量", Target: vp(120, "单"), Due: day(2026, 9, 30), ForTeam: "增长组"}},
		{name: "chinese standalone team", in: "订单量 到 120单 团队 增长组",
			want: GoalSpec{Title: "订单量", Target: vp(120, "单"), ForTeam: "增长组"}},
		{name: "chinese keyword chars inside words stay", in: "从零到一搭建成立于上海的团队 到 5 截止 Q4",
			want: GoalSpec{Title: "从零到一搭建成立于上海的团队", Target: vp(5, ""), Due: day(2026, 12, 31)}},
		{name: "chinese quoted title", in: "「从 1 到 100」 到 100 截止 Q4",
			want: GoalSpec{Title: "从 1 到 100", Target: vp(100, ""), Due: day(2026, 12, 31)}},
		{name: "mixed scripts", in: "提升 checkout conversion 从 2.1% to 3% by Q3",
			want: GoalSpec{Title: "提升 checkout conversion", Baseline: vp(2.1, "%"), Target: vp(3, "%"), Due: day(2026, 9, 30)}},
		{name: "title trailing comma", in: "提升转化率，到 3%",
			want: GoalSpec{Title: "提升转化率", Target: vp(3, "%")}},
		// Errors.
		{name: "empty", in: "", key: keyGoalTitleMissing},
		{name: "only clauses", in: "to 3% by Q3", key: keyGoalTitleMissing},
		{name: "quotes only", in: `"" to 3%`, key: keyGoalTitleMissing},
		{name: "title too long", in: strings.Repeat("长", MaxGoalTitle+1) + " to 3%", key: keyGoalTitleTooLong},
		{name: "title at the limit", in: strings.Repeat("长", MaxGoalTitle) + " to 3%",
			want: GoalSpec{Title: strings.Repeat("长", MaxGoalTitle), Target: vp(3, "%")}},
		{name: "text too long", in: strings.Repeat("a ", MaxParseText), key: keyTextTooLong},
		{name: "to at end", in: "Launch to", key: keyGoalTargetMissing},
		{name: "to then by", in: "Launch to by Q3", key: keyGoalTargetMissing},
		{name: "from without value", in: "Launch from to 3%", key: keyGoalBaselineMissing},
		{name: "bad target", in: "Launch to 3x5 by Q3", key: keyValueInvalid},
		{name: "huge target", in: "Launch to 1e99 by Q3", key: keyValueInvalid},
		{name: "impossible date", in: "Launch by 2026-02-30", key: keyDateImpossible},
		{name: "bad date", in: "Launch to 5 by 31/12/2026", key: keyDateInvalid},
		{name: "by nothing", in: "Launch to 5 by", key: keyDateMissing},
		{name: "year out of range", in: "Launch by 2200-01-01", key: keyDateYearRange},
		{name: "bad parent", in: "Launch under G0", key: keyGoalIDInvalid},
		{name: "parent missing", in: "Launch to 5 under", key: keyGoalIDMissing},
		{name: "raw mention", in: "Launch to 5 for @bob", key: keyMentionUnknown},
		{name: "raw full-width mention", in: "上线 到 5 负责人 ＠张三", key: keyMentionUnknown},
		{name: "owner glued to title", in: "上线支付页负责人" + Mention(zhang),
			want: GoalSpec{Title: "上线支付页", ForPerson: zhang}},
		{name: "raw mention glued", in: "上线支付页 到 5 负责人@张三", key: keyMentionUnknown},
		{name: "chinese owner glued to mention", in: "上线支付页到5负责人" + Mention(zhang),
			want: GoalSpec{Title: "上线支付页", Target: vp(5, ""), ForPerson: zhang}},
		{name: "invalid mention token", in: "Launch to 5 for <@bob>", key: keyMentionUnknown},
		{name: "for nothing", in: "Launch to 5 for", key: keyGoalOwnerMissing},
		{name: "for team nothing", in: "Launch to 5 for team", key: keyGoalTeamMissing},
		{name: "two owners", in: "Launch to 5 for " + Mention(alice) + " for team growth", key: keyGoalOwnerTwice},
		{name: "repeated to", in: "Launch to 5 to 6", key: keyGoalClauseRepeated},
		{name: "repeated date", in: "Launch by Q3 in 30 days", key: keyGoalClauseRepeated},
		{name: "trailing words", in: "Grow to 5 by Q3 please", key: keyGoalExtraText},
		{name: "word after team", in: "Grow to 5 for team growth marketing", key: keyGoalExtraText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGoalSpec(tt.in, now, utc)
			wantKey(t, err, tt.key)
			if tt.key != "" {
				return
			}
			checkGoalSpec(t, got, tt.want)
		})
	}
}

func checkGoalSpec(t *testing.T, got, want GoalSpec) {
	t.Helper()
	if got.Title != want.Title {
		t.Errorf("Title = %q, want %q", got.Title, want.Title)
	}
	checkValuePtr(t, "Baseline", got.Baseline, want.Baseline)
	checkValuePtr(t, "Target", got.Target, want.Target)
	if !got.Due.Equal(want.Due) {
		t.Errorf("Due = %v, want %v", got.Due, want.Due)
	}
	if got.Parent != want.Parent || got.ForPerson != want.ForPerson || got.ForTeam != want.ForTeam {
		t.Errorf("Parent/ForPerson/ForTeam = %q/%q/%q, want %q/%q/%q",
			got.Parent, got.ForPerson, got.ForTeam, want.Parent, want.ForPerson, want.ForTeam)
	}
}

func checkValuePtr(t *testing.T, what string, got, want *Value) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", what, got, want)
	case *got != *want:
		t.Errorf("%s = %+v, want %+v", what, *got, *want)
	}
}

func TestParseProgress(t *testing.T) {
	tests := []struct {
		in   string
		want ProgressSpec
		key  string
	}{
		{in: "G7 2.6% shipped the new payment page", want: ProgressSpec{GoalID: "G7", Value: Value{Number: 2.6, Unit: "%"}, Note: "shipped the new payment page"}},
		{in: "g7 +0.3 on track", want: ProgressSpec{GoalID: "G7", Value: Value{Number: 0.3, Relative: true}, Status: OnTrack}},
		{in: "G7 -2 AT RISK: vendor is late", want: ProgressSpec{GoalID: "G7", Value: Value{Number: -2, Relative: true}, Status: AtRisk, Note: "vendor is late"}},
		{in: "G7 40 off track", want: ProgressSpec{GoalID: "G7", Value: Value{Number: 40}, Status: OffTrack}},
		{in: "G7 40 off-track", want: ProgressSpec{GoalID: "G7", Value: Value{Number: 40}, Status: OffTrack}},
		{in: "G7: 2.6% at risk, vendor late", want: ProgressSpec{GoalID: "G7", Value: Value{Number: 2.6, Unit: "%"}, Status: AtRisk, Note: "vendor late"}},
		{in: "G7：2.6%", want: ProgressSpec{GoalID: "G7", Value: Value{Number: 2.6, Unit: "%"}}},
		{in: "G7 on track", key: keyProgressStatusFirst},
		{in: "G7 2.6% on the way", want: ProgressSpec{GoalID: "G7", Value: Value{Number: 2.6, Unit: "%"}, Note: "on the way"}},
		{in: "G7 50% 正常", want: ProgressSpec{GoalID: "G7", Value: Value{Number: 50, Unit: "%"}, Status: OnTrack}},
		{in: "G7 50% 有风险，供应商延期", want: ProgressSpec{GoalID: "G7", Value: Value{Number: 50, Unit: "%"}, Status: AtRisk, Note: "供应商延期"}},
		{in: "G7 50%，进展顺利", want: ProgressSpec{GoalID: "G7", Value: Value{Number: 50, Unit: "%"}, Status: OnTrack}},
		{in: "G7 50%，落后 因为人手不足", want: ProgressSpec{GoalID: "G7", Value: Value{Number: 50, Unit: "%"}, Status: OffTrack, Note: "因为人手不足"}},
		{in: "G7 50%完成了支付页", want: ProgressSpec{GoalID: "G7", Value: Value{Number: 50, Unit: "%"}, Note: "完成了支付页"}},
		{in: "G7 120单 偏离", want: ProgressSpec{GoalID: "G7", Value: Value{Number: 120, Unit: "单"}, Status: OffTrack}},
		{in: "Ｇ７　５０％　顺利", want: ProgressSpec{GoalID: "G7", Value: Value{Number: 50, Unit: "%"}, Status: OnTrack}},
		{in: "G7 3 🎉🎉", want: ProgressSpec{GoalID: "G7", Value: Value{Number: 3}, Note: "🎉🎉"}},
		{in: "G7 正常推进中", key: keyValueInvalid},
		{in: "G2 at risk", key: keyProgressStatusFirst},
		{in: "G2 off-track, vendor late", key: keyProgressStatusFirst},
		{in: "G7", key: keyProgressValueMiss},
		{in: "G7:", key: keyProgressValueMiss},
		{in: "", key: keyGoalIDMissing},
		{in: "2.6% G7", key: keyGoalIDMissing},
		{in: "Goal 7 is fine", key: keyGoalIDMissing},
		{in: "G0 5", key: keyGoalIDInvalid},
		{in: "G123456789012345 5", key: keyGoalIDInvalid},
		{in: "G7 lots", key: keyValueInvalid},
		{in: "G7 " + strings.Repeat("9", 30), key: keyValueTooLarge},
		{in: "G7 5 " + strings.Repeat("x", MaxParseText), key: keyTextTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseProgress(tt.in)
			wantKey(t, err, tt.key)
			if tt.key == "" && got != tt.want {
				t.Fatalf("ParseProgress(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestLooksLikeProgress(t *testing.T) {
	yes := []string{
		"G7 2.6% shipped the new payment page",
		"g7 +0.3",
		"G7: 50% at risk",
		"G7 50%，进展顺利",
		"Ｇ７ ５０％",
		"G12 120 orders this week",
	}
	no := []string{
		"",
		"G7",
		"G7 is blocked on legal",
		"We shipped G7 2.6% today",
		"2.6% on G7",
		"G0 5",
		"Good morning 5 people",
		"kudos " + Mention("slack:T1:U1") + " 5 stars",
		"GG 5",
	}
	for _, s := range yes {
		if !LooksLikeProgress(s) {
			t.Errorf("LooksLikeProgress(%q) = false, want true", s)
		}
	}
	for _, s := range no {
		if LooksLikeProgress(s) {
			t.Errorf("LooksLikeProgress(%q) = true, want false", s)
		}
	}
}

// TestMatchProgressReturnsTheSpec checks a chat message is read once: what
// MatchProgress hands back is what ParseProgress reads, and a message that
// is not an update gives nothing.
func TestMatchProgressReturnsTheSpec(t *testing.T) {
	for _, text := range []string{"G7 2.6% shipped the page", "g12 +3 at risk waiting on legal", "Ｇ７ 50% 进展顺利"} {
		spec, ok := MatchProgress(text)
		if !ok {
			t.Fatalf("MatchProgress(%q) = false", text)
		}
		want, err := ParseProgress(text)
		if err != nil || !reflect.DeepEqual(spec, want) {
			t.Errorf("MatchProgress(%q) = %+v, ParseProgress gives %+v, %v", text, spec, want, err)
		}
	}
	for _, text := range []string{"good morning", "G7 is blocked", "Great 5 stars"} {
		if spec, ok := MatchProgress(text); ok {
			t.Errorf("MatchProgress(%q) = %+v, want no update", text, spec)
		}
	}
}
