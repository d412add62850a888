package feishu

import (
	"encoding/json"
	"testing"

	"github.com/pulse-bot/pulse/bot"
)

// Finding 3: a sender of another tenant is identified by their own
// sender.tenant_key, not the header's (the app's tenant).
func TestMessageSenderIsIdentifiedByTheirOwnTenant(t *testing.T) {
	raw := `{"header":{"event_id":"e1","tenant_key":"tk_host"},"event":{
		"sender":{"sender_id":{"open_id":"ou_guest"},"sender_type":"user","tenant_key":"tk_guest"},
		"message":{"message_id":"om1","chat_id":"oc1","chat_type":"group","message_type":"text",
		"content":"{\"text\":\"kudos @_user_1 thanks\"}",
		"mentions":[{"key":"@_user_1","id":{"open_id":"ou_b"},"name":"Bob","tenant_key":"tk_guest"}]}}}`
	var ev messageEvent
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		t.Fatal(err)
	}
	got, ok := messageToEvent(ev, "ou_bot")
	if !ok {
		t.Fatal("message not read")
	}
	if want := bot.NewUserID(bot.PlatformFeishu, "tk_guest", "ou_guest"); got.User != want {
		t.Fatalf("user = %s, want %s", got.User, want)
	}
	if _, ok := got.Names[bot.NewUserID(bot.PlatformFeishu, "tk_guest", "ou_b")]; !ok {
		t.Fatalf("the platform's mention is not marked: %v", got.Names)
	}
}
