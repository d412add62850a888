package feishu

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

func mustJSON(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRateLimitedSendWaitsAndRetriesWithTheSameUUID(t *testing.T) {
	f := newFakeFeishu(t)
	f.rateLimit = 1
	a, _ := testAdapter(t, f, &bottest.Handler{}, ModeWS)
	var waits []time.Duration
	a.wait = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}
	to := bot.Address{Platform: bot.PlatformFeishu, Channel: "oc_team"}
	ref, err := a.Send(context.Background(), to, bot.Message{Title: "每周记分卡"}, "digest:team:2026-W48")
	if err != nil {
		t.Fatal(err)
	}
	sends := f.sends()
	if len(sends) != 2 {
		t.Fatalf("%d attempts, want 2", len(sends))
	}
	if sends[0].Body["uuid"] == nil || sends[0].Body["uuid"] != sends[1].Body["uuid"] {
		t.Fatalf("uuids %v and %v: a retry must reuse the uuid", sends[0].Body["uuid"], sends[1].Body["uuid"])
	}
	if len(waits) != 1 || waits[0] != 3*time.Second {
		t.Fatalf("waits %v, want [3s] from x-ogw-ratelimit-reset", waits)
	}
	if ref != (bot.MessageRef{Platform: bot.PlatformFeishu, Channel: "oc_team", ID: "om_sent_1"}) {
		t.Fatalf("ref %+v", ref)
	}
}

func TestRateLimitGivesUpAfterSomeAttempts(t *testing.T) {
	f := newFakeFeishu(t)
	f.rateLimit = 100
	a, _ := testAdapter(t, f, &bottest.Handler{}, ModeWS)
	a.wait = func(context.Context, time.Duration) error { return nil }
	_, err := a.Send(context.Background(), bot.Address{Channel: "oc_team"}, bot.Message{Title: "x"}, "k")
	var retry interface{ RetryAfter() time.Duration }
	if !errors.As(err, &retry) || retry.RetryAfter() <= 0 || !strings.Contains(err.Error(), "99991400") {
		t.Fatalf("err = %v; want a rate-limit error that says when to retry", err)
	}
	if n := len(f.sends()); n != maxSendAttempts {
		t.Fatalf("%d attempts, want %d", n, maxSendAttempts)
	}
}

func TestSendAddresses(t *testing.T) {
	f := newFakeFeishu(t)
	a, _ := testAdapter(t, f, &bottest.Handler{}, ModeWS)
	ctx := context.Background()
	user := bot.NewUserID(bot.PlatformFeishu, testTenant, "ou_person")
	if _, err := a.Send(ctx, bot.Address{User: user}, bot.Message{Title: "提醒"}, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Send(ctx, bot.Address{Channel: "oc_team", Thread: "om_summary"}, bot.Message{Title: "回答"}, "b"); err != nil {
		t.Fatal(err)
	}
	s := f.sends()
	if s[0].Query["receive_id_type"] != "open_id" || s[0].Body["receive_id"] != "ou_person" {
		t.Fatalf("direct send %+v", s[0])
	}
	if s[1].Path != "/open-apis/im/v1/messages/om_summary/reply" || s[1].Body["reply_in_thread"] != true {
		t.Fatalf("thread send %+v", s[1])
	}
	if _, err := a.Send(ctx, bot.Address{}, bot.Message{Title: "x"}, ""); err == nil {
		t.Fatal("an empty address was accepted")
	}
}

func TestUUIDIsShortAndStable(t *testing.T) {
	long := strings.Repeat("checkin-prompt:team:2026-W48:feishu:tenant:ou_x", 5)
	u := idempotencyUUID(long)
	if len(u) > 50 || u != idempotencyUUID(long) || u == idempotencyUUID(long+"!") || idempotencyUUID("") != "" {
		t.Fatalf("uuid %q", u)
	}
}

func TestUploadImage(t *testing.T) {
	f := newFakeFeishu(t)
	a, _ := testAdapter(t, f, &bottest.Handler{}, ModeWS)
	png := []byte("\x89PNG\r\n\x1a\nchart")
	key, err := a.UploadImage(context.Background(), png)
	if err != nil || key != "img_v2_041b28e3-5680-48c2-9af2-497ace79333g" {
		t.Fatalf("key %q, %v", key, err)
	}
	calls := f.callsTo("/open-apis/im/v1/images")
	if len(calls) != 1 || calls[0].Body["image_type"] != "message" || calls[0].Body["image"] != string(png) {
		t.Fatalf("upload %+v", calls)
	}
}

func TestProfileIsCached(t *testing.T) {
	f := newFakeFeishu(t)
	a, _ := testAdapter(t, f, &bottest.Handler{}, ModeWS)
	user := bot.NewUserID(bot.PlatformFeishu, testTenant, "ou_cached")
	for i := 0; i < 3; i++ {
		if p := a.profile(context.Background(), user, ""); p.Name != "张三" || p.TimeZone != "Asia/Shanghai" || p.Locale != "" {
			t.Fatalf("profile %+v", p)
		}
	}
	if n := len(f.callsTo("/open-apis/contact/v3/users/")); n != 1 {
		t.Fatalf("%d contact lookups, want 1", n)
	}
}

func TestBotInfoMakesTheWebhookAdapterReadyAndRunStopsCleanly(t *testing.T) {
	f := newFakeFeishu(t)
	a, _ := testAdapter(t, f, &bottest.Handler{}, ModeWebhook)
	if a.Ready() == nil {
		t.Fatal("ready before the bot info was fetched")
	}
	if id, err := a.ensureBotOpenID(context.Background()); err != nil || id != testBotOpenID {
		t.Fatalf("bot open_id %q, %v", id, err)
	}
	if err := a.Ready(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Run(ctx); err != nil {
		t.Fatalf("Run after shutdown: %v", err)
	}
	if n := len(f.callsTo("/open-apis/bot/v3/info")); n != 1 {
		t.Fatalf("bot info fetched %d times, want once", n)
	}
}

func TestRunReportsRefusedCredentialsInOneLine(t *testing.T) {
	f := newFakeFeishu(t)
	f.tokenCode = 10014
	a, _ := testAdapter(t, f, &bottest.Handler{}, ModeWS)
	err := a.Run(context.Background())
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "FEISHU_APP_SECRET") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunReportsTheConnectionLimit(t *testing.T) {
	f := newFakeFeishu(t)
	f.wsEndpoint = `{"code":1000040350,"msg":"exceed conn limit"}`
	a, _ := testAdapter(t, f, &bottest.Handler{}, ModeWS)
	err := a.Run(context.Background())
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "50 connections") {
		t.Fatalf("err = %v", err)
	}
	if a.Ready() == nil {
		t.Fatal("ready without a connection")
	}
}

// An undone kudos's DM and group post are recalled (DELETE
// /open-apis/im/v1/messages/:message_id).
func TestRetractRecallsTheMessage(t *testing.T) {
	f := newFakeFeishu(t)
	a, _ := testAdapter(t, f, &bottest.Handler{}, ModeWS)
	if err := a.Retract(context.Background(), bot.MessageRef{Platform: bot.PlatformFeishu, Channel: "oc_group", ID: "om_sent_7"}); err != nil {
		t.Fatal(err)
	}
	calls := f.callsTo("/open-apis/im/v1/messages/om_sent_7")
	if len(calls) != 1 || calls[0].Method != http.MethodDelete {
		t.Fatalf("recall calls %+v", calls)
	}
}
