package bot_test

import (
	"math"
	"testing"

	"github.com/pulse-bot/pulse/bot"
)

// An export of a past week ("/scorecard export json 2026-W48") holds that
// week's figures, the same as "/scorecard team growth 2026-W48": an update
// and a closing since, and a goal started since, change none of them.
// It used to compute them from the goals as they are now.
func TestExportOfAPastWeekShowsThatWeeksFigures(t *testing.T) {
	h := newHarness(t) // Monday of 2026-W48
	h.say(alice, "/goal new Raise conversion from 2.1% to 3% by 2027-03-01")
	h.say(alice, "/goal new Ship onboarding from 0 to 10 screens by 2027-03-01")
	ids := goalIDs(t, h)
	conv, ship := ids["Raise conversion"], ids["Ship onboarding"]
	h.say(alice, "/goal "+conv+" 2.5%")
	h.say(alice, "/goal "+ship+" 4")

	h.clock.Set(at(2026, 12, 1, 10, 0)) // Tuesday of 2026-W49
	h.say(alice, "/goal "+conv+" 2.9%")
	h.say(alice, "/goal done "+ship)
	h.say(alice, "/goal new Hire two engineers from 0 to 2 people by 2027-03-01")
	hire := goalIDs(t, h)["Hire two engineers"]

	from, to, err := bot.WeekBounds("2026-W48", berlin)
	if err != nil {
		t.Fatal(err)
	}
	past := exportFigures(t, h, bot.ExportRequest{From: from, To: to}).Figures
	card := text(h.say(maya, "/scorecard team growth 2026-W48"))
	for _, id := range []string{conv, ship} {
		f, ok := past[id]
		if !ok {
			t.Fatalf("the W48 export has no figures for %s: %+v", id, past)
		}
		if got, want := int(math.Round(f.Progress)), percentOf(t, card, id); got != want {
			t.Errorf("the W48 export shows %s at %d%%, its W48 scorecard %d%%:\n%s", id, got, want, card)
		}
	}
	if got := past[conv].Progress; math.Abs(got-400.0/9) > 1e-9 {
		t.Errorf("W48's export shows %s at %.2f%%, want 44.44%% (2.5%% of 2.1%%→3%%), not this week's 2.9%%", conv, got)
	}
	if f := past[ship]; f.Status == bot.Done || f.Progress != 40 {
		t.Errorf("W48's export shows %s %s at %.0f%%; it was open at 40%% then (done only in W49)", ship, f.Status, f.Progress)
	}
	if f, ok := past[hire]; ok {
		t.Errorf("W48's export has figures for %s, started in W49: %+v", hire, f)
	}

	now := exportFigures(t, h, bot.ExportRequest{}).Figures
	if now[ship].Status != bot.Done || math.Abs(now[conv].Progress-800.0/9) > 1e-9 {
		t.Errorf("an export to now shows %s %s and %s at %.2f%%, want done and 88.89%%", ship, now[ship].Status, conv, now[conv].Progress)
	}
}
