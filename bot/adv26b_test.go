package bot_test

import (
	"context"
	"testing"

	"github.com/pulse-bot/pulse/bot"
)

// Adversarial regression tests, round adv26b.

// chen's Design prompt is held behind Growth's. Her last Growth answer (the
// mood, event dm:mood) is saved, the conversation closed and Design's held
// check-in opened (nextHeldCheckIn sets the conversation to Design); the
// worker dies before the reply goes out and the event is delivered again.
// That delivery finds Design's conversation open, where Design's stored
// check-in has no LastKey, and files "2" as chen's answer to Design's first
// question (its marker is per team, so no duplicate either): Growth's
// mood becomes Design's "what did you do", and she is asked Design's 2/4.
// LastKey only covers a redelivery that finds the same team's conversation.
func TestAdv26bLastCheckInAnswerDeliveredAgainIsNotFiledInTheHeldTeam(t *testing.T) {
	h := newTwoTeamHarness(t)
	ctx := context.Background()
	promptBothTeams(t, h)
	answer := func(key, said string) string {
		return text(h.event(bot.Event{Key: key, Kind: bot.KindMessage, Platform: bot.PlatformConsole, User: chen, Direct: true, Channel: "dm", Text: said}))
	}
	for i, a := range []string{"growth-done", "growth-next", "growth-block"} {
		answer("dm:g"+string(rune('1'+i)), a)
	}
	first := answer("dm:mood", "2")
	mustContain(t, first, "Design", "1/4")
	// The worker died before its reply went out: the same event again.
	again := answer("dm:mood", "2")
	d, err := h.store.GetCheckIn(ctx, "design", "2026-W48", chen)
	if err == nil && len(d.Answers) > 0 && d.Answers[0] != "" {
		t.Errorf("Growth's mood answer delivered again was filed as Design's answer %q (reply %q)", d.Answers, again)
	}
	mustNotContain(t, again, "2/4")
}

// The same final answer, without a held team: the worker closed the
// conversation and died before replying. The delivery again finds no
// conversation and answers "2" as an unknown command instead of the
// thanks the first delivery gave.
func TestAdv26bLastCheckInAnswerDeliveredAgainAfterTheConversationClosedThanks(t *testing.T) {
	h := newTwoTeamHarness(t)
	h.say(chen, "/pulse me language en")
	h.say(chen, "/checkin team growth")
	answer := func(key, said string) string {
		return text(h.event(bot.Event{Key: key, Kind: bot.KindMessage, Platform: bot.PlatformConsole, User: chen, Direct: true, Channel: "dm", Text: said}))
	}
	for i, a := range []string{"growth-done", "growth-next", "none"} {
		answer("dm:a"+string(rune('1'+i)), a)
	}
	first := answer("dm:mood", "4")
	mustContain(t, first, "Thanks")
	again := answer("dm:mood", "4")
	if again != first {
		t.Errorf("the mood answer delivered again answered %q; the first delivery %q", again, first)
	}
}

// A check-in form submitted once, saved by a worker that died before
// closing the conversation, is delivered again: finishCheckIn's
// SaveCheckIn answers ErrDuplicate, which the form path (unlike the typed
// answers and the skip) still turns into silence, and the conversation
// stays open on a finished check-in: her next direct message is read as
// a mood ("G1 +1" refused as an invalid mood) until she types a number.
func TestAdv26bCheckInFormDeliveredAgainClosesTheConversation(t *testing.T) {
	h := newTwoTeamHarness(t)
	ctx := context.Background()
	h.say(chen, "/pulse me language en")
	h.say(chen, "/checkin team growth")
	form := bot.Event{Key: "form:checkin:1", Kind: bot.KindAction, Platform: bot.PlatformConsole, User: chen, Direct: true, Channel: "dm",
		Action: bot.Action{ID: bot.ActionCheckInSubmit, Value: "growth|2026-W48", Fields: map[string]string{"q0": "a", "q1": "b", "q2": "c", "mood": "4"}}}
	first := text(h.event(form))
	mustContain(t, first, "Thanks")
	conv := bot.Conversation{TeamID: "growth", Period: "2026-W48"}
	if err := h.store.SetConversation(ctx, chen, conv); err != nil { // the worker died before closing it
		t.Fatal(err)
	}
	again := text(h.event(form))
	if _, err := h.store.Conversation(ctx, chen); err == nil {
		t.Errorf("the conversation is still open after the form was delivered again (reply %q)", again)
	}
	mustContain(t, again, "Thanks")
}
