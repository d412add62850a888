package feishu

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

// TestLongConnectionCarriesAnEvent runs the SDK's real long-connection
// client against a fake gateway: bootstrap, websocket, one event frame in,
// its acknowledgement out. Shutdown and disconnects are not exercised
// here: in SDK v3.9.2 Client.Close and the disconnect path write the
// client's fields while its loops read them unlocked, which the race
// detector reports inside the SDK.
func TestLongConnectionCarriesAnEvent(t *testing.T) {
	f, h := newFakeFeishu(t), &bottest.Handler{Respond: zhReply}
	conns := make(chan *websocket.Conn, 1)
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			return
		}
		conns <- c
	}))
	defer gateway.Close()
	f.wsEndpoint = `{"code":0,"msg":"ok","data":{"URL":"ws` + strings.TrimPrefix(gateway.URL, "http") +
		`/ws?device_id=dev1&service_id=7","ClientConfig":{"ReconnectCount":0,"ReconnectInterval":1,"ReconnectNonce":0,"PingInterval":120}}}`
	a, _ := testAdapter(t, f, h, ModeWS)
	// The SDK keeps logging after the test ends (its reconnect attempt when
	// the gateway goes away), so the adapter must not log to t.
	a.log = zerolog.Nop()

	go func() { _ = a.Run(context.Background()) }()
	// The connection is left open when the test ends: the SDK's disconnect
	// path races on its own fields too (pingLoop's log line against
	// disconnect), so the test keeps clear of it.
	conn := <-conns

	headers := larkws.Headers{}
	headers.Add(larkws.HeaderType, string(larkws.MessageTypeEvent))
	headers.Add(larkws.HeaderMessageID, "frame-1")
	headers.Add(larkws.HeaderSum, "1")
	headers.Add(larkws.HeaderSeq, "0")
	frame := larkws.Frame{Method: int32(larkws.FrameTypeData), Service: 7, Headers: headers,
		Payload: payload(t, "message_receive_p2p.json", nil)}
	b, err := frame.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.WriteMessage(websocket.BinaryMessage, b); err != nil {
		t.Fatal(err)
	}
	// Read until the acknowledgement of our frame (pings may come first).
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("no acknowledgement: %v", err)
		}
		var got larkws.Frame
		if err := got.Unmarshal(msg); err != nil {
			t.Fatal(err)
		}
		if larkws.FrameType(got.Method) != larkws.FrameTypeData {
			continue
		}
		var resp larkws.Response
		if err := json.Unmarshal(got.Payload, &resp); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("acknowledgement %s, %v", got.Payload, err)
		}
		break
	}
	if err := a.Ready(); err != nil {
		t.Fatalf("not ready while connected: %v", err)
	}
	settle(a)
	if evs := h.Events(); len(evs) != 1 || evs[0].Kind != bot.KindCommand || len(f.sends()) != 1 {
		t.Fatalf("%d events, %d sends", len(evs), len(f.sends()))
	}
}
