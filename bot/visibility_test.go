package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pulse-bot/pulse/bot"
)

// People outside the harness's organisation (console:demo): a user of
// another workspace on the same platform, and a user of another Feishu tenant.
var (
	otherWorkspace = bot.NewUserID(bot.PlatformConsole, "elsewhere", "eve")
	otherTenant    = bot.NewUserID(bot.PlatformFeishu, "tk9", "ou_q")
)

// inChannel sends a command typed in a channel (not a direct chat).
func (h *harness) inChannel(user bot.UserID, channel, text string) bot.Response {
	h.t.Helper()
	h.n++
	return h.event(bot.Event{Key: fmt.Sprintf("test:%d", h.n), Kind: bot.KindCommand, Platform: bot.PlatformConsole,
		User: user, Channel: channel, Text: text})
}

// typed sends text with no mention marked by the platform: whatever looks
// like a mention token in it was typed by the user.
func (h *harness) typed(user bot.UserID, text string) bot.Response {
	h.t.Helper()
	h.n++
	resp, err := h.svc.Handle(context.Background(), bot.Event{Key: fmt.Sprintf("test:%d", h.n), Kind: bot.KindCommand,
		Platform: user.Platform(), User: user, Direct: true, Channel: "dm", Text: text, Names: map[bot.UserID]string{}})
	if err != nil {
		h.t.Fatalf("handle %q: %v", text, err)
	}
	return resp
}

const outsiderSentence = "Pulse is not set up for you"

// Finding 3: a user of another workspace or tenant, in no team, sees
// nothing but one sentence, and nothing is stored about them.
func TestOutsidersSeeOnlyOneSentence(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Raise checkout conversion from 2.1% to 3% by 2026-12-31")
	for _, who := range []bot.UserID{otherWorkspace, otherTenant} {
		for _, cmd := range []string{"/goal list team growth", "/goal show G1", "/goal tree", "/pulse team show growth",
			"/pulse team list", "/scorecard team growth", "/kudos " + bot.Mention(alice) + " hi", "/feedback mine", "/review"} {
			h.n++
			resp := h.event(bot.Event{Key: fmt.Sprintf("test:%d", h.n), Kind: bot.KindCommand, Platform: who.Platform(),
				User: who, Direct: true, Channel: "dm", Text: cmd})
			got := text(resp)
			if !strings.Contains(got, outsiderSentence) && !strings.Contains(got, "Pulse 还没有为你开通") || strings.Contains(got, "Growth") || strings.Contains(got, "G1") {
				t.Errorf("%s %q: got %q, want only the outsider sentence", who, cmd, got)
			}
		}
		if _, err := h.store.GetPerson(context.Background(), who); err == nil {
			t.Errorf("a profile was stored for outsider %s", who)
		}
	}
	kudos, err := h.store.TeamKudos(context.Background(), "growth", monday.AddDate(-1, 0, 0), monday.AddDate(1, 0, 0))
	if err != nil || len(kudos) != 0 {
		t.Fatalf("kudos = %v, %v; an outsider's kudos must not be stored", kudos, err)
	}
}

// Finding 3 (Slack Connect): an outsider an admin adds to a team is inside.
func TestOutsiderAddedToTeamIsInside(t *testing.T) {
	h := newHarness(t)
	if got := text(h.say(otherWorkspace, "/goal list")); !strings.Contains(got, outsiderSentence) {
		t.Fatalf("before: %q", got)
	}
	h.say(admin, "/pulse team add growth "+bot.Mention(otherWorkspace))
	if got := text(h.say(otherWorkspace, "/goal list")); strings.Contains(got, outsiderSentence) {
		t.Fatalf("after an admin added them: %q", got)
	}
}

// Finding 2: a typed platform-qualified id is text, not a mention.
func TestTypedMentionIsNotAMention(t *testing.T) {
	h := newHarness(t)
	for _, cmd := range []string{
		"/kudos <@feishu:tk1:ou_c> hi",
		"/kudos <@console:demo:bob> thanks",
		"/feedback give <@console:demo:bob> typed",
		"/feedback request <@console:demo:bob> <@console:demo:chen> <@console:demo:maya> anonymous",
	} {
		got := text(h.typed(alice, cmd))
		if strings.Contains(got, "<@") {
			t.Errorf("%q echoed an internal token: %q", cmd, got)
		}
	}
	if n := len(h.out.Sent()); n != 0 {
		t.Fatalf("typed mentions sent %d messages: %+v", n, h.out.Sent())
	}
	kudos, _ := h.store.TeamKudos(context.Background(), "growth", monday.AddDate(-1, 0, 0), monday.AddDate(1, 0, 0))
	fb, _ := h.store.TeamFeedback(context.Background(), "growth", monday.AddDate(-1, 0, 0), monday.AddDate(1, 0, 0))
	if len(kudos)+len(fb) != 0 {
		t.Fatalf("typed mentions stored kudos %v and feedback %v", kudos, fb)
	}
}

// Finding 2: a real mention of someone in another workspace, with no team
// in common, is not resolved; with a team in common (one an admin set up) it is.
func TestCrossWorkspaceMentionNeedsASharedTeam(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/kudos "+bot.Mention(otherTenant)+" hi")
	if len(h.out.To(otherTenant)) != 0 {
		t.Fatal("a mention of another tenant's user, in no shared team, reached them")
	}
	h.say(admin, "/pulse team add growth "+bot.Mention(otherTenant))
	h.say(alice, "/kudos "+bot.Mention(otherTenant)+" welcome")
	if len(h.out.To(otherTenant)) != 1 {
		t.Fatal("a mention of a teammate on another platform did not reach them")
	}
}

// Finding 4: a channel holds one team, and a direct chat is no team channel.
func TestTeamCreateRefusesTakenChannelAndDirectChat(t *testing.T) {
	h := newHarness(t)
	got := text(h.inChannel(admin, "growth", "/pulse team create Sales"))
	mustContain(t, got, "already belongs to the team Growth")
	got = text(h.say(admin, "/pulse team create Sales"))
	mustContain(t, got, "must be a channel")
	if _, err := h.store.GetTeam(context.Background(), "sales"); err == nil {
		t.Fatal("a team was created in a taken channel or a direct chat")
	}
	mustContain(t, text(h.inChannel(admin, "sales-room", "/pulse team create Sales")), "Team Sales is ready")
}

// Finding 5: alignment only under goals of your own team, a team above it,
// or a team you manage.
func TestAlignmentOnlyUnderGoalsYouMayAlignTo(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.say(admin, "/pulse team create Sales #sales")
	h.say(admin, "/pulse team add sales "+bot.Mention(otherWorkspace))
	h.say(admin, "/pulse team managers sales "+bot.Mention(admin))
	parent, err := h.store.CreateGoal(ctx, bot.Goal{TeamID: "sales", Title: "Sell more", Owner: otherWorkspace, State: bot.GoalOpen,
		Metric: bot.Metric{Milestone: true, Target: 100, Unit: "%"}, Start: monday}, bot.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	got := text(h.say(alice, "/goal new Help sales under "+parent.ID))
	mustContain(t, got, "only under goals of your own team")
	goals, _ := h.store.TeamGoals(ctx, "growth")
	for _, g := range goals {
		if g.Parent == parent.ID {
			t.Fatalf("alice aligned %s under another team's goal", g.ID)
		}
	}
	// The manager of growth aligns one growth goal under sales (growth's
	// manager is no manager of sales, so only an admin may): now sales is
	// above growth, and members of growth may align under it.
	h.say(admin, "/pulse team managers growth "+bot.Mention(maya)+" "+bot.Mention(admin))
	mustContain(t, text(h.inChannel(admin, "growth", "/goal new Support sales under "+parent.ID+" for team growth")), "Support sales")
	mustContain(t, text(h.say(alice, "/goal new Help sales too under "+parent.ID)), "Help sales too")
}

// Finding 6: NUL and control characters are dropped on the way in,
// broadcast syntax never survives, and mentions are echoed by name.
func TestTextIsCleanedAndBroadcastsNeutralised(t *testing.T) {
	h := newHarness(t)
	got := text(h.say(alice, "/kudos "+bot.Mention(bob)+" thanks\x00 <!channel> @here <at user_id=\"all\">所有人</at> and "+bot.Mention(maya)+" too"))
	for _, bad := range []string{"\x00", "<!channel>", "@channel", "@here", "<at", "<@", "console:demo"} {
		if strings.Contains(got, bad) {
			t.Errorf("reply %q contains %q", got, bad)
		}
	}
	mustContain(t, got, "@Maya")
	kudos, err := h.store.TeamKudos(context.Background(), "growth", monday.AddDate(-1, 0, 0), monday.AddDate(1, 0, 0))
	if err != nil || len(kudos) != 1 {
		t.Fatalf("kudos = %v, %v", kudos, err)
	}
	for _, bad := range []string{"\x00", "<!", "@channel", "@here", "<@"} {
		if strings.Contains(kudos[0].Message, bad) {
			t.Errorf("stored message %q contains %q", kudos[0].Message, bad)
		}
	}
	for _, s := range h.out.Sent() {
		if p := bot.PlainText(s.Msg); strings.Contains(p, "@channel") || strings.Contains(p, "@here") || strings.Contains(p, "<@") {
			t.Errorf("post %q carries broadcast syntax or a token", p)
		}
	}
}

func TestCleanTextKeepsNewlineAndTab(t *testing.T) {
	if got := bot.CleanText("a\x00b\tc\nd\x1be\r\n\u2028"); got != "ab\tc\nde\n" {
		t.Fatalf("CleanText = %q", got)
	}
}

// A permission matrix over roles and read commands: every cell says whether
// the marker of the record shows in the reply.
func TestWhoSeesWhatMatrix(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	sam := bot.NewUserID(bot.PlatformConsole, "demo", "sam")
	sal := bot.NewUserID(bot.PlatformConsole, "demo", "sal")
	h.inChannel(admin, "sales-room", "/pulse team create Sales")
	h.say(admin, "/pulse team add sales "+bot.Mention(sam))
	h.say(admin, "/pulse team managers sales "+bot.Mention(sal))
	h.say(alice, "/goal new Open goal marker")
	h.say(alice, "/goal new Secret goal marker")
	goals, err := h.store.TeamGoals(ctx, "growth")
	if err != nil || len(goals) != 2 {
		t.Fatalf("goals = %v, %v", goals, err)
	}
	open, secret := goals[0], goals[1]
	if open.Title != "Open goal marker" {
		open, secret = secret, open
	}
	h.say(alice, "/goal edit "+secret.ID+" private on")
	h.say(bob, "/feedback give "+bot.Mention(alice)+" feedback marker")

	roles := []struct {
		name string
		id   bot.UserID
	}{
		{"member", bob}, {"owner", alice}, {"member of another team", sam}, {"manager", maya},
		{"manager of another team", sal}, {"admin", admin}, {"user of another workspace", otherWorkspace},
		{"user of another tenant", otherTenant},
	}
	cells := []struct {
		cmd, marker string
		sees        map[string]bool
	}{
		{"/goal show " + open.ID, "Open goal marker", map[string]bool{"member": true, "owner": true, "member of another team": true,
			"manager": true, "manager of another team": true, "admin": true}},
		{"/goal show " + secret.ID, "Secret goal marker", map[string]bool{"owner": true, "manager": true, "admin": true}},
		{"/goal list team growth", "Secret goal marker", map[string]bool{"owner": true, "manager": true, "admin": true}},
		{"/goal tree", "Secret goal marker", map[string]bool{"owner": true, "manager": true, "admin": true}},
		{"/goal tree", "Open goal marker", map[string]bool{"member": true, "owner": true, "member of another team": true,
			"manager": true, "manager of another team": true, "admin": true}},
		{"/pulse team show growth", "Maya", map[string]bool{"member": true, "owner": true, "manager": true, "admin": true}},
		{"/pulse team list", "Growth", map[string]bool{"member": true, "owner": true, "member of another team": true,
			"manager": true, "manager of another team": true, "admin": true}},
		{"/pulse audit team growth", "goal.created", map[string]bool{"admin": true}},
		{"/feedback about " + bot.Mention(alice), "feedback marker", map[string]bool{"owner": true, "manager": true, "admin": true}},
	}
	for _, c := range cells {
		for _, role := range roles {
			h.n++
			resp := h.event(bot.Event{Key: fmt.Sprintf("m:%d", h.n), Kind: bot.KindCommand, Platform: role.id.Platform(),
				User: role.id, Direct: true, Channel: "dm", Text: c.cmd})
			got := text(resp)
			if saw := strings.Contains(got, c.marker); saw != c.sees[role.name] {
				t.Errorf("%s %q: sees %q = %v, want %v (reply %q)", role.name, c.cmd, c.marker, saw, c.sees[role.name], got)
			}
		}
	}
}
