package slack

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack/slacktest"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
	"github.com/pulse-bot/pulse/store/storetest"
)

// socketAck is what the client writes back for an envelope.
type socketAck struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

// TestSocketModeRoundTrip runs the adapter against slack-go's fake server:
// apps.connections.open hands out the fake's WebSocket, which says hello,
// sends an events_api envelope and a slash_commands envelope, and reads the
// acknowledgements; the reaction goes back through the Web API.
func TestSocketModeRoundTrip(t *testing.T) {
	event := loadJSON(t, "event_message_channels.json", func(m map[string]any) {
		eventOf(m)["text"] = "G7 2.6% shipped"
	})
	command, _ := json.Marshal(map[string]string{
		"token": "x", "team_id": testTeam, "channel_id": "C2147483705", "user_id": "U2147483697",
		"command": "/goal", "text": "list", "trigger_id": "trig-sock", "response_url": "https://hooks.slack.com/commands/1/2",
	})
	acks := make(chan socketAck, 2)
	reactions := make(chan url.Values, 1)
	script := func(c *websocket.Conn) {
		send := func(v any) {
			if err := c.WriteJSON(v); err != nil {
				t.Errorf("ws write: %v", err)
			}
		}
		send(map[string]any{"type": "hello", "num_connections": 1,
			"connection_info": map[string]any{"app_id": "A1"}, "debug_info": map[string]any{"host": "fake"}})
		send(map[string]any{"type": "events_api", "envelope_id": "env-event", "payload": json.RawMessage(event),
			"accepts_response_payload": false, "retry_attempt": 0, "retry_reason": ""})
		send(map[string]any{"type": "slash_commands", "envelope_id": "env-command", "payload": json.RawMessage(command),
			"accepts_response_payload": true})
		for {
			var ack socketAck
			if err := c.ReadJSON(&ack); err != nil {
				return
			}
			acks <- ack
		}
	}
	srv := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/ws", slacktest.Websocket(script))
		c.Handle("/reactions.add", func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			form, _ := url.ParseQuery(string(body))
			reactions <- form
			_, _ = io.WriteString(w, `{"ok":true}`)
		})
	})
	srv.Start()
	t.Cleanup(srv.Stop)

	rec := &bottest.Handler{Respond: func(ev bot.Event) (bot.Response, error) {
		if ev.Kind == bot.KindMessage {
			return bot.Response{Reaction: "check"}, nil
		}
		return bot.Response{Reply: textReply("Your goals: G7"), Visibility: bot.Private}, nil
	}}
	st := storetest.MustOpen(t)
	inbox := storetest.NewInbox(st)
	a, err := New(Config{BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: srv.GetAPIURL(),
		Handler: rec, Inbox: inbox, Cache: st, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	inbox.Start(t, map[bot.Platform]bot.InboxProcessor{bot.PlatformSlack: a})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	got := map[string]socketAck{}
	timeout := time.After(10 * time.Second)
	for len(got) < 2 {
		select {
		case ack := <-acks:
			got[ack.EnvelopeID] = ack
		case <-timeout:
			t.Fatalf("acks so far: %v", got)
		}
	}
	if err := a.Ready(); err != nil {
		t.Errorf("ready while connected: %v", err)
	}
	var reply struct {
		ResponseType string           `json:"response_type"`
		Blocks       []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(got["env-command"].Payload, &reply); err != nil {
		t.Fatalf("command ack payload %s: %v", got["env-command"].Payload, err)
	}
	if reply.ResponseType != "ephemeral" || len(reply.Blocks) != 1 {
		t.Errorf("command answered in the ack: %s", got["env-command"].Payload)
	}
	select {
	case form := <-reactions:
		if form.Get("name") != "white_check_mark" || form.Get("timestamp") != "1355517523.000005" {
			t.Errorf("reaction %v", form)
		}
	case <-timeout:
		t.Fatal("no reaction for the captured update")
	}
	inbox.Settle()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
	evs := rec.Events()
	if len(evs) != 2 {
		t.Fatalf("handled %d events", len(evs))
	}
	for _, ev := range evs {
		if ev.Kind == bot.KindCommand && ev.Text != "/goal list" {
			t.Errorf("command text %q", ev.Text)
		}
	}
}

func TestSocketModeRefusedAppTokenStopsWithOneLine(t *testing.T) {
	srv := slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/apps.connections.open", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
		})
	})
	srv.Start()
	t.Cleanup(srv.Stop)
	st := storetest.MustOpen(t)
	a, err := New(Config{BotToken: "xoxb-test", AppToken: "xapp-revoked", APIURL: srv.GetAPIURL(),
		Handler: &bottest.Handler{}, Inbox: st.Inbox(), Cache: st, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	err = a.Run(context.Background())
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "SLACK_APP_TOKEN") || !strings.Contains(err.Error(), "invalid_auth") {
		t.Errorf("run error %v", err)
	}
	if a.Ready() == nil {
		t.Error("ready without a socket")
	}
}
