package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// Regression tests for issue 13, finding 4: people in several teams never
// get a silently chosen team, and leaving a team ends what it allowed.

// newTwoTeamHarness is newHarness plus "Design" (chen and bob members,
// alice its manager) and "Zeta" (maya a member): chen and bob are in two
// teams, maya manages Growth and is a member of Zeta only.
func newTwoTeamHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	for _, team := range []bot.Team{
		withPeople(bot.NewTeam("Design", bot.PlatformConsole, "design", monday), []bot.UserID{chen, bob}, []bot.UserID{alice}),
		withPeople(bot.NewTeam("Zeta", bot.PlatformConsole, "zeta", monday), []bot.UserID{maya}, []bot.UserID{admin}),
	} {
		if err := h.svc.ApplyTeam(context.Background(), team); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func withPeople(t bot.Team, members, managers []bot.UserID) bot.Team {
	t.TimeZone = "Europe/Berlin"
	t.Members, t.Managers = members, managers
	t.KudosAllowance = 2
	return t
}

// titlesIn returns the titles of a team's goals by id.
func titlesIn(t *testing.T, h *harness, team string) map[string]string {
	t.Helper()
	goals, err := h.store.TeamGoals(context.Background(), team)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, g := range goals {
		out[g.Title] = g.ID
	}
	return out
}

// pickButtons returns the team buttons of a "which team?" reply by label.
func pickButtons(t *testing.T, resp bot.Response) map[string]bot.Button {
	t.Helper()
	out := map[string]bot.Button{}
	for _, b := range resp.Reply.Blocks {
		if row, ok := b.(bot.Buttons); ok {
			for _, btn := range row {
				if btn.ID == bot.ActionPickTeam {
					out[btn.Label] = btn
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no team buttons in %q", text(resp))
	}
	return out
}

// press sends a button press in a direct chat.
func (h *harness) press(user bot.UserID, btn bot.Button) bot.Response {
	h.t.Helper()
	h.n++
	return h.event(bot.Event{Key: fmt.Sprintf("press:%d", h.n), Kind: bot.KindAction, Platform: bot.PlatformConsole,
		User: user, Direct: true, Channel: "dm", Action: bot.Action{ID: btn.ID, Value: btn.Value}})
}

// chen's "/scorecard me" showed Design only and hid her Growth goal: her
// own view covers every team she is in, each named.
func TestFinding4ScorecardMeCoversEveryTeam(t *testing.T) {
	h := newTwoTeamHarness(t)
	h.inChannel(chen, "design", "/goal new Polish the icon set to 40 by 2027-03-01")
	h.inChannel(chen, "growth", "/goal new Grow repeat buyers to 300 by 2027-03-01")
	if titlesIn(t, h, "design")["Polish the icon set"] == "" || titlesIn(t, h, "growth")["Grow repeat buyers"] == "" {
		t.Fatalf("goals not kept where named: design %v, growth %v", titlesIn(t, h, "design"), titlesIn(t, h, "growth"))
	}
	h.say(chen, "/pulse me language en")
	me := text(h.say(chen, "/scorecard me"))
	mustContain(t, me, "Team Design", "Polish the icon set", "Team Growth", "Grow repeat buyers")
	one := text(h.say(chen, "/scorecard me team growth"))
	mustContain(t, one, "Grow repeat buyers")
	if strings.Contains(one, "Polish the icon set") {
		t.Fatalf("/scorecard me team growth shows Design's goal:\n%s", one)
	}

	// Her manager in each team sees her scorecard of that team; an admin both.
	mustContain(t, text(h.say(admin, "/scorecard "+bot.Mention(chen))), "Polish the icon set", "Grow repeat buyers")
	byMaya := text(h.say(maya, "/scorecard "+bot.Mention(chen)))
	mustContain(t, byMaya, "Grow repeat buyers")
	if strings.Contains(byMaya, "Polish the icon set") {
		t.Fatalf("Growth's manager sees chen's Design goal:\n%s", byMaya)
	}
}

// bob's new goal landed in Design silently: now Pulse asks, with a button
// per team, keeps nothing until he picks, and the button files it there.
func TestFinding4NewGoalAsksWhichTeamAndTheButtonFilesIt(t *testing.T) {
	h := newTwoTeamHarness(t)
	ask := h.say(bob, "/goal new Onboard merchants to 40 by 2027-03-01")
	mustContain(t, text(ask), "several teams", "Design", "Growth", "team growth")
	if titlesIn(t, h, "design")["Onboard merchants"] != "" || titlesIn(t, h, "growth")["Onboard merchants"] != "" {
		t.Fatal("a goal was kept before bob said which team")
	}
	btn := pickButtons(t, ask)["Growth"]
	// A button changed to a team that was not offered (bob is not in Zeta) does nothing.
	forged := btn
	forged.Value = strings.TrimSuffix(btn.Value, "growth") + "zeta"
	h.press(bob, forged)
	if len(titlesIn(t, h, "zeta")) != 0 {
		t.Fatal("a forged team button kept bob's goal in a team he is not in")
	}
	mustContain(t, text(h.press(bob, btn)), "Onboard merchants")
	h.press(bob, btn) // a second press acts once
	if titlesIn(t, h, "growth")["Onboard merchants"] == "" || titlesIn(t, h, "design")["Onboard merchants"] != "" {
		t.Fatalf("the picked goal is not in Growth only: growth %v design %v", titlesIn(t, h, "growth"), titlesIn(t, h, "design"))
	}
	if n := len(titlesIn(t, h, "growth")); n != 1 {
		t.Fatalf("two presses made %d goals", n)
	}
	// Named, it needs no question.
	h.say(bob, "/goal new Cut refunds to 5 by 2027-03-01 team design")
	if titlesIn(t, h, "design")["Cut refunds"] == "" {
		t.Fatalf("\"team design\" did not keep the goal in Design: %v", titlesIn(t, h, "design"))
	}
	// Someone else cannot answer bob's question.
	mustContain(t, text(h.press(chen, pickButtons(t, ask)["Design"])), "过期")
}

// maya's personal goal went to Growth, which she only manages: a personal
// goal goes only to a team its owner is a member of.
func TestFinding4PersonalGoalOnlyInAMemberTeam(t *testing.T) {
	h := newTwoTeamHarness(t)
	h.say(maya, "/goal new Hire two engineers by 2027-03-01")
	if titlesIn(t, h, "zeta")["Hire two engineers"] == "" || titlesIn(t, h, "growth")["Hire two engineers"] != "" {
		t.Fatalf("maya's goal is not in Zeta, her only member team: zeta %v growth %v", titlesIn(t, h, "zeta"), titlesIn(t, h, "growth"))
	}
	mustContain(t, text(h.say(maya, "/goal new Write the hiring plan by 2027-03-01 team growth")), "not a member of Growth")
	if titlesIn(t, h, "growth")["Write the hiring plan"] != "" {
		t.Fatal("a personal goal was kept in a team its owner only manages")
	}
	// A team goal is still hers to make in the team she manages.
	h.say(maya, "/goal new Ship onboarding by 2027-03-01 for team growth")
	if titlesIn(t, h, "growth")["Ship onboarding"] == "" {
		t.Fatal("the team goal for Growth was not made")
	}
}

// chen's feedback for bob landed in Design silently: it asks too, and
// "team <name>" answers.
func TestFinding4FeedbackAsksWhichTeam(t *testing.T) {
	h := newTwoTeamHarness(t)
	ask := h.say(chen, "/feedback "+bot.Mention(bob)+" great demo")
	pickButtons(t, ask)
	ctx := context.Background()
	for _, team := range []string{"growth", "design"} {
		if list, _ := h.store.TeamFeedback(ctx, team, monday.AddDate(0, 0, -1), monday.AddDate(0, 0, 1)); len(list) != 0 {
			t.Fatalf("feedback kept in %s before chen chose", team)
		}
	}
	h.say(chen, "/feedback "+bot.Mention(bob)+" great demo team growth")
	growth, _ := h.store.TeamFeedback(ctx, "growth", monday.AddDate(0, 0, -1), monday.AddDate(0, 0, 1))
	design, _ := h.store.TeamFeedback(ctx, "design", monday.AddDate(0, 0, -1), monday.AddDate(0, 0, 1))
	if len(growth) != 1 || len(design) != 0 || growth[0].Text != "great demo" {
		t.Fatalf("feedback: growth %v, design %v; want one in Growth", growth, design)
	}
}

// After "/pulse team remove growth @alice" her "/goal G2 2.7%" still
// worked: leaving a team ends the rights that came from it, with a
// sentence that says why and whom to ask.
func TestFinding4LeavingATeamEndsItsRights(t *testing.T) {
	h := newTwoTeamHarness(t)
	h.inChannel(alice, "growth", "/goal new Raise conversion from 2% to 3% by 2027-03-01")
	id := titlesIn(t, h, "growth")["Raise conversion"]
	h.say(admin, "/pulse team remove growth "+bot.Mention(alice))

	refused := text(h.say(alice, "/goal "+id+" 2.7%"))
	mustContain(t, refused, "no longer a member of Growth", "Maya")
	if g, _ := h.store.GetGoal(context.Background(), id); g.Current != 2 {
		t.Fatalf("a goal of the team she left moved to %v", g.Current)
	}
	mustContain(t, text(h.say(alice, "/goal edit "+id+" target 4%")), "no longer a member of Growth")
	mustContain(t, text(h.say(alice, "/kudos "+bot.Mention(bob)+" thanks team growth")), "not a member of Growth")
	mustContain(t, text(h.say(alice, "/checkin team growth")), "not a member of Growth")
	day := h.clock.Now().In(mustZone("Europe/Berlin")).Format("2006-01-02")
	if used, _ := h.store.KudosUsed(context.Background(), "growth", alice, day); used != 0 {
		t.Fatalf("she spent %d of Growth's kudos allowance after leaving", used)
	}
	// Her manager still can.
	mustContain(t, text(h.say(maya, "/goal "+id+" 2.7%")), "2.7%")
}

// A check-in started in a team is not finished there after leaving it.
func TestFinding4CheckInEndsOnLeaving(t *testing.T) {
	h := newTwoTeamHarness(t)
	h.say(chen, "/pulse me language en")
	h.inChannel(chen, "growth", "/checkin")
	h.say(admin, "/pulse team remove growth "+bot.Mention(chen))
	mustContain(t, text(h.say(chen, "Shipped the icons")), "not a member of Growth")
	if c, err := h.store.GetCheckIn(context.Background(), "growth", "2026-W48", chen); err == nil && len(c.Answers) > 0 && c.Answers[0] != "" {
		t.Fatalf("an answer was kept in a team she left: %v", c.Answers)
	}
}

// A primary team answers "which team?" until she leaves it; a team's own
// channel still wins; "none" brings the question back.
func TestFinding4PrimaryTeamDecidesAndLeavingClearsIt(t *testing.T) {
	h := newTwoTeamHarness(t)
	mustContain(t, text(h.say(bob, "/pulse me team zeta")), "not a member of Zeta")
	mustContain(t, text(h.say(bob, "/pulse me team design")), "Design")
	mustContain(t, text(h.say(bob, "/pulse me")), "Primary team: Design")
	h.say(bob, "/goal new Onboard merchants to 40 by 2027-03-01")
	if titlesIn(t, h, "design")["Onboard merchants"] == "" {
		t.Fatalf("the goal did not go to bob's primary team: %v", titlesIn(t, h, "design"))
	}
	h.inChannel(bob, "growth", "/goal new Speed up payouts to 10 by 2027-03-01")
	if titlesIn(t, h, "growth")["Speed up payouts"] == "" {
		t.Fatal("a goal made in Growth's channel did not go to Growth")
	}
	h.say(admin, "/pulse team remove design "+bot.Mention(bob))
	if p, _ := h.store.GetPerson(context.Background(), bob); p.PrimaryTeam != "" {
		t.Fatalf("leaving Design left it as bob's primary team")
	}
	mustContain(t, text(h.say(bob, "/pulse me")), "Primary team: —")

	h.say(chen, "/pulse me team growth")
	h.say(chen, "/pulse me team none")
	pickButtons(t, h.say(chen, "/kudos "+bot.Mention(bob)+" thanks"))
}

// Kudos from someone in two teams: asked, and the picked team's allowance
// is the one spent, once for two presses.
func TestFinding4KudosPickSpendsThePickedTeamsAllowance(t *testing.T) {
	h := newTwoTeamHarness(t)
	ask := h.say(chen, "/kudos "+bot.Mention(bob)+" thanks for the review")
	btn := pickButtons(t, ask)["Design"]
	h.press(chen, btn)
	h.press(chen, btn)
	ctx := context.Background()
	day := h.clock.Now().In(mustZone("Europe/Berlin")).Format("2006-01-02")
	design, _ := h.store.KudosUsed(ctx, "design", chen, day)
	growth, _ := h.store.KudosUsed(ctx, "growth", chen, day)
	if design != 1 || growth != 0 {
		t.Fatalf("kudos used: design %d, growth %d; want 1 and 0", design, growth)
	}
	// Undo needs no choice: it takes back her newest kudos where she gave it.
	h.clock.Advance(time.Minute)
	h.say(chen, "/kudos undo")
	if design, _ = h.store.KudosUsed(ctx, "design", chen, day); design != 0 {
		t.Fatalf("undo left %d used in Design", design)
	}
}

// With review cycles open in both of bob's teams, "/review write" asks
// which one instead of writing into the first.
func TestFinding4ReviewAsksWhichTeamsCycle(t *testing.T) {
	h := newTwoTeamHarness(t)
	h.say(maya, "/review start team growth H2 due 2026-12-15")
	h.say(alice, "/review start team design H2 due 2026-12-15")
	ask := h.say(bob, "/review write")
	form := h.press(bob, pickButtons(t, ask)["Design"])
	for _, b := range form.Reply.Blocks {
		if row, ok := b.(bot.Buttons); ok && row[0].ID == bot.ActionReviewSubmit {
			if !strings.HasPrefix(row[0].Value, "design|") {
				t.Fatalf("the review form is for %q, want Design's cycle", row[0].Value)
			}
			return
		}
	}
	t.Fatalf("no review form after picking Design: %q", text(form))
}
