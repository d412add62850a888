package slack

// Adversarial cases for issue 16: payloads Slack documents that the
// adapter mishandled.

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
	"github.com/pulse-bot/pulse/store/storetest"
)

// Slack checks a slash command's (and the interactivity) request URL's
// certificate with a POST of "ssl_check=1&token=…"
// (https://docs.slack.dev/interactivity/implementing-slash-commands, "ssl_check";
// bolt-js's receiver tests send exactly this body, signed and unsigned).
// It was read as a slash command: an empty command from nobody reached
// the core and held the inbox key "slack:cmd:" for nine hours, and the
// interactivity URL answered 400. It is answered 200 and nothing is
// queued; a signed command that merely carries ssl_check is still a command.
func TestSlackSSLCheckIsAnsweredAndNotACommand(t *testing.T) {
	h := &bottest.Handler{}
	hs := buildHarness(t, h, false) // no workers: what is queued stays in the inbox
	check := url.Values{"ssl_check": {"1"}, "token": {"legacy-fixed-token"}}
	for _, path := range []string{"/slack/commands", "/slack/interactions"} {
		if resp := hs.postForm(path, check); resp.StatusCode != http.StatusOK || readBody(t, resp) != "" {
			t.Fatalf("signed ssl_check on %s answered %d", path, resp.StatusCode)
		}
		req, _ := http.NewRequest(http.MethodPost, hs.http.URL+path, strings.NewReader(check.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("unsigned ssl_check on %s answered %d", path, resp.StatusCode)
		}
	}
	if q := bottest.Queued(t, hs.inbox); len(q) != 0 {
		t.Fatalf("ssl_check queued %+v", q)
	}
	form := commandForm(t, hs, "/goal", "list")
	form.Set("ssl_check", "1")
	hs.postForm("/slack/commands", form)
	if q := bottest.Queued(t, hs.inbox); len(q) != 1 || q[0].Key != "slack:cmd:"+form.Get("trigger_id") {
		t.Fatalf("a command carrying ssl_check: queued %+v", q)
	}
	// Unsigned, anything that is not an ssl_check is still refused.
	req, _ := http.NewRequest(http.MethodPost, hs.http.URL+"/slack/commands", strings.NewReader(form.Encode()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an unsigned command with ssl_check answered %d", resp.StatusCode)
	}
}

// A direct message that is only a file (Slack's file_share message with
// no text, https://docs.slack.dev/reference/events/message/file_share)
// gets one sentence asking for text, as the README says and as Feishu
// does for an image. It was read as an empty command and answered "That
// message was empty", although the person had sent something. A file
// with words is read as before, and a file alone in a channel is left alone.
func TestConformanceSlackFileOnlyDirectMessageAsksForText(t *testing.T) {
	overBoth(t, func(t *testing.T, h *harness) {
		file := []any{map[string]any{"id": "F0S43PZDF", "name": "chart.png", "title": "chart.png", "mimetype": "image/png", "filetype": "png"}}
		h.postEvent(loadJSON(t, "event_message_im.json", func(m map[string]any) {
			m["team_id"] = testTeam
			m["event_id"] = "EvFileOnly"
			ev := eventOf(m)
			ev["subtype"], ev["text"], ev["files"], ev["upload"] = "file_share", "", file, true
			ev["ts"] = "1355517600.000001"
		}))
		h.settle()
		posts := h.slack.callsTo("chat.postMessage")
		if len(posts) != 1 || posts[0].Form.Get("channel") != "D024BE91L" || !strings.Contains(posts[0].Form.Get("text"), "I can only read text") {
			t.Fatalf("replies %+v, want one in the DM asking for text", posts)
		}
		h.postEvent(loadJSON(t, "event_message_channels.json", func(m map[string]any) {
			m["team_id"] = testTeam
			m["event_id"] = "EvFileInChannel"
			ev := eventOf(m)
			ev["subtype"], ev["text"], ev["files"], ev["upload"] = "file_share", "", file, true
			ev["channel"], ev["ts"] = "C2147483705", "1355517601.000001"
		}))
		h.settle()
		if n := len(h.slack.callsTo("chat.postMessage")) + len(h.slack.callsTo("chat.postEphemeral")); n != 1 {
			t.Fatalf("%d replies after a file alone in a channel, want none more", n-1)
		}
	})
}

// Slack's app_rate_limited notice
// (https://docs.slack.dev/apis/events-api/#rate-limiting; the documented
// body re-typed) says it is dropping the app's events for a minute. It was
// answered 200 without a word, so an operator never learnt why updates
// went unseen; it is now logged with the workspace and the minute, and
// still answered 200 with nothing queued.
func TestSlackAppRateLimitedIsLogged(t *testing.T) {
	var logs strings.Builder
	st := storetest.MustOpen(t)
	fs := newFakeSlack(t)
	h := &bottest.Handler{}
	a, err := New(Config{BotToken: "xoxb-test", SigningSecret: testSecret, APIURL: fs.apiURL(),
		Handler: h, Inbox: st.Inbox(), Cache: st, Clock: bot.NewManualClock(testNow), Log: zerolog.New(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a.Routes(mux)
	srv := newLoopback(t, mux)
	body := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","type":"app_rate_limited","team_id":"` + testTeam + `","minute_rate_limited":1518467820,"api_app_id":"A0PNCHHK2"}`
	stamp := strconv.FormatInt(testNow.Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, srv+"/slack/events", strings.NewReader(body))
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", "v0="+fmt.Sprintf("%x", sign(testSecret, stamp, []byte(body))))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("answered %d", resp.StatusCode)
	}
	out := logs.String()
	if !strings.Contains(out, "app_rate_limited") || !strings.Contains(out, `"minute_rate_limited":1518467820`) || !strings.Contains(out, testTeam) {
		t.Fatalf("no rate-limit line in %q", out)
	}
	if q := bottest.Queued(t, st.Inbox()); len(q) != 0 || len(h.Events()) != 0 {
		t.Fatalf("a rate-limit notice was queued: %+v", q)
	}
}

// Slackbot's posts (a channel reminder set with /remind, a custom
// response) come as plain message events with user USLACKBOT and no
// bot_id, so they were read as a person's: a reminder "G7 25%" in a team
// channel reached the core as an update from USLACKBOT. Pulse ignores them
// like any bot's. Body: the channel message sample with Slackbot's
// reminder text, as Slack shows it.
func TestSlackbotPostsAreIgnored(t *testing.T) {
	h := &bottest.Handler{}
	hs := newHarness(t, h)
	hs.postEvent(loadJSON(t, "event_message_channels.json", func(m map[string]any) {
		m["event_id"] = "EvSlackbot"
		ev := eventOf(m)
		ev["user"], ev["text"], ev["ts"] = "USLACKBOT", "Reminder: <@"+testBotUser+"> G7 25%.", "1355517700.000001"
	}))
	hs.settle()
	if evs := h.Events(); len(evs) != 0 {
		t.Fatalf("Slackbot's post reached the core: %+v", evs)
	}
}
