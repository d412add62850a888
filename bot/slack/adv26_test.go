package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

// adv26SlowInbox stands for a Redis that answers, but slowly: each
// Enqueue takes delay (inside bot.EnqueueWait, so it is not refused).
type adv26SlowInbox struct {
	bot.Inbox
	delay time.Duration
}

func (s adv26SlowInbox) Enqueue(ctx context.Context, e bot.InboxEntry, ttl time.Duration) (bool, error) {
	time.Sleep(s.delay)
	return s.Inbox.Enqueue(ctx, e, ttl)
}

// Slack shows a slash command's answer only if it comes within 3 s of the
// request; later, the person sees "operation_timeout" and the body is
// thrown away. The request waits replyDeadline (2.5 s) for its worker,
// counted from when the command was queued, not from when it arrived: the
// queueing may itself take up to bot.EnqueueWait (1.2 s). With queueing
// at 1 s and the work done at 2.1 s after that, the worker hands the reply
// to the request (so it does not go by response_url), and the request
// answers at about 3.1 s: the reply is lost although the command was saved,
// and the person, told it failed, types it again (a second update).
func TestAdv26SlashCommandReplyIsNotAnsweredPastSlacksThreeSeconds(t *testing.T) {
	rec := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		time.Sleep(2100 * time.Millisecond) // a slow core, under load
		return bot.Response{Reply: bot.Message{Blocks: []bot.Block{bot.Text{Text: "adv26 saved"}}}, Visibility: bot.Private}, nil
	}}
	h := newHarness(t, rec)
	h.a.inbox = adv26SlowInbox{Inbox: h.a.inbox, delay: time.Second}
	started := time.Now()
	resp := h.postForm("/slack/commands", commandForm(t, h, "/goal", "G1 +1"))
	body := readBody(t, resp)
	took := time.Since(started)
	h.settle()
	viaURL := false
	for _, c := range h.slack.callsTo("response/goal") {
		if strings.Contains(string(c.Body), "adv26 saved") {
			viaURL = true
		}
	}
	inBody := strings.Contains(body, "adv26 saved")
	t.Logf("answered in %s; reply in the body: %v; by response_url: %v", took.Round(time.Millisecond), inBody, viaURL)
	if took > 3*time.Second && !viaURL {
		t.Errorf("the slash command was answered after %s (Slack waits 3 s) and its reply went nowhere else: lost", took.Round(time.Millisecond))
	}
}

// A replica that recorded an update and was killed before it reacted (or
// replied) leaves the entry pending; the replica that takes it over finds
// the update recorded (ErrDuplicate), and the core answers a duplicate with
// silence (Service.failure), so no reaction and no reply ever go out,
// although both are keyed by the event and safe to send on a redelivery
// (reactions.add answers already_reacted, the reply has its sent-marker).
// pulse-bench counts such an event as not processed ("recorded and
// reacted to"); the person sees their update ignored.
func TestAdv26TakeoverAfterTheRecordButBeforeTheReactionStillReacts(t *testing.T) {
	h := buildServiceHarness(t, false)
	ctx := context.Background()
	if _, err := h.a.handler.Handle(ctx, bot.Event{Key: "test:create", Kind: bot.KindCommand, Platform: bot.PlatformSlack,
		User: lilei, Direct: true, Channel: "D024BE91L", Text: "/goal new Raise activation from 20% to 30% by 2026-12-31"}); err != nil {
		t.Fatal(err)
	}
	goals, err := h.store.TeamGoals(ctx, "growth")
	if err != nil || len(goals) != 1 {
		t.Fatalf("goal not created: %v %v", goals, err)
	}
	id := goals[0].ID
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
	survivor, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: in, Consumer: "survivor", ClaimIdle: -1,
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformSlack: h.a}, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := survivor.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("the survivor took over %d entries (%v), want 1", n, err)
	}
	h.a.inflight.Wait()
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
