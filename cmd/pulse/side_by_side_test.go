package main

// One `pulse serve` runs Slack and Feishu side by side against one Redis
// (issue 4): the test starts a single whole program with both platforms
// configured, each talking to a fake that speaks its wire format, delivers
// one signed Slack event and one encrypted, signed Feishu push, and checks
// that both were answered on their own platform and stored in one Redis.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

const (
	sbsFeishuToken   = "sbs-verification-token"
	sbsFeishuKey     = "sbs encrypt key"
	sbsFeishuTenant  = "2ca1d211f64f6438"
	sbsFeishuUser    = "ou_84aad35d084aa403a838cf73ee18467"
	sbsFeishuChat    = "oc_5ce6d572455d361153b7xx51da133945"
	sbsFeishuChannel = "oc_a0553eda9014c201e6969b478895c230"
)

// sbsAppSeq makes each run's Feishu app id unique: the SDK caches tokens per app id process-wide.
var sbsAppSeq atomic.Int64

// sbsFeishuSend is one im/v1/messages send the fake Feishu received.
type sbsFeishuSend struct {
	ReceiveID, MsgType, Content string
}

// sbsFeishu is a fake Feishu open platform serving what the adapter calls.
type sbsFeishu struct {
	srv   *httptest.Server
	mu    sync.Mutex
	sends []sbsFeishuSend
}

func newSBSFeishu(t *testing.T) *sbsFeishu {
	f := &sbsFeishu{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *sbsFeishu) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/open-apis/auth/v3/tenant_access_token/internal":
		fmt.Fprint(w, `{"code":0,"msg":"ok","tenant_access_token":"t-x","expire":7200}`)
	case r.Method == http.MethodGet && r.URL.Path == "/open-apis/bot/v3/info":
		fmt.Fprint(w, `{"code":0,"msg":"ok","bot":{"activate_status":2,"app_name":"Pulse","open_id":"ou_bot"}}`)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/open-apis/contact/v3/users/"):
		id := strings.TrimPrefix(r.URL.Path, "/open-apis/contact/v3/users/")
		fmt.Fprintf(w, `{"code":0,"msg":"success","data":{"user":{"open_id":%q,"name":"李雷","time_zone":"Asia/Shanghai","status":{"is_activated":true}}}}`, id)
	case r.Method == http.MethodPost && (r.URL.Path == "/open-apis/im/v1/messages" || strings.HasSuffix(r.URL.Path, "/reply")):
		var body struct {
			ReceiveID string `json:"receive_id"`
			MsgType   string `json:"msg_type"`
			Content   string `json:"content"`
		}
		_ = json.Unmarshal(raw, &body)
		f.mu.Lock()
		f.sends = append(f.sends, sbsFeishuSend{ReceiveID: body.ReceiveID, MsgType: body.MsgType, Content: body.Content})
		n := len(f.sends)
		f.mu.Unlock()
		fmt.Fprintf(w, `{"code":0,"msg":"success","data":{"message_id":"om_%d","chat_id":%q,"msg_type":%q,"body":{"content":"{}"}}}`,
			n, sbsFeishuChat, body.MsgType)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"code":404,"msg":"not found"}`)
	}
}

func (f *sbsFeishu) sent() []sbsFeishuSend {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sbsFeishuSend(nil), f.sends...)
}

// feishuTextEvent is an im.message.receive_v1 push: a direct text message from the user to the bot.
func feishuTextEvent(t *testing.T, appID, eventID, text string) []byte {
	t.Helper()
	content, _ := json.Marshal(map[string]string{"text": text})
	ev := map[string]any{
		"schema": "2.0",
		"header": map[string]any{
			"event_id": eventID, "event_type": "im.message.receive_v1", "create_time": strconv.FormatInt(time.Now().UnixMilli(), 10),
			"token": sbsFeishuToken, "app_id": appID, "tenant_key": sbsFeishuTenant,
		},
		"event": map[string]any{
			"sender": map[string]any{
				"sender_id":   map[string]any{"union_id": "on_8ed6aa67826108097d9ee143816345", "user_id": "e33ggbyz", "open_id": sbsFeishuUser},
				"sender_type": "user", "tenant_key": sbsFeishuTenant,
			},
			"message": map[string]any{
				"message_id": "om_" + eventID, "root_id": "", "parent_id": "",
				"create_time": strconv.FormatInt(time.Now().UnixMilli(), 10), "update_time": strconv.FormatInt(time.Now().UnixMilli(), 10),
				"chat_id": sbsFeishuChat, "thread_id": "", "chat_type": "p2p", "message_type": "text",
				"content": string(content), "mentions": []any{},
				"user_agent": "Mozilla/5.0 Lark/6.7.5 LarkLocale/zh_CN ttnet SDK-Version/6.7.8",
			},
		},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestServeRunsSlackAndFeishuSideBySide(t *testing.T) {
	slack := newWireSlack(t)
	feishu := newSBSFeishu(t)
	env, st := replicaEnv(t, slack.url())
	feishuUser := bot.NewUserID(bot.PlatformFeishu, sbsFeishuTenant, sbsFeishuUser)
	teams := fmt.Sprintf(`teams:
  - name: Growth
    platform: slack
    channel: C0123
    members: [slack:T1:U1]
  - name: Launch
    platform: feishu
    channel: %s
    members: [%s]
`, sbsFeishuChannel, feishuUser)
	appID := fmt.Sprintf("cli_sbs_%d_%d", time.Now().UnixNano(), sbsAppSeq.Add(1))
	env["PULSE_CONFIG"] = writeFile(t, "teams.yaml", teams)
	env["FEISHU_MODE"] = "webhook"
	env["FEISHU_APP_ID"] = appID
	env["FEISHU_APP_SECRET"] = "sbs-secret"
	env["FEISHU_VERIFICATION_TOKEN"] = sbsFeishuToken
	env["FEISHU_ENCRYPT_KEY"] = sbsFeishuKey
	env["FEISHU_BASE_URL"] = feishu.srv.URL

	// One process; startReplica waits for /readyz = 200, which needs Redis,
	// Slack and Feishu (its bot info fetched) all ready.
	p := startReplica(t, env)
	if code := p.get(t, "/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d, want 200", code)
	}
	ctx := context.Background()

	// Slack: a direct message creates G1 in team growth and is answered in the DM.
	body := slackEvent("Ev0SBSGOAL1", "U1", "/goal new Ship it from 0 to 10 orders by 2026-12-31", "1700000200.000100")
	if code := postSigned(p.base, body, 0); code != http.StatusOK {
		t.Fatalf("Slack delivery answered %d, want 200", code)
	}
	slackReply := func() bool {
		for _, post := range slack.postsTo("DU1") {
			if strings.Contains(post.Text+post.Blocks, "New goal G1") {
				return true
			}
		}
		return false
	}
	eventually(t, 10*time.Second, "the Slack reply naming the new goal", slackReply)

	// Feishu: an encrypted, signed p2p text creates G2 in team launch and is answered in the chat.
	push := feishuTextEvent(t, appID, fmt.Sprintf("sbs%d", time.Now().UnixNano()), "目标 新建 上线 从 0 到 10 单 截止 2026-12-31")
	if code := postFeishu(t, p.base, push); code != http.StatusOK {
		t.Fatalf("Feishu push answered %d, want 200\n%s", code, p.stderr.String())
	}
	feishuReply := func() bool {
		for _, s := range feishu.sent() {
			if strings.Contains(s.Content, "新目标") {
				return true
			}
		}
		return false
	}
	eventually(t, 10*time.Second, "the Feishu reply naming the new goal", feishuReply)

	p.stop(t) // graceful: in-flight work is finished, nothing more arrives

	slackGoals, err := st.TeamGoals(ctx, "growth")
	if err != nil {
		t.Fatal(err)
	}
	if len(slackGoals) != 1 || slackGoals[0].ID != "G1" || slackGoals[0].Title != "Ship it" || slackGoals[0].Owner != "slack:T1:U1" {
		t.Errorf("team growth goals = %+v, want G1 \"Ship it\" owned by slack:T1:U1", slackGoals)
	}
	feishuGoals, err := st.TeamGoals(ctx, "launch")
	if err != nil {
		t.Fatal(err)
	}
	if len(feishuGoals) != 1 || feishuGoals[0].ID != "G2" || feishuGoals[0].Title != "上线" || feishuGoals[0].Owner != feishuUser {
		t.Errorf("team launch goals = %+v, want G2 \"上线\" owned by %s", feishuGoals, feishuUser)
	}
	for _, s := range feishu.sent() {
		if strings.Contains(s.Content, "新目标") && s.ReceiveID != sbsFeishuChat {
			t.Errorf("Feishu reply went to %q, want the direct chat %q", s.ReceiveID, sbsFeishuChat)
		}
	}
	slack.mu.Lock()
	for _, post := range slack.posts {
		if strings.Contains(post.Text+post.Blocks, "新目标") {
			t.Errorf("a Feishu reply reached Slack: %+v", post)
		}
	}
	slack.mu.Unlock()
	logs := p.stderr.String()
	if n := strings.Count(logs, `"message":"event handled"`); n != 2 {
		t.Errorf("%d event-handled log lines, want 2 (one per platform):\n%s", n, logs)
	}
	assertContains(t, logs, `"platform":"slack"`, `"platform":"feishu"`, "shutting down")
}
