package bot_test

import (
	"context"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// Finding 7 of issue 16: "G2 5 merchants …" stored 5 with "merchants …" as
// the note. The word after a space is the goal's unit, so the note is the rest.
func TestProgressKeepsTheGoalsUnitTypedAfterASpace(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Onboard merchants from 0 to 20 merchants by 2026-12-31")
	goals, _ := h.store.TeamGoals(context.Background(), "growth")
	id := goals[0].ID
	mustContain(t, text(h.say(alice, id+" 5 merchants onboarded two in Shenzhen")), "5 merchants")
	updates, err := h.store.GoalUpdates(context.Background(), id, time.Time{}, h.clock.Now().Add(time.Hour))
	if err != nil || len(updates) != 1 || updates[0].Value != 5 || updates[0].Note != "onboarded two in Shenzhen" {
		t.Fatalf("updates %+v, %v", updates, err)
	}
}

// An image or file sent to the bot directly gets one sentence asking for
// text; in a channel it gets nothing.
func TestNotTextIsAnsweredOnlyInADirectChat(t *testing.T) {
	h := newHarness(t)
	r := h.event(bot.Event{Key: "t:img1", Kind: bot.KindNotText, Platform: bot.PlatformConsole, User: alice, Direct: true})
	mustContain(t, text(r), "only read text")
	r = h.event(bot.Event{Key: "t:img2", Kind: bot.KindNotText, Platform: bot.PlatformConsole, User: alice, Channel: "growth"})
	if !r.Reply.IsZero() || r.Reaction != "" {
		t.Fatalf("an image in a channel was answered: %+v", r)
	}
}
