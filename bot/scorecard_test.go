package bot_test

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/chart"
)

var updateGolden = flag.Bool("update", false, "rewrite the scorecard golden files")

var (
	berlin = mustZone("Europe/Berlin")
	zoe    = bot.NewUserID(bot.PlatformConsole, "demo", "zoe")
)

func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, berlin)
}

// seedGrowth gives the harness team three weeks of history around the
// boundary of 2026-W47 and 2026-W48 (Sunday 22 → Monday 23 November):
//
//	G1 team goal, G2 (alice) and G3 (bob) aligned under it, G4 (chen) on its own;
//	updates on both sides of midnight; check-ins in W46–W48 (chen misses W47);
//	kudos in both weeks, one to zoe, who is not in the team.
func seedGrowth(h *harness) {
	backdateTeam(h, at(2026, 9, 1, 0, 0))
	s := newSeeder(h.t, h.store, "growth")
	start, due := at(2026, 10, 1, 0, 0), at(2026, 12, 31, 0, 0)
	g1 := s.goal(bot.Goal{Title: "Grow online revenue", OwnerTeam: "growth", CreatedBy: maya, Metric: bot.Metric{Baseline: 0, Target: 100, Unit: "k"}, Start: start, Due: due})
	g2 := s.goal(bot.Goal{Title: "Raise checkout conversion", Owner: alice, CreatedBy: alice, Metric: bot.Metric{Baseline: 2.1, Target: 3, Unit: "%"}, Start: start, Due: due, Parent: g1})
	g3 := s.goal(bot.Goal{Title: "Ship the payment page", Owner: bob, CreatedBy: bob, Metric: bot.Metric{Milestone: true}, Start: start, Due: due, Parent: g1})
	g4 := s.goal(bot.Goal{Title: "降低退款率", Owner: chen, CreatedBy: chen, Metric: bot.Metric{Baseline: 5, Target: 2, Unit: "%"}, Start: start, Due: at(2026, 12, 15, 0, 0)})
	s.update(g2, alice, 2.3, at(2026, 10, 12, 11, 0), "")
	s.update(g2, alice, 2.4, at(2026, 11, 1, 11, 0), "")
	s.update(g2, alice, 2.5, at(2026, 11, 22, 23, 30), "late Sunday")     // W47
	s.update(g2, alice, 2.6, at(2026, 11, 23, 0, 30), "new payment page") // W48
	s.update(g3, bob, 40, at(2026, 11, 10, 15, 0), "")
	s.update(g3, bob, 50, at(2026, 11, 24, 15, 0), "")
	s.update(g4, chen, 4.5, at(2026, 11, 25, 10, 0), "")
	s.update(g1, maya, 55, at(2026, 11, 26, 10, 0), "")

	s.checkIn(alice, at(2026, 11, 9, 10, 0), berlin, 4, "none")
	s.checkIn(bob, at(2026, 11, 9, 10, 0), berlin, 4, "none")
	s.checkIn(chen, at(2026, 11, 9, 10, 0), berlin, 3, "none")
	s.checkIn(alice, at(2026, 11, 16, 10, 0), berlin, 4, "Waiting on legal review")
	s.checkIn(bob, at(2026, 11, 16, 10, 0), berlin, 3, "no")
	s.checkIn(alice, at(2026, 11, 23, 10, 0), berlin, 5, "Waiting on legal review")
	s.checkIn(bob, at(2026, 11, 23, 11, 0), berlin, 4, "无")
	s.checkIn(chen, at(2026, 11, 24, 10, 0), berlin, 3, "CI is flaky")

	s.kudos(alice, []bot.UserID{bob}, "thanks for the review", []string{"ownership"}, at(2026, 11, 22, 23, 0))
	s.kudos(bob, []bot.UserID{alice, chen}, "great launch", []string{"candor"}, at(2026, 11, 23, 10, 0))
	s.kudos(chen, []bot.UserID{zoe}, "谢谢支持", []string{"ownership"}, at(2026, 11, 24, 9, 0))
}

// backdateTeam makes the Growth team exist from since, so data seeded
// into earlier weeks falls inside the team's life.
func backdateTeam(h *harness, since time.Time) {
	h.t.Helper()
	ctx := context.Background()
	team, err := h.store.GetTeam(ctx, "growth")
	if err != nil {
		h.t.Fatal(err)
	}
	team.CreatedAt = since
	if err := h.svc.ApplyTeam(ctx, team); err != nil {
		h.t.Fatal(err)
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "scorecard", name+".golden")
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden %s (run with -update to create it): %v", path, err)
	}
	if got != string(want) {
		t.Fatalf("%s differs from the golden file:\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

// TestScorecardAcrossWeekBoundary builds W48 and W47 on Friday of W48: each
// update, check-in and kudos lands in the week of its local time.
func TestScorecardAcrossWeekBoundary(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)
	h.clock.Set(at(2026, 11, 27, 16, 0))
	ctx := context.Background()
	team, err := h.store.GetTeam(ctx, "growth")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := h.svc.BuildScorecard(ctx, team, "2026-W48", "")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Updates[alice] != 1 || sc.Updates[bob] != 1 || sc.Updates[chen] != 1 || sc.Updates[maya] != 1 {
		t.Fatalf("W48 updates %v, want one each (alice's Sunday update is W47's)", sc.Updates)
	}
	if sc.Headline.Answered != 3 || !sc.MoodShown() || sc.Mood != 4 {
		t.Fatalf("W48 headline %+v, want 3 answers and mood 4", sc.Headline)
	}
	if sc.Previous.Answered != 2 || sc.Previous.MoodShown() || sc.Previous.Updates != 1 || sc.Previous.KudosGiven != 1 {
		t.Fatalf("W47 figures %+v, want 2 answers (mood hidden), 1 update, 1 kudos", sc.Previous)
	}
	if sc.Streaks[alice] != 3 || sc.Streaks[chen] != 1 {
		t.Fatalf("streaks %v, want alice 3 and chen 1", sc.Streaks)
	}
	if len(sc.Blockers) != 2 || sc.Blockers[0].Person != alice || sc.Blockers[0].Weeks != 2 || sc.Blockers[1].Weeks != 1 {
		t.Fatalf("blockers %+v, want alice's (2 weeks) then chen's (new)", sc.Blockers)
	}
	if sc.Headline.KudosGiven != 2 || len(sc.CrossTeam) != 1 || sc.Outsiders[0] != zoe || sc.Values["candor"] != 1 {
		t.Fatalf("kudos %d, cross %v, values %v", sc.Headline.KudosGiven, sc.Outsiders, sc.Values)
	}
	var team1 bot.GoalCard
	for _, g := range sc.Goals {
		if g.OwnerTeam != "" {
			team1 = g
		}
	}
	// G1 rolls up G2 (2.6% of 2.1→3 is 55.6%) and G3 (50%), not its own 55k.
	if team1.Children != 2 || int(team1.Rolled*10) != 527 {
		t.Fatalf("team goal %+v: want 2 children and rolled progress 52.7", team1)
	}
	if len(team1.Trend) != bot.TrendWeeks {
		t.Fatalf("trend has %d points, want %d", len(team1.Trend), bot.TrendWeeks)
	}
	for _, g := range sc.Goals {
		if g.Owner != alice {
			continue
		}
		// Values at each week end, W41–W48 (baseline until the 12 October
		// update, the 1 November update in W44): the 2.5% posted late on Sunday
		// is W47's; the 2.6% posted after midnight is W48's.
		want := []float64{2.1, 2.3, 2.3, 2.4, 2.4, 2.4, 2.5, 2.6}
		for i, p := range g.Trend {
			if !p.OK || p.Value != want[i] {
				t.Fatalf("trend of %s: %+v, want values %v", g.ID, g.Trend, want)
			}
		}
	}
	checkGolden(t, "w48-manager-en", bot.PlainText(h.say(maya, "/scorecard team growth").Reply))
	checkGolden(t, "w48-manager-zh", bot.PlainText(h.say(chenManagerZh(h), "/scorecard team growth").Reply))
	checkGolden(t, "w47-manager-en", bot.PlainText(h.say(maya, "/scorecard team growth last week").Reply))
	checkGolden(t, "w48-me-alice-en", bot.PlainText(h.say(alice, "/scorecard me").Reply))
}

// chenManagerZh makes a Chinese-speaking manager of the team, for the zh golden.
func chenManagerZh(h *harness) bot.UserID {
	h.t.Helper()
	li := bot.NewUserID(bot.PlatformConsole, "demo", "li")
	ctx := context.Background()
	if err := h.store.SavePerson(ctx, bot.Person{ID: li, Name: "李经理", Locale: bot.Chinese}); err != nil {
		h.t.Fatal(err)
	}
	team, err := h.store.GetTeam(ctx, "growth")
	if err != nil {
		h.t.Fatal(err)
	}
	team.Managers = append(team.Managers, li)
	if err := h.svc.ApplyTeam(ctx, team); err != nil {
		h.t.Fatal(err)
	}
	return li
}

// TestScorecardAcrossDSTChange covers the week in which Berlin leaves
// summer time (Sunday 2026-10-25, 03:00 → 02:00): W43 is 169 hours long, and
// updates just before and after its local midnight end fall on either side.
func TestScorecardAcrossDSTChange(t *testing.T) {
	h := newHarness(t)
	backdateTeam(h, at(2026, 9, 1, 0, 0))
	s := newSeeder(h.t, h.store, "growth")
	g := s.goal(bot.Goal{Title: "Raise checkout conversion", Owner: alice, Metric: bot.Metric{Baseline: 2, Target: 3, Unit: "%"},
		Start: at(2026, 9, 1, 0, 0), Due: at(2026, 12, 31, 0, 0)})
	s.update(g, alice, 2.2, at(2026, 10, 25, 2, 30), "in the repeated hour") // W43, after the change
	s.update(g, alice, 2.4, at(2026, 10, 25, 23, 30), "Sunday night")        // W43
	s.update(g, alice, 2.5, at(2026, 10, 26, 0, 30), "Monday")               // W44
	s.checkIn(alice, at(2026, 10, 25, 23, 0), berlin, 4, "none")
	s.checkIn(bob, at(2026, 10, 26, 1, 0), berlin, 4, "none")
	h.clock.Set(at(2026, 10, 28, 12, 0))
	ctx := context.Background()
	team, err := h.store.GetTeam(ctx, "growth")
	if err != nil {
		t.Fatal(err)
	}
	w43, err := h.svc.BuildScorecard(ctx, team, "2026-W43", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := w43.To.Sub(w43.From); got != 169*time.Hour {
		t.Fatalf("W43 lasts %v, want 169h (the repeated hour)", got)
	}
	if w43.Updates[alice] != 2 || w43.Headline.Answered != 1 || w43.Goals[0].Value != 2.4 {
		t.Fatalf("W43: updates %v, answered %d, value %v; want 2, 1, 2.4", w43.Updates, w43.Headline.Answered, w43.Goals[0].Value)
	}
	w44, err := h.svc.BuildScorecard(ctx, team, "2026-W44", "")
	if err != nil {
		t.Fatal(err)
	}
	if w44.Updates[alice] != 1 || w44.Headline.Answered != 1 || w44.Previous.Updates != 2 || w44.Goals[0].Value != 2.5 {
		t.Fatalf("W44: updates %v, answered %d, previous %+v, value %v", w44.Updates, w44.Headline.Answered, w44.Previous, w44.Goals[0].Value)
	}
	checkGolden(t, "w43-dst-en", bot.PlainText(h.say(maya, "/scorecard team growth 2026-W43").Reply))
}

// TestScorecardOfEmptyWeek covers a week with no updates, check-ins or
// kudos, in a team with goals, and a team with nothing at all.
func TestScorecardOfEmptyWeek(t *testing.T) {
	h := newHarness(t)
	fresh := h.say(maya, "/scorecard team growth")
	mustContain(t, text(fresh), "Scorecard of Growth, 2026-W48", "No goals in this period", "0/3 (±0)")
	seedGrowth(h)
	h.clock.Set(at(2026, 12, 9, 12, 0)) // W50: nothing happened
	ctx := context.Background()
	team, err := h.store.GetTeam(ctx, "growth")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := h.svc.BuildScorecard(ctx, team, "2026-W50", "")
	if err != nil {
		t.Fatal(err)
	}
	if sc.TotalUpdates() != 0 || sc.Headline.KudosGiven != 0 || len(sc.Missing) != 3 || len(sc.Blockers) != 0 || len(sc.Goals) != 4 {
		t.Fatalf("empty week: %+v", sc.Headline)
	}
	checkGolden(t, "w50-empty-en", bot.PlainText(h.say(maya, "/scorecard team growth").Reply))
}

// TestScorecardPermissions checks every role: members and outsiders are
// refused the team's scorecard; managers see individual moods, admins who
// do not manage the team see only the average; anyone gets their own.
func TestScorecardPermissions(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)
	h.clock.Set(at(2026, 11, 27, 16, 0))
	outsider := bot.NewUserID(bot.PlatformConsole, "demo", "olga")
	tests := []struct {
		name     string
		who      bot.UserID
		cmd      string
		want     []string
		dontWant []string
	}{
		{"member refused", alice, "/scorecard team growth", []string{"for its managers and admins"}, []string{"mood 5/5"}},
		{"outsider refused", outsider, "/scorecard team growth", []string{"for its managers and admins"}, []string{"Bob"}},
		{"manager sees moods", maya, "/scorecard team growth", []string{"Mood: 4.0/5", "Alice — checked in", "mood 5/5", "mood 3/5"}, nil},
		{"admin sees average only", admin, "/scorecard team growth", []string{"Mood: 4.0/5", "Alice — checked in"}, []string{"mood 5/5", "mood 4/5", "mood 3/5"}},
		{"member's own", alice, "/scorecard me", []string{"Scorecard of Alice", "Mood: 5/5", "3 weeks in a row"}, []string{"Bob —", "Chen —", "• Bob"}},
		{"manager's own", maya, "/scorecard me", []string{"Scorecard of Maya"}, []string{"Alice —", "mood 5/5"}},
		{"manager sees a member's", maya, "/scorecard " + bot.Mention(alice), []string{"Scorecard of Alice", "Mood: 5/5"}, []string{"Bob —", "• Bob"}},
		{"manager names a member and a week", maya, "/scorecard " + bot.Mention(alice) + " 2026-W48", []string{"Scorecard of Alice"}, nil},
		{"admin sees a member's without moods", admin, "/scorecard " + bot.Mention(alice), []string{"Scorecard of Alice"}, []string{"Mood: 5/5"}},
		{"member refused another's, by name", bob, "/scorecard " + bot.Mention(alice), []string{"Alice's scorecard is for their managers"}, []string{"console:", "<@"}},
		{"member may name themself", alice, "/scorecard " + bot.Mention(alice), []string{"Scorecard of Alice", "Mood: 5/5"}, nil},
		{"manager who is no member may name themself", maya, "/scorecard " + bot.Mention(maya), []string{"Scorecard of Maya"}, []string{"scorecard is for their managers"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := text(h.say(tc.who, tc.cmd))
			mustContain(t, got, tc.want...)
			for _, w := range tc.dontWant {
				if strings.Contains(got, w) {
					t.Fatalf("reply shows %q:\n%s", w, got)
				}
			}
		})
	}
}

// TestScorecardMoodHiddenBelowThreeAnswers checks the average is withheld
// when fewer than three answered, even from managers.
func TestScorecardMoodHiddenBelowThreeAnswers(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)
	h.clock.Set(at(2026, 11, 20, 16, 0)) // W47: alice and bob answered
	got := text(h.say(maya, "/scorecard team growth"))
	mustContain(t, got, "Mood: hidden (fewer than 3 answers)")
}

// TestScorecardDigestShowsNoIndividualMoods checks the channel digest is the
// same scorecard, without anyone's mood.
func TestScorecardDigestShowsNoIndividualMoods(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)
	ds, err := h.svc.PlanJob(context.Background(), bot.JobRequest{Job: bot.JobScorecardDigest, TeamID: "growth", At: at(2026, 11, 27, 16, 0)})
	if err != nil || len(ds) != 1 {
		t.Fatalf("plan digest: %v %v", ds, err)
	}
	got := bot.PlainText(ds[0].Msg)
	mustContain(t, got, "Scorecard of Growth, 2026-W48", "Mood: 4.0/5", "Alice — checked in")
	if strings.Contains(got, "mood 5/5") {
		t.Fatalf("digest shows an individual mood:\n%s", got)
	}
}

// TestScorecardCarriesChart checks the on-demand scorecard attaches the PNG.
func TestScorecardCarriesChart(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)
	h.clock.Set(at(2026, 11, 27, 16, 0))
	r, err := chart.New(h.svc.Catalog())
	if err != nil {
		t.Fatal(err)
	}
	h.svc.SetChartRenderer(r)
	resp := h.say(maya, "/scorecard team growth")
	if resp.File == nil || resp.File.Name != "scorecard-growth-2026-W48.png" || resp.File.MIME != "image/png" {
		t.Fatalf("file %+v, want scorecard-growth-2026-W48.png as image/png", resp.File)
	}
	img, err := png.Decode(bytes.NewReader(resp.File.Data))
	if err != nil || img.Bounds().Dx() != 960 {
		t.Fatalf("chart does not decode as a 960-wide PNG: %v", err)
	}
}
