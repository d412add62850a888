package feishu

// Conformance: payloads in the shapes Feishu documents (and its SDKs'
// tests use), pushed through the real webhook with real encryption and
// signatures against the fake open platform, with the real core on real
// Redis. Each test names where its payload's shape comes from; ids are
// Pulse's test ids.

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

const leiOpenID = "ou_2a6c3b9e1f0d4c8e9b7a6d5c4b3a2f1e"

// withLei adds 李四 to the team and makes the test user its manager.
func (e *e2e) withLei(t *testing.T) bot.UserID {
	t.Helper()
	ctx := context.Background()
	lei := bot.NewUserID(bot.PlatformFeishu, testTenant, leiOpenID)
	team, err := e.store.GetTeam(ctx, "增长")
	if err != nil {
		t.Fatal(err)
	}
	team.Members = append(team.Members, lei)
	team.Managers = []bot.UserID{e.user}
	if err := e.store.SaveTeam(ctx, team, bot.AuditEntry{At: testNow, Actor: e.user, Action: "team.update", Subject: team.ID}); err != nil {
		t.Fatal(err)
	}
	return lei
}

var callbackCount int

// press sends a card.action.trigger callback
// (https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-callback-communication,
// schema 2.0, as in testdata/card_action_trigger.json) from openID over
// e's transport (the webhook, encrypted and signed, or the long
// connection) and returns the decoded answer.
func (e *e2e) press(t *testing.T, openID, action, value string, form map[string]any) map[string]any {
	t.Helper()
	callbackCount++
	edits := map[string]any{
		"header.token":               testToken,
		"header.event_id":            "ev-card-" + strconv.Itoa(callbackCount),
		"event.operator.open_id":     openID,
		"event.action.value":         map[string]any{"action": action, "value": value},
		"event.action.form_value":    form,
		"event.context.open_chat_id": "oc_5ce6d572455d361153b7xx51da133945",
	}
	if form == nil {
		edits["event.action.tag"] = "button"
		delete(edits, "event.action.form_value")
	}
	code, answer := e.deliver(t, payload(t, "card_action_trigger.json", edits), "/feishu/cards")
	settle(e.a)
	if code != http.StatusOK {
		t.Fatalf("callback %s answered %d %v", action, code, answer)
	}
	return answer
}

// element finds the first element with the given name in a card answer.
func element(v any, name string) map[string]any {
	switch x := v.(type) {
	case map[string]any:
		if x["name"] == name {
			return x
		}
		for _, e := range x {
			if found := element(e, name); found != nil {
				return found
			}
		}
	case []any:
		for _, e := range x {
			if found := element(e, name); found != nil {
				return found
			}
		}
	}
	return nil
}

// Finding 1 on Feishu: the kudos card's "To" was a text input, so no
// submission could name anyone. It is a multi_select_person offering the
// team, whose open_ids become the same mentions as in chat.
func TestConformanceFeishuKudosCardPicksPeople(t *testing.T) {
	overBoth(t, func(t *testing.T, e *e2e) {
		lei := e.withLei(t)
		answer := e.press(t, testUserOpenID, bot.ActionKudosForm, "", nil)
		picker := element(answer["card"], peoplePrefix+"to")
		if picker == nil || picker["tag"] != "multi_select_person" || !findText(picker["options"], leiOpenID) {
			t.Fatalf("kudos card picker %v in %v", picker, answer)
		}
		// multi_select_person submits a list of open_ids in form_value.
		answer = e.press(t, testUserOpenID, bot.ActionKudosSubmit, "", map[string]any{
			peoplePrefix + "to": []any{leiOpenID}, "message": "谢谢你帮忙评审上线方案",
		})
		if element(answer["card"], peoplePrefix+"to") != nil {
			t.Fatalf("answer %v: the form is still open", answer)
		}
		list, err := e.store.TeamKudos(context.Background(), "增长", testNow.Add(-time.Hour), testNow.Add(time.Hour))
		if err != nil || len(list) != 1 || list[0].To[0] != lei || list[0].From != e.user {
			t.Fatalf("kudos %+v, %v", list, err)
		}
	})
}

// Finding 2: a card form with a bad value was answered with a toast and no
// card, so nothing was marked. The answer now re-renders the form with the
// answers kept and the reason, in the person's language, under its field.
func TestConformanceFeishuFormErrorReRendersTheCard(t *testing.T) {
	overBoth(t, func(t *testing.T, e *e2e) {
		e.withLei(t)
		answer := e.press(t, testUserOpenID, bot.ActionKudosSubmit, "", map[string]any{
			peoplePrefix + "to": []any{leiOpenID}, "message": "",
		})
		card := answer["card"]
		picker := element(card, peoplePrefix+"to")
		if picker == nil || !findText(picker["selected_values"], leiOpenID) {
			t.Fatalf("answer %v: want the kudos form again with 李四 still picked", answer)
		}
		if !findText(card, "red") || element(card, "message") == nil {
			t.Fatalf("answer %v: want the message field and a red error line", answer)
		}
		if list, _ := e.store.TeamKudos(context.Background(), "增长", testNow.Add(-time.Hour), testNow.Add(time.Hour)); len(list) != 0 {
			t.Fatalf("a refused form stored kudos %+v", list)
		}
	})
}

func TestConformanceEveryFormSubmitsOnFeishu(t *testing.T) {
	overBoth(t, func(t *testing.T, e *e2e) {
		lei := e.withLei(t)
		ctx := context.Background()

		// goal new for 李四: select_person submits one open_id.
		answer := e.press(t, testUserOpenID, bot.ActionGoalNewForm, "", nil)
		if p := element(answer["card"], peoplePrefix+"owner"); p == nil || p["tag"] != "select_person" {
			t.Fatalf("goal form owner picker %v", p)
		}
		e.press(t, testUserOpenID, bot.ActionGoalNewSubmit, "", map[string]any{
			"goal": "提升激活率 从 20% 到 30% 截止 2026-12-31", peoplePrefix + "owner": leiOpenID,
		})
		goals, err := e.store.TeamGoals(ctx, "增长")
		if err != nil || len(goals) != 1 || goals[0].Owner != lei || goals[0].Metric.Target != 30 {
			t.Fatalf("goals %+v, %v", goals, err)
		}
		id := goals[0].ID

		// goal update by its owner
		e.press(t, leiOpenID, bot.ActionGoalUpdateSubmit, id, map[string]any{"goal": id, "value": "22%", "note": "新手引导邮件"})
		if g, err := e.store.GetGoal(ctx, id); err != nil || g.Current != 22 {
			t.Fatalf("goal %+v, %v", g, err)
		}

		// kudos
		e.press(t, leiOpenID, bot.ActionKudosSubmit, "", map[string]any{peoplePrefix + "to": []any{testUserOpenID}, "message": "计划做得好"})
		if list, err := e.store.TeamKudos(ctx, "增长", testNow.Add(-time.Hour), testNow.Add(time.Hour)); err != nil || len(list) != 1 {
			t.Fatalf("kudos %+v, %v", list, err)
		}

		// check-in: the form's own field names, filled in
		answer = e.press(t, leiOpenID, bot.ActionCheckInForm, "", nil)
		fields := map[string]any{}
		for _, name := range inputNames(answer["card"]) {
			fields[name] = "上线了新的支付页面"
		}
		fields["mood"] = "4"
		e.press(t, leiOpenID, bot.ActionCheckInSubmit, "", fields)
		if ci, err := e.store.GetCheckIn(ctx, "增长", bot.ISOWeek(testNow, e2eZone(t)), lei); err != nil || !ci.Done() || ci.Mood != 4 {
			t.Fatalf("check-in %+v, %v", ci, err)
		}

		// feedback request
		e.press(t, leiOpenID, bot.ActionFeedbackRequestSubmit, "", map[string]any{
			peoplePrefix + "asked": []any{testUserOpenID}, "topic": "上线方案", "due": "2026-12-10",
		})
		if qs, err := e.store.TeamFeedbackRequests(ctx, "增长"); err != nil || len(qs) != 1 || qs[0].From != lei || qs[0].Topic != "上线方案" {
			t.Fatalf("feedback requests %+v, %v", qs, err)
		}

		// review: the manager starts a cycle; 李四's button opens and submits the form.
		start := payload(t, "message_receive_p2p.json", map[string]any{
			"header.event_id":       "ev-review-start",
			"event.message.content": `{"text":"review start team 增长 H2 review due 2026-12-20"}`,
		})
		e.deliver(t, start, "/feishu/events")
		settle(e.a)
		cycles, err := e.store.ReviewCycles(ctx, "增长")
		if err != nil || len(cycles) != 1 {
			t.Fatalf("cycles %+v, %v", cycles, err)
		}
		value := strings.Join([]string{"增长", cycles[0].ID, string(lei), bot.RoleSelf}, "|")
		answer = e.press(t, leiOpenID, bot.ActionReviewSubmit, value, nil)
		fields = map[string]any{}
		for _, name := range inputNames(answer["card"]) {
			fields[name] = "负责了结账改版"
			if strings.HasPrefix(name, "r") {
				fields[name] = "4"
			}
		}
		if len(fields) == 0 {
			t.Fatalf("no review form in %v", answer)
		}
		e.press(t, leiOpenID, bot.ActionReviewSubmit, value, fields)
		all, err := e.store.CycleAnswers(ctx, "增长", cycles[0].ID)
		if err != nil || len(all) != 1 || all[0].Author != lei || all[0].Submitted.IsZero() {
			t.Fatalf("review answers %+v, %v", all, err)
		}
	})
}

var messageCount int

// message pushes im.message.receive_v1
// (https://open.feishu.cn/document/server-docs/im-v1/message/events/receive,
// as in testdata/message_receive_*.json) from openID over e's transport,
// with the given type, content and mentions, and waits for its effect.
func (e *e2e) message(t *testing.T, file, openID, msgType, content string, mentions []any) {
	t.Helper()
	messageCount++
	n := strconv.Itoa(messageCount)
	body := payload(t, file, map[string]any{
		"header.event_id":                "ev-msg-" + n,
		"event.sender.sender_id.open_id": openID,
		"event.message.message_id":       "om_msg_" + n,
		"event.message.message_type":     msgType,
		"event.message.content":          content,
		"event.message.mentions":         mentions,
	})
	if code, answer := e.deliver(t, body, "/feishu/events"); code != http.StatusOK {
		t.Fatalf("push answered %d %v", code, answer)
	}
	settle(e.a)
}

// newGoal creates a goal for the test user by a direct message and returns its id.
func (e *e2e) newGoal(t *testing.T) string {
	t.Helper()
	e.message(t, "message_receive_p2p.json", testUserOpenID, "text", `{"text":"目标 新建 提升激活率 从 20% 到 30% 截止 2026-12-31"}`, []any{})
	goals, err := e.store.TeamGoals(context.Background(), "增长")
	if err != nil || len(goals) != 1 {
		t.Fatalf("goals %+v, %v", goals, err)
	}
	return goals[0].ID
}

// Finding 3: rich text (post) in every shape the documentation and the
// SDKs show. Each is a progress update in the group, whose value must be
// recorded; the content shapes follow
// https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content#post
// (the receive event's {"title","content"}), the send API's locale-wrapped
// {"zh_cn": {...}} (https://open.feishu.cn/document/server-docs/im-v1/message-content-description/create_json#45e0953e)
// and the custom bot's {"post": {"zh_cn": ...}} (oapi-sdk-go's
// MessagePost builder and go-lark's PostBuilder produce these).
func TestConformanceFeishuPostShapesAreRead(t *testing.T) {
	overBoth(t, func(t *testing.T, e *e2e) {
		id := e.newGoal(t)
		for i, c := range []struct{ name, content string }{
			{"plain", `{"title":"","content":[[{"tag":"text","text":"` + id + ` 21% 新手引导上线"}]]}`},
			{"locale-wrapped", `{"zh_cn":{"title":"周报","content":[[{"tag":"text","text":"` + id + ` 22% "},{"tag":"text","text":"注册流程改版","style":["bold"]}]]}}`},
			{"english locale", `{"en_us":{"title":"Weekly","content":[[{"tag":"text","text":"` + id + ` 23%"}]]}}`},
			{"post-wrapped", `{"post":{"zh_cn":{"title":"","content":[[{"tag":"text","text":"` + id + ` 24%"}]]}}}`},
			{"code block", `{"title":"","content":[[{"tag":"code_block","language":"PLAIN_TEXT","text":"` + id + ` 25%"}]]}`},
			{"link", `{"title":"","content":[[{"tag":"text","text":"` + id + ` 26% 见 "},{"tag":"a","text":"发布说明","href":"https://example.com/notes"}],[{"tag":"img","image_key":"img_v2_041b28e3-5680-48c2-9af2-497ace79333g"}]]}`},
			{"markdown", `{"title":"","content":[[{"tag":"md","text":"` + id + ` 27% **上线**"}]]}`},
		} {
			e.message(t, "message_receive_group.json", testUserOpenID, "post", c.content, []any{})
			want := float64(21 + i)
			if g, err := e.store.GetGoal(context.Background(), id); err != nil || g.Current != want {
				t.Fatalf("%s: goal current %v (%v), want %v", c.name, g.Current, err, want)
			}
		}
	})
}

// Finding 3: the at element of a post names a person by @_user_N (with the
// event's mentions list), by open_id in user_id, or by open_id; each is a
// real mention, so kudos reach 李四.
func TestConformanceFeishuPostMentionsInEveryShape(t *testing.T) {
	overBoth(t, func(t *testing.T, e *e2e) {
		lei := e.withLei(t)
		leiMention := map[string]any{"key": "@_user_1", "id": map[string]any{"open_id": leiOpenID, "union_id": "on_lei", "user_id": "a1b2c3d4"}, "name": "李四", "tenant_key": testTenant}
		for i, c := range []struct {
			name     string
			at       string
			mentions []any
		}{
			{"placeholder", `{"tag":"at","user_id":"@_user_1","user_name":"李四"}`, []any{leiMention}},
			{"open_id in user_id", `{"tag":"at","user_id":"` + leiOpenID + `","user_name":"李四"}`, []any{}},
			{"open_id field", `{"tag":"at","open_id":"` + leiOpenID + `","user_name":"李四"}`, []any{}},
		} {
			content := `{"zh_cn":{"title":"","content":[[{"tag":"text","text":"kudos "},` + c.at + `,{"tag":"text","text":" 谢谢你评审上线方案"}]]}}`
			e.message(t, "message_receive_group.json", testUserOpenID, "post", content, c.mentions)
			list, err := e.store.TeamKudos(context.Background(), "增长", testNow.Add(-time.Hour), testNow.Add(time.Hour))
			if err != nil || len(list) != i+1 || list[i].To[0] != lei {
				t.Fatalf("%s: kudos %+v, %v", c.name, list, err)
			}
		}
	})
}

// Images and files sent to the bot directly are answered with one
// sentence in the client's language (en_US in the sample) saying to send text;
// in a group they are left alone.
// Content shapes: message_content#image and #file in the documentation.
func TestConformanceFeishuImagesAndFilesInADirectChatGetOneSentence(t *testing.T) {
	overBoth(t, func(t *testing.T, e *e2e) {
		e.message(t, "message_receive_p2p.json", testUserOpenID, "image", `{"image_key":"img_v2_041b28e3-5680-48c2-9af2-497ace79333g"}`, []any{})
		e.message(t, "message_receive_p2p.json", testUserOpenID, "file", `{"file_key":"file_v2_456a92d6-c6ea-4de4-ac3f-7afcf44ac78g","file_name":"周报.pdf"}`, []any{})
		sends := e.f.sends()
		if len(sends) != 2 {
			t.Fatalf("%d sends, want one answer per message", len(sends))
		}
		for _, s := range sends {
			if !findText(cardOf(t, s), "I can only read text") {
				t.Fatalf("answer %v", cardOf(t, s))
			}
		}
		e.message(t, "message_receive_group.json", testUserOpenID, "image", `{"image_key":"img_v2_041b28e3-5680-48c2-9af2-497ace79333g"}`, []any{})
		if n := len(e.f.sends()); n != 2 {
			t.Fatalf("an image in a group was answered (%d sends)", n)
		}
	})
}

// Finding 4: an update that @-mentions the bot in a group gets a reaction
// on the message, like one posted without the mention.
func TestConformanceFeishuMentionedUpdateInAGroupGetsAReaction(t *testing.T) {
	overBoth(t, func(t *testing.T, e *e2e) {
		id := e.newGoal(t)
		botMention := map[string]any{"key": "@_user_1", "id": map[string]any{"open_id": testBotOpenID, "union_id": "on_bot", "user_id": ""}, "name": "Pulse", "tenant_key": testTenant}
		e.message(t, "message_receive_group.json", testUserOpenID, "text", `{"text":"@_user_1 `+id+` 22% 新手引导上线"}`, []any{botMention})
		if g, err := e.store.GetGoal(context.Background(), id); err != nil || g.Current != 22 {
			t.Fatalf("goal %+v, %v", g, err)
		}
		reacts := e.f.callsTo("/open-apis/im/v1/messages/om_msg_" + strconv.Itoa(messageCount) + "/reactions")
		if len(reacts) != 1 {
			t.Fatalf("%d reactions on the update", len(reacts))
		}
	})
}
