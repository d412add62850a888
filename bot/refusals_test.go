package bot_test

import (
	"strings"
	"testing"

	"github.com/pulse-bot/pulse/bot"
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
