package feishu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
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

const (
	testToken      = "rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV"
	testEncryptKey = "test key"
	testBotOpenID  = "ou_bot00000000000000000000000000000"
	testTenant     = "2ca1d211f64f6438"
	testUserOpenID = "ou_84aad35d084aa403a838cf73ee18467"
)

var testNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// apiCall is one request the adapter made to the fake Feishu.
type apiCall struct {
	Method string
	Path   string
	Query  map[string]string
	Body   map[string]any
}

// fakeFeishu serves the open-platform endpoints the adapter calls, in
// Feishu's wire format, and records what it was sent.
type fakeFeishu struct {
	t   *testing.T
	srv *httptest.Server

	mu    sync.Mutex
	calls []apiCall
	sent  int
	// rateLimit is how many message sends to refuse with 429 before accepting.
	rateLimit int
	// wsEndpoint answers POST /callback/ws/endpoint (the long connection's bootstrap).
	wsEndpoint string
	// tokenCode, when not 0, refuses the tenant_access_token request.
	tokenCode int
}

func newFakeFeishu(t *testing.T) *fakeFeishu {
	f := &fakeFeishu{t: t}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

var messagePath = regexp.MustCompile(`^/open-apis/im/v1/messages/([^/]+)/(reply|reactions)$`)

func (f *fakeFeishu) serve(w http.ResponseWriter, r *http.Request) {
	call := apiCall{Method: r.Method, Path: r.URL.Path, Query: map[string]string{}}
	for k := range r.URL.Query() {
		call.Query[k] = r.URL.Query().Get(k)
	}
	raw, _ := io.ReadAll(r.Body)
	if ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		call.Body = map[string]any{}
		mr := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			call.Body[p.FormName()] = string(b)
		}
	} else if len(raw) > 0 {
		_ = json.Unmarshal(raw, &call.Body)
	}
	if r.URL.Path != "/open-apis/auth/v3/tenant_access_token/internal" && r.URL.Path != "/callback/ws/endpoint" &&
		r.Header.Get("Authorization") != "Bearer t-g1044ghJRUIJJ5ELPBSAVEOBPXDNZ5YXZKQVEOFT" {
		f.t.Errorf("%s %s without the tenant access token", r.Method, r.URL.Path)
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch m := messagePath.FindStringSubmatch(r.URL.Path); {
	case r.URL.Path == "/open-apis/auth/v3/tenant_access_token/internal":
		if f.tokenCode != 0 {
			fmt.Fprintf(w, `{"code":%d,"msg":"app secret invalid"}`, f.tokenCode)
			return
		}
		fmt.Fprint(w, `{"code":0,"msg":"ok","tenant_access_token":"t-g1044ghJRUIJJ5ELPBSAVEOBPXDNZ5YXZKQVEOFT","expire":7200}`)
	case r.URL.Path == "/open-apis/bot/v3/info":
		fmt.Fprintf(w, `{"code":0,"msg":"ok","bot":{"activate_status":2,"app_name":"Pulse","avatar_url":"https://example.invalid/a.png","ip_white_list":[],"open_id":%q}}`, testBotOpenID)
	case r.URL.Path == "/open-apis/im/v1/messages" || (m != nil && m[2] == "reply"):
		f.mu.Lock()
		if f.rateLimit > 0 {
			f.rateLimit--
			f.mu.Unlock()
			w.Header().Set("x-ogw-ratelimit-limit", "50")
			w.Header().Set("x-ogw-ratelimit-reset", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"code":99991400,"msg":"request trigger frequency limit"}`)
			return
		}
		f.sent++
		n := f.sent
		f.mu.Unlock()
		chat := call.Query["receive_id"]
		if id, _ := call.Body["receive_id"].(string); strings.HasPrefix(id, "oc_") {
			chat = id
		}
		if chat == "" {
			chat = "oc_p2p_with_person"
		}
		fmt.Fprintf(w, `{"code":0,"msg":"success","data":{"message_id":"om_sent_%d","root_id":"","parent_id":"","msg_type":"interactive","create_time":"1615380573411","update_time":"1615380573411","deleted":false,"updated":false,"chat_id":%q,"sender":{"id":"cli_9f427eec54ae901b","id_type":"app_id","sender_type":"app","tenant_key":%q},"body":{"content":"{}"},"mentions":[],"upper_message_id":""}}`, n, chat, testTenant)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/open-apis/im/v1/messages/"):
		fmt.Fprint(w, `{"code":0,"msg":"success","data":{}}`)
	case m != nil && m[2] == "reactions":
		fmt.Fprintf(w, `{"code":0,"msg":"success","data":{"reaction_id":"ZCaCIjUBVVWSrm5L-3ZTw*************sNa8dHVplEzzSfJVUVLMLcS_","operator":{"operator_id":"cli_9f427eec54ae901b","operator_type":"app"},"action_time":"1663054162546","reaction_type":{"emoji_type":%q}}}`, emojiOf(call))
	case strings.HasPrefix(r.URL.Path, "/open-apis/contact/v3/users/"):
		fmt.Fprint(w, `{"code":0,"msg":"success","data":{"user":{"open_id":"`+strings.TrimPrefix(r.URL.Path, "/open-apis/contact/v3/users/")+`","name":"张三","en_name":"San Zhang","time_zone":"Asia/Shanghai","status":{"is_activated":true}}}}`)
	case r.URL.Path == "/open-apis/im/v1/images":
		fmt.Fprint(w, `{"code":0,"msg":"success","data":{"image_key":"img_v2_041b28e3-5680-48c2-9af2-497ace79333g"}}`)
	case r.URL.Path == "/open-apis/im/v1/files":
		fmt.Fprint(w, `{"code":0,"msg":"success","data":{"file_key":"file_456a92d6-c6ea-4de4-ac3f-7afcf44ac78g"}}`)
	case r.URL.Path == "/callback/ws/endpoint":
		fmt.Fprint(w, f.wsEndpoint)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"code":404,"msg":"not found"}`)
	}
}

func emojiOf(c apiCall) string {
	rt, _ := c.Body["reaction_type"].(map[string]any)
	s, _ := rt["emoji_type"].(string)
	return s
}

// callsTo returns the recorded calls whose path matches.
func (f *fakeFeishu) callsTo(path string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Path == path || (strings.HasSuffix(path, "/") && strings.HasPrefix(c.Path, path)) {
			out = append(out, c)
		}
	}
	return out
}

// sends returns the message sends and replies, in order.
func (f *fakeFeishu) sends() []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Path == "/open-apis/im/v1/messages" || strings.HasSuffix(c.Path, "/reply") {
			out = append(out, c)
		}
	}
	return out
}

// cardOf decodes the card a send carried.
func cardOf(t *testing.T, c apiCall) map[string]any {
	t.Helper()
	if c.Body["msg_type"] != "interactive" {
		t.Fatalf("msg_type = %v, want interactive", c.Body["msg_type"])
	}
	var card map[string]any
	if err := json.Unmarshal([]byte(c.Body["content"].(string)), &card); err != nil {
		t.Fatalf("content is not a card: %v", err)
	}
	return card
}

// handlerFunc is a test double for the core.
type handlerFunc func(ctx context.Context, ev bot.Event) (bot.Response, error)

func (h handlerFunc) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	return h(ctx, ev)
}

// testAdapter builds an adapter on the fake, real Redis and a manual clock.
// Each test gets its own app id: the SDK's token cache is process-wide.
func testAdapter(t *testing.T, f *fakeFeishu, h bot.Handler, mode string) (*Adapter, *bot.ManualClock) {
	t.Helper()
	return testAdapterLogged(t, f, h, mode, nil)
}

// testAdapterLogged is testAdapter whose log lines, down to debug, also go to logs.
func testAdapterLogged(t *testing.T, f *fakeFeishu, h bot.Handler, mode string, logs *bottest.LogBuffer) (*Adapter, *bot.ManualClock) {
	t.Helper()
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	switch {
	case mode == ModeWS:
		// The SDK's long-connection client outlives the test and may log
		// after it, when the test's writer may no longer be used.
		if logs == nil {
			logs = &bottest.LogBuffer{}
		}
		log = zerolog.New(logs).Level(zerolog.DebugLevel)
	case logs != nil:
		log = zerolog.New(zerolog.MultiLevelWriter(zerolog.NewTestWriter(t), logs)).Level(zerolog.DebugLevel)
	}
	s := storetest.MustOpen(t)
	inbox := storetest.NewInbox(s)
	clock := bot.NewManualClock(testNow)
	a, err := New(Config{
		AppID:             "cli_" + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()),
		AppSecret:         "secret",
		Mode:              mode,
		VerificationToken: testToken,
		EncryptKey:        testEncryptKey,
		BaseURL:           f.srv.URL,
		Handler:           h,
		Inbox:             inbox,
		Dedup:             s,
		Cache:             s,
		Clock:             clock,
		Log:               log,
	})
	if err != nil {
		t.Fatal(err)
	}
	a.wait = func(context.Context, time.Duration) error {
		t.Fatal("unexpected rate-limit wait")
		return nil
	}
	inbox.Start(t, map[bot.Platform]bot.InboxProcessor{bot.PlatformFeishu: a})
	inboxes.Store(a, inbox)
	return a, clock
}

// inboxes finds each test adapter's inbox, for settle.
var inboxes sync.Map

// settle waits until the inbox workers finished every push queued so far.
func settle(a *Adapter) {
	in, _ := inboxes.Load(a)
	in.(*storetest.Inbox).Settle()
}

// payload loads a testdata event and applies edits ("event.message.content" → value).
func payload(t *testing.T, name string, edits map[string]any) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for path, v := range edits {
		parts := strings.Split(path, ".")
		m := doc
		for _, p := range parts[:len(parts)-1] {
			m = m[p].(map[string]any)
		}
		m[parts[len(parts)-1]] = v
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// push is one webhook request as Feishu would send it.
type push struct {
	body      []byte
	timestamp time.Time
	signature string // overrides the computed one when set
	path      string
}

// signedPush encrypts plain and signs it at ts.
func signedPush(t testing.TB, plain []byte, ts time.Time) push {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"encrypt": bottest.SealFeishu(testEncryptKey, plain)})
	return push{body: body, timestamp: ts, path: "/feishu/events"}
}

func (p push) send(t *testing.T, a *Adapter) *httptest.ResponseRecorder {
	t.Helper()
	mux := http.NewServeMux()
	a.Routes(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, p.request())
	return rec
}

// request builds the HTTP request, signed when p has a timestamp.
func (p push) request() *http.Request {
	path := p.path
	if path == "" {
		path = "/feishu/events"
	}
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(p.body))
	req.Header.Set("Content-Type", "application/json")
	if !p.timestamp.IsZero() {
		ts := strconv.FormatInt(p.timestamp.Unix(), 10)
		nonce := "d3b6f1a2c4e5"
		sig := bottest.SignFeishu(ts, nonce, testEncryptKey, p.body)
		if p.signature != "" {
			sig = p.signature
		}
		req.Header.Set("X-Lark-Request-Timestamp", ts)
		req.Header.Set("X-Lark-Request-Nonce", nonce)
		req.Header.Set("X-Lark-Signature", sig)
	}
	return req
}

// jsonBody decodes a response body.
func jsonBody(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
	return m
}

// findText reports whether any string inside v contains want.
func findText(v any, want string) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, want)
	case map[string]any:
		for _, e := range x {
			if findText(e, want) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if findText(e, want) {
				return true
			}
		}
	}
	return false
}
