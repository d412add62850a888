package slack

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
)

// droppedAckQueue is an inbox whose first settling round trip (marks and
// acknowledgement together) is lost whole, as when the connection drops
// before Redis read the pipeline: nothing of it is applied. Later calls go
// through.
type droppedAckQueue struct {
	bot.InboxQueue
	mu      sync.Mutex
	dropped chan struct{} // closed once a settling round trip was lost
}

func (q *droppedAckQueue) Ack(ctx context.Context, marks []bot.SettleMark, ids ...string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	select {
	case <-q.dropped:
		return q.InboxQueue.Ack(ctx, marks, ids...)
	default:
	}
	if len(ids) == 0 {
		return q.InboxQueue.Ack(ctx, marks)
	}
	close(q.dropped)
	return errors.New("write tcp: connection reset by peer")
}

// helpInDM is Li Lei's "help" in a direct message: a reply the core gives
// again on every delivery (nothing is recorded that would make a repeat
// say nothing), so only the sent-marker keeps it from being sent twice.
func helpInDM(t *testing.T, h *harness, ts string) {
	t.Helper()
	if resp := h.postEvent(loadJSON(t, "event_message_channels.json", func(m map[string]any) {
		m["team_id"] = testTeam
		m["event_id"] = "Ev" + strings.ReplaceAll(ts, ".", "")
		ev := eventOf(m)
		ev["user"], ev["channel"], ev["channel_type"], ev["text"], ev["ts"] = leiID, "D024BE91L", "im", "help", ts
	})); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

// replies counts the messages posted to the person, in channel or not.
func replies(h *harness) int {
	return len(h.slack.callsTo("chat.postMessage")) + len(h.slack.callsTo("chat.postEphemeral"))
}

// adv22b: the sent-marker now rides only in the acknowledgement's round
// trip. When that round trip is lost whole (the commonest way an
// acknowledgement fails: Redis unreachable for a moment), the marker is
// lost with it and nothing writes it again, so the redelivery replies a
// second time. Before the marker moved, the adapter wrote it with a SET of
// its own right after the reply, and the redelivery found it.
func TestAdv22bLostAckRoundTripStillLeavesTheSentMarkerAndRepliesOnce(t *testing.T) {
	h := buildServiceHarness(t, false)
	ctx := context.Background()
	helpInDM(t, h, "1700000013.000100")
	q := &droppedAckQueue{InboxQueue: h.store.Inbox(), dropped: make(chan struct{})}
	runFirstWorkerUntil(ctx, t, h, q, q.dropped, "the first worker settled nothing in 30 s")
	if posts := replies(h); posts != 1 {
		t.Fatalf("%d replies from the first worker, want 1", posts)
	}
	second, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: q, Consumer: "second", ClaimIdle: -1, Log: zerolog.Nop(),
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformSlack: h.a}})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := second.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("the second worker took %d entries (%v), want the one whose acknowledgement was lost", n, err)
	}
	h.a.inflight.Wait()
	if posts := replies(h); posts != 1 {
		t.Errorf("%d replies for one event delivered twice after its settling round trip was lost, want 1", posts)
	}
}

// adv22b: the same through RunOnce (w.ack), which settles one entry at a
// time: a lost round trip loses the marker too.
func TestAdv22bRunOnceLostAckRoundTripRepliesOnce(t *testing.T) {
	h := buildServiceHarness(t, false)
	ctx := context.Background()
	helpInDM(t, h, "1700000014.000100")
	q := &droppedAckQueue{InboxQueue: h.store.Inbox(), dropped: make(chan struct{})}
	first, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: q, Consumer: "first", ClaimIdle: time.Hour, Log: zerolog.Nop(),
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformSlack: h.a}})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := first.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("first worker took %d (%v), want 1", n, err)
	}
	h.a.inflight.Wait()
	select {
	case <-q.dropped:
	default:
		t.Fatal("the first worker's acknowledgement was not attempted")
	}
	second, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: q, Consumer: "second", ClaimIdle: -1, Log: zerolog.Nop(),
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformSlack: h.a}})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := second.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("the second worker took %d entries (%v), want 1", n, err)
	}
	h.a.inflight.Wait()
	if posts := replies(h); posts != 1 {
		t.Errorf("%d replies for one event (RunOnce, settling round trip lost), want 1", posts)
	}
}
