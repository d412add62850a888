package feishu

// The long connection as a transport for the adapter tests: a fake
// gateway that the SDK's real long-connection client dials (through the
// fake open platform's /callback/ws/endpoint), which sends each payload as
// an event frame and reads back the client's acknowledgement. An e2e built
// in ModeWS delivers every push this way, so the conformance payloads run
// through the long connection unchanged.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

// frameAckWait bounds how long a test waits for a frame's acknowledgement.
const frameAckWait = 10 * time.Second

// gateway is the fake's end of one long connection.
type gateway struct {
	conn   *websocket.Conn
	frames int
}

// connectLongConnection runs the adapter in ws mode against a fake
// gateway and returns the gateway once the SDK client has connected. The
// connection stays open when the test ends: in SDK v3.9.2 the client's
// close and disconnect paths race on its own fields (see ws_test.go), so
// the tests keep clear of them; the ping interval (an hour) keeps its ping
// loop out of the test run too.
func connectLongConnection(t *testing.T, f *fakeFeishu, a *Adapter) *gateway {
	t.Helper()
	conns := make(chan *websocket.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			return
		}
		conns <- c
	}))
	t.Cleanup(srv.Close)
	f.wsEndpoint = `{"code":0,"msg":"ok","data":{"URL":"ws` + strings.TrimPrefix(srv.URL, "http") +
		`/ws?device_id=dev1&service_id=7","ClientConfig":{"ReconnectCount":0,"ReconnectInterval":1,"ReconnectNonce":0,"PingInterval":3600}}}`
	go func() { _ = a.Run(context.Background()) }()
	select {
	case c := <-conns:
		openGateways.Lock()
		openGateways.conns = append(openGateways.conns, c)
		openGateways.Unlock()
		return &gateway{conn: c}
	case <-time.After(frameAckWait):
		t.Fatal("the long-connection client did not connect")
		return nil
	}
}

// openGateways keeps every fake gateway's connection reachable after its
// test. A connection the garbage collector takes is closed by its
// finalizer; the SDK client then runs its disconnect path, whose writes
// race with its own ping loop (see ws_test.go), and -race reported that in
// whichever test happened to be running.
var openGateways struct {
	sync.Mutex
	conns []*websocket.Conn
}

// push sends plain as one event frame, as the gateway does for events and
// card callbacks alike, and returns the acknowledgement's status code and
// data (the card callback's answer; empty for events).
func (g *gateway) push(t *testing.T, plain []byte) (int, []byte) {
	t.Helper()
	g.frames++
	id := "frame-" + strconv.Itoa(g.frames)
	headers := larkws.Headers{}
	headers.Add(larkws.HeaderType, string(larkws.MessageTypeEvent))
	headers.Add(larkws.HeaderMessageID, id)
	headers.Add(larkws.HeaderSum, "1")
	headers.Add(larkws.HeaderSeq, "0")
	headers.Add(larkws.HeaderTraceID, "trace-"+id)
	frame := larkws.Frame{SeqID: uint64(g.frames), Method: int32(larkws.FrameTypeData), Service: 7, Headers: headers, Payload: plain}
	b, err := frame.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.conn.WriteMessage(websocket.BinaryMessage, b); err != nil {
		t.Fatal(err)
	}
	_ = g.conn.SetReadDeadline(time.Now().Add(frameAckWait))
	for {
		_, msg, err := g.conn.ReadMessage()
		if err != nil {
			t.Fatalf("no acknowledgement of %s: %v", id, err)
		}
		var got larkws.Frame
		if err := got.Unmarshal(msg); err != nil {
			t.Fatal(err)
		}
		if larkws.FrameType(got.Method) != larkws.FrameTypeData || larkws.Headers(got.Headers).GetString(larkws.HeaderMessageID) != id {
			continue // a ping, or another frame's answer
		}
		var resp larkws.Response
		if err := json.Unmarshal(got.Payload, &resp); err != nil {
			t.Fatalf("acknowledgement %s: %v", got.Payload, err)
		}
		return resp.StatusCode, resp.Data
	}
}

// deliver sends one decrypted push the way e's transport does: over the
// webhook (encrypted and signed, to path) or over the long connection. It
// returns the status and the decoded answer (nil when there is none).
func (e *e2e) deliver(t *testing.T, plain []byte, path string) (int, map[string]any) {
	t.Helper()
	var code int
	var body []byte
	if e.gw != nil {
		code, body = e.gw.push(t, plain)
	} else {
		p := signedPush(t, plain, testNow)
		p.path = path
		rec := p.send(t, e.a)
		code, body = rec.Code, rec.Body.Bytes()
	}
	var answer map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &answer); err != nil {
			t.Fatalf("answer %q: %v", body, err)
		}
	}
	return code, answer
}

// overBoth runs a test over the webhook and over the long connection,
// each with the real core on its own Redis prefix.
func overBoth(t *testing.T, test func(t *testing.T, e *e2e)) {
	for _, mode := range []string{ModeWebhook, ModeWS} {
		name := "webhook"
		if mode == ModeWS {
			name = "long_connection"
		}
		t.Run(name, func(t *testing.T) { test(t, newE2E(t, mode)) })
	}
}
