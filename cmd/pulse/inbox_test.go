package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
)

// buryOne queues an event and moves it straight to the dead letters, as a
// worker does after its last failed delivery.
func buryOne(t *testing.T, in *store.Inbox, key string) {
	t.Helper()
	ctx := context.Background()
	if _, err := in.Enqueue(ctx, bot.InboxEntry{Key: key, Platform: bot.PlatformSlack, Kind: "event",
		Body: []byte(`{"text":"secret words"}`), ReceivedAt: time.Now()}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := in.EnsureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := in.Read(ctx, "worker", 10, -1)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got {
		if e.Key != key {
			continue // an entry queued again earlier in the test
		}
		if _, err := in.Bury(ctx, e, "handle slack:msg:C1:1.0: boom", time.Now()); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("read %+v, want the entry %s", got, key)
}

func TestDeadLettersShowInMetricsAndPulseInboxDeadListsRetriesAndDrops(t *testing.T) {
	ctx := context.Background()
	env, st := redisEnv(t)
	in := st.Inbox()
	buryOne(t, in, "slack:msg:C1:1.0")

	m := newMetrics()
	m.watchInbox(in)
	rec := httptest.NewRecorder()
	m.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	assertContains(t, rec.Body.String(), "pulse_inbox_dead_letters 1", "pulse_inbox_backlog 0")

	out, stderr, err := runPulse(ctx, env, "", "inbox", "dead", "list")
	if err != nil {
		t.Fatalf("list: %v\n%s", err, stderr)
	}
	assertContains(t, out, "slack:msg:C1:1.0", "handle slack:msg:C1:1.0: boom", "event")
	if strings.Contains(out, "secret words") {
		t.Errorf("the list shows the message text:\n%s", out)
	}
	dead, _ := in.DeadLetters(ctx, 10)
	if out, stderr, err := runPulse(ctx, env, "", "inbox", "dead", "retry", dead[0].ID); err != nil || !strings.Contains(out, "queued again") {
		t.Fatalf("retry: %q %v\n%s", out, err, stderr)
	}
	if n, _ := in.Backlog(ctx); n != 1 {
		t.Errorf("backlog %d after the retry, want the event queued again", n)
	}
	if out, _, _ := runPulse(ctx, env, "", "inbox", "dead", "list"); !strings.Contains(out, "no dead letters") {
		t.Errorf("list after the retry: %q", out)
	}

	buryOne(t, in, "slack:msg:C1:2.0")
	dead, _ = in.DeadLetters(ctx, 10)
	if out, stderr, err := runPulse(ctx, env, "", "inbox", "dead", "drop", dead[0].ID); err != nil || !strings.Contains(out, "dropped") {
		t.Fatalf("drop: %q %v\n%s", out, err, stderr)
	}
	if _, _, err := runPulse(ctx, env, "", "inbox", "dead", "drop", dead[0].ID); err == nil || !strings.Contains(err.Error(), "no dead letter") {
		t.Errorf("a second drop: %v, want a one-line refusal", err)
	}
	if _, _, err := runPulse(ctx, env, "", "inbox", "dead"); err == nil || !strings.Contains(err.Error(), "usage: pulse inbox dead list") {
		t.Errorf("bad usage: %v", err)
	}
}
