package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

// TestScorecardDataReadsAWindowInThreeRoundTrips seeds goals, updates on
// both sides of the window, check-ins and kudos (one to someone outside
// the query's people) and checks what ScorecardData returns and that it
// took at most three round trips, on real Redis and on the embedded server
// that `pulse try` uses (its Lua must run the same script).
func TestScorecardDataReadsAWindowInThreeRoundTrips(t *testing.T) {
	t.Run("redis", func(t *testing.T) { testScorecardData(t, storetest.MustOpen(t)) })
	t.Run("embedded", func(t *testing.T) { testScorecardData(t, storetest.MustOpenEmbedded(t)) })
}

func testScorecardData(t *testing.T, st *store.Store) {
	ctx := context.Background()
	ann := bot.NewUserID(bot.PlatformSlack, "T1", "ann")
	ben := bot.NewUserID(bot.PlatformSlack, "T1", "ben")
	cat := bot.NewUserID(bot.PlatformSlack, "T1", "cat")
	for _, p := range []bot.Person{{ID: ann, Name: "Ann"}, {ID: ben, Name: "Ben"}, {ID: cat, Name: "Cat"}} {
		if err := st.SavePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	g, err := st.CreateGoal(ctx, bot.Goal{TeamID: "t", Title: "Orders", Owner: ann, Metric: bot.Metric{Baseline: 5, Target: 10}, Current: 5, State: bot.GoalOpen}, bot.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	quiet, err := st.CreateGoal(ctx, bot.Goal{TeamID: "t", Title: "Quiet", Owner: ben, State: bot.GoalOpen}, bot.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		v  float64
		at time.Time
	}{{6, day(2, 9)}, {0, day(10, 9)}, {8, day(17, 9)}, {9, day(24, 9)}} {
		if _, err := st.RecordUpdate(ctx, bot.Update{GoalID: g.ID, Author: ann, At: u.at}, bot.ProgressChange{Number: u.v}, bot.AuditEntry{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []bot.CheckIn{
		{TeamID: "t", Person: ann, Period: "2026-W47", Mood: 4, Completed: day(16, 10)},
		{TeamID: "t", Person: ben, Period: "2026-W48", Skipped: true},
	} {
		if err := st.SaveCheckIn(ctx, c, "", bot.AuditEntry{}); err != nil {
			t.Fatal(err)
		}
	}
	for i, k := range []bot.Kudos{
		{TeamID: "t", From: ann, To: []bot.UserID{ben}, At: day(16, 12)},
		{TeamID: "t", From: ben, To: []bot.UserID{cat}, Values: []string{"care"}, At: day(17, 12)},
		{TeamID: "t", From: ann, To: []bot.UserID{ben}, At: day(24, 12)},
	} {
		k.Key = string(rune('a' + i))
		if _, err := st.GiveKudos(ctx, k, k.At.Format("2006-01-02"), 10, bot.AuditEntry{}); err != nil {
			t.Fatal(err)
		}
	}
	rt := storetest.CountRoundTrips(st)
	rt.Reset()
	data, err := st.ScorecardData(ctx, bot.ScorecardQuery{TeamID: "t", CountFrom: day(9, 0), From: day(16, 0), To: day(23, 0),
		Periods: []string{"2026-W47", "2026-W48"}, ValuesAt: []time.Time{day(2, 0), day(9, 0), day(16, 0), day(23, 0)},
		People: []bot.UserID{ann, ben}})
	if err != nil {
		t.Fatal(err)
	}
	if n := rt.N(); n > 3 {
		t.Fatalf("ScorecardData took %d round trips, want at most 3", n)
	}
	if len(data.Goals) != 2 || len(data.Updates) != 1 || data.Updates[0].Value != 8 || len(data.Kudos) != 2 {
		t.Fatalf("goals %d, updates %+v, kudos %d", len(data.Goals), data.Updates, len(data.Kudos))
	}
	if data.UpdatesBefore != 1 || data.KudosBefore != 0 {
		t.Fatalf("counts before the window: %d updates, %d kudos; want 1 and 0", data.UpdatesBefore, data.KudosBefore)
	}
	// Each value comes with when its update was recorded.
	want := []bot.GoalValue{{}, {Value: 6, OK: true, At: day(2, 9)}, {Value: 0, OK: true, At: day(10, 9)}, {Value: 8, OK: true, At: day(17, 9)}}
	for i, v := range data.ValuesAt[g.ID] {
		if v.Value != want[i].Value || v.OK != want[i].OK || !v.At.Equal(want[i].At) {
			t.Fatalf("values of %s: %+v, want %+v", g.ID, data.ValuesAt[g.ID], want)
		}
	}
	for _, v := range data.ValuesAt[quiet.ID] {
		if v.OK {
			t.Fatalf("a goal without updates has values %+v", data.ValuesAt[quiet.ID])
		}
	}
	if len(data.CheckIns["2026-W47"]) != 1 || len(data.CheckIns["2026-W48"]) != 1 || !data.CheckIns["2026-W48"][0].Skipped {
		t.Fatalf("check-ins %+v", data.CheckIns)
	}
	if data.People[cat].Name != "Cat" || data.People[ann].Name != "Ann" {
		t.Fatalf("people %+v: want the asked ones and the kudos recipient", data.People)
	}
}
