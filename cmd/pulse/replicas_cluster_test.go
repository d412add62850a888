package main

// Several `pulse serve` replicas against one Redis behave as one bot: the
// tests here run two whole programs (run(ctx, "serve", …)) side by side,
// with a fake Slack that speaks the Web API's wire format and signed
// Events API deliveries, and count what reaches Slack and Redis.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/pulse-bot/pulse/bot/bottest"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
)

// wireSecret signs the deliveries of the fake workspace.
const wireSecret = "replica-test-signing-secret"

// slackPost is one chat.postMessage (or postEphemeral) the fake received.
type slackPost struct {
	Method, Channel, User, Text, Blocks, Thread string
}

// wireSlack is a fake Slack Web API that records every post. delay slows
// chat.postMessage down, so a fan-out is still under way when a test
// interrupts it.
type wireSlack struct {
	srv   *httptest.Server
	delay time.Duration

	mu    sync.Mutex
	posts []slackPost
	ts    int
	// down makes every call answer 503 (Slack unreachable), for outage tests.
	down bool
}

func newWireSlack(t testing.TB) *wireSlack {
	f := &wireSlack{}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *wireSlack) url() string { return f.srv.URL + "/api/" }

func (f *wireSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	w.Header().Set("Content-Type", "application/json")
	switch method {
	case "auth.test":
		fmt.Fprint(w, `{"ok":true,"user_id":"UBOT","bot_id":"BBOT","team_id":"T1","team":"Acme","user":"pulse"}`)
	case "users.info":
		id := form.Get("user")
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"team_id":"T1","name":%q,"real_name":%q,"tz":"UTC","profile":{"display_name":%q}}}`,
			id, strings.ToLower(id), id, id)
	case "conversations.open":
		fmt.Fprintf(w, `{"ok":true,"channel":{"id":"D%s"}}`, form.Get("users"))
	case "chat.postMessage", "chat.postEphemeral":
		if f.delay > 0 {
			time.Sleep(f.delay) // the platform's own latency, not a test's timing
		}
		f.mu.Lock()
		f.ts++
		ts := fmt.Sprintf("1700000000.%06d", f.ts)
		f.posts = append(f.posts, slackPost{Method: method, Channel: form.Get("channel"), User: form.Get("user"),
			Text: form.Get("text"), Blocks: form.Get("blocks"), Thread: form.Get("thread_ts")})
		f.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q,"message_ts":%q}`, form.Get("channel"), ts, ts)
	default:
		fmt.Fprint(w, `{"ok":true}`)
	}
}

// postsTo returns the posts to one channel.
func (f *wireSlack) postsTo(channel string) []slackPost {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []slackPost
	for _, p := range f.posts {
		if p.Channel == channel {
			out = append(out, p)
		}
	}
	return out
}

// countByChannel counts posts per channel.
func (f *wireSlack) countByChannel() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for _, p := range f.posts {
		out[p.Channel]++
	}
	return out
}

// eventually polls cond every 20 ms until it holds or within passes. The
// replicas run on the real clock (they are whole programs), so a test
// waits for what they do, bounded; it never sleeps a fixed time instead.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// replica is one `pulse serve` running in this test process.
type replica struct {
	base   string
	stderr *bottest.LogBuffer
	cancel context.CancelFunc
	done   chan error
}

var listenRE = regexp.MustCompile(`\{[^\n]*"addr":"([^"]+)"[^\n]*"message":"http listening"`)

// startReplica runs `pulse serve` with env on a free port and waits for /readyz = 200.
func startReplica(t *testing.T, env map[string]string) *replica {
	t.Helper()
	env = copyEnv(env)
	env["PULSE_HTTP_ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{stderr: &bottest.LogBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		getenv := func(k string) string { return env[k] }
		r.done <- run(ctx, []string{"pulse", "serve"}, getenv, strings.NewReader(""), io.Discard, r.stderr)
	}()
	t.Cleanup(func() { r.stop(t) })
	eventually(t, 30*time.Second, "serve to listen", func() bool {
		m := listenRE.FindStringSubmatch(r.stderr.String())
		if m == nil && strings.Contains(r.stderr.String(), "http listening") {
			t.Logf("listen line not understood:\n%s", r.stderr.String())
		}
		if m != nil {
			r.base = "http://" + m[1]
		}
		return m != nil
	})
	eventually(t, 30*time.Second, "serve to be ready", func() bool { return r.get(t, "/readyz") == http.StatusOK })
	return r
}

func copyEnv(env map[string]string) map[string]string {
	out := make(map[string]string, len(env))
	for k, v := range env {
		out[k] = v
	}
	return out
}

// stop shuts the replica down as SIGTERM would and waits for it (once).
func (r *replica) stop(t testing.TB) {
	t.Helper()
	if r.done == nil {
		return
	}
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("serve ended with %v\n%s", err, r.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("serve did not stop within 30 s of its shutdown")
	}
	r.done = nil
}

func (r *replica) get(t testing.TB, path string) int {
	resp, err := http.Get(r.base + path)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// body fetches a path's body.
func (r *replica) body(t testing.TB, path string) string {
	t.Helper()
	resp, err := http.Get(r.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// signedSlackRequest is a POST of body to url signed as Slack signs it
// (v0=HMAC-SHA256 of "v0:<timestamp>:<body>" with the wire tests' secret).
func signedSlackRequest(url, contentType, body string) (*http.Request, error) {
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(wireSecret))
	mac.Write([]byte("v0:" + stamp + ":" + body))
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return req, nil
}

// slackEvent is an Events API delivery: a direct message from user to the bot.
func slackEvent(eventID, user, text, ts string) string {
	return fmt.Sprintf(`{"type":"event_callback","team_id":"T1","api_app_id":"A1","event_id":%q,"event_time":1700000000,`+
		`"event":{"type":"message","channel_type":"im","channel":"D%s","user":%q,"text":%q,"ts":%q}}`,
		eventID, user, user, text, ts)
}

// postSigned delivers body to /slack/events signed as Slack signs it
// (v0=HMAC-SHA256 of "v0:<timestamp>:<body>"), with X-Slack-Retry-Num when
// retry > 0, and returns the status code (0 when the server is unreachable).
func postSigned(base, body string, retry int) int {
	req, err := signedSlackRequest(base+"/slack/events", "application/json", body)
	if err != nil {
		return 0
	}
	if retry > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// replicaEnv is the environment of replicas sharing the test's Redis prefix and fake Slack.
func replicaEnv(t *testing.T, slackURL string) (map[string]string, *store.Store) {
	env, st := redisEnv(t)
	env["SLACK_BOT_TOKEN"], env["SLACK_SIGNING_SECRET"], env["SLACK_API_URL"] = "xoxb-replica-test", wireSecret, slackURL
	return env, st
}

// seedTeam stores team Growth on Slack (channel C0123) with members
// U1…Un and manager UM, created at created, with the given schedules.
func seedTeam(t *testing.T, st *store.Store, created time.Time, members int, edit func(*bot.Team)) bot.Team {
	t.Helper()
	svc, err := bot.NewService(bot.Config{Store: st, Clock: bot.NewManualClock(created)})
	if err != nil {
		t.Fatal(err)
	}
	team := bot.NewTeam("Growth", bot.PlatformSlack, "C0123", created)
	for i := 1; i <= members; i++ {
		team.Members = append(team.Members, bot.UserID(fmt.Sprintf("slack:T1:U%d", i)))
	}
	team.Managers = []bot.UserID{"slack:T1:UM"}
	if edit != nil {
		edit(&team)
	}
	if err := svc.ApplyTeam(context.Background(), team); err != nil {
		t.Fatal(err)
	}
	return team
}

// allKudos returns every kudos of team growth.
func allKudos(t testing.TB, st *store.Store) []bot.Kudos {
	t.Helper()
	ks, err := st.TeamKudos(context.Background(), "growth", time.Unix(0, 0), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatalf("read kudos: %v", err)
	}
	return ks
}

func TestTwoReplicasTurnDuplicateAndConcurrentDeliveriesIntoOneEffect(t *testing.T) {
	slack := newWireSlack(t)
	env, st := replicaEnv(t, slack.url())
	seedTeam(t, st, time.Now().Add(-time.Minute), 2, nil)
	a, b := startReplica(t, env), startReplica(t, env)

	// One kudos, delivered eight times: concurrently to both replicas, as
	// first delivery and as Slack's retries, as a load balancer would spread them.
	body := slackEvent("Ev0KUDOS1", "U1", "kudos <@U2> shipped the payment page", "1700000100.000100")
	var wg sync.WaitGroup
	codes := make(chan int, 8)
	for i := range 8 {
		target := a
		if i%2 == 1 {
			target = b
		}
		wg.Go(func() { codes <- postSigned(target.base, body, i/2) })
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Fatalf("a delivery was answered %d, want 200 (Slack would retry it)", c)
		}
	}
	eventually(t, 10*time.Second, "the kudos reply", func() bool { return len(slack.postsTo("DU1")) > 0 })
	eventually(t, 10*time.Second, "the recipient's notice", func() bool { return len(slack.postsTo("DU2")) > 0 })
	a.stop(t)
	b.stop(t) // a graceful stop finishes in-flight work: nothing more can arrive

	if ks := allKudos(t, st); len(ks) != 1 {
		t.Errorf("kudos stored %d times, want 1: %+v", len(ks), ks)
	}
	if n := len(slack.postsTo("DU1")); n != 1 {
		t.Errorf("the giver got %d replies, want 1", n)
	}
	if n := len(slack.postsTo("DU2")); n != 1 {
		t.Errorf("the recipient was told %d times, want 1", n)
	}
	for _, r := range []*replica{a, b} {
		if strings.Contains(r.stderr.String(), "shipped the payment page") {
			t.Errorf("a message body was logged:\n%s", r.stderr.String())
		}
		if strings.Contains(r.stderr.String(), "xoxb-replica-test") || strings.Contains(r.stderr.String(), wireSecret) {
			t.Errorf("a secret was logged")
		}
	}
	logs := a.stderr.String() + b.stderr.String()
	if n := strings.Count(logs, `"message":"event handled"`); n != 1 {
		t.Errorf("%d event-handled log lines across both replicas, want 1:\n%s", n, logs)
	}
	assertContains(t, logs, `"event_id":"slack:DU1:1700000100.000100"`, `"platform":"slack"`, `"team":"T1"`, `"latency":`)
}

func TestTwoReplicasSendEachScheduledPromptOnce(t *testing.T) {
	slack := newWireSlack(t)
	env, st := replicaEnv(t, slack.url())
	// Every minute is a check-in fire, and today is a working day whatever
	// the weekday (a holiday file naming it a make-up working day), so the
	// replicas find a due fire the moment they start.
	now := time.Now().UTC()
	var days []string
	for d := -1; d <= 1; d++ {
		days = append(days, now.AddDate(0, 0, d).Format(time.DateOnly))
	}
	cal := writeFile(t, "workdays.yaml", "holidays: []\nworkdays: ["+strings.Join(days, ", ")+"]\n")
	const members = 12
	seedTeam(t, st, now.Add(-90*time.Second), members, func(team *bot.Team) {
		team.CheckInSchedule = "* * * * *"
		team.Holidays = cal
	})
	a, b := startReplica(t, env), startReplica(t, env)
	everyone := func() bool {
		counts := slack.countByChannel()
		for i := 1; i <= members; i++ {
			if counts[fmt.Sprintf("DU%d", i)] == 0 {
				return false
			}
		}
		return true
	}
	eventually(t, 20*time.Second, "a prompt to every member", everyone)
	a.stop(t)
	b.stop(t)
	// With a fire every minute the reminders of earlier fires come due too;
	// each person still gets each kind of message at most once per period.
	for i := 1; i <= members; i++ {
		var prompts, reminders int
		for _, p := range slack.postsTo(fmt.Sprintf("DU%d", i)) {
			switch {
			case strings.HasPrefix(p.Text, "Time for your Growth check-in"):
				prompts++
			case strings.HasPrefix(p.Text, "A reminder:"):
				reminders++
			default:
				t.Errorf("member U%d got an unexpected message %q", i, p.Text)
			}
		}
		if prompts != 1 || reminders > 1 {
			t.Errorf("member U%d got %d prompts and %d reminders, want 1 and at most 1", i, prompts, reminders)
		}
	}
	metricsSeen := strings.Contains(a.stderr.String(), `"message":"job planned"`) || strings.Contains(b.stderr.String(), `"message":"job planned"`)
	if !metricsSeen {
		t.Errorf("no replica logged a planned job")
	}
}
