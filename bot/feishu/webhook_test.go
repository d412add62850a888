package feishu

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

func TestDecryptMatchesFeishusDocumentedVector(t *testing.T) {
	got, err := decrypt("test key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=")
	if err != nil || string(got) != "hello world" {
		t.Fatalf("decrypt = %q, %v; want hello world", got, err)
	}
	if _, err := decrypt("another key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="); err == nil {
		t.Fatal("a wrong key decrypted without error")
	}
	if _, err := decrypt("test key", "AAAA"); err == nil {
		t.Fatal("a short ciphertext decrypted without error")
	}
}

func TestPlainChallengeIsAnswered(t *testing.T) {
	a, _ := testAdapter(t, newFakeFeishu(t), &bottest.Handler{}, ModeWebhook)
	body := payload(t, "url_verification.json", map[string]any{"token": testToken})
	rec := push{body: body}.send(t, a)
	if rec.Code != http.StatusOK || jsonBody(t, rec)["challenge"] != "ajls384kdjx98XX" {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}

func TestEncryptedChallengeIsAnswered(t *testing.T) {
	a, _ := testAdapter(t, newFakeFeishu(t), &bottest.Handler{}, ModeWebhook)
	plain := payload(t, "url_verification.json", map[string]any{"token": testToken})
	body, _ := json.Marshal(map[string]string{"encrypt": bottest.SealFeishu(testEncryptKey, plain)})
	rec := push{body: body}.send(t, a)
	if rec.Code != http.StatusOK || jsonBody(t, rec)["challenge"] != "ajls384kdjx98XX" {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}

func TestChallengeWithWrongTokenIsRefused(t *testing.T) {
	a, _ := testAdapter(t, newFakeFeishu(t), &bottest.Handler{}, ModeWebhook)
	rec := push{body: payload(t, "url_verification.json", nil)}.send(t, a) // token "xxxxxx"
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("got %d, want 401", rec.Code)
	}
}

// rejected asserts a push was refused and did nothing.
func rejected(t *testing.T, f *fakeFeishu, h *bottest.Handler, a *Adapter, p push) {
	t.Helper()
	rec := p.send(t, a)
	settle(a)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("got %d %s, want 401", rec.Code, rec.Body)
	}
	if len(h.Events()) != 0 || len(f.sends()) != 0 {
		t.Fatalf("a rejected push reached the handler (%d events) or sent %d messages", len(h.Events()), len(f.sends()))
	}
}

func TestForgedSignatureIsRejected(t *testing.T) {
	f, h := newFakeFeishu(t), &bottest.Handler{}
	a, _ := testAdapter(t, f, h, ModeWebhook)
	p := signedPush(t, payload(t, "message_receive_p2p.json", nil), testNow)
	p.signature = "0000000000000000000000000000000000000000000000000000000000000000"
	rejected(t, f, h, a, p)
}

func TestWrongVerificationTokenIsRejected(t *testing.T) {
	f, h := newFakeFeishu(t), &bottest.Handler{}
	a, _ := testAdapter(t, f, h, ModeWebhook)
	plain := payload(t, "message_receive_p2p.json", map[string]any{"header.token": "forged-token"})
	rejected(t, f, h, a, signedPush(t, plain, testNow))
}

func TestStaleTimestampIsRejected(t *testing.T) {
	f, h := newFakeFeishu(t), &bottest.Handler{}
	a, _ := testAdapter(t, f, h, ModeWebhook)
	plain := payload(t, "message_receive_p2p.json", nil)
	rejected(t, f, h, a, signedPush(t, plain, testNow.Add(-6*time.Minute)))
	rejected(t, f, h, a, signedPush(t, plain, testNow.Add(6*time.Minute)))
}

func TestUnencryptedEventIsRejected(t *testing.T) {
	f, h := newFakeFeishu(t), &bottest.Handler{}
	a, _ := testAdapter(t, f, h, ModeWebhook)
	rejected(t, f, h, a, push{body: payload(t, "message_receive_p2p.json", nil), timestamp: testNow})
}

func TestRecentTimestampIsAccepted(t *testing.T) {
	f, h := newFakeFeishu(t), &bottest.Handler{}
	a, _ := testAdapter(t, f, h, ModeWebhook)
	rec := signedPush(t, payload(t, "message_receive_p2p.json", nil), testNow.Add(-4*time.Minute)).send(t, a)
	settle(a)
	if rec.Code != http.StatusOK || len(h.Events()) != 1 {
		t.Fatalf("got %d and %d events", rec.Code, len(h.Events()))
	}
}

func TestWebhookModeNeedsTokenAndKey(t *testing.T) {
	_, err := New(Config{AppID: "cli_x", AppSecret: "s", Mode: ModeWebhook, Handler: &bottest.Handler{}, Inbox: nopStore{}, Dedup: nopStore{}, Cache: nopStore{}})
	if err == nil {
		t.Fatal("webhook mode without token and key was accepted")
	}
	if _, err := New(Config{AppID: "cli_x", AppSecret: "s", Mode: "poll", Handler: &bottest.Handler{}, Inbox: nopStore{}, Dedup: nopStore{}, Cache: nopStore{}}); err == nil {
		t.Fatal("an unknown mode was accepted")
	}
}

func TestRoutesAreOnlyMountedForWebhooks(t *testing.T) {
	a, _ := testAdapter(t, newFakeFeishu(t), &bottest.Handler{}, ModeWS)
	rec := push{body: payload(t, "url_verification.json", map[string]any{"token": testToken})}.send(t, a)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("ws mode served the webhook: %d", rec.Code)
	}
}

// nopStore satisfies the config checks of New for tests that never get far.
type nopStore struct{}

func (nopStore) FirstSeen(ctx ctxT, key string, ttl time.Duration) (bool, error) { return true, nil }
func (nopStore) CacheGet(ctx ctxT, key string) (string, bool, error)             { return "", false, nil }
func (nopStore) CacheSet(ctx ctxT, key, value string, ttl time.Duration) error   { return nil }
func (nopStore) Enqueue(ctx ctxT, e bot.InboxEntry, ttl time.Duration) (bool, error) {
	return true, nil
}

var _ bot.Deduper = nopStore{}

func TestUnsubscribedEventTypeIsAcknowledged(t *testing.T) {
	f, h := newFakeFeishu(t), &bottest.Handler{}
	a, _ := testAdapter(t, f, h, ModeWebhook)
	plain := payload(t, "message_receive_p2p.json", map[string]any{"header.event_type": "im.message.message_read_v1"})
	rec := signedPush(t, plain, testNow).send(t, a)
	settle(a)
	if rec.Code != http.StatusOK || len(h.Events()) != 0 {
		t.Fatalf("got %d and %d events", rec.Code, len(h.Events()))
	}
}
