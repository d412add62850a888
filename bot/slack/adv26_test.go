package slack

import (
	"context"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

// Slack shows a slash command's answer (and a modal's field errors) only
// if it comes within 3 s of the request. The request waited the whole
// reply wait (2.5 s) for its worker counted from when it was queued, not
// from when it arrived, and queueing may itself take up to bot.EnqueueWait
// (1.2 s): a reply handed over late was answered past 3 s and thrown away
// (not sent by response_url either). The wait is now what is left of the
// 2.5 s since the request arrived.
func TestAdv26SlashCommandWaitsOnlyWhatIsLeftOfItsReplyWait(t *testing.T) {
	h := newHarness(t, &bottest.Handler{})
	h.a.inbox = bottest.SlowInbox{Inbox: h.a.inbox, Clock: h.clock, Delay: time.Second}
	var waited []time.Duration
	expired := make(chan time.Time)
	close(expired)
	h.a.deadline = func(wait time.Duration) (<-chan time.Time, func()) {
		waited = append(waited, wait)
		return expired, func() {}
	}
	h.postForm("/slack/commands", commandForm(t, h, "/goal", "G1 +1"))
	h.settle()
	if want := bot.ReplyWait - time.Second; len(waited) != 1 || waited[0] != want {
		t.Fatalf("the command waited %v for its reply after a queueing of 1 s, want %v (the rest of %v)", waited, want, bot.ReplyWait)
	}
	h.a.inbox = bottest.SlowInbox{Inbox: h.a.inbox, Clock: h.clock, Delay: 3 * time.Second}
	h.postForm("/slack/commands", commandForm(t, h, "/goal", "G1 +2 later"))
	h.settle()
	if len(waited) != 2 || waited[1] != 0 {
		t.Fatalf("after a queueing of 3 s the command waited %v, want 0 (its reply goes by response_url)", waited)
	}
}

// A replica that recorded an update and was killed before it reacted (or
// replied) leaves the entry pending; the replica that takes it over finds
// the update recorded (ErrDuplicate). The core answered a duplicate with
// silence, so no reaction and no reply ever went out, although both are
// keyed by the event and safe to send on a redelivery (reactions.add
// answers already_reacted, the reply has its sent-marker): pulse-bench
// counted such an event as not processed, the person saw their update
// ignored. The update is now answered as its first delivery would have.
func TestAdv26TakeoverAfterTheRecordButBeforeTheReactionStillReacts(t *testing.T) {
	h := buildServiceHarness(t, false)
	ctx := context.Background()
	id := growthGoal(t, h)
	ts := "1700000026.000100"
	text := id + " 22% onboarding emails"
	if resp := h.postEvent(loadJSON(t, "event_message_channels.json", func(m map[string]any) {
		m["team_id"] = testTeam
		ev := eventOf(m)
		ev["user"], ev["channel"], ev["text"], ev["ts"] = leiID, "C2147483705", text, ts
	})); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	in := h.store.Inbox()
	if err := in.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	held, err := in.Read(ctx, "killed-replica", 10, -1)
	if err != nil || len(held) != 1 {
		t.Fatalf("the replica took %d entries (%v), want 1", len(held), err)
	}
	// The killed replica's worker got as far as the core's record (the
	// event exactly as handleMessage builds it), then died.
	if _, err := h.a.handler.Handle(ctx, bot.Event{Key: "slack:C2147483705:" + ts, Kind: bot.KindMessage, Platform: bot.PlatformSlack,
		User: lilei, Channel: "C2147483705", Text: text,
		Message: bot.MessageRef{Platform: bot.PlatformSlack, Channel: "C2147483705", ID: ts}}); err != nil {
		t.Fatal(err)
	}
	takeOver(t, h, in, 1)
	ups, _ := h.store.GoalUpdates(ctx, id, time.Time{}, h.clock.Now().Add(time.Hour))
	if len(ups) != 1 {
		t.Fatalf("%d updates recorded, want 1", len(ups))
	}
	if n := len(h.slack.callsTo("reactions.add")); n != 1 {
		t.Errorf("%d reactions after the takeover of an event recorded but not reacted to, want 1", n)
	}
	if n := len(h.slack.callsTo("chat.postEphemeral")); n != 1 {
		t.Errorf("%d replies after the takeover of an event recorded but not answered, want 1", n)
	}
}
