package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

// Fixed identities of the fake workspace.
const (
	testSecret  = "8f742231b10e8888abcd99yyyzzz85a5"
	testTeam    = "T061EG9R6"
	testBotUser = "UBOT"
	testBotID   = "BBOT"
)

// apiCall is one Web API request the fake received.
type apiCall struct {
	Method string
	Form   url.Values
	JSON   map[string]any
	// Body is the raw request body (the file upload's bytes).
	Body []byte
}

// fakeSlack is an httptest server speaking the Web API wire format:
// form-encoded or JSON requests in, {"ok":true,…} out. Response URLs and the
// file upload URL are served by it too.
type fakeSlack struct {
	t   testing.TB
	srv *httptest.Server

	mu    sync.Mutex
	calls []apiCall
	ts    int
	// users answers users.info by user id.
	users map[string]map[string]any
	// limited makes the next n calls of a method answer 429 with Retry-After.
	limited map[string]int
	// override answers a method with a fixed body.
	override map[string]string
	notify   chan apiCall
	// sockets hands the test each Socket Mode connection the adapter opens.
	sockets chan *websocket.Conn
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{t: t, users: map[string]map[string]any{}, limited: map[string]int{}, override: map[string]string{},
		notify: make(chan apiCall, 1024), sockets: make(chan *websocket.Conn, 1)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) apiURL() string { return f.srv.URL + "/api/" }

func (f *fakeSlack) addUser(id, name, tz, locale string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = map[string]any{
		"id": id, "team_id": testTeam, "name": strings.ToLower(name), "real_name": name, "tz": tz, "locale": locale,
		"profile": map[string]any{"display_name": name, "real_name": name},
	}
}

// addOrgUser answers users.info for a member of Grid organisation org whose
// own workspace is team, the way Slack does (enterprise_user).
func (f *fakeSlack) addOrgUser(id, team, org string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = map[string]any{
		"id": id, "team_id": team, "name": strings.ToLower(id), "real_name": id, "tz": "UTC", "locale": "en-US",
		"profile":         map[string]any{"display_name": id, "real_name": id},
		"enterprise_user": map[string]any{"id": id, "enterprise_id": org, "enterprise_name": "Org", "teams": []string{team}},
	}
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/socket" {
		f.acceptSocket(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	call := apiCall{Method: method, Body: body}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &call.JSON)
	} else {
		call.Form, _ = url.ParseQuery(string(body))
	}
	f.mu.Lock()
	if f.limited[method] > 0 {
		f.limited[method]--
		f.calls = append(f.calls, apiCall{Method: method + "#429"})
		f.mu.Unlock()
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	f.calls = append(f.calls, call)
	f.ts++
	ts := fmt.Sprintf("1700000000.%06d", f.ts)
	override, hasOverride := f.override[method]
	f.mu.Unlock()
	select {
	case f.notify <- call:
	default:
	}
	w.Header().Set("Content-Type", "application/json")
	if hasOverride {
		_, _ = io.WriteString(w, override)
		return
	}
	var resp any
	switch {
	case method == "auth.test":
		resp = map[string]any{"ok": true, "url": "https://example.slack.com/", "team": "Example", "user": "pulse",
			"team_id": testTeam, "user_id": testBotUser, "bot_id": testBotID}
	case method == "apps.connections.open":
		resp = map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/socket"}
	case method == "users.info":
		f.mu.Lock()
		u, ok := f.users[call.Form.Get("user")]
		f.mu.Unlock()
		if !ok {
			resp = map[string]any{"ok": false, "error": "user_not_found"}
		} else {
			resp = map[string]any{"ok": true, "user": u}
		}
	case method == "chat.postMessage":
		resp = map[string]any{"ok": true, "channel": call.Form.Get("channel"), "ts": ts}
	case method == "chat.postEphemeral":
		resp = map[string]any{"ok": true, "message_ts": ts}
	case method == "conversations.open":
		resp = map[string]any{"ok": true, "channel": map[string]any{"id": "D" + call.Form.Get("users")}}
	case method == "views.open" || method == "views.publish":
		resp = map[string]any{"ok": true, "view": map[string]any{"id": "V" + strconv.Itoa(f.ts)}}
	case method == "files.getUploadURLExternal":
		resp = map[string]any{"ok": true, "upload_url": f.srv.URL + "/upload/F1", "file_id": "F1"}
	case method == "files.completeUploadExternal":
		resp = map[string]any{"ok": true, "files": []map[string]any{{"id": "F1", "title": "chart.png"}}}
	case strings.HasPrefix(r.URL.Path, "/upload/"):
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(body)))
		return
	default:
		resp = map[string]any{"ok": true}
	}
	_ = json.NewEncoder(w).Encode(resp)
}

// callsTo returns the calls of one method, in order.
func (f *fakeSlack) callsTo(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// methods lists every call's method except lookups, in order.
func (f *fakeSlack) methods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if c.Method != "users.info" && c.Method != "auth.test" {
			out = append(out, c.Method)
		}
	}
	return out
}

// waitFor blocks until a call of method arrives (or fails the test after 5 s).
func (f *fakeSlack) waitFor(method string) apiCall {
	f.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		if calls := f.callsTo(method); len(calls) > 0 {
			return calls[len(calls)-1]
		}
		select {
		case <-f.notify:
		case <-timeout:
			f.t.Fatalf("no %s call; saw %v", method, f.methods())
			return apiCall{}
		}
	}
}

// blocksOf decodes the blocks a form-encoded call carried.
func blocksOf(t testing.TB, c apiCall) []map[string]any {
	t.Helper()
	var blocks []map[string]any
	raw := c.Form.Get("blocks")
	if raw == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		t.Fatalf("blocks of %s: %v", c.Method, err)
	}
	return blocks
}

// harness is an adapter wired to the fake Slack, real Redis and a manual clock.
type harness struct {
	t     testing.TB
	a     *Adapter
	slack *fakeSlack
	http  *httptest.Server
	clock *bot.ManualClock
	store *store.Store
	inbox *storetest.Inbox
	// socket, when set, is the Socket Mode connection every delivery goes
	// through instead of the HTTP endpoints.
	socket    *websocket.Conn
	envelopes int
	// waits records every rate-limit wait the adapter asked for.
	mu    sync.Mutex
	waits []time.Duration
}

var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func newHarness(t testing.TB, h bot.Handler) *harness {
	t.Helper()
	return buildHarness(t, h, true)
}

// buildHarness is newHarness; with workers false nothing takes the queued
// entries, so a test can play the inbox workers itself.
func buildHarness(t testing.TB, h bot.Handler, workers bool) *harness {
	t.Helper()
	return buildHarnessOver(t, h, workers, false)
}

// buildHarnessOver is buildHarness; with socket set the adapter runs in
// Socket Mode (it has an app token) and every post goes as an envelope.
func buildHarnessOver(t testing.TB, h bot.Handler, workers, socket bool) *harness {
	t.Helper()
	st := storetest.MustOpen(t)
	fs := newFakeSlack(t)
	fs.addUser("U2147483697", "Steve", "Europe/Berlin", "en-US")
	fs.addUser("U061F7AUR", "李雷", "Asia/Shanghai", "zh-CN")
	clock := bot.NewManualClock(testNow)
	hs := &harness{t: t, slack: fs, clock: clock, store: st}
	hs.inbox = storetest.NewInbox(st)
	appToken := ""
	if socket {
		appToken = "xapp-test"
	}
	a, err := New(Config{BotToken: "xoxb-test", SigningSecret: testSecret, AppToken: appToken, APIURL: fs.apiURL(),
		Handler: h, Inbox: hs.inbox, Cache: st, Clock: clock, Log: zerolog.Nop()})
	if err != nil {
		t.Fatalf("new adapter: %v", err)
	}
	hs.a = a
	a.wait = func(ctx context.Context, d time.Duration) error {
		hs.mu.Lock()
		hs.waits = append(hs.waits, d)
		hs.mu.Unlock()
		return nil
	}
	if socket {
		hs.socket = runSocketMode(t, a, fs)
	} else if err := a.authenticate(context.Background()); err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	if workers {
		hs.inbox.Start(t, map[bot.Platform]bot.InboxProcessor{bot.PlatformSlack: a})
	}
	mux := http.NewServeMux()
	a.Routes(mux)
	hs.http = httptest.NewServer(mux)
	t.Cleanup(func() {
		hs.http.Close()
		a.inflight.Wait()
	})
	return hs
}

// post sends a signed request with the given timestamp; over a socket
// harness, the same payload as Socket Mode envelope.
func (h *harness) postAt(path, contentType string, body []byte, ts time.Time) *http.Response {
	h.t.Helper()
	if h.socket != nil {
		return h.overSocket(path, body)
	}
	req, err := http.NewRequest(http.MethodPost, h.http.URL+path, strings.NewReader(string(body)))
	if err != nil {
		h.t.Fatal(err)
	}
	stamp := strconv.FormatInt(ts.Unix(), 10)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", "v0="+fmt.Sprintf("%x", sign(testSecret, stamp, body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (h *harness) postEvent(body []byte) *http.Response {
	return h.postAt("/slack/events", "application/json", body, h.clock.Now())
}

func (h *harness) postForm(path string, form url.Values) *http.Response {
	return h.postAt(path, "application/x-www-form-urlencoded", []byte(form.Encode()), h.clock.Now())
}

// settle waits until the workers finished every queued entry and the
// follow-up work after them.
func (h *harness) settle() {
	h.inbox.Settle()
	h.a.inflight.Wait()
}

func readBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// loadJSON reads a documented sample and lets the test change fields.
func loadJSON(t testing.TB, name string, edit func(m map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if edit != nil {
		edit(m)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// eventOf returns the inner event of an Events API sample for editing.
func eventOf(m map[string]any) map[string]any { return m["event"].(map[string]any) }

// commandForm reads the documented slash command body and sets command and text.
func commandForm(t testing.TB, h *harness, command, text string) url.Values {
	t.Helper()
	raw, err := os.ReadFile("testdata/command.form")
	if err != nil {
		t.Fatal(err)
	}
	form, err := url.ParseQuery(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	form.Set("team_id", testTeam)
	form.Set("command", command)
	form.Set("text", text)
	form.Set("response_url", h.slack.srv.URL+"/api/response/"+strings.TrimPrefix(command, "/"))
	form.Set("trigger_id", "trig-"+strings.TrimPrefix(command, "/")+"-"+strconv.Itoa(len(text)))
	return form
}

func textReply(s string) bot.Message { return bot.Message{Blocks: []bot.Block{bot.Text{Text: s}}} }

// newLoopback serves h on loopback for the test's lifetime and returns its URL.
func newLoopback(t testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
