package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

// Replies that must say what was wrong in the asker's words and what to
// type instead (issue #14, finding 6).
func TestRefusalsSayWhatToType(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Raise checkout conversion from 2.1% to 3% by 2027-03-31")
	for _, tc := range []struct {
		name, who, cmd string
		want           []string
		dontWant       []string
	}{
		{"back when not away", "bob", "/checkin back", []string{"weren't marked away", "/checkin away until"}, []string{"Welcome back"}},
		{"status without a value", "alice", "/goal G1 at risk", []string{"value before its status", "/goal G1 2.6% at risk"}, []string{"as a number"}},
		{"Chinese status without a value", "chen", "目标 G1 有风险", []string{"请先写 G1 的数值再写状态"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			who := map[string]bot.UserID{"alice": alice, "bob": bob, "chen": chen}[tc.who]
			got := text(h.say(who, tc.cmd))
			mustContain(t, got, tc.want...)
			for _, w := range tc.dontWant {
				if strings.Contains(got, w) {
					t.Errorf("reply says %q:\n%s", w, got)
				}
			}
		})
	}
	h.say(bob, "/checkin away until 2026-12-31")
	mustContain(t, text(h.say(bob, "/checkin back")), "Welcome back")
}

// The router hands a retraction to the platform's messenger, and says when
// that platform cannot take messages back or has no messenger.
func TestRouterRetract(t *testing.T) {
	console := &bottest.Messenger{}
	r := bot.Router{bot.PlatformConsole: console, bot.PlatformSlack: plainMessenger{}}
	ref := bot.MessageRef{Platform: bot.PlatformConsole, Channel: "growth", ID: "m1"}
	if err := r.Retract(context.Background(), ref); err != nil || len(console.Retracted()) != 1 {
		t.Fatalf("console retract: %v %v", err, console.Retracted())
	}
	var nr *bot.NoRetractorError
	if err := r.Retract(context.Background(), bot.MessageRef{Platform: bot.PlatformSlack, ID: "1"}); !errors.As(err, &nr) {
		t.Errorf("slack without Retract: %v", err)
	}
	var nm *bot.NoMessengerError
	if err := r.Retract(context.Background(), bot.MessageRef{Platform: bot.PlatformFeishu, ID: "om_1"}); !errors.As(err, &nm) {
		t.Errorf("feishu not wired: %v", err)
	}
}

// plainMessenger sends nothing and has no optional capabilities.
type plainMessenger struct{}

func (plainMessenger) Send(context.Context, bot.Address, bot.Message, string) (bot.MessageRef, error) {
	return bot.MessageRef{}, nil
}

// A mention inside a goal title, an update's note or a close note is stored
// and echoed as the person's name, never as an internal id.
func TestMentionsInGoalTextAreNames(t *testing.T) {
	h := newHarness(t)
	got := text(h.say(alice, "/goal new Pair with "+bot.Mention(bob)+" on checkout from 2.1% to 3% by 2027-03-31"))
	mustContain(t, got, "Pair with @Bob on checkout")
	got = text(h.say(alice, "/goal G1 2.4% on track thanks to "+bot.Mention(bob)))
	got += text(h.say(alice, "/goal show G1"))
	got += text(h.say(alice, "/goal done G1 with "+bot.Mention(chen)))
	mustContain(t, got, "@Bob")
	if strings.Contains(got, "<@") || strings.Contains(got, "console:") {
		t.Errorf("an internal id was echoed:\n%s", got)
	}
}
