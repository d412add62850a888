package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
	"github.com/pulse-bot/pulse/store/storetest"
)

func TestSignatureVerification(t *testing.T) {
	rec := &bottest.Handler{}
	h := newHarness(t, rec)
	body := loadJSON(t, "event_message_channels.json", nil)
	now := h.clock.Now()
	sendRaw := func(headers map[string]string) int {
		req, _ := http.NewRequest(http.MethodPost, h.http.URL+"/slack/events", strings.NewReader(string(body)))
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	signed := func(ts time.Time, secret string) map[string]string {
		stamp := strconv.FormatInt(ts.Unix(), 10)
		return map[string]string{
			"X-Slack-Request-Timestamp": stamp,
			"X-Slack-Signature":         fmt.Sprintf("v0=%x", sign(secret, stamp, body)),
		}
	}
	cases := []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"good", signed(now, testSecret), http.StatusOK},
		{"good at the edge of the window", signed(now.Add(-4*time.Minute-59*time.Second), testSecret), http.StatusOK},
		{"bad secret", signed(now, "not-the-secret"), http.StatusUnauthorized},
		{"stale", signed(now.Add(-6*time.Minute), testSecret), http.StatusUnauthorized},
		{"future", signed(now.Add(6*time.Minute), testSecret), http.StatusUnauthorized},
		{"missing headers", map[string]string{}, http.StatusUnauthorized},
		{"missing signature", map[string]string{"X-Slack-Request-Timestamp": strconv.FormatInt(now.Unix(), 10)}, http.StatusUnauthorized},
		{"not v0", map[string]string{"X-Slack-Request-Timestamp": strconv.FormatInt(now.Unix(), 10), "X-Slack-Signature": "v1=abc"}, http.StatusUnauthorized},
		{"not hex", map[string]string{"X-Slack-Request-Timestamp": strconv.FormatInt(now.Unix(), 10), "X-Slack-Signature": "v0=zz"}, http.StatusUnauthorized},
		{"malformed timestamp", map[string]string{"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=00"}, http.StatusUnauthorized},
	}
	for _, c := range cases {
		if got := sendRaw(c.headers); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
	// Tampering with the body after signing fails too.
	hdr := signed(now, testSecret)
	req, _ := http.NewRequest(http.MethodPost, h.http.URL+"/slack/commands", strings.NewReader("command=/goal&text=list"))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("body swapped: status %d, want 401", resp.StatusCode)
	}
	h.settle()
	if n := len(rec.Events()); n != 1 {
		t.Errorf("handler saw %d events, want 1 (two good deliveries of one event)", n)
	}
}

func TestRejectedRequestLogLineHasNoBodyOrSecret(t *testing.T) {
	var logs strings.Builder
	st := storetest.MustOpen(t)
	fs := newFakeSlack(t)
	a, err := New(Config{BotToken: "xoxb-secret-token", SigningSecret: testSecret, APIURL: fs.apiURL(),
		Handler: &bottest.Handler{}, Inbox: st.Inbox(), Cache: st, Clock: bot.NewManualClock(testNow), Log: zerolog.New(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a.Routes(mux)
	srv := newLoopback(t, mux)
	body := `{"type":"event_callback","event":{"text":"top secret body"}}`
	req, _ := http.NewRequest(http.MethodPost, srv+"/slack/events", strings.NewReader(body))
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(testNow.Unix(), 10))
	req.Header.Set("X-Slack-Signature", "v0=0000")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
	out := logs.String()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "slack request rejected") {
		t.Errorf("want one rejection line, got %q", out)
	}
	for _, leak := range []string{"top secret body", testSecret, "xoxb-secret-token"} {
		if strings.Contains(out, leak) {
			t.Errorf("log line leaks %q: %s", leak, out)
		}
	}
}

func TestURLVerification(t *testing.T) {
	h := newHarness(t, &bottest.Handler{})
	resp := h.postEvent(loadJSON(t, "url_verification.json", nil))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got := readBody(t, resp); got != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("challenge answer %q", got)
	}
}

func TestSlashCommandsReachHandlerAndReplyInBody(t *testing.T) {
	rec := &bottest.Handler{Respond: func(ev bot.Event) (bot.Response, error) {
		vis := bot.Private
		if strings.HasPrefix(ev.Text, "/kudos") {
			vis = bot.Public
		}
		return bot.Response{Reply: bot.Message{Title: "Re: " + ev.Text, Blocks: []bot.Block{bot.Text{Text: "ok"}}}, Visibility: vis}, nil
	}}
	h := newHarness(t, rec)
	cases := []struct{ command, text, wantText, wantType string }{
		{"/goal", "new Raise conversion from 2.1% to 3% by 2026-12-31", "/goal new Raise conversion from 2.1% to 3% by 2026-12-31", "ephemeral"},
		{"/kudos", "<@U061F7AUR|lilei> thanks for the review #teamwork", "/kudos <@slack:" + testTeam + ":U061F7AUR> thanks for the review #teamwork", "in_channel"},
		{"/checkin", "", "/checkin", "ephemeral"},
		{"/scorecard", "team growth last week", "/scorecard team growth last week", "ephemeral"},
		{"/pulse", "team create growth <#C0LAN2Q65|growth>", "/pulse team create growth #C0LAN2Q65", "ephemeral"},
	}
	for i, c := range cases {
		resp := h.postForm("/slack/commands", commandForm(t, h, c.command, c.text))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", c.command, resp.StatusCode)
		}
		var body struct {
			ResponseType string           `json:"response_type"`
			Text         string           `json:"text"`
			Blocks       []map[string]any `json:"blocks"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("%s: reply body: %v", c.command, err)
		}
		if body.ResponseType != c.wantType {
			t.Errorf("%s: response_type %q, want %q", c.command, body.ResponseType, c.wantType)
		}
		if len(body.Blocks) != 2 || body.Blocks[0]["type"] != "header" || body.Blocks[1]["type"] != "section" {
			t.Errorf("%s: blocks %v", c.command, body.Blocks)
		}
		ev := rec.Events()[i]
		if ev.Kind != bot.KindCommand || ev.Text != c.wantText {
			t.Errorf("%s: event kind %v text %q, want command %q", c.command, ev.Kind, ev.Text, c.wantText)
		}
		if ev.User != bot.UserID("slack:"+testTeam+":U2147483697") || ev.Channel != "C2147483705" || ev.Platform != bot.PlatformSlack {
			t.Errorf("%s: event user %q channel %q", c.command, ev.User, ev.Channel)
		}
		if want := "slack:cmd:trig-" + strings.TrimPrefix(c.command, "/") + "-" + strconv.Itoa(len(c.text)); ev.Key != want {
			t.Errorf("%s: key %q, want %q", c.command, ev.Key, want)
		}
		if ev.Profile != (bot.Profile{Name: "Steve", TimeZone: "Europe/Berlin", Locale: bot.English}) {
			t.Errorf("%s: profile %+v", c.command, ev.Profile)
		}
	}
	if names := rec.Events()[1].Names; names[bot.UserID("slack:"+testTeam+":U061F7AUR")] != "李雷" {
		t.Errorf("kudos names %v", names)
	}
	// users.info is asked once per person; the rest comes from the Redis cache.
	if n := len(h.slack.callsTo("users.info")); n != 2 {
		t.Errorf("users.info called %d times, want 2 (Steve, 李雷)", n)
	}
	h.settle()
	if m := h.slack.methods(); len(m) != 0 {
		t.Errorf("quick commands answered in the body should call no Web API, got %v", m)
	}
}

func TestSlowSlashCommandAcksThenUsesResponseURL(t *testing.T) {
	rec := &bottest.Handler{Gate: make(chan struct{}), Respond: func(ev bot.Event) (bot.Response, error) {
		return bot.Response{Reply: textReply("scorecard ready"), Visibility: bot.Private}, nil
	}}
	h := newHarness(t, rec)
	expired := make(chan time.Time)
	close(expired) // the 2.5 s budget is already spent
	h.a.deadline = func(time.Duration) (<-chan time.Time, func()) { return expired, func() {} }
	resp := h.postForm("/slack/commands", commandForm(t, h, "/scorecard", "team growth"))
	if resp.StatusCode != http.StatusOK || readBody(t, resp) != "" {
		t.Fatalf("want an empty 200 ack, got %d", resp.StatusCode)
	}
	if n := len(rec.Events()); n != 0 {
		t.Fatalf("ack came after the handler finished (%d events)", n)
	}
	close(rec.Gate)
	call := h.slack.waitFor("response/scorecard")
	if call.JSON["response_type"] != "ephemeral" || !strings.Contains(fmt.Sprint(call.JSON["blocks"]), "scorecard ready") {
		t.Errorf("response_url got %v", call.JSON)
	}
}

func TestSlowStoreEventAckedAtOnce(t *testing.T) {
	rec := &bottest.Handler{Gate: make(chan struct{})}
	h := newHarness(t, rec)
	start := time.Now()
	resp := h.postEvent(loadJSON(t, "event_message_channels.json", nil))
	elapsed := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if elapsed >= 3*time.Second {
		t.Errorf("ack took %v", elapsed)
	}
	if n := len(rec.Events()); n != 0 {
		t.Fatalf("the ack waited for the handler")
	}
	close(rec.Gate)
	h.settle()
	if n := len(rec.Events()); n != 1 {
		t.Errorf("handled %d times, want 1", n)
	}
}

func TestMessageDeliveredThreeTimesHandledOnce(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		t.Run(fmt.Sprintf("concurrent=%v", concurrent), func(t *testing.T) {
			rec := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) { return bot.Response{Reaction: "check"}, nil }}
			h := newHarness(t, rec)
			body := loadJSON(t, "event_message_channels.json", func(m map[string]any) {
				eventOf(m)["text"] = "G7 2.6% shipped the new payment page"
			})
			var wg sync.WaitGroup
			for i := 0; i < 3; i++ {
				send := func() {
					defer wg.Done()
					if resp := h.postEvent(body); resp.StatusCode != http.StatusOK {
						t.Errorf("delivery %d: status %d", i, resp.StatusCode)
					}
				}
				wg.Add(1)
				if concurrent {
					go send()
				} else {
					send()
				}
			}
			wg.Wait()
			h.settle()
			evs := rec.Events()
			if len(evs) != 1 {
				t.Fatalf("handled %d times, want 1", len(evs))
			}
			ev := evs[0]
			if ev.Kind != bot.KindMessage || ev.Text != "G7 2.6% shipped the new payment page" || ev.Direct {
				t.Errorf("event %+v", ev)
			}
			if ev.Message != (bot.MessageRef{Platform: bot.PlatformSlack, Channel: "C024BE91L", ID: "1355517523.000005"}) {
				t.Errorf("message ref %+v", ev.Message)
			}
			reacts := h.slack.callsTo("reactions.add")
			if len(reacts) != 1 {
				t.Fatalf("reactions.add called %d times", len(reacts))
			}
			if f := reacts[0].Form; f.Get("name") != "white_check_mark" || f.Get("channel") != "C024BE91L" || f.Get("timestamp") != "1355517523.000005" {
				t.Errorf("reaction %v", f)
			}
		})
	}
}

func TestRetryHeaderIsNotARejection(t *testing.T) {
	rec := &bottest.Handler{}
	h := newHarness(t, rec)
	body := loadJSON(t, "event_message_channels.json", nil)
	stamp := strconv.FormatInt(h.clock.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, h.http.URL+"/slack/events", strings.NewReader(string(body)))
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", fmt.Sprintf("v0=%x", sign(testSecret, stamp, body)))
	req.Header.Set("X-Slack-Retry-Num", "2")
	req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h.settle()
	if len(rec.Events()) != 1 {
		t.Errorf("a retry that is the only delivery must be handled")
	}
}

func TestAppMentionAndMessageForOnePostActOnce(t *testing.T) {
	for _, mentionFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("mention first=%v", mentionFirst), func(t *testing.T) {
			rec := &bottest.Handler{}
			h := newHarness(t, rec)
			text := "<@" + testBotUser + "> /goal list mine"
			mention := loadJSON(t, "event_app_mention.json", func(m map[string]any) {
				eventOf(m)["text"] = text
			})
			message := loadJSON(t, "event_message_channels.json", func(m map[string]any) {
				m["event_id"] = "Ev0LAN670S"
				ev := eventOf(m)
				ev["text"], ev["user"], ev["channel"], ev["ts"] = text, "U061F7AUR", "C0LAN2Q65", "1515449522.000016"
			})
			first, second := mention, message
			if !mentionFirst {
				first, second = message, mention
			}
			h.postEvent(first)
			h.postEvent(second)
			h.settle()
			evs := rec.Events()
			if len(evs) != 1 {
				t.Fatalf("acted %d times, want once", len(evs))
			}
			if evs[0].Kind != bot.KindCommand || evs[0].Text != "/goal list mine" {
				t.Errorf("event kind %v text %q", evs[0].Kind, evs[0].Text)
			}
			if evs[0].Profile.Locale != bot.Chinese || evs[0].Profile.TimeZone != "Asia/Shanghai" {
				t.Errorf("profile %+v", evs[0].Profile)
			}
		})
	}
}

func TestBotAndSubtypeMessagesIgnored(t *testing.T) {
	rec := &bottest.Handler{}
	h := newHarness(t, rec)
	h.postEvent(loadJSON(t, "event_bot_message.json", nil))
	h.postEvent(loadJSON(t, "event_message_changed.json", nil))
	h.postEvent(loadJSON(t, "event_message_channels.json", func(m map[string]any) {
		m["event_id"] = "EvOwn"
		eventOf(m)["user"] = testBotUser // our own post without bot_id
	}))
	h.postEvent(loadJSON(t, "event_message_channels.json", func(m map[string]any) {
		m["event_id"] = "EvJoin"
		eventOf(m)["subtype"] = "channel_join"
	}))
	h.settle()
	if evs := rec.Events(); len(evs) != 0 {
		t.Errorf("handled %d ignorable messages: %+v", len(evs), evs)
	}
	// A message with a file attached is still a person posting.
	h.postEvent(loadJSON(t, "event_message_channels.json", func(m map[string]any) {
		m["event_id"] = "EvFile"
		eventOf(m)["subtype"] = "file_share"
		eventOf(m)["ts"] = "1355517599.000001"
	}))
	h.settle()
	if len(rec.Events()) != 1 {
		t.Errorf("file_share message not handled")
	}
}

func TestDirectMessageIsCommandAndRepliesInDM(t *testing.T) {
	rec := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		return bot.Response{Reply: textReply("What are you focusing on next?"), Visibility: bot.Private}, nil
	}}
	h := newHarness(t, rec)
	h.postEvent(loadJSON(t, "event_message_im.json", func(m map[string]any) {
		eventOf(m)["text"] = "Shipped the payment page &amp; fixed &lt;3 bugs"
	}))
	h.settle()
	ev := rec.Events()[0]
	if ev.Kind != bot.KindCommand || !ev.Direct || ev.Text != "Shipped the payment page & fixed <3 bugs" {
		t.Errorf("event %+v", ev)
	}
	post := h.slack.waitFor("chat.postMessage")
	if post.Form.Get("channel") != "D024BE91L" || len(h.slack.callsTo("chat.postEphemeral")) != 0 {
		t.Errorf("DM reply went to %v", post.Form)
	}
}

func TestPrivateReplyInChannelIsEphemeral(t *testing.T) {
	rec := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		return bot.Response{Reply: textReply("G7 is not yours"), Visibility: bot.Private}, nil
	}}
	h := newHarness(t, rec)
	h.postEvent(loadJSON(t, "event_message_channels.json", nil))
	h.settle()
	eph := h.slack.waitFor("chat.postEphemeral")
	if eph.Form.Get("channel") != "C024BE91L" || eph.Form.Get("user") != "U2147483697" {
		t.Errorf("ephemeral %v", eph.Form)
	}
}

func TestHandlerErrorGetsCatalogReply(t *testing.T) {
	rec := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) { return bot.Response{}, fmt.Errorf("redis down") }}
	h := newHarness(t, rec)
	resp := h.postForm("/slack/commands", commandForm(t, h, "/goal", "list"))
	if body := readBody(t, resp); !strings.Contains(body, "Something went wrong") {
		t.Errorf("reply %s", body)
	}
}

func TestEscapingUserText(t *testing.T) {
	rec := &bottest.Handler{Respond: func(ev bot.Event) (bot.Response, error) {
		return bot.Response{Reply: bot.Message{Title: "<!here> title", Blocks: []bot.Block{
			bot.Text{Text: "you said: <!channel> & <@U0LAN0Z89> <https://evil|x>"},
			bot.Fields{{Label: "<!everyone>", Value: "a>b"}},
			bot.Context{Text: "<!subteam^S123>"},
			bot.Buttons{{ID: "x", Label: "<!here>", Value: "v"}},
		}}, Visibility: bot.Public}, nil
	}}
	h := newHarness(t, rec)
	h.postEvent(loadJSON(t, "event_message_channels.json", nil))
	h.settle()
	post := h.slack.waitFor("chat.postMessage")
	raw := post.Form.Get("blocks") + post.Form.Get("text")
	for _, ping := range []string{"<!channel>", "<!here>", "<!everyone>", "<@U0LAN0Z89>", "<https://evil", "<!subteam"} {
		if strings.Contains(raw, ping) {
			t.Errorf("rendered message contains a live %q: %s", ping, raw)
		}
	}
	if !strings.Contains(post.Form.Get("text"), "&lt;!channel&gt; &amp; &lt;@U0LAN0Z89&gt;") {
		t.Errorf("fallback text not escaped: %q", post.Form.Get("text"))
	}
	blocks := blocksOf(t, post)
	if got := blocks[1]["text"].(map[string]any)["text"]; got != "you said: &lt;!channel&gt; &amp; &lt;@U0LAN0Z89&gt; &lt;https://evil|x&gt;" {
		t.Errorf("section text %q", got)
	}
}

func TestRateLimitRetryAfterHonoured(t *testing.T) {
	h := newHarness(t, &bottest.Handler{})
	h.slack.mu.Lock()
	h.slack.limited["chat.postMessage"] = 2
	h.slack.mu.Unlock()
	ref, err := h.a.Send(context.Background(), bot.Address{Platform: bot.PlatformSlack, Channel: "C1"}, textReply("digest"), "")
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if ref.Channel != "C1" || ref.ID == "" {
		t.Errorf("ref %+v", ref)
	}
	if fmt.Sprint(h.waits) != "[7s 7s]" {
		t.Errorf("waits %v, want two 7s waits from Retry-After", h.waits)
	}
	// Retries are bounded: a method that stays limited fails after them.
	h.slack.mu.Lock()
	h.slack.limited["chat.postMessage"] = 100
	h.slack.mu.Unlock()
	h.waits = nil
	_, err = h.a.Send(context.Background(), bot.Address{Platform: bot.PlatformSlack, Channel: "C1"}, textReply("x"), "")
	var retry interface{ RetryAfter() time.Duration }
	if !errors.As(err, &retry) || retry.RetryAfter() != 7*time.Second {
		t.Fatalf("err = %v; want one that tells the scheduler to retry after 7s", err)
	}
	if len(h.waits) != maxRateLimitRetries {
		t.Errorf("waited %d times, want %d", len(h.waits), maxRateLimitRetries)
	}
}

func TestButtonOpensModalAndSubmitShowsFieldErrors(t *testing.T) {
	form := bot.Message{Title: "Weekly check-in for the growth team", Blocks: []bot.Block{
		bot.Text{Text: "Week 2026-W48"},
		bot.Input{ID: "done", Label: "What did you get done?", Multiline: true},
		bot.Input{ID: "mood", Label: "Mood 1–5", Placeholder: "3", Optional: true},
		bot.Buttons{{ID: bot.ActionCheckInSubmit, Label: "Send", Value: "growth:2026-W48"}},
	}}
	rec := &bottest.Handler{Respond: func(ev bot.Event) (bot.Response, error) {
		switch ev.Action.ID {
		case bot.ActionCheckInForm:
			return bot.Response{Reply: form}, nil
		case bot.ActionCheckInSubmit:
			if ev.Action.Fields["mood"] == "7" {
				return bot.Response{FieldErrors: map[string]string{"mood": "Type a mood from 1 to 5 <!here>"}}, nil
			}
			return bot.Response{Reply: textReply("Thanks, saved.")}, nil
		}
		return bot.Response{}, nil
	}}
	h := newHarness(t, rec)
	press := loadJSON(t, "block_actions.json", func(m map[string]any) {
		m["team"].(map[string]any)["id"] = testTeam
		m["user"].(map[string]any)["team_id"] = testTeam // the person's own workspace (identity.go)
		m["user"].(map[string]any)["id"] = "U2147483697"
		act := m["actions"].([]any)[0].(map[string]any)
		act["action_id"], act["value"] = bot.ActionCheckInForm, "growth"
		m["response_url"] = h.slack.srv.URL + "/api/response/action"
	})
	resp := h.postForm("/slack/interactions", url.Values{"payload": {string(press)}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	h.settle()
	ev := rec.Events()[0]
	if ev.Kind != bot.KindAction || ev.Action.ID != bot.ActionCheckInForm || ev.Action.Value != "growth" || ev.Channel != "CBR2V3XEX" {
		t.Errorf("action event %+v", ev)
	}
	open := h.slack.waitFor("views.open")
	if open.JSON["trigger_id"] != "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3" {
		t.Errorf("views.open trigger %v", open.JSON["trigger_id"])
	}
	view := open.JSON["view"].(map[string]any)
	if view["callback_id"] != bot.ActionCheckInSubmit || view["type"] != "modal" {
		t.Errorf("modal %v", view)
	}
	if title := view["title"].(map[string]any)["text"].(string); len([]rune(title)) > maxModalTitle {
		t.Errorf("modal title %q longer than %d", title, maxModalTitle)
	}
	var inputs []string
	for _, b := range view["blocks"].([]any) {
		blk := b.(map[string]any)
		if blk["type"] == "input" {
			inputs = append(inputs, blk["block_id"].(string))
		}
		if blk["type"] == "actions" {
			t.Errorf("the submit button should be the modal's own, not an actions block")
		}
	}
	if fmt.Sprint(inputs) != "[done mood]" {
		t.Errorf("input blocks %v", inputs)
	}
	meta := view["private_metadata"].(string)

	submit := func(mood, trigger string) *http.Response {
		body := loadJSON(t, "view_submission.json", func(m map[string]any) {
			m["team"].(map[string]any)["id"] = testTeam
			m["user"].(map[string]any)["team_id"] = testTeam // the person's own workspace (identity.go)
			m["user"].(map[string]any)["id"] = "U2147483697"
			m["trigger_id"] = trigger
			v := m["view"].(map[string]any)
			v["callback_id"], v["private_metadata"] = bot.ActionCheckInSubmit, meta
			v["state"] = map[string]any{"values": map[string]any{
				"done": map[string]any{inputActionID: map[string]any{"type": "plain_text_input", "value": "shipped it"}},
				"mood": map[string]any{inputActionID: map[string]any{"type": "plain_text_input", "value": mood}},
			}}
		})
		return h.postForm("/slack/interactions", url.Values{"payload": {string(body)}})
	}
	var errAck struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.NewDecoder(submit("7", "trig-1").Body).Decode(&errAck); err != nil {
		t.Fatal(err)
	}
	if errAck.ResponseAction != "errors" || errAck.Errors["mood"] != "Type a mood from 1 to 5 &lt;!here&gt;" {
		t.Errorf("field errors ack %+v", errAck)
	}
	sub := rec.Events()[1]
	want := bot.Action{ID: bot.ActionCheckInSubmit, Value: "growth:2026-W48", Fields: map[string]string{"done": "shipped it", "mood": "7"}}
	if fmt.Sprint(sub.Action) != fmt.Sprint(want) || sub.Channel != "CBR2V3XEX" {
		t.Errorf("submission event action %+v channel %q", sub.Action, sub.Channel)
	}
	// A valid submission closes the modal (empty ack) and the reply goes to the channel.
	if body := readBody(t, submit("4", "trig-2")); body != "" {
		t.Errorf("closing ack %q", body)
	}
	h.settle()
	eph := h.slack.waitFor("chat.postEphemeral")
	if eph.Form.Get("channel") != "CBR2V3XEX" || !strings.Contains(eph.Form.Get("text"), "Thanks, saved.") {
		t.Errorf("reply after submit %v", eph.Form)
	}
}

func TestAppHomePublish(t *testing.T) {
	rec := &bottest.Handler{Respond: func(ev bot.Event) (bot.Response, error) {
		return bot.Response{Reply: bot.Message{Title: "Your goals", Blocks: []bot.Block{
			bot.Progress{Label: "G7 Raise conversion", Percent: 40, Pace: 45, Detail: "pace 45% · at risk"},
			bot.Buttons{{ID: bot.ActionKudosForm, Label: "Give kudos"}, {ID: bot.ActionGoalUpdateForm, Label: "Update goal"}},
		}}}, nil
	}}
	h := newHarness(t, rec)
	h.postEvent(loadJSON(t, "event_app_home_opened.json", nil))
	h.settle()
	ev := rec.Events()[0]
	if ev.Kind != bot.KindAction || ev.Action.ID != bot.ActionHome || ev.User != bot.UserID("slack:"+testTeam+":U123ABC456") {
		t.Errorf("home event %+v", ev)
	}
	pub := h.slack.waitFor("views.publish")
	if pub.JSON["user_id"] != "U123ABC456" {
		t.Errorf("published for %v", pub.JSON["user_id"])
	}
	view := pub.JSON["view"].(map[string]any)
	raw, _ := json.Marshal(view)
	if view["type"] != "home" || !strings.Contains(string(raw), "▓▓▓▓░░░░░░ 40%") || !strings.Contains(string(raw), bot.ActionKudosForm) {
		t.Errorf("home view %s", raw)
	}
}

func TestSendDirectMessageAndIdempotentKey(t *testing.T) {
	h := newHarness(t, &bottest.Handler{})
	to := bot.Address{Platform: bot.PlatformSlack, User: bot.NewUserID(bot.PlatformSlack, testTeam, "U2147483697"), Thread: "1700000000.000001"}
	ref, err := h.a.Send(context.Background(), to, textReply("How are you feeling this week, 1–5?"), "checkin:growth:2026-W48:U1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := h.a.Send(context.Background(), to, textReply("How are you feeling this week, 1–5?"), "checkin:growth:2026-W48:U1")
	if err != nil {
		t.Fatal(err)
	}
	if ref != again || ref.Channel != "DU2147483697" {
		t.Errorf("refs %+v %+v", ref, again)
	}
	if got := fmt.Sprint(h.slack.methods()); got != "[conversations.open chat.postMessage]" {
		t.Errorf("calls %s, want one open and one post", got)
	}
	post := h.slack.callsTo("chat.postMessage")[0]
	if post.Form.Get("thread_ts") != "1700000000.000001" || post.Form.Get("channel") != "DU2147483697" {
		t.Errorf("post %v", post.Form)
	}
}

func TestUploadFileUsesExternalUploadFlow(t *testing.T) {
	h := newHarness(t, &bottest.Handler{})
	if err := h.a.UploadFile(context.Background(), "C1", "scorecard.png", []byte("\x89PNG fake")); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(h.slack.methods())
	if got != "[files.getUploadURLExternal /upload/F1 files.completeUploadExternal]" {
		t.Errorf("calls %s", got)
	}
	done := h.slack.callsTo("files.completeUploadExternal")[0]
	if done.Form.Get("channel_id") != "C1" || !strings.Contains(done.Form.Get("files"), "F1") {
		t.Errorf("complete %v", done.Form)
	}
	if len(h.slack.callsTo("files.upload")) != 0 {
		t.Error("files.upload is retired")
	}
}

func TestRunStopsWithOneLineOnRefusedToken(t *testing.T) {
	st := storetest.MustOpen(t)
	fs := newFakeSlack(t)
	fs.override["auth.test"] = `{"ok":false,"error":"invalid_auth"}`
	a, err := New(Config{BotToken: "xoxb-bad", SigningSecret: testSecret, APIURL: fs.apiURL(), Handler: &bottest.Handler{}, Inbox: st.Inbox(), Cache: st, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	err = a.Run(context.Background())
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN") || !strings.Contains(err.Error(), "invalid_auth") {
		t.Errorf("Run error %v", err)
	}
	if a.Ready() == nil {
		t.Error("ready without auth")
	}
}

func TestRunInHTTPModeIsReadyAfterAuth(t *testing.T) {
	h := newHarness(t, &bottest.Handler{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.a.Run(ctx) }()
	h.slack.waitFor("auth.test")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if err := h.a.Ready(); err != nil {
		t.Errorf("ready: %v", err)
	}
}

func TestNewRejectsMissingConfig(t *testing.T) {
	st := storetest.MustOpen(t)
	for _, c := range []Config{
		{SigningSecret: "s", Handler: &bottest.Handler{}, Inbox: st.Inbox(), Cache: st},
		{BotToken: "xoxb", Handler: &bottest.Handler{}, Inbox: st.Inbox(), Cache: st},
		{BotToken: "xoxb", SigningSecret: "s", Inbox: st.Inbox(), Cache: st},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

func TestStalledRedisRefusesEventWith5xxInTime(t *testing.T) {
	rec := &bottest.Handler{}
	h := newHarness(t, rec)
	h.a.inbox = storetest.Stalled(t).Inbox()
	bottest.RefusedInTime(t, func() int { return h.postEvent(loadJSON(t, "event_message_channels.json", nil)).StatusCode })
	h.settle()
	if len(rec.Events()) != 0 {
		t.Error("an event that was not stored was handled anyway")
	}
}

// A stalled Redis may run the command after the answer: the person is told
// it is not confirmed (check before sending it again: a second /goal G1 +1
// would add twice); a Redis that cannot be reached stored nothing: "not
// saved, send it again". Either in time, in both languages.
func TestStalledRedisSlashCommandSaysNotConfirmedInTime(t *testing.T) {
	for _, c := range []struct {
		name   string
		inbox  func(testing.TB) bot.Inbox
		en, zh string
	}{
		{"stalled", func(t testing.TB) bot.Inbox { return storetest.Stalled(t).Inbox() }, "Not confirmed", "未确认"},
		{"down", func(t testing.TB) bot.Inbox { return storetest.Down(t).Inbox() }, "Not saved", "未保存"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := &bottest.Handler{}
			h := newHarness(t, rec)
			h.a.inbox = c.inbox(t)
			start := time.Now()
			resp := h.postForm("/slack/commands", commandForm(t, h, "/goal", "list"))
			if elapsed := time.Since(start); elapsed >= 2*time.Second {
				t.Errorf("answer took %v; Slack waits 3 s", elapsed)
			}
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, c.en) || !strings.Contains(body, c.zh) ||
				!strings.Contains(body, `"response_type":"ephemeral"`) {
				t.Errorf("status %d body %s: want an ephemeral %q reply in both languages", resp.StatusCode, body, c.en)
			}
			h.settle()
			if len(rec.Events()) != 0 {
				t.Error("a command that was not stored was handled anyway")
			}
		})
	}
}

func TestExpiredTriggerFallsBackToMessage(t *testing.T) {
	rec := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		return bot.Response{Reply: bot.Message{Title: "Check-in", Blocks: []bot.Block{
			bot.Input{ID: "done", Label: "What did you get done?"},
			bot.Buttons{{ID: bot.ActionCheckInSubmit, Label: "Send", Command: "/checkin"}},
		}}}, nil
	}}
	h := newHarness(t, rec)
	h.slack.override["views.open"] = `{"ok":false,"error":"expired_trigger_id"}`
	expired := make(chan time.Time)
	close(expired)
	h.a.deadline = func(time.Duration) (<-chan time.Time, func()) { return expired, func() {} }
	h.postForm("/slack/commands", commandForm(t, h, "/checkin", ""))
	h.settle()
	call := h.slack.waitFor("response/checkin")
	if !strings.Contains(fmt.Sprint(call.JSON["blocks"]), "What did you get done?") {
		t.Errorf("fallback message %v", call.JSON)
	}
}

// An undone kudos's DM and channel post are deleted with chat.delete; one
// that is already gone counts as taken back, any other refusal is an error.
func TestRetractDeletesTheMessage(t *testing.T) {
	h := newHarness(t, &bottest.Handler{})
	ref := bot.MessageRef{Platform: bot.PlatformSlack, Channel: "C0GROWTH", ID: "1700000000.000042"}
	if err := h.a.Retract(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	calls := h.slack.callsTo("chat.delete")
	if len(calls) != 1 || calls[0].Form.Get("channel") != "C0GROWTH" || calls[0].Form.Get("ts") != "1700000000.000042" {
		t.Fatalf("chat.delete calls %+v", calls)
	}
	h.slack.override["chat.delete"] = `{"ok":false,"error":"message_not_found"}`
	if err := h.a.Retract(context.Background(), ref); err != nil {
		t.Errorf("a message already gone: %v", err)
	}
	h.slack.override["chat.delete"] = `{"ok":false,"error":"cant_delete_message"}`
	if err := h.a.Retract(context.Background(), ref); err == nil {
		t.Error("a refused delete was reported as done")
	}
}
