package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
)

// progressInChannel is Li Lei's progress update in the team channel: the
// core records it, and the adapter reacts and replies (ephemeral).
func progressInChannel(t *testing.T, h *harness, goalID, ts string) {
	t.Helper()
	if resp := h.postEvent(loadJSON(t, "event_message_channels.json", func(m map[string]any) {
		m["team_id"] = testTeam
		m["event_id"] = "Ev" + strings.ReplaceAll(ts, ".", "")
		ev := eventOf(m)
		ev["user"], ev["channel"], ev["text"], ev["ts"] = leiID, "C2147483705", goalID+" 22% onboarding emails", ts
	})); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

// growthGoal creates a goal in the harness's team Growth and returns its id.
func growthGoal(t *testing.T, h *harness) string {
	t.Helper()
	ctx := context.Background()
	if _, err := h.a.handler.Handle(ctx, bot.Event{Key: "test:create", Kind: bot.KindCommand, Platform: bot.PlatformSlack,
		User: lilei, Direct: true, Channel: "D024BE91L", Text: "/goal new Raise activation from 20% to 30% by 2026-12-31"}); err != nil {
		t.Fatal(err)
	}
	goals, err := h.store.TeamGoals(ctx, "growth")
	if err != nil || len(goals) != 1 {
		t.Fatalf("goal not created: %v %v", goals, err)
	}
	return goals[0].ID
}

// lostAckQueue is an inbox whose first acknowledgement fails after its
// marks were written, as when Redis dies between the two commands of the
// pipeline: the entry stays pending and is delivered again.
type lostAckQueue struct {
	bot.InboxQueue
	mu   sync.Mutex
	lost chan struct{} // closed once an acknowledgement was lost
}

func (q *lostAckQueue) Ack(ctx context.Context, marks []bot.SettleMark, ids ...string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	select {
	case <-q.lost:
		return q.InboxQueue.Ack(ctx, marks, ids...)
	default:
	}
	if len(ids) == 0 {
		return q.InboxQueue.Ack(ctx, marks)
	}
	close(q.lost)
	if err := q.InboxQueue.Ack(ctx, marks); err != nil {
		return err
	}
	return errors.New("read tcp: connection reset by peer")
}

// A worker replies and its acknowledgement fails: the entry is delivered
// again (here taken over by another worker) and finds the sent-marker the
// acknowledgement's round trip wrote, so the person gets one reply.
func TestRedeliveredEntryWhoseAcknowledgementFailedFindsTheMarkerAndDoesNotReplyTwice(t *testing.T) {
	h := buildServiceHarness(t, false)
	ctx := context.Background()
	id := growthGoal(t, h)
	progressInChannel(t, h, id, "1700000003.000100")
	q := &lostAckQueue{InboxQueue: h.store.Inbox(), lost: make(chan struct{})}
	runFirstWorkerUntil(ctx, t, h, q, q.lost, "the first worker acknowledged nothing in 30 s")
	if posts := h.slack.callsTo("chat.postEphemeral"); len(posts) != 1 {
		t.Fatalf("%d replies from the first worker, want 1", len(posts))
	}
	second, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: q, Consumer: "second", ClaimIdle: -1, Log: zerolog.Nop(),
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformSlack: h.a}})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := second.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("the second worker took %d entries (%v), want the one whose acknowledgement failed", n, err)
	}
	h.a.inflight.Wait()
	if posts := h.slack.callsTo("chat.postEphemeral"); len(posts) != 1 {
		t.Errorf("%d replies for one event delivered twice, want 1", len(posts))
	}
	ups, err := h.store.GoalUpdates(ctx, id, time.Time{}, h.clock.Now().Add(time.Hour))
	if err != nil || len(ups) != 1 {
		t.Errorf("updates %+v (%v), want the one update recorded once", ups, err)
	}
	if n, _ := h.store.Inbox().Backlog(ctx); n != 0 {
		t.Errorf("backlog %d after the redelivery, want 0", n)
	}
}

// roundTripLog records every round trip a Redis client makes, as the
// commands it carried with their first key ("set pulsetest:…"); a
// connection's handshake is left out.
type roundTripLog struct {
	mu     sync.Mutex
	rounds [][]string
}

func (l *roundTripLog) DialHook(next redis.DialHook) redis.DialHook { return next }

func (l *roundTripLog) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		l.add(cmd)
		return next(ctx, cmd)
	}
}

func (l *roundTripLog) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		l.add(cmds...)
		return next(ctx, cmds)
	}
}

func (l *roundTripLog) add(cmds ...redis.Cmder) {
	var round []string
	for _, c := range cmds {
		args := c.Args()
		switch name := c.Name(); name {
		case "hello", "auth", "select", "client", "readonly":
		case "eval", "evalsha":
			round = append(round, fmt.Sprintf("%s %v", name, args[3]))
		default:
			if len(args) > 1 {
				name = fmt.Sprintf("%s %v", name, args[1])
			}
			round = append(round, name)
		}
	}
	if len(round) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rounds = append(l.rounds, round)
}

func (l *roundTripLog) take() [][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.rounds
	l.rounds = nil
	return out
}

// One chat update worked by the inbox worker: the reply's sent-marker
// rides in the acknowledgement's round trip, written before the
// acknowledgement, and costs no round trip of its own.
func TestChatUpdateWritesItsSentMarkerInTheAcknowledgementsRoundTrip(t *testing.T) {
	h := buildServiceHarness(t, false)
	ctx := context.Background()
	id := growthGoal(t, h)
	w, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: h.store.Inbox(), Consumer: "w", Log: zerolog.Nop(),
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformSlack: h.a}})
	if err != nil {
		t.Fatal(err)
	}
	// A first update warms what is cached per process (scripts, profile, team).
	progressInChannel(t, h, id, "1700000004.000100")
	if n, err := w.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("worked %d entries (%v), want 1", n, err)
	}
	log := &roundTripLog{}
	h.store.Client().AddHook(log)
	progressInChannel(t, h, id, "1700000004.000200")
	log.take() // the acknowledgement path's enqueue
	if n, err := w.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("worked %d entries (%v), want 1", n, err)
	}
	h.a.inflight.Wait()
	if posts := h.slack.callsTo("chat.postEphemeral"); len(posts) != 2 {
		t.Fatalf("%d replies for 2 updates, want 2", len(posts))
	}
	rounds := log.take()
	marker := h.store.Key("cache", "slack:sent:slack:C2147483705:1700000004.000200:reply")
	stream := h.store.Key("{inbox}", "events")
	var withMarker [][]string
	for _, r := range rounds {
		if strings.Contains(strings.Join(r, "\n"), marker) {
			withMarker = append(withMarker, r)
		}
	}
	want := []string{"set " + marker, "eval " + stream}
	if len(withMarker) != 1 || strings.Join(withMarker[0], "\n") != strings.Join(want, "\n") {
		t.Errorf("the sent-marker went in %q, want one round trip %q (the marker, then the acknowledgement)", withMarker, want)
	}
	t.Logf("%d round trips for one chat update worked by RunOnce (its reads of the inbox included): %q", len(rounds), rounds)
}

// runFirstWorkerUntil runs a worker named "first" over q with h's adapter
// until done is closed (the queue saw what the test waits for), then stops
// it; failMsg says what did not happen within 30 s.
func runFirstWorkerUntil(ctx context.Context, t *testing.T, h *harness, q bot.InboxQueue, done <-chan struct{}, failMsg string) {
	t.Helper()
	first, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: q, Consumer: "first", ClaimIdle: time.Hour, Log: zerolog.Nop(),
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformSlack: h.a}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- first.Run(runCtx) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second): // a guard against hanging, not a wait
		t.Fatal(failMsg)
	}
	cancel()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}
