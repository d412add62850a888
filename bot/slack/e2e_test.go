package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
)

// serviceHandler lets the adapter and the service be built in either order:
// the service needs the adapter as its Messenger, the adapter needs a Handler.
type serviceHandler struct{ svc *bot.Service }

func (s *serviceHandler) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	return s.svc.Handle(ctx, ev)
}

var (
	steve = bot.NewUserID(bot.PlatformSlack, testTeam, "U2147483697")
	lilei = bot.NewUserID(bot.PlatformSlack, testTeam, "U061F7AUR")
)

// newServiceHarness wires the real core service to the adapter, the fake
// Slack and real Redis, with a team "Growth" in channel C2147483705.
func newServiceHarness(t *testing.T) *harness {
	t.Helper()
	return buildServiceHarness(t, true)
}

// buildServiceHarness is newServiceHarness, with or without inbox workers.
func buildServiceHarness(t *testing.T, workers bool) *harness {
	t.Helper()
	return buildServiceHarnessOver(t, workers, false)
}

// buildServiceHarnessOver is buildServiceHarness over HTTP or Socket Mode.
func buildServiceHarnessOver(t *testing.T, workers, socket bool) *harness {
	t.Helper()
	fwd := &serviceHandler{}
	h := buildHarnessOver(t, fwd, workers, socket)
	svc, err := bot.NewService(bot.Config{Store: h.store, Messenger: h.a, Clock: h.clock, Log: zerolog.Nop(), Admins: []bot.UserID{steve}})
	if err != nil {
		t.Fatal(err)
	}
	fwd.svc = svc
	team := bot.NewTeam("Growth", bot.PlatformSlack, "C2147483705", h.clock.Now())
	team.Members = []bot.UserID{steve, lilei}
	team.Managers = []bot.UserID{steve}
	team.Values = []string{"teamwork"}
	if err := svc.ApplyTeam(context.Background(), team); err != nil {
		t.Fatal(err)
	}
	return h
}

func commandReplyText(t *testing.T, resp *http.Response) (string, string) {
	t.Helper()
	var body struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("command reply: %v", err)
	}
	return body.ResponseType, body.Text
}

func TestEndToEndGoalProgressKudosAndHome(t *testing.T) {
	h := newServiceHarness(t)
	ctx := context.Background()

	// A slash command creates a goal; the reply comes back in the HTTP body.
	_, text := commandReplyText(t, h.postForm("/slack/commands",
		commandForm(t, h, "/goal", "new Raise checkout conversion from 2.1% to 3% by 2026-12-31")))
	if !strings.Contains(text, "Raise checkout conversion") {
		t.Fatalf("goal reply %q", text)
	}
	goals, err := h.store.TeamGoals(ctx, "growth")
	if err != nil || len(goals) != 1 {
		t.Fatalf("goals %v %v", goals, err)
	}
	id := goals[0].ID

	// Progress posted in the channel, delivered three times at once by Slack,
	// is recorded once and acknowledged with one ✅.
	h.clock.Advance(time.Hour)
	body := loadJSON(t, "event_message_channels.json", func(m map[string]any) {
		m["team_id"] = testTeam
		ev := eventOf(m)
		ev["channel"], ev["text"] = "C2147483705", id+" 2.4% shipped the new payment page"
	})
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); h.postEvent(body) }()
	}
	wg.Wait()
	h.settle()
	g, err := h.store.GetGoal(ctx, id)
	if err != nil || g.Current != 2.4 {
		t.Fatalf("goal current %v %v, want 2.4", g.Current, err)
	}
	updates, err := h.store.GoalUpdates(ctx, id, time.Time{}, h.clock.Now().Add(time.Hour))
	if err != nil || len(updates) != 1 {
		t.Fatalf("%d updates (%v), want 1", len(updates), err)
	}
	if updates[0].Source != (bot.MessageRef{Platform: bot.PlatformSlack, Channel: "C2147483705", ID: "1355517523.000005"}) {
		t.Errorf("update source %+v", updates[0].Source)
	}
	if n := len(h.slack.callsTo("reactions.add")); n != 1 {
		t.Errorf("%d reactions, want 1", n)
	}

	// Kudos by slash command: the recipient hears about it by DM.
	_, text = commandReplyText(t, h.postForm("/slack/commands",
		commandForm(t, h, "/kudos", "<@U061F7AUR|lilei> thanks for the review #teamwork")))
	if text == "" {
		t.Fatal("empty kudos reply")
	}
	h.settle()
	opened := false
	for _, c := range h.slack.callsTo("conversations.open") {
		opened = opened || c.Form.Get("users") == "U061F7AUR"
	}
	if !opened {
		t.Errorf("recipient not messaged; calls %v", h.slack.methods())
	}
	dm := false
	for _, c := range h.slack.callsTo("chat.postMessage") {
		dm = dm || c.Form.Get("channel") == "DU061F7AUR"
	}
	if !dm {
		t.Errorf("no DM to the recipient; calls %v", h.slack.methods())
	}

	// App Home shows the goal with its progress.
	h.postEvent(loadJSON(t, "event_app_home_opened.json", func(m map[string]any) {
		m["team_id"] = testTeam
		eventOf(m)["user"] = "U2147483697"
	}))
	h.settle()
	pub := h.slack.waitFor("views.publish")
	raw, _ := json.Marshal(pub.JSON["view"])
	if !strings.Contains(string(raw), "Raise checkout conversion") || !strings.Contains(string(raw), bot.ActionKudosForm) {
		t.Errorf("home view %s", raw)
	}
}

func TestEndToEndKudosModalFromHomeButton(t *testing.T) {
	h := newServiceHarness(t)
	press := loadJSON(t, "block_actions.json", func(m map[string]any) {
		m["team"].(map[string]any)["id"] = testTeam
		m["user"].(map[string]any)["team_id"] = testTeam // the person's own workspace (identity.go)
		m["user"].(map[string]any)["id"] = "U2147483697"
		m["container"] = map[string]any{"type": "view", "view_id": "V1"}
		delete(m, "response_url")
		m["actions"].([]any)[0].(map[string]any)["action_id"] = bot.ActionKudosForm
	})
	resp := h.postForm("/slack/interactions", url.Values{"payload": {string(press)}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	h.settle()
	open := h.slack.waitFor("views.open")
	view := open.JSON["view"].(map[string]any)
	if view["callback_id"] != bot.ActionKudosSubmit {
		t.Errorf("modal callback %v", view["callback_id"])
	}
	// Submitting it without a recipient keeps the modal open with an error.
	var inputs []string
	for _, b := range view["blocks"].([]any) {
		if blk := b.(map[string]any); blk["type"] == "input" {
			inputs = append(inputs, blk["block_id"].(string))
		}
	}
	values := map[string]any{}
	for _, id := range inputs {
		values[id] = map[string]any{inputActionID: map[string]any{"type": "plain_text_input", "value": ""}}
	}
	submit := loadJSON(t, "view_submission.json", func(m map[string]any) {
		m["team"].(map[string]any)["id"] = testTeam
		m["user"].(map[string]any)["team_id"] = testTeam // the person's own workspace (identity.go)
		m["user"].(map[string]any)["id"] = "U2147483697"
		v := m["view"].(map[string]any)
		v["callback_id"], v["private_metadata"] = bot.ActionKudosSubmit, view["private_metadata"]
		v["state"] = map[string]any{"values": values}
	})
	ack := readBody(t, h.postForm("/slack/interactions", url.Values{"payload": {string(submit)}}))
	if !strings.Contains(ack, `"response_action":"errors"`) {
		t.Errorf("empty kudos form ack %s", ack)
	}
}

func TestEndToEndEverySlashCommandAnswers(t *testing.T) {
	h := newServiceHarness(t)
	for _, c := range []struct{ command, text string }{
		{"/goal", "list"},
		{"/kudos", "mine"},
		{"/checkin", "status"},
		{"/scorecard", "team growth this week"},
		{"/pulse", "help"},
		{"/pulse", "team show growth"},
	} {
		resp := h.postForm("/slack/commands", commandForm(t, h, c.command, c.text))
		kind, text := commandReplyText(t, resp)
		if text == "" || kind == "" {
			t.Errorf("%s %s: reply %q (%s)", c.command, c.text, text, kind)
		}
		if strings.Contains(text, "Something went wrong") || strings.Contains(text, "error_") {
			t.Errorf("%s %s: %q", c.command, c.text, text)
		}
	}
}
