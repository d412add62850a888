package feishu

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

func TestCardFormSubmitGivesFieldsAndUpdatesTheCard(t *testing.T) {
	f := newFakeFeishu(t)
	h := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		return bot.Response{Locale: bot.Chinese, Reply: bot.Message{Title: "周报已保存", Blocks: []bot.Block{bot.Text{Text: "谢谢！"}}}}, nil
	}}
	a, _ := testAdapter(t, f, h, ModeWebhook)
	p := signedPush(t, payload(t, "card_action_trigger.json", map[string]any{"header.token": testToken}), testNow)
	p.path = "/feishu/cards"
	rec := p.send(t, a)
	settle(a)
	if rec.Code != http.StatusOK {
		t.Fatalf("callback answered %d %s", rec.Code, rec.Body)
	}
	evs := h.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	ev := evs[0]
	wantFields := map[string]string{"done": "上线了新的支付页面", "next": "优化结账转化率", "blockers": "", "mood": "4"}
	if ev.Kind != bot.KindAction || ev.Action.ID != bot.ActionCheckInSubmit || ev.Action.Value != "2026-W48" ||
		len(ev.Action.Fields) != len(wantFields) || ev.Key != "feishu:f7984f25108f8137722bb63cee927e66" {
		t.Fatalf("event %+v", ev)
	}
	for k, v := range wantFields {
		if ev.Action.Fields[k] != v {
			t.Fatalf("field %s = %q, want %q", k, ev.Action.Fields[k], v)
		}
	}
	if ev.User != bot.NewUserID(bot.PlatformFeishu, testTenant, testUserOpenID) || ev.Message.ID != "om_574d639e4a44e4dd646eaf628e2f0123" {
		t.Fatalf("event %+v", ev)
	}
	body := jsonBody(t, rec)
	card, _ := body["card"].(map[string]any)
	if card["type"] != "raw" || !findText(card["data"], "周报已保存") {
		t.Fatalf("answer %v: want the updated card", body)
	}
	if len(f.sends()) != 0 {
		t.Fatal("the reply was also sent as a message")
	}
}

func TestCardFormErrorsKeepTheFormOpen(t *testing.T) {
	f := newFakeFeishu(t)
	form := bot.Message{Title: "本周周报", Blocks: []bot.Block{
		bot.Input{ID: "done", Label: "完成了什么？", Multiline: true},
		bot.Input{ID: "mood", Label: "心情 1–5"},
		bot.Buttons{{ID: bot.ActionCheckInSubmit, Label: "提交"}},
	}}
	h := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		return bot.Response{Locale: bot.Chinese, Reply: form.In(bot.Chinese), FieldErrors: map[string]string{"mood": "请输入 1 到 5 之间的数字。"}}, nil
	}}
	a, _ := testAdapter(t, f, h, ModeWS)
	resp, err := a.dispatcher.Do(context.Background(), payload(t, "card_action_trigger.json", nil))
	settle(a)
	if err != nil {
		t.Fatal(err)
	}
	b := mustJSON(t, resp)
	if !findText(b["card"], "请输入 1 到 5 之间的数字。") || !findText(b["card"], `form`) {
		t.Fatalf("answer %v: want the form with its error", b)
	}
	if toast, _ := b["toast"].(map[string]any); toast["type"] != "error" || toast["content"] != "请检查标出的内容。" {
		t.Fatalf("toast %v", b["toast"])
	}
}

func TestRepeatedCardCallbackGetsAnEmptyObject(t *testing.T) {
	f, h := newFakeFeishu(t), &bottest.Handler{Respond: zhReply}
	a, _ := testAdapter(t, f, h, ModeWebhook)
	plain := payload(t, "card_action_trigger.json", map[string]any{"header.token": testToken})
	var last string
	for i := 0; i < 2; i++ {
		p := signedPush(t, plain, testNow)
		p.path = "/feishu/cards"
		rec := p.send(t, a)
		settle(a)
		last = rec.Body.String()
	}
	if last != "{}" || len(h.Events()) != 1 {
		t.Fatalf("repeat answered %q; %d events", last, len(h.Events()))
	}
}

func TestSlowCardHandlerAnswersThenSendsTheReply(t *testing.T) {
	f := newFakeFeishu(t)
	release := make(chan struct{})
	h := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		<-release
		return bot.Response{Locale: bot.Chinese, Reply: bot.Message{Title: "记分卡"}}, nil
	}}
	a, _ := testAdapter(t, f, h, ModeWS)
	a.cardDeadline = expiredDeadline
	resp, err := a.dispatcher.Do(context.Background(), payload(t, "card_action_trigger.json", nil))
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	settle(a)
	b := mustJSON(t, resp)
	if toast, _ := b["toast"].(map[string]any); toast["content"] != "正在处理…" || b["card"] != nil {
		t.Fatalf("answer %v: want a working toast", b)
	}
	sends := f.sends()
	// A private reply (the default) goes to the person's direct chat.
	if len(sends) != 1 || !findText(cardOf(t, sends[0]), "记分卡") || sends[0].Body["receive_id"] != testUserOpenID {
		t.Fatalf("late reply not sent to the person: %+v", sends)
	}
}

func TestCardHandlerErrorGivesARetryToast(t *testing.T) {
	f := newFakeFeishu(t)
	h := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		return bot.Response{Locale: bot.English, Reply: bot.Message{Locale: bot.English}}, context.Canceled
	}}
	a, _ := testAdapter(t, f, h, ModeWS)
	resp, err := a.dispatcher.Do(context.Background(), payload(t, "card_action_trigger.json", nil))
	settle(a)
	if err != nil {
		t.Fatal(err)
	}
	b := mustJSON(t, resp)
	toast, _ := b["toast"].(map[string]any)
	i18n, _ := toast["i18n"].(map[string]any)
	if toast["type"] != "error" || toast["content"] != "Something went wrong. Please try again." || i18n["zh_cn"] != "出了点问题，请再试一次。" {
		t.Fatalf("toast %v", toast)
	}
}

func TestButtonWithoutValueFallsBackToItsName(t *testing.T) {
	f, h := newFakeFeishu(t), &bottest.Handler{}
	a, _ := testAdapter(t, f, h, ModeWS)
	_, err := a.dispatcher.Do(context.Background(), payload(t, "card_action_trigger.json", map[string]any{
		"event.action.value": map[string]any{},
		"event.action.name":  buttonName(bot.ActionKudosSubmit),
	}))
	settle(a)
	if err != nil {
		t.Fatal(err)
	}
	if evs := h.Events(); len(evs) != 1 || evs[0].Action.ID != bot.ActionKudosSubmit {
		t.Fatalf("events %+v", evs)
	}
}

// expiredDeadline is a card deadline already passed.
func expiredDeadline(time.Duration) (<-chan time.Time, func()) {
	expired := make(chan time.Time)
	close(expired)
	return expired, func() {}
}

// Feishu shows a card callback's answer only within 3 s of the push, and
// queueing it may take a while: the callback waits for its reply only what
// is left of its budget since it arrived, not the whole budget again.
func TestCardCallbackWaitsOnlyWhatIsLeftOfItsBudget(t *testing.T) {
	f := newFakeFeishu(t)
	a, clock := testAdapter(t, f, &bottest.Handler{}, ModeWS)
	a.cfg.Inbox = bottest.SlowInbox{Inbox: a.cfg.Inbox, Clock: clock, Delay: time.Second}
	var waited []time.Duration
	a.cardDeadline = func(wait time.Duration) (<-chan time.Time, func()) {
		waited = append(waited, wait)
		return expiredDeadline(wait)
	}
	if _, err := a.dispatcher.Do(context.Background(), payload(t, "card_action_trigger.json", nil)); err != nil {
		t.Fatal(err)
	}
	settle(a)
	if want := cardBudget - time.Second; len(waited) != 1 || waited[0] != want {
		t.Fatalf("the callback waited %v after a queueing of 1 s, want %v", waited, want)
	}
}
