package slack

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

// dmEvent is a direct message from Steve (U2147483697) with its own ts.
func dmEvent(t *testing.T, text, ts string) []byte {
	return loadJSON(t, "event_message_channels.json", func(m map[string]any) {
		m["team_id"] = testTeam
		m["event_id"] = "Ev" + strings.ReplaceAll(ts, ".", "")
		ev := eventOf(m)
		ev["channel"], ev["channel_type"], ev["text"], ev["ts"] = "D024BE91L", "im", text, ts
	})
}

func TestEventIsInTheInboxWhenAcknowledged(t *testing.T) {
	rec := &bottest.Handler{}
	h := buildHarness(t, rec, false)
	resp := h.postEvent(loadJSON(t, "event_message_channels.json", nil))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	entries := bottest.Queued(t, h.store.Inbox())
	if len(entries) != 1 || entries[0].Key != "slack:msg:C024BE91L:1355517523.000005" || entries[0].Kind != kindEvent {
		t.Fatalf("inbox after the ack: %+v, want the event", entries)
	}
	if strings.Contains(string(entries[0].Body), "one-long-verification-token") {
		t.Error("the verification token was stored with the event")
	}
	if len(rec.Events()) != 0 {
		t.Error("the event was handled on the acknowledgement path")
	}
}

func TestWorkerKilledAfterTheWorkIsTakenOverWithOneEffectAndOneReplyEach(t *testing.T) {
	h := buildServiceHarness(t, false)
	ctx := context.Background()
	created, err := h.a.handler.Handle(ctx, bot.Event{Key: "test:create", Kind: bot.KindCommand, Platform: bot.PlatformSlack,
		User: steve, Direct: true, Channel: "D024BE91L", Text: "/goal new Ship orders from 0 to 100 orders by 2026-12-31"})
	goals, _ := h.store.TeamGoals(ctx, "growth")
	if err != nil || len(goals) != 1 {
		t.Fatalf("goal not created: %v %v %q", goals, err, bot.PlainText(created.Reply))
	}
	id := goals[0].ID
	// An update (a keyed write) and a read (which would answer again): each
	// must have one effect and one reply, though each is worked twice.
	for _, e := range [][]byte{dmEvent(t, id+" +5 orders", "1700000001.000100"), dmEvent(t, "/goal list", "1700000001.000200")} {
		if resp := h.postEvent(e); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	in := h.store.Inbox()
	if err := in.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	held, err := in.Read(ctx, "killed-replica", 10, -1)
	if err != nil || len(held) != 2 {
		t.Fatalf("the replica took %d entries (%v), want 2", len(held), err)
	}
	// It did the whole work of both, then was killed before acknowledging.
	// Called outside a worker, ProcessInbox writes the sent-markers itself;
	// a worker writes them in the acknowledgement's round trip, before the
	// acknowledgement (a kill between the reply and that round trip loses
	// the marker, as one before the marker's own SET did).
	for _, e := range held {
		if err := h.a.ProcessInbox(ctx, e, false); err != nil {
			t.Fatal(err)
		}
	}
	takeOver(t, h, in, 2)
	g, err := h.store.GetGoal(ctx, id)
	if err != nil || g.Current != 5 {
		t.Fatalf("goal at %v (%v) after one +5 worked twice, want 5", g.Current, err)
	}
	ups, _ := h.store.GoalUpdates(ctx, id, time.Time{}, h.clock.Now().Add(time.Hour))
	if len(ups) != 1 {
		t.Errorf("%d updates recorded, want 1", len(ups))
	}
	if posts := h.slack.callsTo("chat.postMessage"); len(posts) != 2 {
		t.Errorf("%d replies posted for 2 events each worked twice, want 2", len(posts))
	}
	if n, _ := in.Backlog(ctx); n != 0 {
		t.Errorf("backlog %d after the takeover, want 0", n)
	}
}

// TestFailedReactionOrReplyIsLoggedAndTheEventIsRecordedOnceAndSettled:
// the documented rule (bot.Deliver) is that a failed part of the response
// is logged with the event key and the next part still goes out; the
// update it answers is already recorded, so the entry is acknowledged, not
// delivered again and not dead-lettered.
func TestFailedReactionOrReplyIsLoggedAndTheEventIsRecordedOnceAndSettled(t *testing.T) {
	for _, tc := range []struct {
		failing, logged, stillSent string
	}{
		{failing: "reactions.add", logged: "reaction not sent; sending the reply anyway", stillSent: "chat.postEphemeral"},
		{failing: "chat.postEphemeral", logged: "reply not sent", stillSent: "reactions.add"},
	} {
		t.Run(tc.failing, func(t *testing.T) {
			h := buildServiceHarness(t, false)
			ctx := context.Background()
			var logs bottest.LogBuffer
			h.a.log = zerolog.New(&logs)
			if _, err := h.a.handler.Handle(ctx, bot.Event{Key: "test:create", Kind: bot.KindCommand, Platform: bot.PlatformSlack,
				User: lilei, Direct: true, Channel: "D024BE91L", Text: "/goal new Raise activation from 20% to 30% by 2026-12-31"}); err != nil {
				t.Fatal(err)
			}
			goals, err := h.store.TeamGoals(ctx, "growth")
			if err != nil || len(goals) != 1 {
				t.Fatalf("goal not created: %v %v", goals, err)
			}
			id := goals[0].ID
			h.slack.mu.Lock()
			h.slack.override[tc.failing] = `{"ok":false,"error":"internal_error"}`
			h.slack.mu.Unlock()
			ts := "1700000002.000100"
			if resp := h.postEvent(loadJSON(t, "event_message_channels.json", func(m map[string]any) {
				m["team_id"] = testTeam
				ev := eventOf(m)
				ev["user"], ev["channel"], ev["text"], ev["ts"] = leiID, "C2147483705", id+" 22% onboarding emails", ts
			})); resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			in := h.store.Inbox()
			var dead []bot.InboxEntry
			var w *bot.InboxWorker
			w, err = bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: in, Consumer: "w", ClaimIdle: -1, MaxDeliveries: 1,
				OnDead:     func(e bot.InboxEntry) { dead = append(dead, e) },
				Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformSlack: h.a}, Log: zerolog.Nop()})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := w.RunOnce(ctx); err != nil || n != 1 {
				t.Fatalf("worked %d entries (%v), want the event", n, err)
			}
			h.a.inflight.Wait()
			ups, err := h.store.GoalUpdates(ctx, id, time.Time{}, h.clock.Now().Add(time.Hour))
			if err != nil || len(ups) != 1 || ups[0].Value != 22 {
				t.Fatalf("updates %+v (%v), want the one update recorded once", ups, err)
			}
			if got := len(h.slack.callsTo(tc.stillSent)); got != 1 {
				t.Errorf("%s called %d times after %s failed, want 1", tc.stillSent, got, tc.failing)
			}
			line := logs.String()
			if !strings.Contains(line, tc.logged) || !strings.Contains(line, "slack:C2147483705:"+ts) || !strings.Contains(line, "internal_error") {
				t.Errorf("log %q does not say %q with the event key and the cause", line, tc.logged)
			}
			if len(dead) != 0 {
				t.Errorf("dead-lettered %+v for a failed %s", dead, tc.failing)
			}
			if n, _ := in.Backlog(ctx); n != 0 {
				t.Errorf("backlog %d: the entry was not acknowledged", n)
			}
			if n, err := w.RunOnce(ctx); err != nil || n != 0 {
				t.Errorf("a second round worked %d entries (%v): the event was delivered again", n, err)
			}
		})
	}
}

// TestRequeuedDeadLetterWhoseReplyWentOutIsNotAnsweredAgain: a first
// delivery skips reading the reply's sent-marker, but a dead letter an
// operator queues again is a new entry whose earlier life may have replied.
func TestRequeuedDeadLetterWhoseReplyWentOutIsNotAnsweredAgain(t *testing.T) {
	h := buildServiceHarness(t, false)
	ctx := context.Background()
	if resp := h.postEvent(dmEvent(t, "/goal list", "1700000002.000100")); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	in := h.store.Inbox()
	if err := in.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	held, err := in.Read(ctx, "stopped-replica", 10, -1)
	if err != nil || len(held) != 1 || !held[0].FirstDelivery() {
		t.Fatalf("read %d entries (%v), want one on its first delivery", len(held), err)
	}
	// Its worker replied, then stopped; the entry ran out of deliveries.
	if err := h.a.ProcessInbox(ctx, held[0], false); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Bury(ctx, held[0], "gave up", testNow); err != nil {
		t.Fatal(err)
	}
	dead, err := in.DeadLetters(ctx, 10)
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead letters %+v (%v), want 1", dead, err)
	}
	if err := in.RetryDead(ctx, dead[0].ID); err != nil {
		t.Fatal(err)
	}
	again, err := in.Read(ctx, "operator-replica", 10, -1)
	if err != nil || len(again) != 1 || again[0].Deliveries != 1 || !again[0].Requeued {
		t.Fatalf("requeued %d entries (%v), want one delivered once and marked requeued", len(again), err)
	}
	if err := h.a.ProcessInbox(ctx, again[0], false); err != nil {
		t.Fatal(err)
	}
	h.a.inflight.Wait()
	if posts := h.slack.callsTo("chat.postMessage"); len(posts) != 1 {
		t.Errorf("%d replies posted for one event requeued after it replied, want 1", len(posts))
	}
}

// takeOver runs a second replica's worker over the entries a killed one
// left pending, and waits for its replies: it must take over want.
func takeOver(t *testing.T, h *harness, in bot.InboxQueue, want int) {
	t.Helper()
	survivor, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: in, Consumer: "survivor", ClaimIdle: -1,
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformSlack: h.a}, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := survivor.RunOnce(context.Background()); err != nil || n != want {
		t.Fatalf("the survivor took over %d entries (%v), want %d", n, err, want)
	}
	h.a.inflight.Wait()
}
