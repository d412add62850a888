package feishu

import (
	"net/http"
	"testing"

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
	a, _ := testAdapterLogged(t, f, h, ModeWS, nil)
	gw := connectLongConnection(t, f, a)
	if code, _ := gw.push(t, payload(t, "message_receive_p2p.json", nil)); code != http.StatusOK {
		t.Fatalf("acknowledgement %d", code)
	}
	if err := a.Ready(); err != nil {
		t.Fatalf("not ready while connected: %v", err)
	}
	settle(a)
	if evs := h.Events(); len(evs) != 1 || evs[0].Kind != bot.KindCommand || len(f.sends()) != 1 {
		t.Fatalf("%d events, %d sends", len(evs), len(f.sends()))
	}
}
