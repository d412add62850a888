package feishu

// Adversarial cases for issue 16: pushes Feishu could send that the
// adapter mishandled, over the webhook and the long connection.

import (
	"context"
	"net/http"
	"testing"

	"github.com/pulse-bot/pulse/bot/bottest"
)

// An edit (im.message.updated_v1) is never acted on, so nothing in its
// body may make Pulse refuse it: a refused push comes back for hours
// (webhook 5xx, or an unacknowledged frame on the long connection). Its
// shape is the least documented of the events Pulse takes (testdata
// borrows the receive event's); here a mention's id is a bare string
// instead of the receive event's id object, which did not fit that model,
// so the edit was answered 500 and pushed again. It is acknowledged and
// logged with its ids, and still changes nothing.
func TestConformanceFeishuEditOfAnyShapeIsAcknowledged(t *testing.T) {
	overBoth(t, func(t *testing.T, e *e2e) {
		id := e.newGoal(t)
		callsBefore := len(e.f.sends())
		body := payload(t, "message_updated.json", map[string]any{
			"header.event_id":                "ev-edit-odd",
			"header.tenant_key":              testTenant,
			"event.sender.sender_id.open_id": testUserOpenID,
			"event.sender.tenant_key":        testTenant,
			"event.message.message_id":       "om_edit_odd",
			"event.message.content":          `{"text":"@_user_1 ` + id + ` 30%"}`,
			"event.message.mentions":         []any{map[string]any{"key": "@_user_1", "id": testBotOpenID, "name": "Pulse"}},
		})
		if code, answer := e.deliver(t, body, "/feishu/events"); code != http.StatusOK {
			t.Fatalf("edit answered %d %v, want 200 (an edit is never acted on, so never refused)", code, answer)
		}
		settle(e.a)
		if g, err := e.store.GetGoal(context.Background(), id); err != nil || g.Current != 20 {
			t.Fatalf("goal at %v (%v) after an edit, want 20", g.Current, err)
		}
		if n := len(e.f.sends()); n != callsBefore {
			t.Fatalf("the edit sent %d messages", n-callsBefore)
		}
		if e.logs.Line(`"event_type":"im.message.updated_v1"`, `"event_id":"ev-edit-odd"`, `"message_id":"om_edit_odd"`, "edit ignored") == "" {
			t.Fatalf("no log line for the edit in:\n%s", e.logs)
		}
	})
}

// A push that is not the JSON Feishu sends is refused 400 with a log
// line naming its event_type; it used to be refused without a word, so an operator saw Feishu
// retrying and nothing in Pulse's log.
func TestFeishuUnreadablePushIsLogged(t *testing.T) {
	f, h, logs := newFakeFeishu(t), &bottest.Handler{}, &bottest.LogBuffer{}
	a, _ := testAdapterLogged(t, f, h, ModeWebhook, logs)
	plain := []byte(`{"schema":"2.0","header":{"event_id":"ev-odd","event_type":"im.message.receive_v1","token":"` + testToken + `"},"event":"not an object"}`)
	if rec := signedPush(t, plain, testNow).send(t, a); rec.Code != http.StatusBadRequest {
		t.Fatalf("answered %d %s", rec.Code, rec.Body)
	}
	settle(a)
	if len(h.Events()) != 0 {
		t.Fatal("an unreadable push was acted on")
	}
	if logs.Line(`"level":"warn"`, `"event_type":"im.message.receive_v1"`, "not the JSON Feishu sends") == "" {
		t.Fatalf("no log line in:\n%s", logs)
	}
}

// Messaging events Pulse does not act on but an operator may subscribe
// to are acknowledged on both transports, with a log line naming them. Over
// the long connection they were answered 500 (the SDK's answer to an event
// without a handler), so Feishu pushed each again for hours, while the
// webhook answered 200. Event bodies re-typed from the documented samples
// of https://open.feishu.cn/document/server-docs/im-v1/message/events/recalled,
// …/message-reaction/events/created and …/chat-member/bot/events/added.
func TestConformanceFeishuEventsNotActedOnAreAcknowledged(t *testing.T) {
	overBoth(t, func(t *testing.T, e *e2e) {
		for _, c := range []struct{ eventType, event string }{
			{"im.message.recalled_v1", `{"message_id":"om_dc13264520392913993dd051dba21dcf","chat_id":"oc_a0553eda9014c201e6969b478895c230","recall_time":"1609398000000","recall_type":"message_owner"}`},
			{"im.message.reaction.created_v1", `{"message_id":"om_dc13264520392913993dd051dba21dcf","reaction_type":{"emoji_type":"SMILE"},"operator_type":"user","user_id":{"union_id":"on_8ed6aa67826108097d9ee143816345","user_id":"e33ggbyz","open_id":"` + testUserOpenID + `"},"app_id":"","action_time":"1627641418803"}`},
			{"im.chat.member.bot.added_v1", `{"chat_id":"oc_413871d5e6b2f0e3a4e5f6a7b8c9d0e1","operator_id":{"union_id":"on_8ed6aa67826108097d9ee143816345","user_id":"e33ggbyz","open_id":"` + testUserOpenID + `"},"external":false,"operator_tenant_key":"` + testTenant + `","name":"增长组","i18n_names":{"zh_cn":"增长组","en_us":"Growth"}}`},
		} {
			body := []byte(`{"schema":"2.0","header":{"event_id":"ev-` + c.eventType + `","token":"` + testToken + `","create_time":"1608725989000","event_type":"` + c.eventType + `","tenant_key":"` + testTenant + `","app_id":"cli_9f5343c580712544"},"event":` + c.event + `}`)
			if code, answer := e.deliver(t, body, "/feishu/events"); code != http.StatusOK {
				t.Errorf("%s answered %d %v, want 200", c.eventType, code, answer)
			}
			settle(e.a)
			if e.logs.Line(`"event_type":"`+c.eventType+`"`, `"event_id":"ev-`+c.eventType+`"`) == "" {
				t.Errorf("no log line naming %s in:\n%s", c.eventType, e.logs)
			}
		}
		if n := len(e.f.sends()); n != 0 {
			t.Fatalf("%d messages sent for events Pulse does not act on", n)
		}
	})
}

// A rich-text (post) message of a picture and no words (the img element
// re-typed from
// https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content#post
// ) gets the sentence asking for text in a direct chat, like an image
// message. It was answered "That message was empty", although something was sent.
func TestConformanceFeishuPostOfOnlyAPictureAsksForText(t *testing.T) {
	overBoth(t, func(t *testing.T, e *e2e) {
		e.message(t, "message_receive_p2p.json", testUserOpenID, "post",
			`{"title":"","content":[[{"tag":"img","image_key":"img_7ea74629-9191-4176-998c-2e603c9c5e8g","width":300,"height":300}]]}`, []any{})
		sends := e.f.sends()
		if len(sends) != 1 || !findText(cardOf(t, sends[0]), "I can only read text") {
			t.Fatalf("answers %+v, want one asking for text", sends)
		}
		e.message(t, "message_receive_p2p.json", testUserOpenID, "post",
			`{"title":"","content":[[{"tag":"img","image_key":"img_7ea74629-9191-4176-998c-2e603c9c5e8g"}],[{"tag":"text","text":"help"}]]}`, []any{})
		if sends := e.f.sends(); len(sends) != 2 || findText(cardOf(t, sends[1]), "I can only read text") {
			t.Fatalf("a picture with words was not read as its words")
		}
	})
}
