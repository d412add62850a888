package bot_test

import (
	"context"
	"testing"

	"github.com/pulse-bot/pulse/bot"
)

// Adversarial regression tests for issue 13 (round adv13).

// "/scorecard me team zeta" by bob, who is not in Zeta, rendered an empty
// "Scorecard of , 2026-W48" instead of saying he is not in that team.
func TestAdv13ScorecardMeOfATeamOneIsNotIn(t *testing.T) {
	h := newTwoTeamHarness(t)
	h.say(bob, "/pulse me language en")
	got := text(h.say(bob, "/scorecard me team zeta"))
	mustContain(t, got, "not a member of Zeta")
	mustNotContain(t, got, "Scorecard of")
	// His own teams still work, named or not.
	mustContain(t, text(h.say(bob, "/scorecard me team design")), "Scorecard of Bob")
	// A manager who is no member still sees their own goals there.
	h.say(maya, "/pulse me language en")
	mustContain(t, text(h.say(maya, "/scorecard me team growth")), "Scorecard of Maya")
}

// chen is in Growth and Design; both prompts arrive the same morning. The
// second prompt took over her conversation, so her answers to the first
// (Growth's, on top of her chat) were filed as Design's and Growth's
// check-in was never kept. Now the first conversation keeps going, the
// second prompt says it waits, and it opens once the first is done.
func TestAdv13TwoTeamsPromptsDoNotStealEachOthersAnswers(t *testing.T) {
	h := newTwoTeamHarness(t)
	ctx := context.Background()
	promptBothTeams(t, h)
	mustContain(t, lastSent(t, h.out, chen), "Growth")
	var last string
	for _, a := range []string{"growth-done", "growth-next", "growth-block", "2"} {
		last = text(h.say(chen, a))
	}
	g, err := h.store.GetCheckIn(ctx, "growth", "2026-W48", chen)
	if err != nil || !g.Done() || g.Answers[0] != "growth-done" || g.Mood != 2 {
		t.Fatalf("Growth's check-in: %+v %v; want her answers", g, err)
	}
	if d, err := h.store.GetCheckIn(ctx, "design", "2026-W48", chen); err == nil && len(d.Answers) > 0 {
		t.Fatalf("her Growth answers went to Design: %v", d.Answers)
	}
	mustContain(t, last, "Design", "1/4")
	for _, a := range []string{"design-done", "design-next", "无", "4"} {
		h.say(chen, a)
	}
	d, err := h.store.GetCheckIn(ctx, "design", "2026-W48", chen)
	if err != nil || !d.Done() || d.Answers[0] != "design-done" || d.Mood != 4 {
		t.Fatalf("Design's check-in: %+v %v", d, err)
	}
}

// A check-in form's button carries "team|period"; bob forged it with a
// week to come (and one before Growth existed) and his answers were kept
// there, so that week's prompt later found him "already answered". A form
// goes to the current week or an earlier one of the team's life only.
func TestAdv13ForgedCheckInFormWeekIsRefused(t *testing.T) {
	h := newTwoTeamHarness(t)
	ctx := context.Background()
	h.say(bob, "/pulse me language en")
	fields := map[string]string{"q0": "done", "q1": "next", "q2": "none", "mood": "4"}
	for _, period := range []string{"2027-W10", "2020-W01"} {
		h.n++
		resp := h.event(bot.Event{Key: "forged:" + period, Kind: bot.KindAction, Platform: bot.PlatformConsole, User: bob,
			Direct: true, Channel: "dm", Action: bot.Action{ID: bot.ActionCheckInSubmit, Value: "growth|" + period, Fields: fields}})
		if c, err := h.store.GetCheckIn(ctx, "growth", period, bob); err == nil && c.Done() {
			t.Fatalf("a forged form kept a check-in for %s (reply %q)", period, text(resp))
		}
	}
}

// With Design's prompt held behind Growth's, skipping Growth's check-in
// left Design's never opened: her next answer was read as no answer at all.
func TestAdv13HeldPromptOpensAfterASkipToo(t *testing.T) {
	h := newTwoTeamHarness(t)
	ctx := context.Background()
	promptBothTeams(t, h)
	mustContain(t, text(h.say(chen, "/checkin skip on leave team growth")), "Design", "1/4")
	for _, a := range []string{"design-done", "design-next", "无", "4"} {
		h.say(chen, a)
	}
	if d, err := h.store.GetCheckIn(ctx, "design", "2026-W48", chen); err != nil || !d.Done() || d.Answers[0] != "design-done" {
		t.Fatalf("Design's check-in after skipping Growth's: %+v %v", d, err)
	}
}

// A form sent by someone in two teams asks which team; each button also
// shows the command to type instead. For a form that was the form's fields
// in alphabetical order ("great @bob team design", "3 a b c team design"):
// no command at all. It is now the command that does the same.
func TestAdv13TeamButtonOfAFormShowsACommand(t *testing.T) {
	h := newTwoTeamHarness(t)
	submit := func(key, action string, fields map[string]string) map[string]bot.Button {
		return pickButtons(t, h.event(bot.Event{Key: key, Kind: bot.KindAction, Platform: bot.PlatformConsole, User: chen,
			Direct: true, Channel: "dm", Action: bot.Action{ID: action, Fields: fields}}))
	}
	kudos := submit("form:kudos", bot.ActionKudosSubmit, map[string]string{"to": bot.Mention(bob), "message": "great"})
	if got := kudos["Design"].Command; got != "/kudos @bob great team design" {
		t.Fatalf("kudos form's typed alternative %q", got)
	}
	checkIn := submit("form:checkin", bot.ActionCheckInSubmit, map[string]string{"q0": "a", "q1": "b", "q2": "c", "mood": "3"})
	if got := checkIn["Growth"].Command; got != "/checkin team growth" {
		t.Fatalf("check-in form's typed alternative %q", got)
	}
}

// promptBothTeams delivers Growth's check-in prompt to chen, then Design's.
func promptBothTeams(t *testing.T, h *harness) {
	t.Helper()
	ctx := context.Background()
	for _, team := range []string{"growth", "design"} {
		ds, err := h.svc.PlanJob(ctx, bot.JobRequest{Job: bot.JobCheckInPrompt, TeamID: team, At: h.clock.Now(), People: []bot.UserID{chen}})
		if err != nil || len(ds) != 1 {
			t.Fatalf("prompt %s: %v %v", team, ds, err)
		}
		if err := h.svc.Deliver(ctx, ds[0]); err != nil {
			t.Fatal(err)
		}
	}
}

// chen, half-way through Growth's check-in, typed "/checkin team design":
// Design's opened and Growth's conversation was dropped without a word, so
// the rest of Growth's was never asked. Now Growth's is paused, she is told,
// and it comes back at the question where she stopped once Design's is done.
func TestCheckInOfAnotherTeamPausesTheOpenOneAndResumesIt(t *testing.T) {
	h := newTwoTeamHarness(t)
	ctx := context.Background()
	h.say(chen, "/pulse me language en")
	h.say(chen, "/checkin team growth")
	h.say(chen, "growth-done")
	mustContain(t, text(h.say(chen, "/checkin team design")), "Growth check-in is paused", "Design", "1/4")
	var last string
	for _, a := range []string{"design-done", "design-next", "none", "4"} {
		last = text(h.say(chen, a))
	}
	mustContain(t, last, "Growth", "2/4")
	for _, a := range []string{"growth-next", "none", "3"} {
		h.say(chen, a)
	}
	g, err := h.store.GetCheckIn(ctx, "growth", "2026-W48", chen)
	if err != nil || !g.Done() || g.Answers[0] != "growth-done" || g.Answers[1] != "growth-next" || g.Mood != 3 {
		t.Fatalf("Growth's check-in after the pause: %+v %v; want all her answers", g, err)
	}
	d, err := h.store.GetCheckIn(ctx, "design", "2026-W48", chen)
	if err != nil || !d.Done() || d.Answers[0] != "design-done" || d.Mood != 4 {
		t.Fatalf("Design's check-in: %+v %v", d, err)
	}
}

// Starting the same team's check-in again is no pause: nothing else is said.
func TestCheckInOfTheSameTeamAgainPausesNothing(t *testing.T) {
	h := newTwoTeamHarness(t)
	h.say(chen, "/pulse me language en")
	h.say(chen, "/checkin team growth")
	h.say(chen, "growth-done")
	mustNotContain(t, text(h.say(chen, "/checkin team growth")), "paused")
}

// A check-in answer whose worker saved it and died before replying is
// delivered again (taken over). That delivery read the stored check-in,
// already one question further, and filed the same text as the answer to
// the next question (or, after the last written answer, refused it as a
// mood). Now it knows its answer was saved and asks the next question.
func TestCheckInAnswerDeliveredAgainIsNotTheNextAnswer(t *testing.T) {
	h := newTwoTeamHarness(t)
	ctx := context.Background()
	h.say(chen, "/pulse me language en")
	h.say(chen, "/checkin team growth")
	answer := func(key, said string) string {
		return text(h.event(bot.Event{Key: key, Kind: bot.KindMessage, Platform: bot.PlatformConsole, User: chen, Direct: true, Channel: "dm", Text: said}))
	}
	first := answer("dm:1", "shipped the importer")
	mustContain(t, first, "2/4")
	mustContain(t, answer("dm:1", "shipped the importer"), "2/4")
	answer("dm:2", "the exporter")
	mustContain(t, answer("dm:3", "none"), "4/4")
	mustContain(t, answer("dm:3", "none"), "4/4")
	c, err := h.store.GetCheckIn(ctx, "growth", "2026-W48", chen)
	if err != nil || c.Next != 3 || c.Answers[0] != "shipped the importer" || c.Answers[1] != "the exporter" || c.Answers[2] != "none" {
		t.Fatalf("check-in after the redeliveries: %+v %v; want three answers, each once", c, err)
	}
	// The mood answer saved, then the worker died before closing the
	// conversation: the delivery again closes it and thanks.
	answer("dm:4", "4")
	conv := bot.Conversation{TeamID: "growth", Period: "2026-W48", Questions: c.Questions}
	if err := h.store.SetConversation(ctx, chen, conv); err != nil {
		t.Fatal(err)
	}
	mustContain(t, answer("dm:4", "4"), "Thanks")
	if _, err := h.store.Conversation(ctx, chen); err == nil {
		t.Fatal("the conversation is still open after the mood answer was delivered again")
	}
	if c, _ := h.store.GetCheckIn(ctx, "growth", "2026-W48", chen); !c.Done() || c.Mood != 4 {
		t.Fatalf("check-in after the mood answer: %+v", c)
	}
}

// A skip saved by a worker that died before closing the conversation is
// delivered again: it closes the conversation and says so, instead of
// going silent with the conversation left open.
func TestCheckInSkipDeliveredAgainClosesTheConversation(t *testing.T) {
	h := newTwoTeamHarness(t)
	ctx := context.Background()
	h.say(chen, "/pulse me language en")
	h.say(chen, "/checkin team growth")
	skip := bot.Event{Key: "dm:skip", Kind: bot.KindCommand, Platform: bot.PlatformConsole, User: chen, Direct: true, Channel: "dm",
		Text: "/checkin skip on leave team growth"}
	h.event(skip)
	if err := h.store.SetConversation(ctx, chen, bot.Conversation{TeamID: "growth", Period: "2026-W48"}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, text(h.event(skip)), "2026-W48")
	if _, err := h.store.Conversation(ctx, chen); err == nil {
		t.Fatal("the conversation is still open after the skip was delivered again")
	}
}
