package feishu

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

type ctxT = context.Context

// zhReply is what the core double answers: a Chinese card.
func zhReply(bot.Event) (bot.Response, error) {
	return bot.Response{
		Locale: bot.Chinese,
		Reply: bot.Message{Title: "我的目标", Blocks: []bot.Block{
			bot.Progress{Label: "G7 提高结账转化率", Percent: 40, Pace: 45, Status: bot.AtRisk, Detail: "进度 45% · 有风险"},
			bot.Buttons{{ID: bot.ActionGoalUpdateForm, Label: "更新进度", Value: "G7"}},
		}},
	}, nil
}

func TestP2PTextCommandEndToEnd(t *testing.T) {
	f, h := newFakeFeishu(t), &bottest.Handler{Respond: zhReply}
	a, _ := testAdapter(t, f, h, ModeWebhook)

	rec := signedPush(t, payload(t, "message_receive_p2p.json", nil), testNow).send(t, a)
	if rec.Code != http.StatusOK {
		t.Fatalf("push answered %d %s", rec.Code, rec.Body)
	}
	settle(a)

	evs := h.Events()
	if len(evs) != 1 {
		t.Fatalf("handler got %d events, want 1", len(evs))
	}
	ev := evs[0]
	want := bot.Event{
		Key: "feishu:5e3702a84e847582be8db7fb73283c02", Kind: bot.KindCommand, Platform: bot.PlatformFeishu,
		User:    bot.NewUserID(bot.PlatformFeishu, testTenant, testUserOpenID),
		Channel: "oc_5ce6d572455d361153b7xx51da133945", Direct: true, Text: "/goal list",
		Message: bot.MessageRef{Platform: bot.PlatformFeishu, Channel: "oc_5ce6d572455d361153b7xx51da133945", ID: "om_5ce6d572455d361153b7cb51da133945"},
	}
	if ev.Key != want.Key || ev.Kind != want.Kind || ev.User != want.User || ev.Channel != want.Channel ||
		!ev.Direct || ev.Text != want.Text || ev.Message != want.Message {
		t.Fatalf("event = %+v\nwant    %+v", ev, want)
	}
	// The p2p payload's client runs in English (LarkLocale/en_US).
	if ev.Profile != (bot.Profile{Name: "张三", TimeZone: "Asia/Shanghai", Locale: bot.English}) {
		t.Fatalf("profile = %+v", ev.Profile)
	}

	sends := f.sends()
	if len(sends) != 1 {
		t.Fatalf("%d sends, want 1", len(sends))
	}
	s := sends[0]
	if s.Query["receive_id_type"] != "chat_id" || s.Body["receive_id"] != "oc_5ce6d572455d361153b7xx51da133945" {
		t.Fatalf("sent to %v %v", s.Query, s.Body["receive_id"])
	}
	if uuid, _ := s.Body["uuid"].(string); uuid == "" || len(uuid) > 50 {
		t.Fatalf("uuid %q: want 1–50 characters", uuid)
	}
	card := cardOf(t, s)
	if card["schema"] != "2.0" || !findText(card["header"], "我的目标") || !findText(card["body"], "有风险") ||
		!findText(card["body"], "▓▓▓▓░░░░░░ 40%") {
		t.Fatalf("card is not the Chinese goal list: %v", card)
	}
	if !findText(card["body"], `"action":"goal.update.form"`) && !hasButtonValue(card, bot.ActionGoalUpdateForm, "G7") {
		t.Fatalf("button value is not {action, value}: %v", card["body"])
	}
}

// hasButtonValue finds a button whose callback value is {"action": id, "value": v}.
func hasButtonValue(v any, id, value string) bool {
	switch x := v.(type) {
	case map[string]any:
		if x["type"] == "callback" {
			if val, ok := x["value"].(map[string]any); ok && val["action"] == id && val["value"] == value {
				return true
			}
		}
		for _, e := range x {
			if hasButtonValue(e, id, value) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasButtonValue(e, id, value) {
				return true
			}
		}
	}
	return false
}

func TestGroupMessageMentioningTheBotIsACommand(t *testing.T) {
	f := newFakeFeishu(t)
	h := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		return bot.Response{Visibility: bot.Public, Locale: bot.Chinese, Reply: bot.Message{Blocks: []bot.Block{bot.Text{Text: "已感谢 李四"}}}}, nil
	}}
	a, _ := testAdapter(t, f, h, ModeWebhook)
	signedPush(t, payload(t, "message_receive_group.json", nil), testNow).send(t, a)
	settle(a)

	evs := h.Events()
	if len(evs) != 1 {
		t.Fatalf("handler got %d events", len(evs))
	}
	li := bot.NewUserID(bot.PlatformFeishu, testTenant, "ou_2a6c3b9e1f0d4c8e9b7a6d5c4b3a2f1e")
	ev := evs[0]
	if ev.Kind != bot.KindCommand || ev.Direct {
		t.Fatalf("kind %v direct %v, want a group command", ev.Kind, ev.Direct)
	}
	if wantText := "kudos " + bot.Mention(li) + " thanks for the launch review #ownership"; ev.Text != wantText {
		t.Fatalf("text %q, want %q", ev.Text, wantText)
	}
	if ev.Names[li] != "李四" || len(ev.Names) != 1 {
		t.Fatalf("names %v", ev.Names)
	}
	sends := f.sends()
	if len(sends) != 1 || sends[0].Path != "/open-apis/im/v1/messages/om_6df7e683566e472264c8dc62eb244056/reply" {
		t.Fatalf("public group reply should quote the message: %+v", sends)
	}
	if sends[0].Body["reply_in_thread"] == true {
		t.Fatal("a command reply opened a thread")
	}
}

func TestGroupMessageWithoutMentionIsAMessageAndGetsTheReaction(t *testing.T) {
	f := newFakeFeishu(t)
	h := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) { return bot.Response{Reaction: "check"}, nil }}
	a, _ := testAdapter(t, f, h, ModeWebhook)
	plain := payload(t, "message_receive_group.json", map[string]any{
		"event.message.content":  `{"text":"G7 2.6% shipped the new payment page"}`,
		"event.message.mentions": []any{},
	})
	signedPush(t, plain, testNow).send(t, a)
	settle(a)

	evs := h.Events()
	if len(evs) != 1 || evs[0].Kind != bot.KindMessage || evs[0].Text != "G7 2.6% shipped the new payment page" {
		t.Fatalf("events %+v", evs)
	}
	reactions := f.callsTo("/open-apis/im/v1/messages/om_6df7e683566e472264c8dc62eb244056/reactions")
	if len(reactions) != 1 || emojiOf(reactions[0]) != "DONE" {
		t.Fatalf("reactions %+v", reactions)
	}
	if len(f.sends()) != 0 {
		t.Fatal("an empty reply was sent")
	}
}

func TestPrivateReplyToGroupCommandGoesToTheDirectChat(t *testing.T) {
	f := newFakeFeishu(t)
	h := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		return bot.Response{Visibility: bot.Private, Reply: bot.Message{Blocks: []bot.Block{bot.Text{Text: "只有你能看到"}}}}, nil
	}}
	a, _ := testAdapter(t, f, h, ModeWebhook)
	signedPush(t, payload(t, "message_receive_group.json", nil), testNow).send(t, a)
	settle(a)
	sends := f.sends()
	if len(sends) != 1 || sends[0].Query["receive_id_type"] != "open_id" || sends[0].Body["receive_id"] != testUserOpenID {
		t.Fatalf("sends %+v", sends)
	}
}

func TestSamePushTwiceHasOneEffect(t *testing.T) {
	f, h := newFakeFeishu(t), &bottest.Handler{Respond: zhReply}
	a, _ := testAdapter(t, f, h, ModeWebhook)
	plain := payload(t, "message_receive_p2p.json", nil)
	for i := 0; i < 2; i++ {
		if rec := signedPush(t, plain, testNow).send(t, a); rec.Code != http.StatusOK {
			t.Fatalf("push %d answered %d", i, rec.Code)
		}
	}
	settle(a)
	if len(h.Events()) != 1 || len(f.sends()) != 1 {
		t.Fatalf("%d events, %d sends; want 1 and 1", len(h.Events()), len(f.sends()))
	}
}

func TestSamePushConcurrentlyHasOneEffect(t *testing.T) {
	f, h := newFakeFeishu(t), &bottest.Handler{Respond: zhReply}
	a, _ := testAdapter(t, f, h, ModeWebhook)
	plain := payload(t, "message_receive_p2p.json", nil)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			signedPush(t, plain, testNow).send(t, a)
		}()
	}
	wg.Wait()
	settle(a)
	if len(h.Events()) != 1 || len(f.sends()) != 1 {
		t.Fatalf("%d events, %d sends; want 1 and 1", len(h.Events()), len(f.sends()))
	}
}

func TestSameMessageUnderANewEventIDHasOneEffect(t *testing.T) {
	f, h := newFakeFeishu(t), &bottest.Handler{Respond: zhReply}
	a, _ := testAdapter(t, f, h, ModeWebhook)
	signedPush(t, payload(t, "message_receive_p2p.json", nil), testNow).send(t, a)
	signedPush(t, payload(t, "message_receive_p2p.json", map[string]any{"header.event_id": "another-event-id"}), testNow).send(t, a)
	settle(a)
	if len(h.Events()) != 1 {
		t.Fatalf("%d events; want 1", len(h.Events()))
	}
}

func TestHandlerErrorStillAcknowledges(t *testing.T) {
	f := newFakeFeishu(t)
	h := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) { return bot.Response{}, context.DeadlineExceeded }}
	a, _ := testAdapter(t, f, h, ModeWebhook)
	rec := signedPush(t, payload(t, "message_receive_p2p.json", nil), testNow).send(t, a)
	settle(a)
	if rec.Code != http.StatusOK {
		t.Fatalf("a handler error made the push fail (%d): Feishu would push it again", rec.Code)
	}
}

func TestLongConnectionPathThroughTheDispatcher(t *testing.T) {
	f, h := newFakeFeishu(t), &bottest.Handler{Respond: zhReply}
	a, _ := testAdapter(t, f, h, ModeWS)
	// The ws client hands each frame's payload to the dispatcher's Do, unencrypted.
	resp, err := a.dispatcher.Do(context.Background(), payload(t, "message_receive_p2p.json", nil))
	if err != nil || resp != nil {
		t.Fatalf("Do = %v, %v", resp, err)
	}
	settle(a)
	if len(h.Events()) != 1 || len(f.sends()) != 1 || !findText(cardOf(t, f.sends()[0]), "我的目标") {
		t.Fatalf("%d events, %d sends", len(h.Events()), len(f.sends()))
	}
	// A re-push over the connection is dropped too.
	if _, err := a.dispatcher.Do(context.Background(), payload(t, "message_receive_p2p.json", nil)); err != nil {
		t.Fatal(err)
	}
	settle(a)
	if len(h.Events()) != 1 {
		t.Fatal("a re-push over the long connection was handled twice")
	}
}

func TestMenuEventTimestampAsStringOrNumber(t *testing.T) {
	for _, ts := range []any{"1669364458", 1669364458} {
		f, h := newFakeFeishu(t), &bottest.Handler{Respond: zhReply}
		a, _ := testAdapter(t, f, h, ModeWS)
		if _, err := a.dispatcher.Do(context.Background(), payload(t, "bot_menu.json", map[string]any{"event.timestamp": ts})); err != nil {
			t.Fatalf("timestamp %v: %v", ts, err)
		}
		settle(a)
		evs := h.Events()
		if len(evs) != 1 || evs[0].Kind != bot.KindCommand || evs[0].Text != "goal list" || !evs[0].Direct {
			t.Fatalf("timestamp %v: events %+v", ts, evs)
		}
		// No chat id in a menu event: the reply goes by open_id.
		sends := f.sends()
		if len(sends) != 1 || sends[0].Query["receive_id_type"] != "open_id" || sends[0].Body["receive_id"] != testUserOpenID {
			t.Fatalf("sends %+v", sends)
		}
	}
}

func TestMenuEventKeyNamingAnActionIsAnAction(t *testing.T) {
	f, h := newFakeFeishu(t), &bottest.Handler{}
	a, _ := testAdapter(t, f, h, ModeWS)
	if _, err := a.dispatcher.Do(context.Background(), payload(t, "bot_menu.json", map[string]any{"event.event_key": "checkin.form"})); err != nil {
		t.Fatal(err)
	}
	settle(a)
	if evs := h.Events(); len(evs) != 1 || evs[0].Kind != bot.KindAction || evs[0].Action.ID != bot.ActionCheckInForm {
		t.Fatalf("events %+v", evs)
	}
}

func TestWelcomeOnceADayWhenTheChatIsOpened(t *testing.T) {
	f := newFakeFeishu(t)
	h := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		return bot.Response{Reply: bot.Message{Title: "欢迎使用 Pulse"}}, nil
	}}
	a, clock := testAdapter(t, f, h, ModeWS)
	// Opened twice the same day: one welcome.
	for _, id := range []string{"ev-open-1", "ev-open-2"} {
		if _, err := a.dispatcher.Do(context.Background(), payload(t, "bot_p2p_chat_entered.json", map[string]any{"header.event_id": id})); err != nil {
			t.Fatal(err)
		}
		settle(a)
	}
	evs := h.Events()
	if len(evs) != 1 || evs[0].Kind != bot.KindAction || evs[0].Action.ID != bot.ActionHome || evs[0].Channel != "oc_413871e8ab3dc7e1f5e8e6e1e1c1a6a2" {
		t.Fatalf("events %+v", evs)
	}
	sends := f.sends()
	if len(sends) != 1 || sends[0].Body["receive_id"] != "oc_413871e8ab3dc7e1f5e8e6e1e1c1a6a2" {
		t.Fatalf("sends %+v", sends)
	}
	clock.Advance(25 * time.Hour)
	if _, err := a.dispatcher.Do(context.Background(), payload(t, "bot_p2p_chat_entered.json", map[string]any{"header.event_id": "ev-open-3"})); err != nil {
		t.Fatal(err)
	}
	settle(a)
	if len(h.Events()) != 2 {
		t.Fatal("no welcome the next day")
	}
}

func TestMentionKeysDoNotOverlap(t *testing.T) {
	var ms []mention
	for _, n := range []string{"1", "10"} {
		ms = append(ms, mention{Key: "@_user_" + n, ID: userIDs{OpenID: "ou_" + n}, Name: "P" + n})
	}
	text, names, atBot := resolveMentions("@_user_10 and @_user_1", ms, "t1", "ou_bot")
	if atBot || len(names) != 2 || text != bot.Mention("feishu:t1:ou_10")+" and "+bot.Mention("feishu:t1:ou_1") {
		t.Fatalf("%q %v %v", text, names, atBot)
	}
}

func TestPostMessagesAreReadAsText(t *testing.T) {
	got, ok := decodeContent("post", `{"title":"","content":[[{"tag":"at","user_id":"@_user_1","user_name":"Pulse"},{"tag":"text","text":" goal list"}]]}`)
	if !ok || strings.TrimSpace(got.Text) != "@_user_1 goal list" {
		t.Fatalf("%q %v", got.Text, ok)
	}
	if d, ok := decodeContent("image", `{"image_key":"img_x"}`); !ok || !d.NotText || d.Text != "" {
		t.Fatalf("an image was read as %+v", d)
	}
	if _, ok := decodeContent("interactive", `{"title":"x","elements":[]}`); ok {
		t.Fatal("a card was read")
	}
}

func TestClientLocaleFromUserAgent(t *testing.T) {
	for ua, want := range map[string]bot.Locale{
		"Mozilla/5.0 Lark/6.7.5 LarkLocale/zh_CN ttnet SDK-Version/6.7.8": bot.Chinese,
		"Mozilla/5.0 Lark/6.7.5 LarkLocale/en_US ttnet":                   bot.English,
		"Mozilla/5.0 Lark/6.7.5 LarkLocale/ja_JP ttnet":                   "",
		"": "",
	} {
		if got := clientLocale(ua); got != want {
			t.Errorf("clientLocale(%q) = %q, want %q", ua, got, want)
		}
	}
}
