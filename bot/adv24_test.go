package bot_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store/storetest"
)

// adv24ChatExport runs "/scorecard export json <args>" as maya, the
// growth team's manager, and decodes the file.
func adv24ChatExport(t *testing.T, h *harness, args string) bot.Export {
	t.Helper()
	resp := h.say(maya, "/scorecard export json "+args)
	if resp.File == nil {
		t.Fatalf("/scorecard export json %s sent no file: %s", args, text(resp))
	}
	var doc bot.Export
	if err := json.Unmarshal(resp.File.Data, &doc); err != nil {
		t.Fatalf("decode export: %v", err)
	}
	return doc
}

// A goal closed in W48 was closed at W48's end: W48's export (and its
// scorecard) show it done (or dropped) also after an edit of its title or
// parent in W49. Such an edit is no reopening, but it moved the goal's
// UpdatedAt, which goalsStoodAt reads as its closing time, so the export
// showed it open at its value then (done goal: 40 %, on track); before
// the export read goals through goalsStoodAt it showed done.
func TestAdv24PastExportKeepsAGoalClosedThenClosedAfterAnEditSince(t *testing.T) {
	h := newHarness(t) // Monday of 2026-W48
	h.say(alice, "/goal new Ship onboarding from 0 to 10 screens by 2027-03-01")
	h.say(bob, "/goal new Onboard merchants from 0 to 40 merchants by 2027-03-01")
	ids := goalIDs(t, h)
	ship, merchants := ids["Ship onboarding"], ids["Onboard merchants"]
	h.say(alice, "/goal "+ship+" 4")
	h.say(bob, "/goal "+merchants+" 10")
	h.clock.Set(at(2026, 11, 25, 10, 0)) // Wednesday of W48
	h.say(alice, "/goal done "+ship)
	h.say(bob, "/goal drop "+merchants)

	h.clock.Set(at(2026, 12, 1, 10, 0)) // Tuesday of W49
	check := func(when string) {
		t.Helper()
		past := adv24ChatExport(t, h, "2026-W48").Figures
		if f := past[ship]; f.Status != bot.Done || f.Progress != 100 {
			t.Errorf("%s: W48's export shows %s %s at %.0f%%; it was done in W48", when, ship, f.Status, f.Progress)
		}
		if f := past[merchants]; f.Status != bot.Dropped {
			t.Errorf("%s: W48's export shows %s %s at %.0f%%; it was dropped in W48", when, merchants, f.Status, f.Progress)
		}
		card := text(h.say(maya, "/scorecard team growth 2026-W48"))
		if got := percentOf(t, card, ship); got != 100 {
			t.Errorf("%s: W48's scorecard shows %s at %d%%, done then:\n%s", when, ship, got, card)
		}
	}
	check("before any edit")
	h.say(alice, "/goal edit "+ship+" title Ship the onboarding")
	h.say(bob, "/goal edit "+merchants+" private on")
	check("after editing the closed goals in W49")
}

// "/scorecard export json from 2026-11-23 to 2026-11-29" names the same
// week as "/scorecard export json 2026-W48" (Monday to Sunday) for a
// Berlin team, and must export it: the same participation week and the
// goal figures at the same instant. The dates are read as UTC days, so the
// range ends at Monday 01:00 in Berlin: its participation is W49's, and
// its figures count an update made in W49's first hour.
func TestAdv24ChatExportOfAWholeWeekByDatesIsThatWeekInTheTeamsZone(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Ship onboarding from 0 to 10 screens by 2027-03-01")
	ship := goalIDs(t, h)["Ship onboarding"]
	h.say(alice, "/goal "+ship+" 4")
	h.clock.Set(at(2026, 11, 30, 0, 30)) // Monday of W49, 00:30 in Berlin
	h.say(alice, "/goal "+ship+" 6")

	h.clock.Set(at(2026, 12, 1, 10, 0))
	week := adv24ChatExport(t, h, "2026-W48")
	dates := adv24ChatExport(t, h, "from 2026-11-23 to 2026-11-29")
	if got, want := dates.Participation[0].Period, week.Participation[0].Period; got != want {
		t.Errorf("the export from Monday 2026-11-23 to Sunday 2026-11-29 counts the check-ins of %s, the W48 export those of %s", got, want)
	}
	if got, want := dates.Figures[ship].Progress, week.Figures[ship].Progress; got != want {
		t.Errorf("the export from Monday 2026-11-23 to Sunday 2026-11-29 shows %s at %.0f%%, the W48 export (and scorecard) at %.0f%%", ship, got, want)
	}
	if got, want := len(dates.Updates), len(week.Updates); got != want {
		t.Errorf("the export from Monday 2026-11-23 to Sunday 2026-11-29 holds %d updates, the W48 export %d", got, want)
	}
}

// adv24CountingStore counts the store's batched scorecard reads.
type adv24CountingStore struct {
	bot.Store
	reads *int
}

func (s adv24CountingStore) ScorecardData(ctx context.Context, q bot.ScorecardQuery) (bot.ScorecardData, error) {
	*s.reads++
	return s.Store.ScorecardData(ctx, q)
}

// A CSV export carries no figures (they are JSON only), so a CSV export of
// a past week reads no goal values at its end: the batched read that
// goalsAtExportEnd added is thrown away with the figures.
func TestAdv24PastCSVExportReadsNoFigures(t *testing.T) {
	reads := 0
	st := adv24CountingStore{Store: storetest.MustOpen(t), reads: &reads}
	h := newTeamHarnessOn(t, st, monday, []bot.UserID{admin}, []bot.UserID{alice, bob, chen}, []bot.UserID{maya}, nil, nil,
		maya, alice, bob, chen, admin)
	h.say(alice, "/goal new Ship onboarding from 0 to 10 screens by 2027-03-01")
	h.clock.Set(at(2026, 12, 1, 10, 0))
	reads = 0
	resp := h.say(maya, "/scorecard export csv 2026-W48")
	if resp.File == nil {
		t.Fatalf("no file: %s", text(resp))
	}
	if reads != 0 {
		t.Errorf("a CSV export of W48 made %d batched scorecard reads for figures it does not write", reads)
	}
}
