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
