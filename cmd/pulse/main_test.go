package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/pulse-bot/pulse/bot/bottest"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

// runPulse runs the program with args, an environment and stdin, and
// returns what it wrote.
func runPulse(ctx context.Context, env map[string]string, stdin string, args ...string) (string, string, error) {
	var stdout, stderr bottest.LogBuffer
	getenv := func(k string) string { return env[k] }
	err := run(ctx, append([]string{"pulse"}, args...), getenv, strings.NewReader(stdin), &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

// redisEnv points the program at the test Redis under a fresh key prefix
// that is deleted when the test ends, and returns the store on that prefix.
func redisEnv(t *testing.T) (map[string]string, *store.Store) {
	t.Helper()
	st := storetest.MustOpen(t)
	return map[string]string{"REDIS_URL": storetest.URL(), "PULSE_REDIS_PREFIX": st.Key()}, st
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func assertContains(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestTryPipedSessionOnEmbeddedStore(t *testing.T) {
	script := strings.Join([]string{
		"/goal list team growth",
		"/kudos @bob thanks for the review #teamwork",
		"/as maya",
		"/run checkin-prompt",
		"/quit",
	}, "\n")
	out, stderr, err := runPulse(context.Background(), map[string]string{}, script, "try")
	if err != nil {
		t.Fatalf("try: %v\n%s", err, out)
	}
	if strings.Contains(stderr, "INF") || strings.Contains(stderr, `"level":"info"`) {
		t.Errorf("try logged info lines into the chat's terminal:\n%s", stderr)
	}
	assertContains(t, out,
		"Data lives in memory",
		"alice> /goal list team growth",
		"Grow weekly active buyers", "Raise checkout conversion", "Onboard new merchants", "上线新版结账页面",
		"→ DM to bob:",
		"Now typing as maya.",
		"→ 私信给 chen：", // chen reads Chinese: the heading is in the message's language
		"Bye.",
	)
}

func TestTryOnRedisSeedsOnceAndKeepsData(t *testing.T) {
	env, st := redisEnv(t)
	ctx := context.Background()
	out, _, err := runPulse(ctx, env, "/quit\n", "try")
	if err != nil {
		t.Fatalf("first try: %v\n%s", err, out)
	}
	assertContains(t, out, "Data is kept in Redis at")
	goals, err := st.TeamGoals(ctx, "growth")
	if err != nil {
		t.Fatal(err)
	}
	if len(goals) != 4 {
		t.Fatalf("demo has %d goals, want 4", len(goals))
	}
	kudos, err := st.TeamKudos(ctx, "growth", time.Now().AddDate(0, 0, -60), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(kudos) != 3 {
		t.Errorf("demo has %d kudos, want 3", len(kudos))
	}
	updates, err := st.TeamUpdates(ctx, "growth", time.Now().AddDate(0, 0, -60), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(updates) < 7 {
		t.Errorf("demo has %d updates, want at least 7", len(updates))
	}

	out, _, err = runPulse(ctx, env, "/quit\n", "try")
	if err != nil {
		t.Fatalf("second try: %v\n%s", err, out)
	}
	assertContains(t, out, "already there")
	goals, err = st.TeamGoals(ctx, "growth")
	if err != nil {
		t.Fatal(err)
	}
	if len(goals) != 4 {
		t.Errorf("after a second try the demo has %d goals, want 4", len(goals))
	}
}

func TestTryIntroInChinese(t *testing.T) {
	out, _, err := runPulse(context.Background(), map[string]string{"LANG": "zh_CN.UTF-8"}, "/help\n", "try")
	if err != nil {
		t.Fatal(err)
	}
	assertContains(t, out, "数据保存在内存中", "控制台命令")
}

func TestServeRefusesWithOneLineWhenNoPlatformIsConfigured(t *testing.T) {
	_, _, err := runPulse(context.Background(), map[string]string{"REDIS_URL": "redis://127.0.0.1:6379/0"}, "", "serve")
	if !errors.Is(err, errNoPlatform) {
		t.Fatalf("serve = %v, want the no-platform refusal", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("refusal is more than one line: %q", err)
	}
}

func TestServeNeedsRedisOrEmbeddedStore(t *testing.T) {
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
	_, _, err := runPulse(context.Background(), env, "", "serve")
	if err == nil || !strings.Contains(err.Error(), "REDIS_URL") || !strings.Contains(err.Error(), "--embedded-store") {
		t.Fatalf("serve without Redis = %v", err)
	}
}

// fakeSlack speaks the Slack Web API methods Pulse calls when sending.
type fakeSlack struct {
	// failPosts makes every chat.postMessage fail, as a removed channel does.
	failPosts bool
	// failTo makes chat.postMessage fail to these channels (guarded by mu).
	failTo   map[string]bool
	posts    atomic.Int64
	onAuth   func()
	mu       sync.Mutex
	channels []string
}

func (f *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = r.ParseForm()
	switch strings.TrimPrefix(r.URL.Path, "/") {
	case "auth.test":
		if f.onAuth != nil {
			f.onAuth()
		}
		fmt.Fprint(w, `{"ok":true,"user_id":"UBOT","bot_id":"BBOT","team_id":"T1","team":"Acme","user":"pulse"}`)
	case "conversations.open":
		fmt.Fprintf(w, `{"ok":true,"channel":{"id":"D%s"}}`, r.Form.Get("users"))
	case "chat.postMessage":
		f.mu.Lock()
		fail := f.failTo[r.Form.Get("channel")]
		f.mu.Unlock()
		if f.failPosts || fail {
			fmt.Fprint(w, `{"ok":false,"error":"channel_not_found"}`)
			return
		}
		n := f.posts.Add(1)
		f.mu.Lock()
		f.channels = append(f.channels, r.Form.Get("channel"))
		f.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d"}`, r.Form.Get("channel"), n)
	case "users.info":
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"name":"someone","real_name":"Someone","tz":"UTC"}}`, r.Form.Get("user"))
	default:
		fmt.Fprint(w, `{"ok":true}`)
	}
}

func TestServeStartsAndShutsDownOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fake := &fakeSlack{onAuth: cancel}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	env := map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret", "SLACK_API_URL": srv.URL + "/",
		"PULSE_HTTP_ADDR": "127.0.0.1:0",
	}
	done := make(chan error, 1)
	var stderr string
	go func() {
		var err error
		_, stderr, err = runPulse(ctx, env, "", "serve", "--embedded-store")
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
	assertContains(t, stderr, "http listening", "shutting down")
	if strings.Contains(stderr, "xoxb-test") || strings.Contains(stderr, `"secret"`) {
		t.Errorf("a secret was logged:\n%s", stderr)
	}
}

// fakePlatform is a platform whose readiness the test sets.
type fakePlatform struct {
	bot.Messenger
	err error
}

func (f *fakePlatform) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /fake/events", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) })
}
func (f *fakePlatform) Run(ctx context.Context) error { <-ctx.Done(); return nil }
func (f *fakePlatform) Ready() error                  { return f.err }

func TestRoutesServeHealthReadinessMetricsAndAdapters(t *testing.T) {
	st := storetest.MustOpen(t)
	fp := &fakePlatform{}
	mux := http.NewServeMux()
	addRoutes(mux, st, map[bot.Platform]platform{bot.PlatformSlack: fp}, newMetrics())
	get := func(method, path string) (int, string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get("GET", "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get("GET", "/readyz"); code != 200 {
		t.Errorf("/readyz = %d %q, want 200", code, body)
	}
	fp.err = errors.New("socket mode not connected")
	if code, body := get("GET", "/readyz"); code != 503 || !strings.Contains(body, "slack: socket mode not connected") {
		t.Errorf("/readyz with a disconnected platform = %d %q, want 503 naming slack", code, body)
	}
	if code, body := get("GET", "/metrics"); code != 200 || !strings.Contains(body, "pulse_up 1") {
		t.Errorf("/metrics = %d %q", code, body)
	}
	if code, _ := get("POST", "/fake/events"); code != http.StatusAccepted {
		t.Errorf("adapter route = %d, want 202", code)
	}
}

func TestReadyzFailsWhenRedisIsDown(t *testing.T) {
	rdb, err := store.Connect("redis://127.0.0.1:1/0?dial_timeout=200ms")
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	mux := http.NewServeMux()
	addRoutes(mux, store.New(rdb, store.Options{}), nil, newMetrics())
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "redis:") {
		t.Errorf("/readyz with Redis down = %d %q", rec.Code, rec.Body.String())
	}
}

const growthYAML = `teams:
  - name: Growth
    platform: slack
    channel: C0123
    members: [slack:T1:U1, slack:T1:U2]
    managers: [slack:T1:UM]
    timezone: Europe/Berlin
    language: en
    checkin: "0 10 * * MON"
    digest: "0 16 * * FRI"
    allowance: 3
    values: [ownership]
`

func TestConfigCheckPrintsEachTeamWithNextRuns(t *testing.T) {
	env := map[string]string{"PULSE_CONFIG": writeFile(t, "teams.yaml", growthYAML), "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
	out, _, err := runPulse(context.Background(), env, "", "config", "check")
	if err != nil {
		t.Fatalf("config check: %v", err)
	}
	assertContains(t, out, "configuration ok", "platforms: slack (HTTP)", "teams in ", ": 1",
		"team Growth (id growth) on slack, channel C0123", "members 2, managers 1, time zone Europe/Berlin, language en, kudos allowance 3",
		string(bot.JobCheckInPrompt), string(bot.JobScorecardDigest))
	if strings.Contains(out, "xoxb-1") {
		t.Errorf("config check printed a token:\n%s", out)
	}
}

func TestConfigCheckAcceptsTheExampleFile(t *testing.T) {
	out, _, err := runPulse(context.Background(), map[string]string{"PULSE_CONFIG": "../../deploy/config.example.yaml"}, "", "config", "check")
	if err != nil {
		t.Fatalf("deploy/config.example.yaml is not valid: %v", err)
	}
	assertContains(t, out, "teams in ../../deploy/config.example.yaml: 2", "team Growth", "team 增长")
}

func TestInvalidConfigListsEveryProblemOnItsOwnLine(t *testing.T) {
	bad := `teams:
  - name: Growth
    platform: teams
    channel: ""
    members: [alice, feishu:t:ou_1]
    timezone: Mars/Olympus
    language: fr
    checkin: "every monday"
    allowance: -2
    holidays: /nonexistent/holidays.yaml
  - name: growth
    platform: slack
    channel: C1
`
	env := map[string]string{
		"PULSE_CONFIG":     writeFile(t, "teams.yaml", bad),
		"PULSE_LOG_LEVEL":  "loud",
		"PULSE_LOG_FORMAT": "xml",
		"PULSE_HTTP_ADDR":  "eighty",
		"PULSE_ADMINS":     "slack:T1:U1, bob",
		"REDIS_URL":        "http://localhost:6379",
		"SLACK_BOT_TOKEN":  "abc",
		"FEISHU_APP_ID":    "cli_1",
		"FEISHU_MODE":      "pigeon",
	}
	_, _, err := runPulse(context.Background(), env, "", "config", "check")
	if err == nil {
		t.Fatal("config check accepted an invalid configuration")
	}
	wantFields := []string{
		"REDIS_URL:", "PULSE_HTTP_ADDR:", "PULSE_ADMINS:", "PULSE_LOG_LEVEL:", "PULSE_LOG_FORMAT:",
		"SLACK_BOT_TOKEN:", "SLACK_SIGNING_SECRET:", "FEISHU_APP_SECRET:", "FEISHU_MODE:",
		"teams[0] (Growth).platform:", "teams[0] (Growth).channel:", "teams[0] (Growth).members[0]:",
		"teams[0] (Growth).members[1]:", "teams[0] (Growth).timezone:", "teams[0] (Growth).language:",
		"teams[0] (Growth).checkin:", "teams[0] (Growth).allowance:", "teams[0] (Growth).holidays:",
	}
	lines := strings.Split(err.Error(), "\n")
	for _, f := range wantFields {
		n := 0
		for _, l := range lines {
			if strings.Contains(l, f) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d lines name %q, want 1:\n%s", n, f, err)
		}
	}
	if len(lines) != len(wantFields)+1 {
		t.Errorf("got %d lines, want a header and %d problems:\n%s", len(lines), len(wantFields), err)
	}
}

func TestDuplicateTeamNamesAreRejected(t *testing.T) {
	dup := growthYAML + `  - name: growth
    platform: slack
    channel: C9
`
	_, _, err := runPulse(context.Background(), map[string]string{"PULSE_CONFIG": writeFile(t, "t.yaml", dup)}, "", "config", "check")
	if err == nil || !strings.Contains(err.Error(), `teams[1] (growth).name: team "growth" is declared twice`) {
		t.Fatalf("duplicate team = %v", err)
	}
}

func TestUnknownYAMLFieldIsRejected(t *testing.T) {
	path := writeFile(t, "t.yaml", "teams:\n  - name: Growth\n    platfrom: slack\n")
	_, _, err := runPulse(context.Background(), map[string]string{"PULSE_CONFIG": path}, "", "config", "check")
	if err == nil || !strings.Contains(err.Error(), "PULSE_CONFIG:") || !strings.Contains(err.Error(), "platfrom") {
		t.Fatalf("unknown field = %v", err)
	}
}

func TestMissingConfigFileIsOneProblem(t *testing.T) {
	_, _, err := runPulse(context.Background(), map[string]string{"PULSE_CONFIG": "/nonexistent/pulse.yaml"}, "", "config", "check")
	if err == nil || !strings.Contains(err.Error(), "PULSE_CONFIG: cannot read /nonexistent/pulse.yaml: no such file or directory") {
		t.Fatalf("missing file = %v", err)
	}
}

// seedSlackTeam stores team Growth on Slack with two members through the service.
func seedSlackTeam(t *testing.T, st *store.Store) *bot.Service {
	t.Helper()
	svc, err := bot.NewService(bot.Config{Store: st, Clock: bot.NewManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	team := bot.NewTeam("Growth", bot.PlatformSlack, "C0123", time.Time{})
	team.Members = []bot.UserID{"slack:T1:U1", "slack:T1:U2"}
	team.Managers = []bot.UserID{"slack:T1:UM"}
	if err := svc.ApplyTeam(context.Background(), team); err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestJobsRunExitsNonZeroWhenADeliveryFailed: "2 planned, 0 sent, 2
// failed" is a failure, so the command says so and exits non-zero.
func TestJobsRunExitsNonZeroWhenADeliveryFailed(t *testing.T) {
	env, st := redisEnv(t)
	seedSlackTeam(t, st)
	fake := &fakeSlack{failPosts: true}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	env["SLACK_BOT_TOKEN"], env["SLACK_SIGNING_SECRET"], env["SLACK_API_URL"] = "xoxb-test", "secret", srv.URL+"/"
	out, stderr, err := runPulse(context.Background(), env, "", "jobs", "run", "checkin-prompt", "--team", "Growth", "--at", "2026-03-02T10:00:00Z")
	if err == nil || !strings.Contains(err.Error(), "2 of 2 deliveries failed for team growth") {
		t.Fatalf("jobs run with failing sends: err %v\nout %s\nstderr %s", err, out, stderr)
	}
	assertContains(t, out, "0 sent, 2 failed")
}

// TestJobsRunRetriesFailedDeliveriesOnly: a run where one of two prompts
// failed exits non-zero; running it again sends only the failed one
// (and exits 0); a third run sends nothing and says the run was already
// done instead of repeating "1 sent".
func TestJobsRunRetriesFailedDeliveriesOnly(t *testing.T) {
	env, st := redisEnv(t)
	seedSlackTeam(t, st)
	fake := &fakeSlack{failTo: map[string]bool{"DU1": true}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	env["SLACK_BOT_TOKEN"], env["SLACK_SIGNING_SECRET"], env["SLACK_API_URL"] = "xoxb-test", "secret", srv.URL+"/"
	ctx := context.Background()
	args := []string{"jobs", "run", "checkin-prompt", "--team", "growth", "--at", "2026-03-02T10:00:00Z"}
	out, stderr, err := runPulse(ctx, env, "", args...)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 deliveries failed for team growth") {
		t.Fatalf("first run, one send failing: err %v\nout %s\nstderr %s", err, out, stderr)
	}
	assertContains(t, out, "2 planned, 1 sent, 1 failed")
	if n := fake.posts.Load(); n != 1 {
		t.Fatalf("first run posted %d, want 1", n)
	}

	fake.mu.Lock()
	fake.failTo = nil // the channel is back
	fake.mu.Unlock()
	out, stderr, err = runPulse(ctx, env, "", args...)
	if err != nil {
		t.Fatalf("re-run after the failure: %v\nout %s\nstderr %s", err, out, stderr)
	}
	assertContains(t, out, "1 planned, 1 sent, 0 failed, 1 already sent before")
	fake.mu.Lock()
	channels := append([]string(nil), fake.channels...)
	fake.mu.Unlock()
	if len(channels) != 2 || channels[0] != "DU2" || channels[1] != "DU1" {
		t.Fatalf("posts went to %v, want DU2 then only the retried DU1", channels)
	}

	out, stderr, err = runPulse(ctx, env, "", args...)
	if err != nil {
		t.Fatalf("third run: %v\n%s", err, stderr)
	}
	assertContains(t, out, "already run before, nothing sent now")
	if strings.Contains(out, "planned") || fake.posts.Load() != 2 {
		t.Fatalf("third run claims or makes a send (%d posts in all):\n%s", fake.posts.Load(), out)
	}
}

func TestJobsRunSendsCheckInPromptsOnce(t *testing.T) {
	env, st := redisEnv(t)
	seedSlackTeam(t, st)
	fake := &fakeSlack{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	env["SLACK_BOT_TOKEN"], env["SLACK_SIGNING_SECRET"], env["SLACK_API_URL"] = "xoxb-test", "secret", srv.URL+"/"
	ctx := context.Background()
	at := "2026-03-02T10:00:00Z" // a Monday, the team's check-in hour
	out, stderr, err := runPulse(ctx, env, "", "jobs", "run", "checkin-prompt", "--team", "Growth", "--at", at)
	if err != nil {
		t.Fatalf("jobs run: %v\n%s", err, stderr)
	}
	assertContains(t, out, "checkin-prompt\tgrowth\t")
	if n := fake.posts.Load(); n != 2 {
		t.Fatalf("first run posted %d messages, want one prompt per member (2)", n)
	}
	if _, stderr, err := runPulse(ctx, env, "", "jobs", "run", "--at", at, "checkin-prompt"); err != nil {
		t.Fatalf("second jobs run: %v\n%s", err, stderr)
	}
	if n := fake.posts.Load(); n != 2 {
		t.Errorf("running the job again posted %d messages in all, want still 2", n)
	}
}

func TestJobsRunRejectsBadArguments(t *testing.T) {
	env, _ := redisEnv(t)
	ctx := context.Background()
	cases := map[string][]string{
		"is not one of":         {"jobs", "run", "coffee-break"},
		"usage: pulse jobs run": {"jobs", "run"},
		"is not an RFC3339":     {"jobs", "run", "goal-nudge", "--at", "monday"},
		"--team nowhere":        {"jobs", "run", "goal-nudge", "--team", "nowhere"},
	}
	for want, args := range cases {
		_, _, err := runPulse(ctx, env, "", args...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("pulse %s = %v, want an error containing %q", strings.Join(args, " "), err, want)
		}
	}
	if _, _, err := runPulse(ctx, map[string]string{}, "", "jobs", "run", "goal-nudge"); !errors.Is(err, errNoRedis) {
		t.Errorf("jobs run without REDIS_URL = %v, want %v", err, errNoRedis)
	}
}

func TestExportWritesCSVAndJSON(t *testing.T) {
	env, st := redisEnv(t)
	svc := seedSlackTeam(t, st)
	ctx := context.Background()
	resp, err := svc.Handle(ctx, bot.Event{
		Key: "t:1", Kind: bot.KindCommand, Platform: bot.PlatformSlack, User: "slack:T1:U1",
		Profile: bot.Profile{Name: "Alice"}, Channel: "D1", Direct: true,
		Text: "/goal new Raise checkout conversion from 2.1% to 3% by 2026-12-31",
	})
	if err != nil {
		t.Fatal(err)
	}
	if goals, _ := st.TeamGoals(ctx, "growth"); len(goals) != 1 {
		t.Fatalf("seeding the goal failed: %s", bot.PlainText(resp.Reply))
	}

	out, _, err := runPulse(ctx, env, "", "export", "--format", "csv", "--team", "growth")
	if err != nil {
		t.Fatalf("export csv: %v", err)
	}
	assertContains(t, out, strings.Join(bot.ExportColumns, ","), "Raise checkout conversion")

	out, _, err = runPulse(ctx, env, "", "export", "--format", "json", "--from", "2026-01-01", "--to", "2026-12-31")
	if err != nil {
		t.Fatalf("export json: %v", err)
	}
	var doc bot.Export
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("export json is not JSON: %v\n%s", err, out)
	}
	if len(doc.Teams) != 1 || len(doc.Goals) != 1 || doc.Goals[0].Title != "Raise checkout conversion" {
		t.Errorf("export json = %+v", doc)
	}
}

func TestExportRejectsBadFlags(t *testing.T) {
	env, _ := redisEnv(t)
	ctx := context.Background()
	cases := map[string][]string{
		"use --format csv or --format json":  {"export", "--format", "xml"},
		"--from \"yesterday\" is not a date": {"export", "--format", "csv", "--from", "yesterday"},
		"ends before it starts":              {"export", "--format", "csv", "--from", "2026-11-30", "--to", "2026-11-20"},
		"want a month (2026-11)":             {"export", "--format", "csv", "--period", "2026-13"},
		"not both":                           {"export", "--format", "csv", "--period", "2026-Q4", "--from", "2026-10-01"},
		"--team nowhere":                     {"export", "--format", "csv", "--period", "2026-Q4", "--team", "nowhere"},
		"unexpected argument":                {"export", "--format", "csv", "everything"},
	}
	for want, args := range cases {
		_, _, err := runPulse(ctx, env, "", args...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("pulse %s = %v, want an error containing %q", strings.Join(args, " "), err, want)
		}
	}
}

// TestExportPeriodReadsAsChatDoes: --period is parse.ExportPeriod's
// reading, in the team's zone, so a quarter exports what its first and
// last day do; a one-day range is not backwards (as in chat).
func TestExportPeriodReadsAsChatDoes(t *testing.T) {
	env, st := redisEnv(t)
	seedSlackTeam(t, st)
	ctx := context.Background()
	for _, at := range []time.Time{time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC), time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)} {
		k := bot.Kudos{ID: "K" + at.Format("0102"), TeamID: "growth", From: "slack:T1:U1", To: []bot.UserID{"slack:T1:U2"}, Message: "thanks " + at.Format(time.DateOnly), At: at}
		if err := st.ImportKudos(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	byPeriod := exportJSON(t, env, "--team", "growth", "--period", "2026-q1")
	byDates := exportJSON(t, env, "--team", "growth", "--from", "2026-01-01", "--to", "2026-03-31")
	if byPeriod != byDates {
		t.Fatalf("--period 2026-q1 and --from 2026-01-01 --to 2026-03-31 differ:\n%s\n%s", byPeriod, byDates)
	}
	assertContains(t, byPeriod, "thanks 2026-02-10")
	if strings.Contains(byPeriod, "thanks 2025-12-31") || strings.Contains(byPeriod, "thanks 2026-04-01") {
		t.Fatalf("the quarter's export holds kudos from outside it:\n%s", byPeriod)
	}
	oneDay := exportJSON(t, env, "--team", "growth", "--from", "2026-02-10", "--to", "2026-02-10")
	assertContains(t, oneDay, "thanks 2026-02-10")
}

func TestUnknownCommandShowsUsage(t *testing.T) {
	_, stderr, err := runPulse(context.Background(), map[string]string{}, "", "dance")
	if err == nil || !strings.Contains(err.Error(), `unknown command "dance"`) {
		t.Fatalf("unknown command = %v", err)
	}
	assertContains(t, stderr, "usage: pulse <command>")
}

func TestOffsetClockMovesWithTheBase(t *testing.T) {
	base := bot.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	c := &offsetClock{base: base}
	c.Set(-48 * time.Hour)
	if got := c.Now(); !got.Equal(time.Date(2026, 2, 28, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("offset clock = %v", got)
	}
	base.Advance(time.Hour)
	c.Set(0)
	if got := c.Now(); !got.Equal(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("offset clock after reset = %v", got)
	}
}

// TestConsoleRunRepeatSaysNothingWasSent: a second /run of a job whose
// run already went out says so instead of repeating "1 sent".
func TestConsoleRunRepeatSaysNothingWasSent(t *testing.T) {
	script := "/as maya\n/run checkin-summary\n/run checkin-summary\n/quit\n"
	out, stderr, err := runPulse(context.Background(), map[string]string{}, script, "try")
	if err != nil {
		t.Fatalf("try: %v\n%s", err, stderr)
	}
	first := strings.Index(out, "1 planned, 1 sent, 0 failed")
	repeat := strings.Index(out, "already run before, nothing sent now")
	if first < 0 || repeat < first {
		t.Fatalf("want the first /run to send one summary and the second to say it was already run:\n%s", out)
	}
	if strings.Count(out, "1 planned, 1 sent") != 1 {
		t.Errorf("the repeat claims a send:\n%s", out)
	}
}

func TestHelpListsEveryJob(t *testing.T) {
	out, _, err := runPulse(context.Background(), map[string]string{}, "", "help")
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range bot.Jobs {
		if !strings.Contains(out, string(j)) {
			t.Errorf("pulse help does not name job %s:\n%s", j, out)
		}
	}
}

// pingFunc is a pinger made of a function.
type pingFunc func(context.Context) error

func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }

// /readyz is ready only when every Redis pool answers: the acknowledgement
// pool recovers from an outage on its own, and while it backs off events
// would be refused.
func TestReadyzNeedsEveryRedisPool(t *testing.T) {
	up := pingFunc(func(context.Context) error { return nil })
	down := pingFunc(func(context.Context) error { return errors.New("dial tcp: connection refused") })
	for _, c := range []struct {
		name  string
		pools pools
		want  int
	}{
		{"both answer", pools{up, up}, http.StatusOK},
		{"the acknowledgement pool backs off", pools{up, down}, http.StatusServiceUnavailable},
		{"the store's pool backs off", pools{down, up}, http.StatusServiceUnavailable},
	} {
		rec := httptest.NewRecorder()
		readyHandler(c.pools, nil).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if rec.Code != c.want {
			t.Errorf("%s: %d, want %d", c.name, rec.Code, c.want)
		}
	}
}
