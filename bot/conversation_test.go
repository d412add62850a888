package bot_test

import (
	"context"
	"strings"
	"testing"
)

// TestConversationSlashIsACommandEverythingElseAnAnswer checks the one
// rule of an open check-in in a direct chat, as the first question says
// it: a line starting with "/" runs as a command and its reply says how to
// go back; any other line, even one that reads like a command or a
// progress update, is the answer.
func TestConversationSlashIsACommandEverythingElseAnAnswer(t *testing.T) {
	h := newHarness(t)
	mustContain(t, text(h.say(alice, "/checkin")), "1/4", "starts with / is a command")
	mustContain(t, text(h.say(alice, "goal list")), "2/4")
	listed := text(h.say(alice, "/goal list"))
	mustContain(t, listed, "Your goals", "check-in is still open", "`/checkin`")
	mustContain(t, text(h.say(alice, "G3 16")), "3/4")
	refused := text(h.say(alice, "/goal G99 2%"))
	mustContain(t, refused, "G99", "check-in is still open")
	mustContain(t, text(h.say(alice, "/checkin")), "3/4")
	mustContain(t, text(h.say(alice, "kudos @bob thanks")), "4/4")
	mustContain(t, text(h.say(alice, "4")), "saved")
	c, err := h.store.GetCheckIn(context.Background(), "growth", "2026-W48", alice)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"goal list", "G3 16", "kudos @bob thanks"}; strings.Join(c.Answers, "|") != strings.Join(want, "|") {
		t.Fatalf("answers = %q, want %q", c.Answers, want)
	}
	// With the check-in done, commands get no "still open" line.
	if got := text(h.say(alice, "/goal list")); strings.Contains(got, "still open") {
		t.Fatalf("closed conversation still mentioned: %q", got)
	}
	// Chinese: the rule and the way back in the person's language.
	mustContain(t, text(h.say(chen, "/周报")), "以 / 开头")
	mustContain(t, text(h.say(chen, "/目标 列表")), "周报还没写完")
}
