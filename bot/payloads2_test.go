package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulse-bot/pulse/bot"
)

// Issue 16 asks for Slack's conversations_select "where a channel is
// asked". No form asks for one: a team's channel is the one its
// `/pulse team create` is typed in (or the #channel named there), and no
// other form needs a channel. This test holds that: it opens every form,
// in English and in Chinese, and fails if one asks for a channel in a text
// box — the day one does, it needs a picker, as people have.
func TestNoFormAsksForAChannelInATextBox(t *testing.T) {
	h := newHarness(t)
	h.say(maya, "/goal new Raise activation from 20% to 30% by 2026-12-31")
	forms := []string{bot.ActionCheckInForm, bot.ActionKudosForm, bot.ActionGoalUpdateForm, bot.ActionGoalNewForm, bot.ActionFeedbackRequestForm}
	channelWords := []string{"channel", "conversation", "频道", "群"}
	for _, user := range []bot.UserID{alice, chen} {
		for i, form := range forms {
			r := h.event(bot.Event{Key: fmt.Sprintf("t:form:%s:%d", user.Local(), i), Kind: bot.KindAction, Platform: bot.PlatformConsole,
				User: user, Direct: true, Channel: "dm", Action: bot.Action{ID: form}})
			inputs := 0
			for _, b := range r.Reply.Blocks {
				in, ok := b.(bot.Input)
				if !ok {
					continue
				}
				inputs++
				if in.IsPeople() {
					continue
				}
				for _, w := range channelWords {
					if strings.Contains(strings.ToLower(in.ID+" "+in.Label+" "+in.Placeholder), w) {
						t.Errorf("%s for %s: input %q (%q) asks for a channel in a text box", form, user.Local(), in.ID, in.Label)
					}
				}
			}
			if inputs == 0 {
				t.Errorf("%s for %s opened no form: %q", form, user.Local(), text(r))
			}
		}
	}
}
