package feishu

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
	"github.com/pulse-bot/pulse/store/storetest"
)

// idleAdapter is an adapter whose inbox nobody reads: what a push leaves
// behind is exactly what was queued before the acknowledgement.
func idleAdapter(t *testing.T, inbox bot.Inbox, h bot.Handler, mode string) *Adapter {
	t.Helper()
	s := storetest.MustOpen(t)
	a, err := New(Config{
		AppID: "cli_" + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()), AppSecret: "secret", Mode: mode,
		VerificationToken: testToken, EncryptKey: testEncryptKey, BaseURL: newFakeFeishu(t).srv.URL,
		Handler: h, Inbox: inbox, Dedup: s, Cache: s, Clock: bot.NewManualClock(testNow), Log: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestWebhookPushIsQueuedBeforeItIsAcknowledged(t *testing.T) {
	in := storetest.MustOpen(t).Inbox()
	h := &bottest.Handler{}
	a := idleAdapter(t, in, h, ModeWebhook)
	if rec := signedPush(t, payload(t, "message_receive_p2p.json", nil), testNow).send(t, a); rec.Code != http.StatusOK {
		t.Fatalf("push answered %d", rec.Code)
	}
	got := bottest.Queued(t, in)
	if len(got) != 1 || got[0].Key != "feishu:msg:om_5ce6d572455d361153b7cb51da133945" || got[0].Kind != eventMessageReceive {
		t.Fatalf("inbox after the ack: %+v", got)
	}
	if strings.Contains(string(got[0].Body), testToken) {
		t.Error("the verification token was stored with the event")
	}
	if len(h.Events()) != 0 {
		t.Error("the push was handled on the acknowledgement path")
	}
}

func TestLongConnectionEventIsQueuedBeforeTheHandlerReturns(t *testing.T) {
	in := storetest.MustOpen(t).Inbox()
	a := idleAdapter(t, in, &bottest.Handler{}, ModeWS)
	// The SDK acknowledges the frame when the dispatcher returns nil.
	if _, err := a.dispatcher.Do(context.Background(), payload(t, "message_receive_p2p.json", nil)); err != nil {
		t.Fatal(err)
	}
	if got := bottest.Queued(t, in); len(got) != 1 {
		t.Fatalf("inbox when the long-connection handler returned: %+v, want the event", got)
	}
}

func TestPushThatCannotBeQueuedIsRefusedInTime(t *testing.T) {
	h := &bottest.Handler{}
	a := idleAdapter(t, storetest.Stalled(t).Inbox(), h, ModeWebhook)
	bottest.RefusedInTime(t, func() int { return signedPush(t, payload(t, "message_receive_p2p.json", nil), testNow).send(t, a).Code })
	// Over the long connection the handler's error keeps the SDK from acknowledging it.
	ws := idleAdapter(t, storetest.Stalled(t).Inbox(), h, ModeWS)
	if _, err := ws.dispatcher.Do(context.Background(), payload(t, "message_receive_p2p.json", nil)); err == nil {
		t.Error("the long-connection handler returned nil for an event it could not queue")
	}
	// A card press gets a toast that says it is not confirmed (the stalled
	// store may still run it), or, when the store is down, not saved.
	for _, c := range []struct {
		adapter *Adapter
		zh, en  string
	}{
		{ws, "未确认", "Not confirmed"},
		{idleAdapter(t, storetest.Down(t).Inbox(), h, ModeWS), "未保存", "Not saved"},
	} {
		resp, err := c.adapter.dispatcher.Do(context.Background(), payload(t, "card_action_trigger.json", nil))
		if err != nil {
			t.Fatal(err)
		}
		toast, _ := mustJSON(t, resp)["toast"].(map[string]any)
		i18n, _ := toast["i18n"].(map[string]any)
		if toast["type"] != "error" || !strings.Contains(toast["content"].(string), c.zh) || !strings.Contains(i18n["en_us"].(string), c.en) {
			t.Errorf("toast %v: want %q in both languages", toast, c.en)
		}
	}
	if len(h.Events()) != 0 {
		t.Error("something that could not be stored was handled")
	}
}

// switchInbox is the inbox as the adapter reaches it through a fault: the
// stalled store's while Redis hangs, the real one once it answers again.
type switchInbox struct {
	mu  sync.Mutex
	cur bot.Inbox
}

func (s *switchInbox) Enqueue(ctx context.Context, e bot.InboxEntry, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	in := s.cur
	s.mu.Unlock()
	return in.Enqueue(ctx, e, ttl)
}

func (s *switchInbox) heal(in bot.Inbox) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = in
}

// TestLongConnectionEventDuringARedisHangIsHandledOnceAfterFeishuPushesItAgain
// runs the SDK's real long-connection client against the fake gateway: an
// event frame that arrives while Redis hangs is not acknowledged (so
// Feishu pushes it again), and its pushes after the hang, including a
// repeated one, are handled exactly once.
func TestLongConnectionEventDuringARedisHangIsHandledOnceAfterFeishuPushesItAgain(t *testing.T) {
	f, h := newFakeFeishu(t), &bottest.Handler{Respond: zhReply}
	s := storetest.MustOpen(t)
	real := storetest.NewInbox(s)
	sw := &switchInbox{cur: storetest.Stalled(t).Inbox()}
	a, err := New(Config{
		AppID: "cli_" + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()), AppSecret: "secret", Mode: ModeWS,
		VerificationToken: testToken, EncryptKey: testEncryptKey, BaseURL: f.srv.URL,
		Handler: h, Inbox: sw, Dedup: s, Cache: s, Clock: bot.NewManualClock(testNow), Log: zerolog.New(&bottest.LogBuffer{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	real.Start(t, map[bot.Platform]bot.InboxProcessor{bot.PlatformFeishu: a})
	gw := connectLongConnection(t, f, a)
	event := payload(t, "message_receive_p2p.json", nil)
	start := time.Now()
	if code, _ := gw.push(t, event); code == http.StatusOK {
		t.Fatalf("an event that could not be queued was acknowledged %d", code)
	}
	if waited := time.Since(start); waited > 3*time.Second {
		t.Errorf("the refusal took %s, past Feishu's 3 s", waited)
	}
	sw.heal(real)
	for push := range 2 {
		if code, _ := gw.push(t, event); code != http.StatusOK {
			t.Fatalf("push %d after the hang answered %d", push+2, code)
		}
	}
	real.Settle()
	if evs := h.Events(); len(evs) != 1 {
		t.Fatalf("the event was handled %d times over 3 pushes (1 refused), want once", len(evs))
	}
}
