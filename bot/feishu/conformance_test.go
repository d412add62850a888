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
// the webhook, encrypted and signed, and returns the decoded answer.
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
	p := signedPush(t, payload(t, "card_action_trigger.json", edits), testNow)
	p.path = "/feishu/cards"
	rec := p.send(t, e.a)
	e.a.work.Wait()
	if rec.Code != http.StatusOK {
		t.Fatalf("callback %s answered %d %s", action, rec.Code, rec.Body)
	}
	return jsonBody(t, rec)
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
	e := newE2E(t, ModeWebhook)
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
}

// Finding 2: a card form with a bad value was answered with a toast and no
// card, so nothing was marked. The answer now re-renders the form with the
// answers kept and the reason, in the person's language, under its field.
func TestConformanceFeishuFormErrorReRendersTheCard(t *testing.T) {
	e := newE2E(t, ModeWebhook)
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
}

func TestConformanceEveryFormSubmitsOnFeishu(t *testing.T) {
	e := newE2E(t, ModeWebhook)
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
	signedPush(t, start, testNow).send(t, e.a)
	e.a.work.Wait()
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
}
