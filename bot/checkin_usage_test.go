package bot_test

import (
	"strings"
	"testing"
)

// "/checkin" takes nothing or "team <name>": anything else gets the
// sentence saying what to type, not a check-in of the usual team (whose
// "which team?" buttons then showed "/checkin team team design").
func TestCheckInWithGarbageSaysWhatToType(t *testing.T) {
	h := newHarness(t)
	for _, typed := range []string{"/checkin team", "/checkin status everyone"} {
		got := text(h.say(alice, typed))
		if !strings.Contains(got, "team <name>") {
			t.Errorf("%q answered %q, want the sentence saying what to type", typed, got)
		}
	}
	mustContain(t, text(h.say(chen, "/checkin team")), "团队名")
	mustContain(t, text(h.say(alice, "/checkin team growth")), "1/")
}
