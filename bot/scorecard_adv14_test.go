package bot_test

import (
	"strings"
	"testing"

	"github.com/pulse-bot/pulse/bot"
)

// TestScorecardOfTwoPeopleNamesThemNotTheirIDs: a second mention after
// "/scorecard @person" was echoed as a period in its internal form
// (“<@console:demo:alice>”); the refusal says one person at a time, by name.
func TestScorecardOfTwoPeopleNamesThemNotTheirIDs(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		who        bot.UserID
		text, want string
	}{
		{maya, "/scorecard <@console:demo:bob> <@console:demo:alice>", "`/scorecard @Bob`"},
		{maya, "/scorecard <@console:demo:bob> last week <@console:demo:alice>", "one person's"},
		{chen, "/记分卡 <@console:demo:bob> <@console:demo:alice>", "一次只看一个人"},
	} {
		out := text(h.say(tc.who, tc.text))
		if !strings.Contains(out, tc.want) || strings.Contains(out, "console:demo") || strings.Contains(out, "<@") {
			t.Errorf("%q → %q, want %q and no internal id", tc.text, out, tc.want)
		}
	}
	// One person and a period still works for their manager.
	if out := text(h.say(maya, "/scorecard <@console:demo:bob> last week")); strings.Contains(out, "one person") || strings.Contains(out, "period") {
		t.Errorf("one person and a period refused: %q", out)
	}
}

// TestRefusalsNameMentionsNotIDs: a refusal that echoes what was typed
// shows a mention as "@Name", never the internal id it carries.
func TestRefusalsNameMentionsNotIDs(t *testing.T) {
	h := newHarness(t)
	m := "<@console:demo:bob>"
	for _, tc := range []struct{ text, want string }{
		{"/scorecard me " + m, "“@Bob” as a period"},
		{"/kudos mine " + m, "“@Bob” as a period"},
		{"/checkin away until " + m, "“@Bob” as a date"},
		{"/feedback answer " + m, "no feedback request @Bob"},
		{"/scorecard export csv from " + m + " to 2026-12-01", "“@Bob” as a date"},
		{"/review start team growth H2 due " + m, "“@Bob” as a date"},
		{"/checkin away until <@console:demo:nobody>", "“@nobody” as a date"},
	} {
		out := text(h.say(maya, tc.text))
		if !strings.Contains(out, tc.want) || strings.Contains(out, "console:demo") {
			t.Errorf("%q → %q, want %q and no internal id", tc.text, out, tc.want)
		}
	}
}
