package feishu

// Threads, edits, old formats and unread message kinds on Feishu
// (issue 16). Payload sources are in testdata/README.md.

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

// threadMessage is a group message posted in a thread (thread_id set),
// from the test user, naming the bot first.
func threadMessage(t *testing.T, eventID, messageID, text string) []byte {
	t.Helper()
	return payload(t, "message_receive_thread.json", map[string]any{
		"header.event_id":                "ev-" + eventID,
		"header.tenant_key":              testTenant,
		"event.sender.sender_id.open_id": testUserOpenID,
		"event.sender.tenant_key":        testTenant,
		"event.message.message_id":       messageID,
		"event.message.chat_id":          "oc_a0553eda9014c201e6969b478895c230",
		"event.message.content":          `{"text":` + strconv.Quote("@_user_1 "+text) + `}`,
		"event.message.mentions": []any{map[string]any{"key": "@_user_1", "id": map[string]any{"open_id": testBotOpenID, "union_id": "on_bot", "user_id": ""},
			"name": "Pulse", "tenant_key": testTenant}},
	})
}

// A message posted in a thread is answered in that thread
// (reply_in_thread), not quoted in the chat; a private answer still goes
// to the person's direct chat, since Feishu has no private message inside
// a group; a message outside a thread is quoted as before.
func TestFeishuThreadMessageIsAnsweredInItsThread(t *testing.T) {
	f := newFakeFeishu(t)
	h := &bottest.Handler{Respond: func(ev bot.Event) (bot.Response, error) {
		v := bot.Public
		if ev.Text == "private" {
			v = bot.Private
		}
		return bot.Response{Reply: bot.Message{Blocks: []bot.Block{bot.Text{Text: "ok"}}}, Visibility: v}, nil
	}}
	a, _ := testAdapter(t, f, h, ModeWebhook)

	signedPush(t, threadMessage(t, "1", "om_in_thread", "public"), testNow).send(t, a)
	settle(a)
	replies := f.callsTo("/open-apis/im/v1/messages/om_in_thread/reply")
	if len(replies) != 1 || replies[0].Body["reply_in_thread"] != true {
		t.Fatalf("replies to the threaded message %+v, want one with reply_in_thread true", replies)
	}

	signedPush(t, threadMessage(t, "2", "om_in_thread_2", "private"), testNow).send(t, a)
	settle(a)
	if n := len(f.callsTo("/open-apis/im/v1/messages/om_in_thread_2/reply")); n != 0 {
		t.Fatalf("a private answer was posted in the thread (%d replies)", n)
	}
	if sends := f.callsTo("/open-apis/im/v1/messages"); len(sends) != 1 || sends[0].Query["receive_id_type"] != "open_id" {
		t.Fatalf("private answer sends %+v, want one to the person by open_id", sends)
	}

	plain := payload(t, "message_receive_group.json", map[string]any{"header.event_id": "ev-3", "event.message.message_id": "om_not_threaded",
		"event.message.content": `{"text":"@_user_1 public"}`})
	signedPush(t, plain, testNow).send(t, a)
	settle(a)
	quoted := f.callsTo("/open-apis/im/v1/messages/om_not_threaded/reply")
	if len(quoted) != 1 || quoted[0].Body["reply_in_thread"] == true {
		t.Fatalf("replies to the unthreaded message %+v, want one quoting it in the chat", quoted)
	}
}

// The same with the real core: "@Pulse kudos board" in a thread gets the
// board in the thread, and an update posted there gets its reaction.
func TestConformanceFeishuThreadedCommandIsAnsweredInTheThread(t *testing.T) {
	overBoth(t, func(t *testing.T, e *e2e) {
		ctx := context.Background()
		team, err := e.store.GetTeam(ctx, "增长")
		if err != nil {
			t.Fatal(err)
		}
		team.Leaderboard = true // the board is the public answer
		if err := e.store.SaveTeam(ctx, team, bot.AuditEntry{At: testNow, Actor: e.user, Action: "team.update", Subject: team.ID}); err != nil {
			t.Fatal(err)
		}
		id := e.newGoal(t)
		e.deliver(t, threadMessage(t, "board", "om_thread_board", "kudos board"), "/feishu/events")
		e.deliver(t, threadMessage(t, "update", "om_thread_update", id+" 22% 新手引导上线"), "/feishu/events")
		settle(e.a)
		board := e.f.callsTo("/open-apis/im/v1/messages/om_thread_board/reply")
		if len(board) != 1 || board[0].Body["reply_in_thread"] != true {
			t.Fatalf("board replies %+v, want one in the thread", board)
		}
		if g, err := e.store.GetGoal(ctx, id); err != nil || g.Current != 22 {
			t.Fatalf("goal %+v, %v", g, err)
		}
		if n := len(e.f.callsTo("/open-apis/im/v1/messages/om_thread_update/reactions")); n != 1 {
			t.Fatalf("%d reactions on the update in the thread", n)
		}
	})
}

// Edits are never acted on, like Slack's message_changed: an
// im.message.updated_v1 of a recorded update does not record a second
// value, one of a message never seen records nothing, and a re-push of the
// received message with new content (a new event_id, the same message_id)
// finds it already queued. Each edit is acknowledged and logged.
func TestConformanceFeishuEditsAreNotActedOn(t *testing.T) {
	overBoth(t, func(t *testing.T, e *e2e) {
		id := e.newGoal(t)
		e.message(t, "message_receive_group.json", testUserOpenID, "text", `{"text":"`+id+` 22% 首次"}`, []any{})
		original := "om_msg_" + strconv.Itoa(messageCount)
		callsBefore := len(e.f.calls)

		edit := func(eventID, messageID, text string) {
			t.Helper()
			body := payload(t, "message_updated.json", map[string]any{
				"header.event_id":                eventID,
				"header.tenant_key":              testTenant,
				"event.sender.sender_id.open_id": testUserOpenID,
				"event.sender.tenant_key":        testTenant,
				"event.message.message_id":       messageID,
				"event.message.chat_id":          "oc_a0553eda9014c201e6969b478895c230",
				"event.message.content":          `{"text":"` + text + `"}`,
			})
			if code, answer := e.deliver(t, body, "/feishu/events"); code != http.StatusOK {
				t.Fatalf("edit answered %d %v", code, answer)
			}
			settle(e.a)
		}
		edit("ev-edit-1", original, id+" 25% 改了")
		edit("ev-edit-2", "om_never_seen", id+" 30%")
		// A re-push of the original message, edited, under a new event id.
		repush := payload(t, "message_receive_group.json", map[string]any{
			"header.event_id": "ev-repush", "event.message.message_id": original, "event.message.content": `{"text":"` + id + ` 27%"}`, "event.message.mentions": []any{},
		})
		e.deliver(t, repush, "/feishu/events")
		settle(e.a)

		ctx := context.Background()
		if g, err := e.store.GetGoal(ctx, id); err != nil || g.Current != 22 {
			t.Fatalf("goal at %v (%v) after edits, want 22", g.Current, err)
		}
		if ups, _ := e.store.GoalUpdates(ctx, id, time.Time{}, testNow.Add(time.Hour)); len(ups) != 1 {
			t.Fatalf("%d updates recorded, want 1", len(ups))
		}
		e.f.mu.Lock()
		after := e.f.calls[callsBefore:]
		e.f.mu.Unlock()
		if len(after) != 0 {
			t.Fatalf("edits made calls %+v", after)
		}
		if e.logs.Line(`"event_type":"im.message.updated_v1"`, `"message_id":"om_never_seen"`, "edit ignored") == "" {
			t.Fatalf("no log line for the ignored edit in:\n%s", e.logs)
		}
	})
}

// Finding 6: a push in the v1 event schema was answered "ignored" but
// logged with event_type "". It is answered 200, nothing is queued or
// handled, and the log line names its type and says it is not supported.
func TestFeishuV1EventIsAnsweredAndLoggedWithItsType(t *testing.T) {
	f, h, logs := newFakeFeishu(t), &bottest.Handler{}, &bottest.LogBuffer{}
	a, _ := testAdapterLogged(t, f, h, ModeWebhook, logs)
	rec := signedPush(t, payload(t, "event_v1_message.json", nil), testNow).send(t, a)
	settle(a)
	if rec.Code != http.StatusOK || jsonBody(t, rec)["msg"] != "ignored" {
		t.Fatalf("v1 push answered %d %s", rec.Code, rec.Body)
	}
	if len(h.Events()) != 0 || len(f.sends()) != 0 {
		t.Fatal("a v1 push was acted on")
	}
	if logs.Line(`"event_type":"message"`, `"event_id":"41b5f371157e3b5a1ae8c1d1ad3b3a9c"`, "v1", "not supported") == "" {
		t.Fatalf("no log line naming the v1 event in:\n%s", logs)
	}
}

// oldCardPush is an old-format card callback, signed as the old format is
// (sha1 of timestamp, nonce, verification token and body).
func oldCardPush(t *testing.T, body []byte, token string) push {
	t.Helper()
	p := push{body: body, path: "/feishu/cards"}
	ts := strconv.FormatInt(testNow.Unix(), 10)
	mac := sha1.New()
	mac.Write([]byte(ts + "d3b6f1a2c4e5" + token))
	mac.Write(body)
	p.timestamp, p.signature = testNow, hex.EncodeToString(mac.Sum(nil))
	return p
}

// Finding 6: an unencrypted old-format card callback got 401. A signed one
// is answered 200 with an empty object (the card stays), plain or
// encrypted, and logged as not supported; a forged one is still refused.
func TestFeishuOldCardCallbackIsAnsweredAndLogged(t *testing.T) {
	f, h, logs := newFakeFeishu(t), &bottest.Handler{}, &bottest.LogBuffer{}
	a, _ := testAdapterLogged(t, f, h, ModeWebhook, logs)
	plain := payload(t, "card_old_button.json", nil)
	rec := oldCardPush(t, plain, testToken).send(t, a)
	if rec.Code != http.StatusOK || len(jsonBody(t, rec)) != 0 {
		t.Fatalf("old card callback answered %d %s, want 200 {}", rec.Code, rec.Body)
	}
	sealed, _ := json.Marshal(map[string]string{"encrypt": bottest.SealFeishu(testEncryptKey, plain)})
	if rec := oldCardPush(t, sealed, testToken).send(t, a); rec.Code != http.StatusOK {
		t.Fatalf("encrypted old card callback answered %d %s", rec.Code, rec.Body)
	}
	if rec := oldCardPush(t, plain, "not the token").send(t, a); rec.Code != http.StatusUnauthorized {
		t.Fatalf("old card callback with a forged signature answered %d", rec.Code)
	}
	settle(a)
	if len(h.Events()) != 0 || len(f.sends()) != 0 {
		t.Fatal("an old card callback was acted on")
	}
	if logs.Line(`"event_type":"card.action (old format)"`, `"open_message_id":"om_abcdefg1234567890"`, "not supported") == "" {
		t.Fatalf("no log line naming the old card callback in:\n%s", logs)
	}
}

// Interactive messages (a card someone forwarded or a bot posted as a
// person) are not read, and the log says so with the message type.
// Content: node-sdk's normalize test ("interactive message extracts text
// from event summary").
func TestFeishuInteractiveMessageIsIgnoredWithALogLine(t *testing.T) {
	f, h, logs := newFakeFeishu(t), &bottest.Handler{}, &bottest.LogBuffer{}
	a, _ := testAdapterLogged(t, f, h, ModeWebhook, logs)
	plain := payload(t, "message_receive_p2p.json", map[string]any{
		"event.message.message_type": "interactive",
		"event.message.content":      `{"elements":[{"tag":"markdown","content":"visible body"}]}`,
	})
	if rec := signedPush(t, plain, testNow).send(t, a); rec.Code != http.StatusOK {
		t.Fatalf("push answered %d", rec.Code)
	}
	settle(a)
	if len(h.Events()) != 0 || len(f.sends()) != 0 {
		t.Fatal("an interactive message was acted on")
	}
	if logs.Line(`"message_type":"interactive"`, `"message_id":"om_5ce6d572455d361153b7cb51da133945"`, "does not read") == "" {
		t.Fatalf("no log line for the interactive message in:\n%s", logs)
	}
}

// Every push that is queued is logged with its event type, over the
// webhook and over the long connection alike.
func TestFeishuEveryQueuedPushLogsItsEventType(t *testing.T) {
	f, logs := newFakeFeishu(t), &bottest.LogBuffer{}
	a, _ := testAdapterLogged(t, f, &bottest.Handler{}, ModeWebhook, logs)
	for _, name := range []string{"message_receive_p2p.json", "bot_menu.json", "bot_p2p_chat_entered.json"} {
		if rec := signedPush(t, payload(t, name, nil), testNow).send(t, a); rec.Code != http.StatusOK {
			t.Fatalf("%s answered %d", name, rec.Code)
		}
	}
	card := signedPush(t, payload(t, "card_action_trigger.json", map[string]any{"header.token": testToken}), testNow)
	card.path = "/feishu/cards"
	card.send(t, a)
	settle(a)
	for _, kind := range []string{eventMessageReceive, eventBotMenu, eventP2PChatEntered, kindCard} {
		if logs.Line(`"event_type":"`+kind+`"`, "queued") == "" {
			t.Errorf("no queued line for %s in:\n%s", kind, logs)
		}
	}
	ws, wsLogs := newFakeFeishu(t), &bottest.LogBuffer{}
	b, _ := testAdapterLogged(t, ws, &bottest.Handler{}, ModeWS, wsLogs)
	if _, err := b.dispatcher.Do(context.Background(), payload(t, "message_receive_group.json", nil)); err != nil {
		t.Fatal(err)
	}
	settle(b)
	if wsLogs.Line(`"event_type":"`+eventMessageReceive+`"`, "queued") == "" {
		t.Errorf("no queued line over the long connection in:\n%s", wsLogs)
	}
}

// go-lark's receive sample (event_v2_test.go) is the event without the
// optional fields (no mentions, no user agent, no thread ids): a direct
// message is still read as a command and answered in its chat.
func TestConformanceFeishuSDKMinimalMessageIsRead(t *testing.T) {
	overBoth(t, func(t *testing.T, e *e2e) {
		body := payload(t, "message_receive_sdk.json", map[string]any{
			"header.tenant_key":              testTenant,
			"event.sender.sender_id.open_id": testUserOpenID,
			"event.sender.tenant_key":        testTenant,
			"event.message.content":          `{"text":"目标 新建 提升激活率 从 20% 到 30% 截止 2026-12-31"}`,
		})
		if code, answer := e.deliver(t, body, "/feishu/events"); code != http.StatusOK {
			t.Fatalf("push answered %d %v", code, answer)
		}
		settle(e.a)
		if goals, err := e.store.TeamGoals(context.Background(), "增长"); err != nil || len(goals) != 1 || goals[0].Owner != e.user {
			t.Fatalf("goals %+v, %v", goals, err)
		}
		sends := e.f.sends()
		if len(sends) != 1 || sends[0].Body["receive_id"] != "oc_ae7f3952a9b28588aeac46c9853d25d3" {
			t.Fatalf("sends %+v, want the answer in the direct chat", sends)
		}
	})
}

// Where each answer goes, by where the message was and who may read the answer.
func TestFeishuReplyAddressKeepsThreadsAndPrivacy(t *testing.T) {
	user := bot.NewUserID(bot.PlatformFeishu, testTenant, testUserOpenID)
	group := replyTarget{chat: "oc_group", message: "om_1", user: user}
	threaded := group
	threaded.thread = true
	direct := replyTarget{chat: "oc_p2p", message: "om_2", user: user, direct: true}
	directThread := direct
	directThread.thread = true
	for _, c := range []struct {
		name string
		to   replyTarget
		v    bot.Visibility
		want bot.Address
	}{
		{"group, public: quoted in the chat", group, bot.Public, bot.Address{Platform: bot.PlatformFeishu, Channel: "oc_group", Thread: "om_1"}},
		{"group, private: the direct chat", group, bot.Private, bot.Address{Platform: bot.PlatformFeishu, User: user}},
		{"thread, public: in the thread", threaded, bot.Public, bot.Address{Platform: bot.PlatformFeishu, Channel: "oc_group", Thread: "om_1"}},
		{"thread, private: the direct chat", threaded, bot.Private, bot.Address{Platform: bot.PlatformFeishu, User: user}},
		{"direct chat: the chat", direct, bot.Private, bot.Address{Platform: bot.PlatformFeishu, Channel: "oc_p2p"}},
		{"thread in a direct chat, private: in the thread", directThread, bot.Private, bot.Address{Platform: bot.PlatformFeishu, Channel: "oc_p2p", Thread: "om_2"}},
	} {
		if got := replyAddress(c.to, c.v); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}
