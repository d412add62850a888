package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
)

// seedGoals stores team growth with a conversion goal (2.1% → 3.2%) and a
// milestone, and returns their ids.
func seedGoals(t *testing.T, st *store.Store) (string, string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	team := bot.NewTeam("growth", bot.PlatformSlack, "C1", now.AddDate(0, -2, 0))
	if err := st.SaveTeam(ctx, team, bot.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	conv, err := st.CreateGoal(ctx, bot.Goal{TeamID: "growth", Title: "Checkout conversion", OwnerTeam: "growth",
		Metric: bot.Metric{Baseline: 2.1, Target: 3.2, Unit: "%"}, Current: 2.1, State: bot.GoalOpen,
		Start: now.AddDate(0, -2, 0), Due: now.AddDate(0, 2, 0), UpdatedAt: now.AddDate(0, -2, 0)}, bot.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := st.CreateGoal(ctx, bot.Goal{TeamID: "growth", Title: "Ship the new checkout", OwnerTeam: "growth",
		Metric: bot.Metric{Milestone: true, Target: 100, Unit: "%"}, State: bot.GoalOpen,
		Start: now.AddDate(0, -2, 0), UpdatedAt: now.AddDate(0, -2, 0)}, bot.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	return conv.ID, ms.ID
}

func goalUpdates(t *testing.T, st *store.Store, id string) []bot.Update {
	t.Helper()
	ups, err := st.GoalUpdates(context.Background(), id, time.Time{}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return ups
}

func TestProgressCommandRecordsOnceThroughTheAPIPath(t *testing.T) {
	ctx := context.Background()
	env, st := redisEnv(t)
	conv, _ := seedGoals(t, st)
	out, stderr, err := runPulse(ctx, env, "", "progress", conv, "2.6%", "--note", "new payment page", "--key", "run-1")
	if err != nil {
		t.Fatalf("progress: %v\n%s", err, stderr)
	}
	assertContains(t, out, conv+" 2.1% → 2.6% (target 3.2%)")
	out, _, err = runPulse(ctx, env, "", "progress", conv, "2.6", "--key", "run-1")
	if err != nil {
		t.Fatal(err)
	}
	assertContains(t, out, "already recorded with this key")
	ups := goalUpdates(t, st, conv)
	if len(ups) != 1 || ups[0].Value != 2.6 || ups[0].Note != "new payment page" || ups[0].Via != "cli" {
		t.Fatalf("updates %+v, want one of 2.6 via cli", ups)
	}
	// Refusals are chat's sentences.
	_, _, err = runPulse(ctx, env, "", "progress", conv, "26 orders")
	if err == nil || !strings.Contains(err.Error(), `"orders" doesn't match`) && !strings.Contains(err.Error(), "orders") {
		t.Fatalf("unit mismatch: %v", err)
	}
	_, _, err = runPulse(ctx, env, "", "progress", "G999999", "1")
	if err == nil || !strings.Contains(err.Error(), "There is no goal G999999") {
		t.Fatalf("unknown goal: %v", err)
	}
}

func TestProgressCSVChecksEveryRowFirstAndImportsNothingWhenOneIsBad(t *testing.T) {
	ctx := context.Background()
	env, st := redisEnv(t)
	conv, ms := seedGoals(t, st)
	day := func(d int) string { return time.Now().AddDate(0, 0, -d).UTC().Format(time.DateOnly) }
	bad := writeFile(t, "bad.csv", strings.Join([]string{
		"goal,value,time",
		conv + ",2.2," + day(30),
		"X7,2.3," + day(29),
		conv + ",two," + day(28),
		conv + ",2.4,last tuesday",
		ms + ",140," + day(27),
		"G999999,1," + day(26),
		conv + ",2.5," + day(30),
		conv + ",2.6",
	}, "\n"))
	_, stderr, err := runPulse(ctx, env, "", "progress", "--csv", bad)
	if err == nil || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("bad file: %v", err)
	}
	for _, want := range []string{
		`line 3: "X7" is not a goal id`,
		`line 4: "two" is not a value`,
		`line 5: "last tuesday" is not a time`,
		"line 6: This goal is a milestone",
		"line 7: There is no goal G999999",
		"line 8: " + conv + " has a value at",
		"line 9: has 2 fields",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("problems lack %q:\n%s", want, stderr)
		}
	}
	if n := strings.Count(strings.TrimSpace(stderr), "\n") + 1; n != 7 {
		t.Errorf("%d problem lines, want 7:\n%s", n, stderr)
	}
	if ups := goalUpdates(t, st, conv); len(ups) != 0 {
		t.Fatalf("a bad file imported %d updates", len(ups))
	}

	good := writeFile(t, "good.csv", strings.Join([]string{
		conv + ",2.4," + day(10),
		conv + ",2.2," + day(20),
		ms + ",40%," + day(15),
		conv + ",2.5," + day(5),
	}, "\n"))
	out, stderr, err := runPulse(ctx, env, "", "progress", "--csv", good, "--source", "shop-export")
	if err != nil {
		t.Fatalf("good file: %v\n%s", err, stderr)
	}
	assertContains(t, out, "4 updates recorded, 0 already there")
	ups := goalUpdates(t, st, conv)
	if len(ups) != 3 || ups[0].Value != 2.2 || ups[2].Value != 2.5 || ups[2].Via != "shop-export" {
		t.Fatalf("back-filled history %+v", ups)
	}
	g, err := st.GetGoal(ctx, conv)
	if err != nil || g.Current != 2.5 {
		t.Fatalf("current %v, want the newest row's 2.5 (%v)", g.Current, err)
	}
	// The same file again records nothing twice.
	out, _, err = runPulse(ctx, env, "", "progress", "--csv", good, "--source", "shop-export")
	if err != nil {
		t.Fatal(err)
	}
	assertContains(t, out, "0 updates recorded, 4 already there")
	if ups := goalUpdates(t, st, conv); len(ups) != 3 {
		t.Fatalf("a second run left %d updates, want 3", len(ups))
	}
}
