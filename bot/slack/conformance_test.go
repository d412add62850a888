package slack

// Conformance: payloads in the shapes Slack documents, driven through the
// real HTTP endpoints with real signatures against the fake Web API, with
// the real core on real Redis. Each test names where its payload's shape
// comes from; ids are Pulse's test ids.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// modal is a form the adapter opened with views.open.
type modal struct {
	view map[string]any
}

// elements maps each input block's block_id to its element.
func (m modal) elements() map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, b := range m.view["blocks"].([]any) {
		blk := b.(map[string]any)
		if blk["type"] == "input" {
			out[blk["block_id"].(string)] = blk["element"].(map[string]any)
		}
	}
	return out
}

// pressCount keeps trigger ids and action timestamps unique across presses.
var pressCount int

// openModal presses a button on the App Home (a block_actions payload,
// https://docs.slack.dev/reference/interaction-payloads/block_actions-payload,
// container type "view") and returns the modal it opened.
func (h *harness) openModal(t *testing.T, user, actionID, value string) modal {
	t.Helper()
	pressCount++
	before := len(h.slack.callsTo("views.open"))
	press := loadJSON(t, "block_actions.json", func(m map[string]any) {
		m["team"].(map[string]any)["id"] = testTeam
		m["user"].(map[string]any)["team_id"] = testTeam // the person's own workspace (identity.go)
		m["user"].(map[string]any)["id"] = user
		m["container"] = map[string]any{"type": "view", "view_id": "VHOME" + strconv.Itoa(pressCount)}
		m["trigger_id"] = "press-" + strconv.Itoa(pressCount)
		delete(m, "response_url")
		act := m["actions"].([]any)[0].(map[string]any)
		act["action_id"], act["value"], act["action_ts"] = actionID, value, strconv.Itoa(pressCount)+".000100"
	})
	if resp := h.postForm("/slack/interactions", url.Values{"payload": {string(press)}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("press %s: status %d", actionID, resp.StatusCode)
	}
	h.settle()
	calls := h.slack.callsTo("views.open")
	if len(calls) == before {
		t.Fatalf("press %s opened no modal; calls %v", actionID, h.slack.methods())
	}
	return modal{view: calls[len(calls)-1].JSON["view"].(map[string]any)}
}

// submitModal submits the modal with answers by block_id: a string for a
// text box, a []string of user ids for a multi_users_select, one user id
// for a users_select; the state.values shapes are those of
// https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload#view_submission
// and the element pages (multi_users_select gives selected_users,
// users_select selected_user), in the envelope of bolt-python's own
// view_submission test (testdata/sdk_view_submission.json). It returns the
// acknowledgement body.
func (h *harness) submitModal(t *testing.T, user string, m modal, answers map[string]any) string {
	t.Helper()
	pressCount++
	values := map[string]any{}
	for id, el := range m.elements() {
		var state map[string]any
		switch el["type"] {
		case "multi_users_select":
			users, _ := answers[id].([]string)
			state = map[string]any{"type": "multi_users_select", "selected_users": users}
		case "users_select":
			u, _ := answers[id].(string)
			state = map[string]any{"type": "users_select", "selected_user": u}
		default:
			s, _ := answers[id].(string)
			state = map[string]any{"type": "plain_text_input", "value": s}
		}
		values[id] = map[string]any{el["action_id"].(string): state}
	}
	body := loadJSON(t, "sdk_view_submission.json", func(p map[string]any) {
		p["team"].(map[string]any)["id"] = testTeam
		p["user"].(map[string]any)["team_id"] = testTeam // the person's own workspace (identity.go)
		p["user"].(map[string]any)["id"] = user
		p["trigger_id"] = "submit-" + strconv.Itoa(pressCount)
		v := p["view"].(map[string]any)
		v["id"], v["team_id"], v["app_installed_team_id"] = "VSUBMIT"+strconv.Itoa(pressCount), testTeam, testTeam
		v["callback_id"], v["private_metadata"] = m.view["callback_id"], m.view["private_metadata"]
		v["state"] = map[string]any{"values": values}
	})
	ack := readBody(t, h.postForm("/slack/interactions", url.Values{"payload": {string(body)}}))
	h.settle()
	return ack
}

const (
	steveID = "U2147483697"
	leiID   = "U061F7AUR"
)

// Finding 1: the kudos modal's "To" was a text box, so no submission could
// name anyone. It is now a multi_users_select whose selected_users become
// the same mentions as in chat, and the kudos is stored.
func TestConformanceKudosModalPicksPeople(t *testing.T) {
	overBoth(t, func(t *testing.T, h *harness) {
		m := h.openModal(t, steveID, bot.ActionKudosForm, "")
		els := m.elements()
		if els["to"]["type"] != "multi_users_select" {
			t.Fatalf("kudos To element %v, want multi_users_select", els["to"])
		}
		if ack := h.submitModal(t, steveID, m, map[string]any{"to": []string{leiID}, "message": "thanks for the launch review #teamwork"}); ack != "" {
			t.Fatalf("kudos submit ack %s, want the modal closed", ack)
		}
		list, err := h.store.TeamKudos(context.Background(), "growth", testNow.Add(-time.Hour), testNow.Add(time.Hour))
		if err != nil || len(list) != 1 || len(list[0].To) != 1 || list[0].To[0] != lilei || list[0].From != steve {
			t.Fatalf("kudos %+v, %v", list, err)
		}
	})
}

// Errors stay beside the field in the open modal: response_action errors
// keyed by block_id, in the person's language.
func TestConformanceKudosModalErrorIsShownOnItsField(t *testing.T) {
	overBoth(t, func(t *testing.T, h *harness) {
		m := h.openModal(t, steveID, bot.ActionKudosForm, "")
		ack := h.submitModal(t, steveID, m, map[string]any{"to": []string{leiID}, "message": ""})
		var body viewResponse
		if err := json.Unmarshal([]byte(ack), &body); err != nil {
			t.Fatalf("ack %q: %v", ack, err)
		}
		if body.ResponseAction != "errors" || body.Errors["message"] == "" || len(body.Errors) != 1 {
			t.Fatalf("ack %+v, want one error on message", body)
		}
	})
}

func TestConformanceEveryFormSubmitsOnSlack(t *testing.T) {
	overBoth(t, func(t *testing.T, h *harness) {
		ctx := context.Background()

		// goal new, owned by a teammate (steve manages the team)
		m := h.openModal(t, steveID, bot.ActionGoalNewForm, "")
		if m.elements()["owner"]["type"] != "users_select" {
			t.Fatalf("owner element %v, want users_select", m.elements()["owner"])
		}
		if ack := h.submitModal(t, steveID, m, map[string]any{"goal": "Raise activation from 20% to 30% by 2026-12-31", "owner": leiID}); ack != "" {
			t.Fatalf("goal new ack %s", ack)
		}
		goals, err := h.store.TeamGoals(ctx, "growth")
		if err != nil || len(goals) != 1 || goals[0].Owner != lilei || goals[0].Metric.Target != 30 {
			t.Fatalf("goals %+v, %v", goals, err)
		}
		id := goals[0].ID

		// goal update
		m = h.openModal(t, leiID, bot.ActionGoalUpdateForm, id)
		if ack := h.submitModal(t, leiID, m, map[string]any{"goal": id, "value": "22%", "note": "onboarding emails"}); ack != "" {
			t.Fatalf("goal update ack %s", ack)
		}
		if g, err := h.store.GetGoal(ctx, id); err != nil || g.Current != 22 {
			t.Fatalf("goal after update %+v, %v", g, err)
		}

		// kudos
		m = h.openModal(t, leiID, bot.ActionKudosForm, "")
		if ack := h.submitModal(t, leiID, m, map[string]any{"to": []string{steveID}, "message": "great planning"}); ack != "" {
			t.Fatalf("kudos ack %s", ack)
		}
		if list, err := h.store.TeamKudos(ctx, "growth", testNow.Add(-time.Hour), testNow.Add(time.Hour)); err != nil || len(list) != 1 {
			t.Fatalf("kudos %+v, %v", list, err)
		}

		// check-in
		m = h.openModal(t, leiID, bot.ActionCheckInForm, "")
		answers := map[string]any{}
		for blockID := range m.elements() {
			answers[blockID] = "shipped the payment page"
		}
		answers["mood"] = "4"
		if ack := h.submitModal(t, leiID, m, answers); ack != "" {
			t.Fatalf("check-in ack %s", ack)
		}
		if ci, err := h.store.GetCheckIn(ctx, "growth", bot.ISOWeek(testNow, bot.Team{TimeZone: bot.DefaultTimeZone}.Location()), lilei); err != nil || !ci.Done() || ci.Mood != 4 {
			t.Fatalf("check-in %+v, %v", ci, err)
		}

		// feedback request, two people picked
		m = h.openModal(t, steveID, bot.ActionFeedbackRequestForm, "")
		if m.elements()["asked"]["type"] != "multi_users_select" {
			t.Fatalf("asked element %v", m.elements()["asked"])
		}
		if ack := h.submitModal(t, leiID, m, map[string]any{"asked": []string{steveID}, "topic": "the launch plan", "due": "2026-12-10"}); ack != "" {
			t.Fatalf("feedback request ack %s", ack)
		}
		if qs, err := h.store.TeamFeedbackRequests(ctx, "growth"); err != nil || len(qs) != 1 || qs[0].From != lilei || qs[0].Asked[0] != steve || qs[0].Topic != "the launch plan" {
			t.Fatalf("feedback requests %+v, %v", qs, err)
		}

		// review: a cycle started by the manager sends lei a button that opens the form
		commandReplyText(t, h.postForm("/slack/commands", commandForm(t, h, "/review", "start team growth H2 review due 2026-12-20")))
		h.settle()
		value := reviewButtonValue(t, h, leiID)
		m = h.openModal(t, leiID, bot.ActionReviewSubmit, value)
		answers = map[string]any{}
		for blockID := range m.elements() {
			answers[blockID] = "Led the checkout work"
			if strings.HasPrefix(blockID, "r") {
				answers[blockID] = "4"
			}
		}
		if ack := h.submitModal(t, leiID, m, answers); ack != "" {
			t.Fatalf("review ack %s", ack)
		}
		parts := strings.Split(value, "|")
		all, err := h.store.CycleAnswers(ctx, parts[0], parts[1])
		if err != nil || len(all) != 1 || all[0].Author != lilei || all[0].Submitted.IsZero() {
			t.Fatalf("review answers %+v, %v", all, err)
		}
	})
}

// reviewButtonValue finds the review form button sent to user by DM.
func reviewButtonValue(t *testing.T, h *harness, user string) string {
	t.Helper()
	for _, c := range h.slack.callsTo("chat.postMessage") {
		if c.Form.Get("channel") != "D"+user {
			continue
		}
		for _, b := range blocksOf(t, c) {
			for _, el := range asList(b["elements"]) {
				if e, ok := el.(map[string]any); ok && botActionID(asString(e["action_id"])) == bot.ActionReviewSubmit {
					return asString(e["value"])
				}
			}
		}
	}
	t.Fatalf("no review button sent to %s; calls %v", user, h.slack.methods())
	return ""
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

// newGoalFor creates a goal owned by lei and returns its id.
func newGoalFor(t *testing.T, h *harness) string {
	t.Helper()
	form := commandForm(t, h, "/goal", "new Raise activation from 20% to 30% by 2026-12-31")
	form.Set("user_id", leiID)
	commandReplyText(t, h.postForm("/slack/commands", form))
	goals, err := h.store.TeamGoals(context.Background(), "growth")
	if err != nil || len(goals) != 1 {
		t.Fatalf("goals %+v, %v", goals, err)
	}
	return goals[0].ID
}

// Finding 4: an update addressed to the bot in a channel (app_mention,
// https://docs.slack.dev/reference/events/app_mention) gets the same ✅ on
// the message as one posted without the mention, so the channel sees it.
func TestConformanceMentionedUpdateInAChannelGetsAReaction(t *testing.T) {
	overBoth(t, func(t *testing.T, h *harness) {
		id := newGoalFor(t, h)
		h.postEvent(loadJSON(t, "event_app_mention.json", func(m map[string]any) {
			m["team_id"] = testTeam
			ev := eventOf(m)
			ev["user"], ev["channel"], ev["text"] = leiID, "C2147483705", "<@"+testBotUser+"> "+id+" 22% onboarding emails"
		}))
		h.settle()
		if g, err := h.store.GetGoal(context.Background(), id); err != nil || g.Current != 22 {
			t.Fatalf("goal %+v, %v", g, err)
		}
		reacts := h.slack.callsTo("reactions.add")
		if len(reacts) != 1 || reacts[0].Form.Get("timestamp") != "1515449522.000016" || reacts[0].Form.Get("channel") != "C2147483705" {
			t.Fatalf("reactions %+v", reacts)
		}
	})
}

// Finding 5: an app_mention carrying "edited" (Slack sends it when the
// mention was edited, https://docs.slack.dev/reference/events/app_mention)
// is not acted on, even when the original was never seen.
func TestConformanceEditedMentionIsIgnored(t *testing.T) {
	overBoth(t, func(t *testing.T, h *harness) {
		id := newGoalFor(t, h)
		h.postEvent(loadJSON(t, "event_app_mention.json", func(m map[string]any) {
			m["team_id"] = testTeam
			ev := eventOf(m)
			ev["user"], ev["channel"], ev["text"] = leiID, "C2147483705", "<@"+testBotUser+"> "+id+" 25%"
			ev["edited"] = map[string]any{"user": leiID, "ts": "1515449530.000000"}
		}))
		h.settle()
		if g, err := h.store.GetGoal(context.Background(), id); err != nil || g.Current != 20 {
			t.Fatalf("an edited mention moved the goal: %+v, %v", g, err)
		}
		if n := len(h.slack.callsTo("reactions.add")); n != 0 {
			t.Fatalf("%d reactions on an edit", n)
		}
	})
}

// Finding 7: a /me message (subtype me_message,
// https://docs.slack.dev/reference/events/message/me_message) is read like
// any other message, so "/me G7 22%" is an update.
func TestConformanceMeMessageIsRead(t *testing.T) {
	overBoth(t, func(t *testing.T, h *harness) {
		id := newGoalFor(t, h)
		h.postEvent(loadJSON(t, "event_message_channels.json", func(m map[string]any) {
			m["team_id"] = testTeam
			ev := eventOf(m)
			ev["subtype"], ev["user"], ev["channel"], ev["text"] = "me_message", leiID, "C2147483705", id+" 22% onboarding emails"
		}))
		h.settle()
		if g, err := h.store.GetGoal(context.Background(), id); err != nil || g.Current != 22 {
			t.Fatalf("a /me update was not read: %+v, %v", g, err)
		}
	})
}
