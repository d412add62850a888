package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/api"
	"github.com/pulse-bot/pulse/bot/bottest"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

var (
	maya  = bot.NewUserID(bot.PlatformConsole, "demo", "maya")  // manages growth
	alice = bot.NewUserID(bot.PlatformConsole, "demo", "alice") // member of growth
	omar  = bot.NewUserID(bot.PlatformConsole, "demo", "omar")  // manages ops
)

// start is Monday 2026-11-23 09:00 UTC.
var start = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

type harness struct {
	t     testing.TB
	svc   *bot.Service
	store *store.Store
	clock *bot.ManualClock
	out   *bottest.Messenger
	srv   *httptest.Server
	n     int
	calls atomic.Int64
	done  sync.Map // X-Test-Call → closed when its handler returned
}

// newHarness serves the API on real Redis with teams growth (maya
// manages, alice is a member) and ops (omar manages), at most limit calls
// per token a minute.
func newHarness(t testing.TB, limit int) *harness {
	t.Helper()
	st := storetest.MustOpen(t)
	h := &harness{t: t, store: st, clock: bot.NewManualClock(start), out: &bottest.Messenger{}}
	svc, err := bot.NewService(bot.Config{Store: st, Messenger: h.out, Clock: h.clock, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	h.svc = svc
	for _, team := range []struct {
		name    string
		manager bot.UserID
		members []bot.UserID
	}{{"growth", maya, []bot.UserID{alice}}, {"ops", omar, nil}} {
		tm := bot.NewTeam(team.name, bot.PlatformConsole, team.name+"-channel", start)
		tm.Managers, tm.Members = []bot.UserID{team.manager}, team.members
		if err := svc.ApplyTeam(context.Background(), tm); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []bot.UserID{maya, alice, omar} {
		if err := st.SavePerson(context.Background(), bot.Person{ID: id, Name: id.Local()}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := api.New(api.Config{Service: svc, Limiter: st, Clock: h.clock, Log: zerolog.Nop(), RateLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a.Routes(mux)
	// The handler posts in chat after the caller has its answer; call
	// waits for the handler to return, so a test sees that post.
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done, _ := h.done.LoadOrStore(r.Header.Get("X-Test-Call"), make(chan struct{}))
		defer close(done.(chan struct{}))
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// say sends a command in a direct chat and returns the reply as text.
func (h *harness) say(user bot.UserID, text string) string {
	h.t.Helper()
	return h.sayIn(user, text, true)
}

func (h *harness) sayIn(user bot.UserID, text string, direct bool) string {
	h.t.Helper()
	h.n++
	resp, err := h.svc.Handle(context.Background(), bot.Event{Key: fmt.Sprintf("test:%d", h.n), Kind: bot.KindCommand,
		Platform: bot.PlatformConsole, User: user, Direct: direct, Channel: "growth-channel", Text: text})
	if err != nil {
		h.t.Fatalf("%s: %v", text, err)
	}
	return bot.PlainText(resp.Reply)
}

var tokenPattern = regexp.MustCompile(`pulse_[a-z0-9]{16}_[A-Za-z0-9_-]{43}`)

// token makes a token with chat and returns it.
func (h *harness) token(by bot.UserID, team, name string) string {
	h.t.Helper()
	reply := h.say(by, "/pulse token create "+team+" "+name)
	tok := tokenPattern.FindString(reply)
	if tok == "" {
		h.t.Fatalf("no token in %q", reply)
	}
	return tok
}

// goal creates a goal in chat and returns its id.
func (h *harness) goal(by bot.UserID, text string) string {
	h.t.Helper()
	reply := h.say(by, "/goal new "+text)
	id := regexp.MustCompile(`G\d+`).FindString(reply)
	if id == "" {
		h.t.Fatalf("no goal id in %q", reply)
	}
	return id
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (h *harness) call(method, path, token, key, body string, header ...string) answer {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	id := strconv.FormatInt(h.calls.Add(1), 10)
	req.Header.Set("X-Test-Call", id)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	done, _ := h.done.LoadOrStore(id, make(chan struct{}))
	<-done.(chan struct{})
	a := answer{status: resp.StatusCode, header: resp.Header}
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &a.body); err != nil {
			h.t.Fatalf("%s %s: body %q is not JSON: %v", method, path, data, err)
		}
	}
	return a
}

func (h *harness) updates(goalID string) []bot.Update {
	h.t.Helper()
	ups, err := h.store.GoalUpdates(context.Background(), goalID, time.Time{}, h.clock.Now().Add(time.Hour))
	if err != nil {
		h.t.Fatal(err)
	}
	return ups
}

// wantProblem checks an RFC 9457 answer carrying the catalogue's sentence.
func (h *harness) wantProblem(a answer, status int, l bot.Locale, key string, data map[string]any) {
	h.t.Helper()
	if a.status != status {
		h.t.Fatalf("status %d, want %d (%v)", a.status, status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
		h.t.Fatalf("content type %q, want application/problem+json", ct)
	}
	want := h.svc.Catalog().T(l, key, data)
	if a.body["detail"] != want || a.body["status"] != float64(status) || a.body["key"] != key {
		h.t.Fatalf("problem %v, want detail %q key %s", a.body, want, key)
	}
}

func TestTokenScopesAnotherTeamsGoalRevokedAndWrongTokensAreRefused(t *testing.T) {
	h := newHarness(t, 100)
	g := h.goal(maya, "Raise checkout conversion from 2.1% to 3.2% by 2026-12-31 for team growth")
	opsGoal := h.goal(omar, "Cut refund rate from 5% to 3% by 2026-12-31 for team ops")
	tok := h.token(maya, "growth", "shop-analytics")

	a := h.call("POST", "/api/v1/goals/"+g+"/progress", tok, "k1", `{"value": 2.4}`)
	if a.status != http.StatusOK {
		t.Fatalf("own team's goal: %d %v", a.status, a.body)
	}
	h.wantProblem(h.call("POST", "/api/v1/goals/"+opsGoal+"/progress", tok, "k2", `{"value": 4}`),
		http.StatusForbidden, bot.English, "api_goal_other_team", map[string]any{"ID": opsGoal, "Team": "growth"})
	h.wantProblem(h.call("GET", "/api/v1/goals/"+opsGoal, tok, "", ""),
		http.StatusForbidden, bot.English, "api_goal_other_team", map[string]any{"ID": opsGoal, "Team": "growth"})
	h.wantProblem(h.call("GET", "/api/v1/teams/ops/goals", tok, "", ""),
		http.StatusForbidden, bot.English, "api_team_other", map[string]any{"Team": "ops", "Own": "growth"})
	if n := len(h.updates(opsGoal)); n != 0 {
		t.Fatalf("the other team's goal has %d updates", n)
	}

	// The same id with another secret: found by id, refused by the hash comparison.
	wrong := tok[:len("pulse_")+17] + strings.Repeat("A", 43)
	h.wantProblem(h.call("GET", "/api/v1/goals/"+g, wrong, "", ""), http.StatusUnauthorized, bot.English, "api_unauthorized", nil)
	for _, bad := range []string{"", "pulse_", "garbage", tok + "x", strings.ToUpper(tok)} {
		a := h.call("GET", "/api/v1/goals/"+g, bad, "", "")
		h.wantProblem(a, http.StatusUnauthorized, bot.English, "api_unauthorized", nil)
		if a.header.Get("WWW-Authenticate") == "" {
			t.Fatal("401 without WWW-Authenticate")
		}
	}

	if reply := h.say(alice, "/pulse token revoke growth shop-analytics"); !strings.Contains(reply, "manage") {
		t.Fatalf("a member revoked a token: %q", reply)
	}
	if reply := h.say(maya, "/pulse token revoke growth shop-analytics"); !strings.Contains(reply, "revoked") {
		t.Fatalf("revoke: %q", reply)
	}
	h.wantProblem(h.call("POST", "/api/v1/goals/"+g+"/progress", tok, "k3", `{"value": 2.5}`),
		http.StatusUnauthorized, bot.English, "api_unauthorized", nil)
	if n := len(h.updates(g)); n != 1 {
		t.Fatalf("%d updates, want the one made before the revoke", n)
	}
}

func TestTheSameIdempotencyKeyRecordsOnceEvenConcurrently(t *testing.T) {
	h := newHarness(t, 1000)
	g := h.goal(maya, "Raise checkout conversion from 2.1% to 3.2% by 2026-12-31 for team growth")
	tok := h.token(maya, "growth", "shop")

	first := h.call("POST", "/api/v1/goals/"+g+"/progress", tok, "order-42", `{"value": 2.6, "note": "new payment page"}`)
	again := h.call("POST", "/api/v1/goals/"+g+"/progress", tok, "order-42", `{"value": 2.6, "note": "new payment page"}`)
	if first.status != 200 || again.status != 200 || again.header.Get("Idempotent-Replayed") != "true" || first.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first %d %v, again %d %v", first.status, first.header, again.status, again.header)
	}
	if again.body["replayed"] != true || first.body["replayed"] != false {
		t.Fatalf("replayed flags: %v / %v", first.body["replayed"], again.body["replayed"])
	}
	if n := len(h.updates(g)); n != 1 {
		t.Fatalf("%d updates after the same key twice, want 1", n)
	}
	other := h.goal(maya, "Raise repeat purchases from 20% to 25% by 2026-12-31 for team growth")
	h.wantProblem(h.call("POST", "/api/v1/goals/"+other+"/progress", tok, "order-42", `{"value": 21}`),
		http.StatusConflict, bot.English, "api_key_reused", map[string]any{"ID": g})
	if n := len(h.updates(other)); n != 0 {
		t.Fatalf("a reused key recorded on another goal")
	}

	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Twenty racing retries of one key, each with another value:
			// exactly one lands, the rest replay it.
			a := h.call("POST", "/api/v1/goals/"+g+"/progress", tok, "race", fmt.Sprintf(`{"value": %d.5}`, i))
			if a.status != 200 {
				t.Errorf("racing call: %d %v", a.status, a.body)
			}
		}(i)
	}
	wg.Wait()
	if n := len(h.updates(g)); n != 2 {
		t.Fatalf("%d updates after 20 racing calls with one key, want 2 in all", n)
	}
	announced := 0
	for _, s := range h.out.Sent() {
		if s.To.Channel == "growth-channel" {
			announced++
		}
	}
	if announced != 2 {
		t.Fatalf("%d channel posts, want one per recorded update (2)", announced)
	}
}

func TestAFedUpdateAppearsInChatNamingItsSourceAndInHistory(t *testing.T) {
	h := newHarness(t, 100)
	g := h.goal(maya, "Raise checkout conversion from 2.1% to 3.2% by 2026-12-31 for team growth")
	tok := h.token(maya, "growth", "shop")
	a := h.call("POST", "/api/v1/goals/"+g+"/progress", tok, "k", `{"value": 2.6, "status": "on track", "note": "payday sale", "source": "shop-analytics"}`)
	if a.status != 200 {
		t.Fatalf("%d %v", a.status, a.body)
	}
	goal := a.body["goal"].(map[string]any)
	if goal["current"] != 2.6 || goal["stated"] != "on_track" || a.body["update"].(map[string]any)["source"] != "shop-analytics" || goal["last_source"] != "shop-analytics" {
		t.Fatalf("reply %v", a.body)
	}
	sent := h.out.Sent()
	if len(sent) == 0 {
		t.Fatal("nothing posted in chat")
	}
	post := sent[len(sent)-1]
	text := bot.PlainText(post.Msg)
	if post.To.Channel != "growth-channel" || !strings.Contains(text, "from shop-analytics") || !strings.Contains(text, "2.1% → 2.6%") || !strings.Contains(text, "payday sale") {
		t.Fatalf("channel post to %+v: %q", post.To, text)
	}
	show := h.say(alice, "/goal show "+g)
	if !strings.Contains(show, "(from shop-analytics)") || !strings.Contains(show, "2.1% → 2.6%") || !strings.Contains(show, "Latest value from shop-analytics") {
		t.Fatalf("history does not name the source: %q", show)
	}
	// A back-fill is recorded but not announced, and never goes behind the latest update.
	before := len(h.out.Sent())
	h.wantProblem(h.call("POST", "/api/v1/goals/"+g+"/progress", tok, "old", `{"value": 2.2, "at": "2026-11-20T00:00:00Z"}`),
		http.StatusConflict, bot.English, "api_at_before_latest", map[string]any{"ID": g, "At": "2026-11-20T00:00:00Z", "Latest": "2026-11-23T09:00:00Z"})
	h.clock.Advance(48 * time.Hour)
	if a := h.call("POST", "/api/v1/goals/"+g+"/progress", tok, "fill", `{"value": 2.7, "at": "2026-11-24T00:00:00Z"}`); a.status != 200 {
		t.Fatalf("back-fill: %d %v", a.status, a.body)
	}
	if len(h.out.Sent()) != before {
		t.Fatal("a back-fill was announced in chat")
	}
}

func TestErrorsAreProblemDetailsWithChatsSentenceInTheCallersLanguage(t *testing.T) {
	h := newHarness(t, 100)
	g := h.goal(maya, "Raise checkout conversion from 2.1% to 3.2% by 2026-12-31 for team growth")
	ms := h.goal(maya, "Ship the new checkout for team growth")
	tok := h.token(maya, "growth", "shop")
	post := func(id, key, body string, hdr ...string) answer {
		return h.call("POST", "/api/v1/goals/"+id+"/progress", tok, key, body, hdr...)
	}
	h.wantProblem(post("G99999", "a", `{"value": 1}`), 404, bot.English, "error_goal_unknown", map[string]any{"ID": "G99999"})
	h.wantProblem(post("G99999", "a", `{"value": 1}`, "Accept-Language", "zh-CN,zh;q=0.9"), 404, bot.Chinese, "error_goal_unknown", map[string]any{"ID": "G99999"})
	h.wantProblem(post(g, "", `{"value": 1}`), 400, bot.English, "api_key_missing", nil)
	h.wantProblem(post(g, "b", `{"value": "2.6%"}`), 400, bot.English, "api_body_invalid", nil)
	h.wantProblem(post(g, "b", `{"valu": 2.6}`), 400, bot.English, "api_body_invalid", nil)
	h.wantProblem(post(g, "b", `{"note": "x"}`), 400, bot.English, "api_value_missing", nil)
	h.wantProblem(post(g, "b", `{"value": 1, "status": "great"}`), 422, bot.English, "api_status_invalid", map[string]any{"Status": "great"})
	h.wantProblem(post(g, "b", `{"value": 1, "source": "../etc"}`), 422, bot.English, "api_source_invalid", map[string]any{"Source": "../etc"})
	h.wantProblem(post(g, "b", `{"value": 1, "at": "yesterday"}`), 400, bot.English, "api_at_invalid", nil)
	h.wantProblem(post(g, "b", `{"value": 1, "at": "2027-01-01T00:00:00Z"}`), 422, bot.English, "api_at_future", map[string]any{"At": "2027-01-01T00:00:00Z"})
	h.wantProblem(post(ms, "c", `{"value": 140}`), 422, bot.English, "error_milestone_range", nil)
	h.wantProblem(post(g, "d", `{"value": 1, "note": "`+strings.Repeat("x", 70<<10)+`"}`), 413, bot.English, "api_too_large", map[string]any{"Max": api.MaxBody})
	if reply := h.say(maya, "/goal done "+g); !strings.Contains(reply, g) {
		t.Fatalf("done: %q", reply)
	}
	h.wantProblem(post(g, "e", `{"value": 3}`), 409, bot.English, "error_goal_closed", map[string]any{"ID": g})
	if a := post(ms, "m1", `{"value": 40}`); a.status != 200 {
		t.Fatalf("milestone update: %d %v", a.status, a.body)
	}
	h.say(maya, "/goal done "+ms)
	// A retry after the goal closed answers as the first call did.
	if a := post(ms, "m1", `{"value": 40}`); a.status != 200 || a.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry after close: %d %v", a.status, a.body)
	}
	if n := len(h.updates(g)); n != 0 {
		t.Fatalf("refused calls recorded %d updates", n)
	}
	log, err := h.store.AuditLog(context.Background(), "growth", 50)
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, e := range log {
		if e.Action == "api.refused" && e.Actor == bot.NewUserID(bot.PlatformAPI, "growth", "shop") {
			refused++
		}
	}
	if refused != 13 {
		t.Fatalf("%d refused calls audited, want 13", refused)
	}
}

func TestReadsAreScopedAuditedAndRateLimitedPerToken(t *testing.T) {
	h := newHarness(t, 3)
	g := h.goal(maya, "Raise checkout conversion from 2.1% to 3.2% by 2026-12-31 for team growth")
	tok := h.token(maya, "growth", "shop")
	other := h.token(maya, "growth", "crm")
	a := h.call("GET", "/api/v1/goals/"+g, tok, "", "")
	if a.status != 200 || a.body["id"] != g || a.body["unit"] != "%" || a.body["target"] != 3.2 {
		t.Fatalf("goal: %d %v", a.status, a.body)
	}
	list := h.call("GET", "/api/v1/teams/growth/goals", tok, "", "")
	if list.status != 200 || len(list.body["goals"].([]any)) != 1 {
		t.Fatalf("team goals: %d %v", list.status, list.body)
	}
	h.call("GET", "/api/v1/goals/"+g, tok, "", "")
	limited := h.call("GET", "/api/v1/goals/"+g, tok, "", "")
	// Sliding window: the 3 calls made at 9:00 count as spread over their
	// minute, so one of them has left the last minute at 9:01:20.
	h.wantProblem(limited, http.StatusTooManyRequests, bot.English, "api_rate_limited", map[string]any{"Seconds": 80})
	if limited.header.Get("Retry-After") != "80" {
		t.Fatalf("Retry-After %q", limited.header.Get("Retry-After"))
	}
	if a := h.call("GET", "/api/v1/goals/"+g, other, "", ""); a.status != 200 {
		t.Fatalf("another token was limited too: %d", a.status)
	}
	h.clock.Advance(80 * time.Second)
	if a := h.call("GET", "/api/v1/goals/"+g, tok, "", ""); a.status != 200 {
		t.Fatalf("after the window: %d", a.status)
	}
	log, err := h.store.AuditLog(context.Background(), "growth", 50)
	if err != nil {
		t.Fatal(err)
	}
	reads := 0
	for _, e := range log {
		if e.Action == "api.read" {
			reads++
		}
	}
	if reads != 5 {
		t.Fatalf("%d reads audited, want 5", reads)
	}
}

func TestTokenCommandsInBothLanguagesAndTheSecretIsShownOnce(t *testing.T) {
	h := newHarness(t, 100)
	if reply := h.say(alice, "/pulse token create growth ci"); tokenPattern.MatchString(reply) || !strings.Contains(reply, "manage") {
		t.Fatalf("a member made a token: %q", reply)
	}
	if reply := h.say(omar, "/pulse token create growth ci"); tokenPattern.MatchString(reply) {
		t.Fatalf("another team's manager made a token: %q", reply)
	}
	// Typed in the channel, the token goes to the direct chat only.
	reply := h.sayIn(maya, "/pulse token create growth ci", false)
	if tokenPattern.MatchString(reply) {
		t.Fatalf("token shown in the channel: %q", reply)
	}
	dm := h.out.To(maya)
	if len(dm) != 1 || !tokenPattern.MatchString(bot.PlainText(dm[0].Msg)) {
		t.Fatalf("direct messages %v", dm)
	}
	if reply := h.say(maya, "/pulse 令牌 创建 growth 数据"); !strings.Contains(reply, "can't name a token") {
		t.Fatalf("bad name: %q", reply)
	}
	if reply := h.say(maya, "/pulse 令牌 创建 growth ci"); !strings.Contains(reply, "already has a token named ci") {
		t.Fatalf("taken name: %q", reply)
	}
	h.token(maya, "growth", "shop")
	list := h.say(maya, "/pulse 令牌 列表 growth")
	if !strings.Contains(list, "ci ·") || !strings.Contains(list, "shop ·") || tokenPattern.MatchString(list) {
		t.Fatalf("list: %q", list)
	}
	stored, err := h.store.TeamAPITokens(context.Background(), "growth")
	if err != nil || len(stored) != 2 {
		t.Fatalf("stored tokens %v %v", stored, err)
	}
	for _, s := range stored {
		if len(s.Hash) != 64 || strings.Contains(list, s.Hash) {
			t.Fatalf("stored %+v", s)
		}
	}
	if reply := h.say(maya, "/pulse 令牌 撤销 growth ci"); !strings.Contains(reply, "revoked") {
		t.Fatalf("revoke: %q", reply)
	}
	if reply := h.say(maya, "/pulse token revoke growth ci"); !strings.Contains(reply, "no token named ci") {
		t.Fatalf("second revoke: %q", reply)
	}
	if reply := h.say(maya, "/pulse token frobnicate"); !strings.Contains(reply, "/pulse token create") {
		t.Fatalf("usage: %q", reply)
	}
}

func TestOpenAPIDocumentIsServedAndDeployHasTheSameCopy(t *testing.T) {
	h := newHarness(t, 100)
	a := h.call("GET", "/api/v1/openapi.json", "", "", "")
	if a.status != 200 || a.body["openapi"] != "3.1.0" {
		t.Fatalf("openapi: %d %v", a.status, a.body)
	}
	paths := a.body["paths"].(map[string]any)
	for _, p := range []string{"/goals/{id}/progress", "/goals/{id}", "/teams/{team}/goals"} {
		if paths[p] == nil {
			t.Errorf("openapi.json lacks %s", p)
		}
	}
	deployed, err := os.ReadFile("../../deploy/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(deployed, api.OpenAPI) {
		t.Fatal("deploy/openapi.json differs from bot/api/openapi.json; copy it over")
	}
	h.wantProblem(h.call("GET", "/api/v1/nothing", "", "", ""), 404, bot.English, "api_not_found", nil)
}
