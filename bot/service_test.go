package bot_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
	"github.com/pulse-bot/pulse/store/storetest"
)

// lastSent is the newest message out sent to id, as plain text.
func lastSent(t *testing.T, out *bottest.Messenger, id bot.UserID) string {
	t.Helper()
	list := out.To(id)
	if len(list) == 0 {
		t.Fatalf("no message to %s", id)
	}
	return bot.PlainText(list[len(list)-1].Msg)
}

type harness struct {
	t     *testing.T
	svc   *bot.Service
	store bot.Store
	clock *bot.ManualClock
	out   *bottest.Messenger
	n     int
}

var (
	maya  = bot.NewUserID(bot.PlatformConsole, "demo", "maya")
	alice = bot.NewUserID(bot.PlatformConsole, "demo", "alice")
	bob   = bot.NewUserID(bot.PlatformConsole, "demo", "bob")
	chen  = bot.NewUserID(bot.PlatformConsole, "demo", "chen")
	admin = bot.NewUserID(bot.PlatformConsole, "demo", "admin")
)

// monday is 2026-11-23 09:00 in Berlin, the start of ISO week 2026-W48.
var monday = time.Date(2026, 11, 23, 9, 0, 0, 0, mustZone("Europe/Berlin"))

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// newHarness gives a service on real Redis with a team "Growth": maya
// manages, alice, bob and chen (who reads Chinese) are members, admin is a
// Pulse admin.
func newHarness(t *testing.T) *harness {
	t.Helper()
	return newTeamHarness(t, monday, []bot.UserID{admin}, []bot.UserID{alice, bob, chen}, []bot.UserID{maya},
		func(team *bot.Team) { team.KudosAllowance = 2 }, map[bot.UserID]bot.Locale{chen: bot.Chinese}, maya, alice, bob, chen, admin)
}

// newTeamHarness gives a service on real Redis, clock at start, with a
// Berlin team "Growth" (values ownership and candor) and a profile, named
// after its id, for each of people.
func newTeamHarness(t *testing.T, start time.Time, admins, members, managers []bot.UserID, edit func(*bot.Team),
	locales map[bot.UserID]bot.Locale, people ...bot.UserID) *harness {
	t.Helper()
	return newTeamHarnessOn(t, storetest.MustOpen(t), start, admins, members, managers, edit, locales, people...)
}

// newTeamHarnessOn is newTeamHarness on the store st.
func newTeamHarnessOn(t *testing.T, st bot.Store, start time.Time, admins, members, managers []bot.UserID, edit func(*bot.Team),
	locales map[bot.UserID]bot.Locale, people ...bot.UserID) *harness {
	t.Helper()
	h := &harness{t: t, store: st, clock: bot.NewManualClock(start), out: &bottest.Messenger{}}
	svc, err := bot.NewService(bot.Config{Store: st, Messenger: h.out, Clock: h.clock, Log: zerolog.Nop(), Admins: admins})
	if err != nil {
		t.Fatal(err)
	}
	h.svc = svc
	t.Cleanup(func() { assertSentInTheirLanguage(t, h.out, locales) })
	team := bot.NewTeam("Growth", bot.PlatformConsole, "growth", start)
	team.TimeZone = "Europe/Berlin"
	team.Members, team.Managers = members, managers
	team.Values = []string{"ownership", "candor"}
	if edit != nil {
		edit(&team)
	}
	if err := svc.ApplyTeam(context.Background(), team); err != nil {
		t.Fatal(err)
	}
	for _, id := range people {
		p := bot.Person{ID: id, Name: strings.ToUpper(id.Local()[:1]) + id.Local()[1:], Locale: locales[id]}
		if err := st.SavePerson(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// say sends a command in a direct chat and returns the reply as text.
func (h *harness) say(user bot.UserID, text string) bot.Response {
	h.t.Helper()
	h.n++
	return h.event(bot.Event{Key: fmt.Sprintf("test:%d", h.n), Kind: bot.KindCommand, Platform: bot.PlatformConsole,
		User: user, Direct: true, Channel: "dm", Text: text})
}

func (h *harness) event(ev bot.Event) bot.Response {
	h.t.Helper()
	ev = asAdapter(ev)
	resp, err := h.svc.Handle(context.Background(), ev)
	if err != nil {
		h.t.Fatalf("handle %q: %v", ev.Text, err)
	}
	if resp.Reply.Locale != resp.Locale || resp.Reply.Locale == "" {
		h.t.Errorf("reply to %q carries locale %q, the asker's is %q", ev.Text, resp.Reply.Locale, resp.Locale)
	}
	return resp
}

// assertSentInTheirLanguage checks that every message the service sent
// says which language it is written in — adapters write their own words in
// it and must never guess — and that a direct message to someone whose
// profile names a language is in that language.
func assertSentInTheirLanguage(t *testing.T, out *bottest.Messenger, locales map[bot.UserID]bot.Locale) {
	for _, sent := range out.Sent() {
		if sent.Msg.Locale == "" {
			t.Errorf("message %s to %+v carries no locale: %q", sent.Key, sent.To, bot.PlainText(sent.Msg))
			continue
		}
		if want, ok := locales[sent.To.User]; ok && sent.To.User != "" && sent.Msg.Locale != want {
			t.Errorf("message %s to %s is in %q, their profile says %q", sent.Key, sent.To.User, sent.Msg.Locale, want)
		}
	}
}

// mentionToken is a Mention token in a test's text.
var mentionToken = regexp.MustCompile(`<@([^<>\s]*)>`)

// asAdapter marks the Mention tokens of a test's text (and form fields) as
// real mentions, the way an adapter does for the platform's own mentions.
// Tests of typed mentions call the service without it.
func asAdapter(ev bot.Event) bot.Event {
	if ev.Names != nil {
		return ev
	}
	texts := []string{ev.Text}
	for _, v := range ev.Action.Fields {
		texts = append(texts, v)
	}
	for _, t := range texts {
		for _, m := range mentionToken.FindAllStringSubmatch(t, -1) {
			if ev.Names == nil {
				ev.Names = map[bot.UserID]string{}
			}
			ev.Names[bot.UserID(m[1])] = ""
		}
	}
	return ev
}

func text(r bot.Response) string { return bot.PlainText(r.Reply) }

func mustContain(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Fatalf("reply %q does not contain %q", got, w)
		}
	}
}

func TestGoalNewSMARTAndUpdateMovesValueWithPace(t *testing.T) {
	h := newHarness(t)
	r := h.say(alice, "/goal new Raise checkout conversion from 2.1% to 3% by 2026-12-31")
	mustContain(t, text(r), "G", "Raise checkout conversion", "2.1% → 3%")
	goals, err := h.store.TeamGoals(context.Background(), "growth")
	if err != nil || len(goals) != 1 {
		t.Fatalf("goals = %v, %v; want one", goals, err)
	}
	id := goals[0].ID
	h.clock.Advance(14 * 24 * time.Hour)
	r = h.say(alice, "/goal "+id+" 2.6% on track shipped the new payment page")
	mustContain(t, text(r), "2.1% → 2.6%", "target 3%", "shipped the new payment page")
	r = h.say(alice, "/goal "+id+" +0.1")
	mustContain(t, text(r), "2.6% → 2.7%")
	g, err := h.store.GetGoal(context.Background(), id)
	if err != nil || g.Current != 2.7 {
		t.Fatalf("current = %v, %v; want 2.7", g.Current, err)
	}
	updates, err := h.store.GoalUpdates(context.Background(), id, time.Time{}, h.clock.Now().Add(time.Hour))
	if err != nil || len(updates) != 2 {
		t.Fatalf("history = %d, %v; want 2 updates", len(updates), err)
	}
}

func TestGoalWithoutTargetIsMilestoneWithCoaching(t *testing.T) {
	h := newHarness(t)
	r := h.say(alice, "/goal new Write the onboarding guide")
	mustContain(t, text(r), "milestone", "/goal edit")
	goals, _ := h.store.TeamGoals(context.Background(), "growth")
	if len(goals) != 1 || !goals[0].Metric.Milestone {
		t.Fatalf("goals = %+v; want one milestone", goals)
	}
	r = h.say(alice, "/goal "+goals[0].ID+" 140%")
	mustContain(t, text(r), "0 to 100")
	r = h.say(alice, "/goal new Ship the partner API by 2026-12-31")
	mustContain(t, text(r), "no measurable target", "target 3%")
	if strings.Contains(text(r), "due end of quarter") {
		t.Errorf("a goal with a date is coached to add a date: %q", text(r))
	}
}

func TestPaceStatusAtRiskAndOffTrack(t *testing.T) {
	g := bot.Goal{State: bot.GoalOpen, Metric: bot.Metric{Baseline: 0, Target: 100}, Start: monday, Due: monday.AddDate(0, 0, 99)}
	half := monday.AddDate(0, 0, 50) // expected 50%
	for _, tc := range []struct {
		current float64
		want    bot.Status
	}{{45, bot.OnTrack}, {39, bot.AtRisk}, {24, bot.OffTrack}} {
		g.Current = tc.current
		if got := g.ComputedStatus(half); got != tc.want {
			t.Errorf("progress %v at pace 50: status %s, want %s", tc.current, got, tc.want)
		}
	}
}

func TestBadGoalInputSavesNothing(t *testing.T) {
	h := newHarness(t)
	for _, in := range []string{
		"/goal new Ship it to 3% by 2020-01-01",
		"/goal new to 3% by 2026-12-31",
		"/goal new Grow from 2% to 3 orders by 2026-12-31",
		"/goal G999 5%",
		"/goal frobnicate G1",
		"/goal edit G1 colour blue",
		strings.Repeat("x", 3001),
		"   ",
	} {
		r := h.say(alice, in)
		if got := text(r); got == "" || strings.Contains(got, "\n") {
			t.Errorf("%q: want one sentence saying what to type, got %q", in, got)
		}
	}
	goals, _ := h.store.TeamGoals(context.Background(), "growth")
	if len(goals) != 0 {
		t.Fatalf("bad input saved goals: %+v", goals)
	}
}

func TestUpdatingSomeoneElsesGoalIsRefused(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Cut churn from 5% to 3% by 2026-12-31")
	goals, _ := h.store.TeamGoals(context.Background(), "growth")
	r := h.say(bob, "/goal "+goals[0].ID+" 4%")
	mustContain(t, text(r), "belongs to someone else")
	r = h.say(maya, "/goal "+goals[0].ID+" 4%")
	mustContain(t, text(r), "5% → 4%")
}

func TestChatMessageProgressIsRecordedOnceWithReaction(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Orders from 100 to 200 orders by 2026-12-31")
	goals, _ := h.store.TeamGoals(context.Background(), "growth")
	ev := bot.Event{Key: "slack:Ev1", Kind: bot.KindMessage, Platform: bot.PlatformConsole, User: alice, Channel: "growth",
		Text: goals[0].ID + " 120 orders great week", Message: bot.MessageRef{Platform: bot.PlatformConsole, Channel: "growth", ID: "1.1"}}
	first := h.event(ev)
	if first.Reaction != "check" {
		t.Fatalf("reaction = %q, want check", first.Reaction)
	}
	// Delivered again (its worker died before replying): the same answer,
	// recorded once. The adapters send a reply once per event key.
	again := h.event(ev)
	if text(again) != text(first) || again.Reaction != "check" {
		t.Fatalf("event delivered again answered %q with reaction %q; the first delivery %q with check", text(again), again.Reaction, text(first))
	}
	updates, _ := h.store.GoalUpdates(context.Background(), goals[0].ID, time.Time{}, h.clock.Now().Add(time.Hour))
	if len(updates) != 1 {
		t.Fatalf("updates = %d, want 1", len(updates))
	}
	quiet := h.event(bot.Event{Key: "slack:Ev2", Kind: bot.KindMessage, Platform: bot.PlatformConsole, User: alice, Channel: "growth", Text: "lunch?"})
	if !quiet.Reply.IsZero() || quiet.Reaction != "" {
		t.Fatalf("ordinary message answered: %+v", quiet)
	}
}

func TestKudosAllowanceSelfAndNotifications(t *testing.T) {
	h := newHarness(t)
	r := h.say(alice, "/kudos "+bot.Mention(alice)+" me again")
	mustContain(t, text(r), "other people")
	r = h.say(alice, "/kudos "+bot.Mention(bob)+" thanks for the review #ownership #coffee")
	mustContain(t, text(r), "Bob", "#ownership", "1 more today")
	if dms := h.out.To(bob); len(dms) != 1 || !strings.Contains(bot.PlainText(dms[0].Msg), "thanks for the review") {
		t.Fatalf("bob's DMs = %+v; want the kudos", dms)
	}
	r = h.say(alice, "/kudos "+bot.Mention(bob)+" "+bot.Mention(chen)+" launch")
	mustContain(t, text(r), "1 more people today")
	r = h.say(alice, "/kudos "+bot.Mention(chen)+" launch")
	mustContain(t, text(r), "0 more today")
	// Chen reads Chinese.
	if dms := h.out.To(chen); len(dms) != 1 || !strings.Contains(bot.PlainText(dms[0].Msg), "你收到了点赞") {
		t.Fatalf("chen's DMs = %+v; want Chinese kudos", dms)
	}
}

func TestKudosUndoWithinTenMinutes(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/kudos "+bot.Mention(bob)+" thanks")
	h.clock.Advance(5 * time.Minute)
	mustContain(t, text(h.say(alice, "/kudos undo")), "Taken back", "2 more")
	h.say(alice, "/kudos "+bot.Mention(bob)+" thanks again")
	h.clock.Advance(11 * time.Minute)
	mustContain(t, text(h.say(alice, "/kudos undo")), "10 minutes")
}

// TestKudosUndoTakesBackTheDMAndTheChannelPost: an undone kudos leaves no
// thank-you behind, neither in the recipient's chat nor in the channel.
func TestKudosUndoTakesBackTheDMAndTheChannelPost(t *testing.T) {
	h := newHarness(t)
	h.say(bob, "/kudos "+bot.Mention(chen)+" earlier")
	before := len(h.out.Sent())
	h.say(alice, "/kudos "+bot.Mention(bob)+" "+bot.Mention(chen)+" thanks")
	var want []string
	for i, s := range h.out.Sent()[before:] {
		want = append(want, fmt.Sprintf("m%d", before+i+1))
		if s.To.User == "" && s.To.Channel != "growth" {
			t.Fatalf("unexpected post %+v", s)
		}
	}
	if len(want) != 3 {
		t.Fatalf("the kudos made %d posts, want 2 DMs and the channel post", len(want))
	}
	mustContain(t, text(h.say(alice, "/kudos undo")), "Taken back")
	var got []string
	for _, ref := range h.out.Retracted() {
		got = append(got, ref.ID)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("retracted %v, want the kudos's posts %v (and not the earlier kudos's)", got, want)
	}
}

// TestRedeliveredKudosUndoTakesBackOnlyOneKudos: the inbox delivers an
// event at least once, so an undo handled twice (a worker killed after the
// undo, before its acknowledgement) must not take back the kudos before.
func TestRedeliveredKudosUndoTakesBackOnlyOneKudos(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/kudos "+bot.Mention(chen)+" first")
	h.clock.Advance(time.Minute)
	h.say(alice, "/kudos "+bot.Mention(bob)+" second")
	undo := bot.Event{Key: "test:undo-once", Kind: bot.KindCommand, Platform: bot.PlatformConsole,
		User: alice, Direct: true, Channel: "dm", Text: "/kudos undo"}
	first := text(h.event(undo))
	mustContain(t, first, "Taken back", "Bob", "1 more")
	again := text(h.event(undo))
	if again != first {
		t.Errorf("the redelivered undo answered %q, want the first answer %q", again, first)
	}
	team, err := h.store.TeamsOf(context.Background(), alice)
	if err != nil || len(team) != 1 {
		t.Fatalf("alice's teams: %v %v", team, err)
	}
	last, err := h.store.LastKudosBy(context.Background(), team[0].ID, alice)
	if err != nil || len(last.To) != 1 || last.To[0] != chen {
		t.Fatalf("alice's newest kudos after one undo delivered twice = %+v (%v), want the first one, to chen", last, err)
	}
	if used, err := h.store.KudosUsed(context.Background(), team[0].ID, alice, monday.Format("2006-01-02")); err != nil || used != 1 {
		t.Errorf("allowance used %d (%v), want 1: only the undone kudos is refunded", used, err)
	}
}

func TestKudosAllowanceHoldsUnderConcurrentGivers(t *testing.T) {
	h := newHarness(t)
	var wg sync.WaitGroup
	replies := make([]string, 10)
	for i := range replies {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := h.svc.Handle(context.Background(), asAdapter(bot.Event{Key: fmt.Sprintf("c%d", i), Kind: bot.KindCommand,
				Platform: bot.PlatformConsole, User: alice, Direct: true, Text: "/kudos " + bot.Mention(bob) + " thanks"}))
			if err != nil {
				t.Error(err)
			}
			replies[i] = text(resp)
		}(i)
	}
	wg.Wait()
	sentCount := 0
	for _, r := range replies {
		if strings.Contains(r, "Kudos sent") {
			sentCount++
		}
	}
	if sentCount != 2 {
		t.Fatalf("%d kudos went through against an allowance of 2: %q", sentCount, replies)
	}
}

func TestCheckInConversationAndMoodValidation(t *testing.T) {
	h := newHarness(t)
	mustContain(t, text(h.say(alice, "/checkin")), "1/4", "get done")
	mustContain(t, text(h.say(alice, "Shipped the payment page")), "2/4")
	mustContain(t, text(h.say(alice, "Checkout A/B test")), "3/4")
	mustContain(t, text(h.say(alice, "Waiting on legal review")), "4/4")
	mustContain(t, text(h.say(alice, "great")), "1 (rough) to 5")
	mustContain(t, text(h.say(alice, "4")), "saved")
	c, err := h.store.GetCheckIn(context.Background(), "growth", "2026-W48", alice)
	if err != nil || !c.Done() || c.Mood != 4 || c.Blockers(bot.Team{}) != "Waiting on legal review" {
		t.Fatalf("check-in = %+v, %v", c, err)
	}
	// After finishing, a plain message is no longer an answer.
	mustContain(t, text(h.say(alice, "hello")), "didn't understand")
	// Editing a finished check-in asks every question again and replaces the answers.
	mustContain(t, text(h.say(alice, "/checkin")), "replace", "Shipped the payment page")
	mustContain(t, text(h.say(alice, "Shipped checkout v2")), "2/4")
	mustContain(t, text(h.say(alice, "Test plan")), "3/4")
	mustContain(t, text(h.say(alice, "none")), "4/4")
	mustContain(t, text(h.say(alice, "5")), "saved")
	c, err = h.store.GetCheckIn(context.Background(), "growth", "2026-W48", alice)
	if err != nil || c.Answers[0] != "Shipped checkout v2" || c.Mood != 5 || c.Blockers(bot.Team{}) != "" {
		t.Fatalf("edited check-in = %+v, %v", c, err)
	}
}

func TestCheckInPromptSkipsDoneAndAwayAndSummaryHidesMoodBelowThree(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.say(bob, "/checkin away until 2026-11-30")
	for _, a := range []string{"/checkin", "done", "next", "none", "5"} {
		h.say(alice, a)
	}
	plan, err := h.svc.PlanJob(ctx, bot.JobRequest{Job: bot.JobCheckInPrompt, TeamID: "growth", At: h.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 1 || plan[0].Person != chen {
		t.Fatalf("prompts = %+v; want chen only", plan)
	}
	if !strings.Contains(bot.PlainText(plan[0].Msg), "自上次周报以来") {
		t.Fatalf("chen's prompt is not in Chinese: %q", bot.PlainText(plan[0].Msg))
	}
	if err := h.svc.Deliver(ctx, plan[0]); err != nil {
		t.Fatal(err)
	}
	// Chen answers in the conversation the prompt opened.
	for _, a := range []string{"上线了新版本", "优化性能", "无", "3"} {
		h.say(chen, a)
	}
	summary, err := h.svc.PlanJob(ctx, bot.JobRequest{Job: bot.JobCheckInSummary, TeamID: "growth", At: h.clock.Now()})
	if err != nil || len(summary) != 1 {
		t.Fatalf("summary = %+v, %v", summary, err)
	}
	body := bot.PlainText(summary[0].Msg)
	if strings.Contains(body, "mood") || strings.Contains(body, "/5") {
		t.Fatalf("summary shows mood with only 2 answers: %q", body)
	}
	if len(summary[0].Thread) != 2 {
		t.Fatalf("thread = %d messages, want one per answer (2)", len(summary[0].Thread))
	}
}

func TestScorecardIsForManagersAndAdmins(t *testing.T) {
	h := newHarness(t)
	mustContain(t, text(h.say(alice, "/scorecard")), "managers and admins")
	mustContain(t, text(h.say(maya, "/scorecard team growth")), "Scorecard of Growth, 2026-W48")
	mustContain(t, text(h.say(admin, "/scorecard team growth last week")), "2026-W47")
	mustContain(t, text(h.say(alice, "/scorecard me")), "Scorecard of Alice")
}

func TestChineseKeywordsGetChineseReplies(t *testing.T) {
	h := newHarness(t)
	r := h.say(chen, "目标 新建 提升转化率 从 2% 到 3% 截止 2026-12-31")
	mustContain(t, text(r), "新目标", "提升转化率")
	mustContain(t, text(h.say(chen, "帮助")), "目标")
}

func TestTeamSettingsValidateAndAudit(t *testing.T) {
	h := newHarness(t)
	mustContain(t, text(h.say(alice, "/pulse team set growth allowance 3")), "managers and admins")
	mustContain(t, text(h.say(maya, "/pulse team set growth allowance -1")), "0 to 100")
	mustContain(t, text(h.say(maya, "/pulse team set growth timezone Mars/Base")), "IANA")
	mustContain(t, text(h.say(maya, "/pulse team set growth checkin tuesday 09:30")), "30 9 * * TUE")
	entries, err := h.store.AuditLog(context.Background(), "growth", 5)
	if err != nil || len(entries) == 0 || entries[0].Action != "team.set" || entries[0].Actor != maya {
		t.Fatalf("audit = %+v, %v; want team.set by maya first", entries, err)
	}
}

func TestForgetMeAsksThenDeletes(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Learn Go from 0 to 10 chapters by 2026-12-31")
	r := h.say(alice, "/pulse forget me")
	mustContain(t, text(r), "cannot be undone")
	goals, _ := h.store.TeamGoals(context.Background(), "growth")
	if len(goals) != 1 {
		t.Fatal("asking deleted the goal before confirmation")
	}
	h.event(bot.Event{Key: "forget", Kind: bot.KindAction, Platform: bot.PlatformConsole, User: alice, Direct: true,
		Action: bot.Action{ID: bot.ActionForgetConfirm}})
	goals, _ = h.store.TeamGoals(context.Background(), "growth")
	if len(goals) != 0 {
		t.Fatalf("goals after forget: %+v", goals)
	}
}

func TestEveryMessageKeyIsInBothLanguages(t *testing.T) {
	c, err := bot.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	en, zh := c.Keys(bot.English), c.Keys(bot.Chinese)
	for k := range en {
		if !zh[k] {
			t.Errorf("%s has no Chinese text", k)
		}
	}
	for k := range zh {
		if !en[k] {
			t.Errorf("%s has no English text", k)
		}
	}
}

// A team from the config file is applied at every start; it must keep the
// day it was first created, or missed fires before the restart are never caught up.
func TestApplyTeamKeepsFirstCreationTime(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	before, err := h.store.GetTeam(ctx, "growth")
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(72 * time.Hour)
	again := bot.NewTeam("Growth", bot.PlatformConsole, "growth", time.Time{})
	again.CreatedAt = time.Time{}
	if err := h.svc.ApplyTeam(ctx, again); err != nil {
		t.Fatal(err)
	}
	after, err := h.store.GetTeam(ctx, "growth")
	if err != nil || !after.CreatedAt.Equal(before.CreatedAt) {
		t.Fatalf("created %v after re-apply, want %v (%v)", after.CreatedAt, before.CreatedAt, err)
	}
}
