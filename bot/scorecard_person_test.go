package bot_test

import (
	"strings"
	"testing"

	"github.com/pulse-bot/pulse/bot"
)

// A person's scorecard is what their manager brings to a one-to-one: their
// check-ins of the last weeks (state, highlight, blockers; mood only for
// those who may see it) and flags for what to ask about (issue 13).
func TestPersonScorecardListsRecentCheckInsAndFlags(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)
	h.clock.Set(at(2026, 11, 27, 16, 0)) // Friday of W48

	got := text(h.say(maya, "/scorecard "+bot.Mention(alice)))
	mustContain(t, got, "Recent check-ins, newest first", "• 2026-W48 · checked in · mood 5/5", "• 2026-W47 · checked in · mood 4/5",
		"Blockers: Waiting on legal review", "Ask about", "• blocked 2 weeks in a row")
	if strings.Index(got, "2026-W48 · checked in") > strings.Index(got, "2026-W47 · checked in") {
		t.Errorf("weeks are not newest first:\n%s", got)
	}

	got = text(h.say(admin, "/scorecard "+bot.Mention(alice)))
	mustContain(t, got, "• 2026-W48 · checked in", "Blockers: Waiting on legal review")
	if strings.Contains(got, "mood 5/5") {
		t.Errorf("an admin who does not manage the team sees alice's mood:\n%s", got)
	}

	got = text(h.say(maya, "/scorecard "+bot.Mention(chen)))
	mustContain(t, got, "• 2026-W47 · no check-in", "• 2026-W48 · checked in")
	if strings.Contains(got, "no check-in 2 weeks") {
		t.Errorf("one missed week flagged as a run:\n%s", got)
	}

	// Two ended weeks without a check-in (W49, W50) are flagged; the
	// running W51 is not counted, and weeks before the team are not listed.
	h.clock.Set(at(2026, 12, 16, 12, 0))
	got = text(h.say(maya, "/scorecard "+bot.Mention(bob)))
	mustContain(t, got, "• no check-in 2 weeks in a row", "• 2026-W51 · no check-in", "• 2026-W48 · checked in")
}

func TestPersonScorecardInChinese(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)
	h.clock.Set(at(2026, 11, 27, 16, 0))
	got := text(h.say(chen, "/scorecard me"))
	mustContain(t, got, "最近的周报（从新到旧）", "阻碍：CI is flaky")
}
