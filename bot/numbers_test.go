package bot_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// Regression tests for issue 13 ("one number, one meaning"); each names the
// finding it pins.

// goalIDs returns the ids of the team's goals by title.
func goalIDs(t *testing.T, h *harness) map[string]string {
	t.Helper()
	return titlesIn(t, h, "growth")
}

// percentOf reads the first percentage on the line that shows goal id:
// every goal view puts the goal's own progress first.
func percentOf(t *testing.T, view, id string) int {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\s*(?:•\s*)?` + regexp.QuoteMeta(id) + ` [^\n]*?(-?\d+)%`)
	m := re.FindStringSubmatch(view)
	if m == nil {
		t.Fatalf("no line for %s in:\n%s", id, view)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// lineOf returns the line that shows goal id.
func lineOf(t *testing.T, view, id string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(id) + ` [^\n]*`)
	m := re.FindString(view)
	if m == "" {
		t.Fatalf("no line for %s in:\n%s", id, view)
	}
	return m
}

// Finding 1: a cycle made by "/goal edit … parent" crashed every view with
// a stack overflow. The edit is refused; a cycle already in the store (old
// data) no longer crashes or hides goals.
func TestFinding1AlignmentCycleRefusedAndStoredCycleIsSafe(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Alpha to 10 by 2027-03-01")
	a := goalIDs(t, h)["Alpha"]
	h.say(alice, "/goal new Beta to 10 by 2027-03-01 under "+a)
	b := goalIDs(t, h)["Beta"]
	mustContain(t, text(h.say(alice, "/goal edit "+a+" parent "+b)), "cannot go under it")
	mustContain(t, text(h.say(alice, "/goal edit "+a+" parent "+a)), "under itself")
	if g, _ := h.store.GetGoal(context.Background(), a); g.Parent != "" {
		t.Fatalf("refused edit saved parent %q", g.Parent)
	}

	// Old data with a loop: A under B, B under A.
	ctx := context.Background()
	g, err := h.store.GetGoal(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	g.Parent = b
	if err := h.store.SaveGoal(ctx, g, bot.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	tree := text(h.say(alice, "/goal tree"))
	mustContain(t, tree, a+" Alpha", b+" Beta")
	mustContain(t, text(h.say(alice, "/scorecard me")), "Alpha", "Beta")
	mustContain(t, text(h.say(maya, "/scorecard team growth")), "Alpha", "Beta")
	if _, err := h.svc.PlanJob(ctx, bot.JobRequest{Job: bot.JobScorecardDigest, TeamID: "growth", At: h.clock.Now()}); err != nil {
		t.Fatalf("digest over a stored loop: %v", err)
	}
}

// Finding 8 (alignment part): "parent none" takes a goal off its parent.
func TestFinding8ParentNoneUnaligns(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Alpha to 10 by 2027-03-01")
	a := goalIDs(t, h)["Alpha"]
	h.say(alice, "/goal new Beta to 10 by 2027-03-01 under "+a)
	b := goalIDs(t, h)["Beta"]
	h.say(alice, "/goal edit "+b+" parent none")
	if g, _ := h.store.GetGoal(context.Background(), b); g.Parent != "" {
		t.Fatalf("parent none left parent %q", g.Parent)
	}
}

// Finding 2: the same goal showed its own progress in the list and the
// average of its aligned goals in the scorecard and tree; a dropped child
// still counted; a new child flipped the parent's status.
func TestFinding2OneGoalOneNumberInEveryView(t *testing.T) {
	h := newHarness(t)
	h.say(maya, "/goal new Grow buyers from 12k to 15k by 2027-03-01 for team growth")
	parent := goalIDs(t, h)["Grow buyers"]
	h.say(alice, "/goal new Raise conversion from 2% to 3% by 2027-03-01 under "+parent)
	child := goalIDs(t, h)["Raise conversion"]
	h.say(maya, "/goal "+parent+" 13.5k")
	h.say(alice, "/goal "+child+" 2.2%")

	views := map[string]string{
		"list":      text(h.say(maya, "/goal list team growth")),
		"show":      text(h.say(maya, "/goal show "+parent)),
		"tree":      text(h.say(maya, "/goal tree")),
		"scorecard": text(h.say(maya, "/scorecard team growth")),
	}
	for name, v := range views {
		if got := percentOf(t, v, parent); got != 50 {
			t.Errorf("%s shows %s at %d%%, want its own 50%%:\n%s", name, parent, got, v)
		}
	}
	for _, name := range []string{"tree", "scorecard"} {
		mustContain(t, lineOf(t, views[name], parent), "aligned goals 20% (1)")
	}

	// A dropped child leaves the roll-up; the parent's number stays its own.
	h.say(alice, "/goal drop "+child)
	sc := text(h.say(maya, "/scorecard team growth"))
	if got := percentOf(t, sc, parent); got != 50 {
		t.Fatalf("after the child was dropped the scorecard shows %d%%:\n%s", got, sc)
	}
	if strings.Contains(lineOf(t, sc, parent), "aligned goals") {
		t.Fatalf("a dropped child still rolls up: %s", lineOf(t, sc, parent))
	}

	// A new child at 0% under bob's goal does not change bob's goal's status.
	h.say(bob, "/goal new Onboard merchants from 0 to 40 by 2027-03-01")
	bobs := goalIDs(t, h)["Onboard merchants"]
	h.say(bob, "/goal "+bobs+" 10")
	h.clock.Advance(30 * 24 * 60 * 60 * 1e9)
	before := lineOf(t, text(h.say(maya, "/goal list team growth")), bobs)
	h.say(alice, "/goal new Sub task to 10 by 2027-03-01 under "+bobs)
	for name, v := range map[string]string{
		"list": text(h.say(maya, "/goal list team growth")), "tree": text(h.say(maya, "/goal tree")),
		"scorecard": text(h.say(maya, "/scorecard team growth")),
	} {
		line := lineOf(t, v, bobs)
		for _, st := range []string{"on track", "at risk", "off track"} {
			if strings.Contains(before, st) != strings.Contains(line, st) {
				t.Errorf("%s: status of %s changed by a new child: %q, list said %q", name, bobs, line, before)
			}
		}
	}
}

// Finding 8: goal edits rewrote history and skipped "/goal new"'s rules.
func TestFinding8GoalEditStartsNewMeasureAndKeepsHistory(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Raise conversion from 2.1% to 3% by 2027-03-01")
	conv := goalIDs(t, h)["Raise conversion"]
	h.say(alice, "/goal "+conv+" 2.3%")
	h.say(alice, "/goal "+conv+" 2.5%")

	// A target equal to where the goal stands is refused, as by /goal new.
	mustContain(t, text(h.say(alice, "/goal edit "+conv+" target 2.5%")), "equals the starting value")
	mustContain(t, text(h.say(alice, "/goal edit "+conv+" target 5 orders from 5 orders")), "equals the starting value")

	// A lower target counts from where the goal is: 0 %, not -36 %.
	h.clock.Advance(time.Hour)
	flip := text(h.say(alice, "/goal edit "+conv+" target 1%"))
	if got := percentOf(t, flip, conv); got != 0 {
		t.Fatalf("target 1%% shows %d%%, want 0%%:\n%s", got, flip)
	}

	// A new unit keeps the history in the units it was recorded in.
	h.clock.Advance(time.Hour)
	h.say(alice, "/goal edit "+conv+" target 35 orders")
	h.clock.Advance(time.Hour)
	h.say(alice, "/goal "+conv+" 7")
	show := text(h.say(alice, "/goal show "+conv))
	mustContain(t, show, "2.1% → 2.3%", "2.3% → 2.5%", "0 orders → 7 orders", "0 orders → 35 orders")
	if strings.Contains(show, "2.3 orders") || strings.Contains(show, "2.5 orders") {
		t.Fatalf("old history relabelled in the new unit:\n%s", show)
	}
	if got := percentOf(t, show, conv); got != 20 {
		t.Fatalf("7 of 35 orders shows %d%%, want 20%%:\n%s", got, show)
	}

	// A milestone at 40 % given a target in pages starts at 0 pages and
	// keeps its 40 % history.
	h.say(bob, "/goal new Write the guide")
	guide := goalIDs(t, h)["Write the guide"]
	h.say(bob, "/goal "+guide+" 40")
	h.clock.Advance(time.Hour)
	edited := text(h.say(bob, "/goal edit "+guide+" target 20 pages"))
	if got := percentOf(t, edited, guide); got != 0 {
		t.Fatalf("milestone given a page target shows %d%%:\n%s", got, edited)
	}
	show = text(h.say(bob, "/goal show "+guide))
	mustContain(t, show, "0% → 40%")
	if strings.Contains(show, "0 pages → 40 pages") {
		t.Fatalf("milestone history relabelled in pages:\n%s", show)
	}
}

// Finding 3: the check-in week is the ISO week of the member's own date.
func TestFinding3CheckInWeekInMembersZone(t *testing.T) {
	cases := []struct {
		name, teamZone, personZone string
		answered                   string // a week she already answered
		want                       string
	}{
		{"east of a western team", "America/Los_Angeles", "Asia/Shanghai", "", "2026-W50"},
		{"Auckland in a UTC team", "UTC", "Pacific/Auckland", "2026-W49", "2026-W50"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newTeamHarness(t, monday, nil, []bot.UserID{chen}, []bot.UserID{maya},
				func(team *bot.Team) { team.TimeZone = tc.teamZone }, nil, maya, chen)
			ctx := context.Background()
			if err := h.store.SavePerson(ctx, bot.Person{ID: chen, Name: "Chen", TimeZone: tc.personZone}); err != nil {
				t.Fatal(err)
			}
			if tc.answered != "" {
				c := bot.CheckIn{TeamID: "growth", Person: chen, Period: tc.answered, Answers: []string{"a", "b", "c"}, Mood: 4,
					Completed: monday, UpdatedAt: monday}
				if err := h.store.SaveCheckIn(ctx, c, "", bot.AuditEntry{}); err != nil {
					t.Fatal(err)
				}
			}
			// Monday 2026-12-07 10:00 in her zone.
			at := time.Date(2026, 12, 7, 10, 0, 0, 0, mustZone(tc.personZone))
			h.clock.Set(at)
			ds, err := h.svc.PlanJob(ctx, bot.JobRequest{Job: bot.JobCheckInPrompt, TeamID: "growth", At: at, People: []bot.UserID{chen}})
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != 1 || ds[0].Period != tc.want {
				t.Fatalf("prompts %+v, want one for %s", ds, tc.want)
			}
			if got := text(h.say(chen, "/checkin")); !strings.Contains(got, tc.want) {
				t.Fatalf("/checkin opens %q, want %s", got, tc.want)
			}
		})
	}
}

// Finding 5: scorecard and summary counted check-ins with different
// denominators, the summary hid the skipped and away, and a skip after
// answering silently dropped the answers.
func TestFinding5CheckInCountsAgreeAndSkipAsksFirst(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.say(bob, "/checkin away until 2026-12-31")
	h.say(alice, "/checkin")
	for _, a := range []string{"shipped", "tests", "waiting on legal", "4"} {
		h.say(alice, a)
	}
	h.say(chen, "/checkin skip 病假")

	sc := text(h.say(maya, "/scorecard team growth"))
	mustContain(t, sc, "Check-ins: 1/2")
	ds, err := h.svc.PlanJob(ctx, bot.JobRequest{Job: bot.JobCheckInSummary, TeamID: "growth", At: h.clock.Now()})
	if err != nil || len(ds) != 1 {
		t.Fatalf("summary: %v %v", ds, err)
	}
	summary := bot.PlainText(ds[0].Msg)
	mustContain(t, summary, "Answered: 1/2", "Skipped: Chen", "Away: Bob")

	// Skipping after answering asks first and keeps the answers.
	ask := text(h.say(alice, "/checkin skip"))
	mustContain(t, ask, "already answered", "/checkin skip confirm")
	c, err := h.store.GetCheckIn(ctx, "growth", "2026-W48", alice)
	if err != nil || !c.Done() || c.Skipped {
		t.Fatalf("asking dropped the answers: %+v %v", c, err)
	}
	mustContain(t, text(h.say(maya, "/scorecard team growth")), "Check-ins: 1/2", "waiting on legal")
	h.say(alice, "/checkin skip confirm")
	if c, _ := h.store.GetCheckIn(ctx, "growth", "2026-W48", alice); !c.Skipped {
		t.Fatalf("confirmed skip not saved: %+v", c)
	}
}

// Finding 7: the scorecard contradicted itself.
func TestFinding7ScorecardAgreesWithItself(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)

	// W47: two answers, so the mood is hidden, also per person.
	h.clock.Set(at(2026, 11, 20, 16, 0))
	w47 := text(h.say(maya, "/scorecard team growth"))
	mustContain(t, w47, "Mood: hidden")
	if regexp.MustCompile(`mood \d/5`).MatchString(w47) {
		t.Fatalf("mood hidden in the headline but shown per person:\n%s", w47)
	}

	// One person's kudos: given and received apart, values only of those received.
	h.clock.Set(at(2026, 11, 27, 16, 0))
	me := text(h.say(bob, "/scorecard me"))
	mustContain(t, me, "Kudos: given 1 · received 0")
	if strings.Contains(me, "#candor") || strings.Contains(me, "Kudos received") {
		t.Fatalf("bob's scorecard counts the value of kudos he gave:\n%s", me)
	}

	// A week not yet started, or before the team existed, says so.
	mustContain(t, text(h.say(maya, "/scorecard team growth 2027-W01")), "has not started yet")
	mustContain(t, text(h.say(maya, "/scorecard team growth 2026-W20")), "did not exist yet")
}

// Finding 7 (kudos): the headline counted kudos messages while the list
// counted recipients, so one kudos to two people read "Kudos: 1" above two
// lines. Both are KudosCounts now: one given, two received, in the
// scorecard, the digest, each person's scorecard and the export.
func TestFinding7KudosHeadlineAndListCountTheSameWay(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.say(alice, "/kudos "+bot.Mention(bob)+" "+bot.Mention(chen)+" thanks for the launch #ownership")

	sc := text(h.say(maya, "/scorecard team growth"))
	mustContain(t, sc, "Kudos: given 1 (+1) · received 2", "• Bob: 1", "• Chen: 1", "kudos received 0, given 1")
	digest, err := h.svc.PlanJob(ctx, bot.JobRequest{Job: bot.JobScorecardDigest, TeamID: "growth", At: h.clock.Now()})
	if err != nil || len(digest) != 1 {
		t.Fatalf("digest: %v %v", digest, err)
	}
	mustContain(t, bot.PlainText(digest[0].Msg), "Kudos: given 1 (+1) · received 2")
	mustContain(t, text(h.say(alice, "/scorecard me")), "Kudos: given 1 · received 0")
	mustContain(t, text(h.say(maya, "/scorecard "+bot.Mention(bob))), "Kudos: given 0 · received 1")

	doc := exportFigures(t, h, bot.ExportRequest{})
	k := doc.Participation[0].Kudos
	if k.TotalGiven() != 1 || k.TotalReceived() != 2 || k.Given[alice] != 1 || k.Received[bob] != 1 || k.Received[chen] != 1 {
		t.Fatalf("export counts kudos %+v, want alice gave 1, bob and chen received 1 each", k)
	}
}

// Finding 8 (past periods): after "/goal edit … target 35 orders" the
// scorecard and the digest of a week before the edit show that week's value
// in the unit it was recorded in, with that week's progress.
func TestFinding8PastWeekKeepsItsUnitAfterAnEdit(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Raise conversion from 2.1% to 3% by 2027-03-01")
	conv := goalIDs(t, h)["Raise conversion"]
	h.say(alice, "/goal "+conv+" 2.5%")
	h.clock.Set(at(2026, 12, 1, 10, 0)) // Tuesday of 2026-W49
	h.say(alice, "/goal edit "+conv+" target 35 orders")
	h.say(alice, "/goal "+conv+" 7")

	past := text(h.say(maya, "/scorecard team growth 2026-W48"))
	digest, err := h.svc.PlanJob(context.Background(), bot.JobRequest{Job: bot.JobScorecardDigest, TeamID: "growth",
		At: at(2026, 11, 27, 16, 0)})
	if err != nil || len(digest) != 1 {
		t.Fatalf("late digest of W48: %v %v", digest, err)
	}
	for name, v := range map[string]string{"scorecard of W48": past, "digest of W48 run late": bot.PlainText(digest[0].Msg)} {
		line := lineOf(t, v, conv)
		mustContain(t, line, "2.1% → 2.5% → 3%")
		if strings.Contains(line, "orders") {
			t.Fatalf("%s relabels W48 in the new unit: %s", name, line)
		}
		if got := percentOf(t, v, conv); got != 44 {
			t.Fatalf("%s shows W48's progress as %d%%, want 44%% (2.5%% of 2.1%%→3%%):\n%s", name, got, v)
		}
	}
	now := text(h.say(maya, "/scorecard team growth"))
	mustContain(t, lineOf(t, now, conv), "0 orders → 7 orders → 35 orders")
}

// Finding 7 (digest): a digest run late for last week computed pace as of
// the Friday fire but read the goals' values of now. Its figures are the
// week's own: the same line as "/scorecard" of that week, untouched by an
// update made since.
func TestFinding7LateDigestShowsTheWeeksOwnFigures(t *testing.T) {
	h := newHarness(t)
	h.say(bob, "/goal new Onboard merchants from 0 to 40 by 2027-01-31")
	g := goalIDs(t, h)["Onboard merchants"]
	h.say(bob, "/goal "+g+" 10")
	h.clock.Set(at(2026, 12, 2, 10, 0)) // Wednesday of 2026-W49
	h.say(bob, "/goal "+g+" 30")

	fire := at(2026, 11, 27, 16, 0) // Friday of 2026-W48
	digest, err := h.svc.PlanJob(context.Background(), bot.JobRequest{Job: bot.JobScorecardDigest, TeamID: "growth", At: fire})
	if err != nil || len(digest) != 1 || digest[0].Period != "2026-W48" {
		t.Fatalf("late digest: %+v %v", digest, err)
	}
	late := lineOf(t, bot.PlainText(digest[0].Msg), g)
	week := lineOf(t, text(h.say(maya, "/scorecard team growth 2026-W48")), g)
	if late != week {
		t.Fatalf("the late digest shows\n  %s\nthe scorecard of its week\n  %s", late, week)
	}
	mustContain(t, late, "0 → 10 → 40", "25%")
	if strings.Contains(late, "→ 30 →") {
		t.Fatalf("the late digest of W48 reads W49's value: %s", late)
	}
}

// Finding 8 (this week): a new unit after an update this week starts from
// zero in the scorecard too; it read the last update's 46 % as 46 orders.
func TestFinding8NewUnitThisWeekStartsFromZeroInTheScorecard(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Raise conversion from 6% to 55% by 2026-12-12")
	g := goalIDs(t, h)["Raise conversion"]
	h.say(alice, "/goal "+g+" 46%")
	h.say(alice, "/goal edit "+g+" target 27 orders")
	for name, v := range map[string]string{
		"list": text(h.say(maya, "/goal list team growth")), "scorecard": text(h.say(maya, "/scorecard team growth")),
	} {
		if got := percentOf(t, v, g); got != 0 {
			t.Fatalf("%s shows %d%% after the new unit, want 0%%:\n%s", name, got, v)
		}
	}
	mustContain(t, lineOf(t, text(h.say(maya, "/scorecard team growth")), g), "0 orders → 0 orders → 27 orders")
}

// Finding 8 (a week that holds the edit): the week ends under the new
// measure, but its last update was recorded under the old one. The week's
// value is where the new measure started, never the old number read in
// the new unit.
func TestFinding8WeekEndingUnderANewMeasureStartsFromItsBaseline(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Raise conversion from 2.1% to 3% by 2027-03-01")
	conv := goalIDs(t, h)["Raise conversion"]
	h.say(alice, "/goal "+conv+" 2.5%")
	h.clock.Set(at(2026, 11, 26, 10, 0)) // Thursday of 2026-W48
	h.say(alice, "/goal edit "+conv+" target 35 orders")
	h.clock.Set(at(2026, 12, 2, 10, 0)) // Wednesday of 2026-W49
	h.say(alice, "/goal "+conv+" 7")

	past := text(h.say(maya, "/scorecard team growth 2026-W48"))
	line := lineOf(t, past, conv)
	mustContain(t, line, "0 orders → 0 orders → 35 orders")
	if got := percentOf(t, past, conv); got != 0 {
		t.Fatalf("W48 shows %d%%, want 0%% (the new measure had no update yet):\n%s", got, past)
	}
}
