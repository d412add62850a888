package slack

// Socket Mode as a transport for the adapter tests: the fake Slack's
// apps.connections.open hands out its own WebSocket, which says hello and
// then carries the envelopes a test sends, reading back each
// acknowledgement. A harness built over a socket sends every post this
// way, so the conformance payloads run through Socket Mode unchanged.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// socketAckWait bounds how long a test waits for an envelope's
// acknowledgement; one left unacknowledged is what the adapter does with
// a delivery it could not store.
const socketAckWait = 10 * time.Second

// acceptSocket upgrades the adapter's connection and says hello, as Slack does.
func (f *fakeSlack) acceptSocket(w http.ResponseWriter, r *http.Request) {
	// slack-go sends an Origin header, which Slack accepts.
	c, err := (&websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}).Upgrade(w, r, nil)
	if err != nil {
		f.t.Errorf("socket upgrade: %v", err)
		return
	}
	hello := map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": "A0KRD7HC3"}, "debug_info": map[string]any{"host": "fake", "approximate_connection_time": 18060}}
	if err := c.WriteJSON(hello); err != nil {
		f.t.Errorf("socket hello: %v", err)
		return
	}
	f.sockets <- c
}

// runSocketMode runs the adapter (auth.test, then Socket Mode) until the
// test ends and returns the fake's end of its connection.
func runSocketMode(t testing.TB, a *Adapter, fs *fakeSlack) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("socket mode run: %v", err)
		}
	})
	select {
	case c := <-fs.sockets:
		return c
	case err := <-done:
		t.Fatalf("socket mode stopped before connecting: %v", err)
	case <-time.After(socketAckWait):
		t.Fatal("the adapter opened no socket")
	}
	return nil
}

// overSocket sends what would have been POSTed to path as the envelope
// Slack sends over Socket Mode (events_api, slash_commands, interactive)
// and returns the acknowledgement as an HTTP answer: 200 with the ack's
// payload as the body, or 503 when it was not acknowledged.
func (h *harness) overSocket(path string, body []byte) *http.Response {
	h.t.Helper()
	var typ string
	var payload []byte
	switch path {
	case "/slack/events":
		typ, payload = "events_api", body
	case "/slack/commands":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			h.t.Fatal(err)
		}
		fields := map[string]string{}
		for k := range form {
			fields[k] = form.Get(k)
		}
		typ = "slash_commands"
		payload, _ = json.Marshal(fields)
	case "/slack/interactions":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			h.t.Fatal(err)
		}
		typ, payload = "interactive", []byte(form.Get("payload"))
	default:
		h.t.Fatalf("no Socket Mode envelope for %s", path)
	}
	h.envelopes++
	id := "env-" + strconv.Itoa(h.envelopes)
	env := map[string]any{"type": typ, "envelope_id": id, "payload": json.RawMessage(payload),
		"accepts_response_payload": typ != "events_api", "retry_attempt": 0, "retry_reason": ""}
	if err := h.socket.WriteJSON(env); err != nil {
		h.t.Fatalf("socket write: %v", err)
	}
	_ = h.socket.SetReadDeadline(time.Now().Add(socketAckWait))
	for {
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := h.socket.ReadJSON(&ack); err != nil {
			return &http.Response{StatusCode: http.StatusServiceUnavailable, Body: io.NopCloser(bytes.NewReader(nil))}
		}
		if ack.EnvelopeID != id {
			continue
		}
		if bytes.Equal(ack.Payload, []byte("null")) {
			ack.Payload = nil
		}
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader(ack.Payload))}
	}
}

// overBoth runs a test over the HTTP endpoints and over Socket Mode, each
// with the real core on its own Redis prefix.
func overBoth(t *testing.T, test func(t *testing.T, h *harness)) {
	for _, socket := range []bool{false, true} {
		name := "http"
		if socket {
			name = "socket_mode"
		}
		t.Run(name, func(t *testing.T) { test(t, buildServiceHarnessOver(t, true, socket)) })
	}
}
