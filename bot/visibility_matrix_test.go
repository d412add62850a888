package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// The roles of the permission matrix, with the person who plays each.
// "owner" (alice) wrote most records; she is a member of growth too.
var (
	sam = bot.NewUserID(bot.PlatformConsole, "demo", "sam")
	sal = bot.NewUserID(bot.PlatformConsole, "demo", "sal")
)

type matrixRole struct {
	name string
	id   bot.UserID
}

var matrixRoles = []matrixRole{
	{"owner", alice}, {"member", bob}, {"member of another team", sam}, {"manager", maya},
	{"manager of another team", sal}, {"admin", admin}, {"user of another workspace", otherWorkspace},
	{"user of another tenant", otherTenant}, {"anonymous answerer", chen},
}

// inside are the roles inside the organisation; team the readers of the
// growth channel (its members and manager).
var (
	insideRoles = []string{"owner", "member", "member of another team", "manager", "manager of another team", "admin", "anonymous answerer"}
	teamRoles   = []string{"owner", "member", "manager", "anonymous answerer"}
)

func roles(names ...string) map[string]bool {
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}

// matrixWorld is growth (maya manages alice, bob and chen) and sales (sal
// manages sam), with one record of each kind carrying a marker.
type matrixWorld struct {
	*harness
	open, secret string
}

const (
	mOpen     = "Open goal marker"
	mSecret   = "Secret goal marker"
	mKudos    = "kudos marker"
	mCheckIn  = "checkin marker"
	mFeedback = "feedback marker"
	mAnon     = "anonymous answer marker"
	mTopic    = "launch topic marker"
	mReview   = "review marker"
	mCycle    = "Mid-year"
)

func newMatrixWorld(t *testing.T) *matrixWorld {
	h := newHarness(t)
	ctx := context.Background()
	w := &matrixWorld{harness: h}
	h.inChannel(admin, "sales-room", "/pulse team create Sales")
	h.say(admin, "/pulse team add sales "+bot.Mention(sam))
	h.say(admin, "/pulse team managers sales "+bot.Mention(sal))
	h.say(admin, "/pulse team set growth leaderboard on")
	h.say(alice, "/goal new "+mOpen+" to 10 by 2027-03-31")
	h.say(alice, "/goal new "+mSecret+" to 10 by 2027-03-31")
	goals, err := h.store.TeamGoals(ctx, "growth")
	if err != nil || len(goals) != 2 {
		t.Fatalf("goals = %v, %v", goals, err)
	}
	for _, g := range goals {
		if strings.HasPrefix(g.Title, mOpen) {
			w.open = g.ID
		} else {
			w.secret = g.ID
		}
	}
	mustContain(t, text(h.say(alice, "/goal edit "+w.secret+" private on")), w.secret)
	h.say(alice, "/kudos "+bot.Mention(bob)+" "+mKudos)
	period := bot.ISOWeek(monday, monday.Location())
	if err := h.store.SaveCheckIn(ctx, bot.CheckIn{TeamID: "growth", Person: bob, Period: period,
		Answers: []string{mCheckIn, "none", "none"}, Mood: 2, Completed: monday, UpdatedAt: monday}, "", bot.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	h.say(bob, "/feedback give "+bot.Mention(alice)+" "+mFeedback)
	mustContain(t, text(h.say(alice, "/feedback request "+bot.Mention(bob)+" "+bot.Mention(chen)+" "+bot.Mention(maya)+
		" about "+mTopic+" anonymous")), "FR")
	reqs, err := h.store.TeamFeedbackRequests(ctx, "growth")
	if err != nil || len(reqs) != 1 {
		t.Fatalf("requests = %v, %v", reqs, err)
	}
	h.say(chen, "/feedback answer "+reqs[0].ID+" "+mAnon)
	h.say(maya, "/review start team Growth "+mCycle+" due 2026-12-15")
	for _, a := range []string{mReview, "listen", "good", "4", "4"} {
		h.say(maya, "/review answer "+bot.Mention(alice)+" "+a)
	}
	return w
}

// dm is what a role reads in reply to a command in a direct chat.
func (w *matrixWorld) dm(cmd string) func(bot.UserID) string {
	return func(id bot.UserID) string {
		w.n++
		return text(w.event(bot.Event{Key: fmt.Sprintf("mx:%d", w.n), Kind: bot.KindCommand, Platform: id.Platform(),
			User: id, Direct: true, Channel: "dm", Text: cmd}))
	}
}

// file is what a role reads in reply to a command that sends a file: the
// reply and the file's contents.
func (w *matrixWorld) file(cmd string) func(bot.UserID) string {
	return func(id bot.UserID) string {
		w.n++
		resp := w.event(bot.Event{Key: fmt.Sprintf("mx:%d", w.n), Kind: bot.KindCommand, Platform: id.Platform(),
			User: id, Direct: true, Channel: "dm", Text: cmd})
		if resp.File == nil {
			return text(resp)
		}
		return text(resp) + "\n" + string(resp.File.Data)
	}
}

// action is what a role reads after pressing a button (a form, App Home).
func (w *matrixWorld) action(id string) func(bot.UserID) string {
	return func(u bot.UserID) string {
		w.n++
		return text(w.event(bot.Event{Key: fmt.Sprintf("mx:%d", w.n), Kind: bot.KindAction, Platform: u.Platform(),
			User: u, Direct: true, Channel: "dm", Action: bot.Action{ID: id}}))
	}
}

// job is what a role reads of one run of a job for growth: the messages
// addressed to them, and those posted in growth's channel if they read it.
func (w *matrixWorld) job(job bot.Job, at time.Time) func(bot.UserID) string {
	return func(u bot.UserID) string {
		plan, err := w.svc.PlanJob(context.Background(), bot.JobRequest{Job: job, TeamID: "growth", At: at})
		if err != nil {
			w.t.Fatalf("plan %s: %v", job, err)
		}
		team, err := w.store.GetTeam(context.Background(), "growth")
		if err != nil {
			w.t.Fatal(err)
		}
		var got []string
		for _, d := range plan {
			inChannel := d.To.Channel == team.Channel && (team.HasMember(u) || team.HasManager(u))
			if d.To.User == u || inChannel {
				got = append(got, bot.PlainText(d.Msg))
				for _, m := range d.Thread {
					got = append(got, bot.PlainText(m))
				}
			}
		}
		return strings.Join(got, "\n")
	}
}

// TestWhoSeesWhatEveryWayOut is the permission matrix: each role reads
// each way out — read commands, exports, forms, App Home, the digest, the
// summary and reminders — and every cell says whether the marker of a
// record shows. README.md "Who sees what" is the same table in prose.
func TestWhoSeesWhatEveryWayOut(t *testing.T) {
	w := newMatrixWorld(t)
	managers := roles("manager", "admin")
	everyoneInside := roles(insideRoles...)
	team := roles(teamRoles...)
	nobody := roles()
	late := monday.AddDate(0, 0, 20)
	cells := []struct {
		way    string
		read   func(bot.UserID) string
		marker string
		sees   map[string]bool
	}{
		{"/goal show open", w.dm("/goal show " + w.open), mOpen, everyoneInside},
		{"/goal show private", w.dm("/goal show " + w.secret), mSecret, roles("owner", "manager", "admin")},
		{"/goal list team", w.dm("/goal list team growth"), mSecret, roles("owner", "manager", "admin")},
		{"/goal list team", w.dm("/goal list team growth"), mOpen, everyoneInside},
		{"/goal tree", w.dm("/goal tree"), mSecret, roles("owner", "manager", "admin")},
		{"/goal tree", w.dm("/goal tree"), mOpen, everyoneInside},
		{"/kudos mine", w.dm("/kudos mine"), mKudos, roles("owner", "member")},
		{"/kudos board in growth's channel", func(u bot.UserID) string { return text(w.inChannelAs(u, "growth", "/kudos board")) },
			"Bob — 1", roles("owner", "member", "manager", "admin", "anonymous answerer")},
		{"/scorecard team", w.dm("/scorecard team growth"), "• Bob: 1", managers},
		{"/scorecard team", w.dm("/scorecard team growth"), mSecret, managers},
		{"/checkin status", w.dm("/checkin status team growth"), "Bob", managers},
		{"/scorecard export", w.file("/scorecard export json team growth"), mFeedback, managers},
		{"/scorecard export", w.file("/scorecard export json team growth"), mCheckIn, managers},
		{"/scorecard export", w.file("/scorecard export json team growth"), mSecret, managers},
		{"/scorecard export", w.file("/scorecard export json team growth"), mAnon, nobody},
		{"/feedback mine", w.dm("/feedback mine"), mFeedback, roles("owner")},
		{"/feedback mine", w.dm("/feedback mine"), mAnon, nobody},
		{"/feedback about", w.dm("/feedback about " + bot.Mention(alice)), mFeedback, roles("owner", "manager", "admin")},
		{"/feedback about", w.dm("/feedback about " + bot.Mention(alice)), mAnon, nobody},
		{"/review show", w.dm("/review show " + bot.Mention(alice)), mReview, managers},
		{"/review status", w.dm("/review status team growth"), mCycle, managers},
		{"/pulse team show", w.dm("/pulse team show growth"), "Maya", roles("owner", "member", "manager", "admin", "anonymous answerer")},
		{"/pulse team list", w.dm("/pulse team list"), "Growth", everyoneInside},
		{"/pulse audit", w.dm("/pulse audit team growth"), "goal.created", roles("admin")},
		{"/pulse audit", w.dm("/pulse audit team growth"), "feedback.answered", roles("admin")},
		{"/pulse audit", w.dm("/pulse audit team growth"), string(chen) + "  feedback.answered", nobody},
		{"review form (evidence)", w.dm("/review write " + bot.Mention(alice)), mOpen, roles("owner", "manager")},
		{"goal update form", w.action(bot.ActionGoalUpdateForm), "/goal G<n> <value>", everyoneInside},
		{"App Home", w.action(bot.ActionHome), mSecret, roles("owner")},
		{"App Home", w.action(bot.ActionHome), mOpen, roles("owner")},
		{"digest", w.job(bot.JobScorecardDigest, monday.Add(time.Hour)), mOpen, team},
		{"digest", w.job(bot.JobScorecardDigest, monday.Add(time.Hour)), "• Bob: 1", team},
		{"digest", w.job(bot.JobScorecardDigest, monday.Add(time.Hour)), mSecret, nobody},
		{"check-in summary", w.job(bot.JobCheckInSummary, monday.Add(time.Hour)), mCheckIn, team},
		{"feedback reminder", w.job(bot.JobFeedbackRemind, monday.AddDate(0, 0, 6)), mTopic, roles("member", "manager")},
		{"feedback reminder", w.job(bot.JobFeedbackRemind, monday.AddDate(0, 0, 6)), mAnon, nobody},
		{"goal nudge", w.job(bot.JobGoalNudge, late), mSecret, roles("owner")},
		{"review reminder", w.job(bot.JobReviewRemind, time.Date(2026, 12, 14, 9, 0, 0, 0, monday.Location())), mCycle,
			roles("owner", "member", "manager", "anonymous answerer")},
	}
	for _, c := range cells {
		for _, role := range matrixRoles {
			got := c.read(role.id)
			if saw := strings.Contains(got, c.marker); saw != c.sees[role.name] {
				t.Errorf("%s, %s: sees %q = %v, want %v (read %q)", c.way, role.name, c.marker, saw, c.sees[role.name], got)
			}
			if !insideOf(role.name) && got != "" && !strings.Contains(got, outsiderSentence) && !strings.Contains(got, "Pulse 还没有为你开通") {
				t.Errorf("%s, %s: an outsider read %q, want only the outsider sentence", c.way, role.name, got)
			}
		}
	}
}

func insideOf(role string) bool {
	return role != "user of another workspace" && role != "user of another tenant"
}

// inChannelAs sends a command typed in a channel by any role.
func (h *harness) inChannelAs(user bot.UserID, channel, text string) bot.Response {
	h.t.Helper()
	h.n++
	return h.event(bot.Event{Key: fmt.Sprintf("mxc:%d", h.n), Kind: bot.KindCommand, Platform: user.Platform(),
		User: user, Channel: channel, Text: text})
}

// Found by the property test: the review form's evidence pack is a way
// out too. A manager writing a review does not see feedback the team keeps
// to the person, and a peer does not see the person's private goal.
func TestEvidencePackShowsOnlyWhatTheReaderMaySee(t *testing.T) {
	w := newMatrixWorld(t)
	mustContain(t, text(w.say(maya, "/review write "+bot.Mention(alice))), mFeedback)
	mustContain(t, text(w.say(maya, "/feedback visibility growth person")), "Growth")
	if got := text(w.say(maya, "/review write "+bot.Mention(alice))); strings.Contains(got, mFeedback) {
		t.Errorf("the manager's evidence pack shows feedback kept to the person: %q", got)
	}
	w.say(admin, "/pulse team add growth "+bot.Mention(sam))
	w.say(alice, "/review nominate "+bot.Mention(bob)+" "+bot.Mention(chen)+" "+bot.Mention(sam))
	w.say(maya, "/review approve "+bot.Mention(alice))
	got := text(w.say(bob, "/review write "+bot.Mention(alice)))
	mustContain(t, got, mOpen)
	if strings.Contains(got, mSecret) {
		t.Errorf("a peer's evidence pack shows the person's private goal: %q", got)
	}
}

// Finding 1: the chat export is read like any other way out — another
// team's manager gets none, and feedback that `visibility person` keeps
// to the person is not in the team manager's nor the admin's export.
func TestFinding1ExportHonoursFeedbackVisibility(t *testing.T) {
	w := newMatrixWorld(t)
	export := w.file("/scorecard export json team growth")
	mustContain(t, export(maya), mFeedback)
	if got := export(sal); strings.Contains(got, mFeedback) || strings.Contains(got, mOpen) {
		t.Errorf("another team's manager exported growth: %q", got)
	}
	w.say(maya, "/feedback visibility growth person")
	for _, who := range []bot.UserID{maya, admin} {
		if got := export(who); strings.Contains(got, mFeedback) || strings.Contains(got, mAnon) {
			t.Errorf("%s's export shows feedback kept to the person: %q", who.Local(), got)
		}
	}
}
