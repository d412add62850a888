package bot_test

import "testing"

// Adversarial regression tests for issue 13 (round adv13).

// "/scorecard me team zeta" by bob, who is not in Zeta, rendered an empty
// "Scorecard of , 2026-W48" instead of saying he is not in that team.
func TestAdv13ScorecardMeOfATeamOneIsNotIn(t *testing.T) {
	h := newTwoTeamHarness(t)
	h.say(bob, "/pulse me language en")
	got := text(h.say(bob, "/scorecard me team zeta"))
	mustContain(t, got, "not a member of Zeta")
	mustNotContain(t, got, "Scorecard of")
	// His own teams still work, named or not.
	mustContain(t, text(h.say(bob, "/scorecard me team design")), "Scorecard of Bob")
	// A manager who is no member still sees their own goals there.
	h.say(maya, "/pulse me language en")
	mustContain(t, text(h.say(maya, "/scorecard me team growth")), "Scorecard of Maya")
}
