package feishu

import (
	"context"
	"github.com/pulse-bot/pulse/bot/bottest"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

// e2e wires the adapter to the real core on real Redis, with Feishu faked:
// a team "增长" whose only member is the test user.
type e2e struct {
	a     *Adapter
	f     *fakeFeishu
	store *store.Store
	user  bot.UserID
	// logs holds the adapter's log lines from info up.
	logs *bottest.LogBuffer
	// gw is the long connection pushes go through in ModeWS.
	gw *gateway
}

func newE2E(t *testing.T, mode string) *e2e {
	t.Helper()
	f := newFakeFeishu(t)
	s := storetest.MustOpen(t)
	clock := bot.NewManualClock(testNow)
	e := &e2e{f: f, store: s, user: bot.NewUserID(bot.PlatformFeishu, testTenant, testUserOpenID), logs: &bottest.LogBuffer{}}
	// The service needs the adapter as its messenger and the adapter needs
	// the service as its handler: a forwarding handler breaks the cycle.
	var svc *bot.Service
	h := handlerFunc(func(ctx context.Context, ev bot.Event) (bot.Response, error) { return svc.Handle(ctx, ev) })
	inbox := storetest.NewInbox(s)
	a, err := New(Config{
		AppID: "cli_" + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()), AppSecret: "secret",
		Mode: mode, VerificationToken: testToken, EncryptKey: testEncryptKey, BaseURL: f.srv.URL,
		Handler: h, Inbox: inbox, Dedup: s, Cache: s, Clock: clock, Log: e2eLog(t, mode, e.logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	svc, err = bot.NewService(bot.Config{Store: s, Messenger: a, Clock: clock, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	team := bot.NewTeam("增长", bot.PlatformFeishu, "oc_a0553eda9014c201e6969b478895c230", testNow)
	team.Members = []bot.UserID{e.user}
	if err := s.SaveTeam(context.Background(), team, bot.AuditEntry{At: testNow, Actor: e.user, Action: "team.create", Subject: team.ID}); err != nil {
		t.Fatal(err)
	}
	e.a = a
	inbox.Start(t, map[bot.Platform]bot.InboxProcessor{bot.PlatformFeishu: a})
	inboxes.Store(a, inbox)
	if mode == ModeWS {
		e.gw = connectLongConnection(t, f, a)
	}
	return e
}

// e2eLog is the adapter's logger, from info up, into logs and the test's
// output. Over the long connection the SDK client outlives the test and
// may log after it, so there it writes to logs only.
func e2eLog(t *testing.T, mode string, logs *bottest.LogBuffer) zerolog.Logger {
	if mode == ModeWS {
		return zerolog.New(logs).Level(zerolog.InfoLevel)
	}
	return zerolog.New(zerolog.MultiLevelWriter(zerolog.NewTestWriter(t), logs)).Level(zerolog.InfoLevel)
}

func TestE2EChineseGoalCommandInADirectChat(t *testing.T) {
	e := newE2E(t, ModeWebhook)
	plain := payload(t, "message_receive_p2p.json", map[string]any{
		"event.message.content":    `{"text":"目标 新建 提升结账转化率 从 2.1% 到 3% 截止 2026-12-31"}`,
		"event.message.user_agent": "Mozilla/5.0 Lark/6.7.5 LarkLocale/zh_CN ttnet SDK-Version/6.7.8",
	})
	if rec := signedPush(t, plain, testNow).send(t, e.a); rec.Code != http.StatusOK {
		t.Fatalf("push answered %d", rec.Code)
	}
	settle(e.a)

	sends := e.f.sends()
	if len(sends) != 1 || sends[0].Body["receive_id"] != "oc_5ce6d572455d361153b7xx51da133945" {
		t.Fatalf("sends %+v", sends)
	}
	card := cardOf(t, sends[0])
	if !findText(card, "新目标 G") || !findText(card, "提升结账转化率") {
		t.Fatalf("reply is not the Chinese goal card: %v", card)
	}
	goals, err := e.store.TeamGoals(context.Background(), "增长")
	if err != nil || len(goals) != 1 || goals[0].Owner != e.user || goals[0].Metric.Target != 3 {
		t.Fatalf("goals %+v, %v", goals, err)
	}
	// The same push again records nothing more.
	signedPush(t, plain, testNow).send(t, e.a)
	settle(e.a)
	if goals, _ := e.store.TeamGoals(context.Background(), "增长"); len(goals) != 1 {
		t.Fatalf("a re-push created %d goals", len(goals))
	}
}

func TestE2ECheckInCardFormIsSavedAndTheCardUpdated(t *testing.T) {
	e := newE2E(t, ModeWS)
	ctx := context.Background()

	// The form comes from a button press (or the bot menu).
	_, answer := e.deliver(t, payload(t, "card_action_trigger.json", map[string]any{
		"header.event_id":         "ev-form",
		"event.action.value":      map[string]any{"action": bot.ActionCheckInForm, "value": ""},
		"event.action.form_value": map[string]any{},
	}), "/feishu/cards")
	settle(e.a)
	inputs := inputNames(answer["card"])
	if len(inputs) == 0 {
		t.Fatalf("no form in %v", answer)
	}

	fields := map[string]any{}
	for _, name := range inputs {
		fields[name] = "上线了新的支付页面"
		if strings.Contains(name, "mood") {
			fields[name] = "4"
		}
	}
	_, answer = e.deliver(t, payload(t, "card_action_trigger.json", map[string]any{
		"header.event_id":         "ev-submit",
		"event.action.value":      map[string]any{"action": bot.ActionCheckInSubmit, "value": ""},
		"event.action.form_value": fields,
	}), "/feishu/cards")
	settle(e.a)
	if answer["card"] == nil || inputNames(answer["card"]) != nil {
		t.Fatalf("answer %v: want an updated card without the form", answer)
	}
	ci, err := e.store.GetCheckIn(ctx, "增长", bot.ISOWeek(testNow, e2eZone(t)), e.user)
	if err != nil || !ci.Done() || ci.Mood != 4 {
		t.Fatalf("check-in %+v, %v", ci, err)
	}
}

// e2eZone is the team's zone (NewTeam's default).
func e2eZone(t *testing.T) *time.Location {
	t.Helper()
	return bot.Team{TimeZone: bot.DefaultTimeZone}.Location()
}

// inputNames lists the names of the input elements in a card answer.
func inputNames(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["tag"] == "input" {
				if n, ok := x["name"].(string); ok {
					out = append(out, n)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}
