package main

// Failure tests on a private redis-server that the test starts, stops and
// restarts: nothing acknowledged is lost, nothing is doubled.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/store"
)

// privateRedis is a redis-server of the test's own, persisting every write
// to an append-only file in a private directory before it answers, so a
// restart (even after kill -9) keeps whatever it acknowledged.
type privateRedis struct {
	t    testing.TB
	dir  string
	port int
	cmd  *exec.Cmd
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startPrivateRedis(t testing.TB) *privateRedis {
	t.Helper()
	r := &privateRedis{t: t, dir: t.TempDir(), port: freePort(t)}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *privateRedis) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

// start runs redis-server on the same port and directory as before and
// waits until it answers (and has loaded its append-only file).
func (r *privateRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--dir", r.dir, "--appendonly", "yes", "--appendfsync", "always", "--save", "",
		"--daemonize", "no", "--logfile", filepath.Join(r.dir, "redis.log"))
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server (Debian's redis-server package): %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port), MaxRetries: -1})
	defer c.Close()
	eventually(r.t, 10*time.Second, "the private redis-server to answer", func() bool {
		return c.Ping(context.Background()).Err() == nil
	})
}

// pause stops the server without closing its sockets (SIGSTOP): clients'
// connections stay open and nothing answers, as with a hung Redis.
func (r *privateRedis) pause() {
	r.t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		r.t.Fatalf("SIGSTOP redis-server: %v", err)
	}
}

// resume lets a paused server go on (SIGCONT).
func (r *privateRedis) resume() {
	r.t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		r.t.Fatalf("SIGCONT redis-server: %v", err)
	}
}

// stop kills the server as a crash would (SIGKILL) and waits for it to go.
func (r *privateRedis) stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Process.Signal(syscall.SIGCONT) // a paused process dies only once continued
	_ = r.cmd.Wait()
	r.cmd = nil
}

func TestRedisOutageRefusesEventsLosesNothingAndRecordsRetriesOnce(t *testing.T) {
	rds := startPrivateRedis(t)
	slack := newWireSlack(t)
	rdb, err := store.Connect(rds.url())
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	st := store.New(rdb, store.Options{Prefix: "pulse:"})
	seedTeam(t, st, time.Now().Add(-time.Minute), 3, nil)
	env := map[string]string{
		"REDIS_URL":       rds.url() + "?dial_timeout=300ms&read_timeout=500ms&write_timeout=500ms",
		"SLACK_BOT_TOKEN": "xoxb-outage-test", "SLACK_SIGNING_SECRET": wireSecret, "SLACK_API_URL": slack.url(),
	}
	pulse := startReplica(t, env)

	// Before the outage: a kudos is acknowledged ("saved" reply) — it must survive.
	mustPost(t, pulse, slackEvent("EvBEFORE", "U1", "kudos <@U2> before the outage", "1700000200.000100"), 0)
	eventually(t, 10*time.Second, "the reply to the kudos before the outage", func() bool { return len(slack.postsTo("DU1")) == 1 })
	eventually(t, 10*time.Second, "the recipient's notice", func() bool { return len(slack.postsTo("DU2")) == 1 })
	replies := func() []slackPost { return slack.postsTo("DU2")[1:] } // U2's replies after that notice

	rds.stop()
	eventually(t, 10*time.Second, "/readyz to report Redis down", func() bool { return pulse.get(t, "/readyz") == http.StatusServiceUnavailable })
	if body := pulse.body(t, "/readyz"); !strings.Contains(body, "redis:") {
		t.Errorf("/readyz during the outage does not name Redis: %q", body)
	}
	// Events keep arriving for 10 s: none can be stored, so each is refused
	// with a 5xx well inside Slack's 3 s (Slack then retries it) and
	// nothing is said to its author: nothing was taken.
	const outage = 10 * time.Second
	end := time.Now().Add(outage)
	outageEvents := 0
	for i := 0; time.Now().Before(end); i++ {
		body := slackEvent(fmt.Sprintf("EvDOWN%d", i), "U2", "kudos <@U3> during the outage", fmt.Sprintf("1700000300.%06d", i))
		start := time.Now()
		code := postSigned(pulse.base, body, 0)
		if took := time.Since(start); code < 500 || took >= 3*time.Second {
			t.Fatalf("outage delivery answered %d after %v; want a 5xx within Slack's 3 s", code, took)
		}
		outageEvents++
		if pulse.get(t, "/healthz") != http.StatusOK {
			t.Fatalf("the process stopped answering /healthz during the outage")
		}
	}
	if n := len(replies()); n != 0 {
		t.Errorf("%d replies during the outage for events that were refused, want none", n)
	}

	rds.start()
	eventually(t, 15*time.Second, "/readyz back to 200", func() bool { return pulse.get(t, "/readyz") == http.StatusOK })
	// Slack retries the first outage event after recovery, twice: recorded once.
	retried := slackEvent("EvDOWN0", "U2", "kudos <@U3> during the outage", "1700000300.000000")
	mustPost(t, pulse, retried, 1)
	eventually(t, 10*time.Second, "the retried event's reply", func() bool { return len(replies()) == 1 })
	mustPost(t, pulse, retried, 2)
	eventually(t, 10*time.Second, "the recipient's notice of the retried kudos", func() bool { return len(slack.postsTo("DU3")) >= 1 })
	pulse.stop(t)
	if n := len(slack.postsTo("DU3")); n != 1 {
		t.Errorf("U3 was told of the retried kudos %d times, want 1", n)
	}

	var before, during int
	for _, k := range allKudos(t, st) {
		switch k.Message {
		case "before the outage":
			before++
		case "during the outage":
			during++
		default:
			t.Errorf("unexpected kudos %q", k.Message)
		}
	}
	if before != 1 {
		t.Errorf("the kudos acknowledged before the outage is stored %d times, want 1", before)
	}
	if during != 1 {
		t.Errorf("the outage event retried after recovery is stored %d times, want 1", during)
	}
	if n := len(replies()); n != 1 {
		t.Errorf("U2 got %d replies for the one outage event Slack retried, want 1", n)
	}
	t.Logf("%d events during a %s outage, each refused for Slack to retry", outageEvents, outage)
}

// TestRedisErrorsAreCounted checks the outage shows in /metrics.
func TestRedisErrorsAreCounted(t *testing.T) {
	rds := startPrivateRedis(t)
	slack := newWireSlack(t)
	env := map[string]string{
		"REDIS_URL":       rds.url() + "?dial_timeout=200ms",
		"SLACK_BOT_TOKEN": "xoxb-metrics-test", "SLACK_SIGNING_SECRET": wireSecret, "SLACK_API_URL": slack.url(),
	}
	pulse := startReplica(t, env)
	if code := postSigned(pulse.base, `{"type":"event_callback"}`+" ", 0); code != http.StatusOK {
		t.Fatalf("a signed empty callback = %d", code)
	}
	unsigned, _ := http.Post(pulse.base+"/slack/events", "application/json", strings.NewReader(`{}`))
	if unsigned != nil {
		_ = unsigned.Body.Close()
	}
	rds.stop()
	eventually(t, 10*time.Second, "/readyz to report Redis down", func() bool { return pulse.get(t, "/readyz") == http.StatusServiceUnavailable })
	m := pulse.body(t, "/metrics")
	for _, want := range []string{
		`pulse_redis_errors_total{command="ping"}`,
		`pulse_events_received_total{platform="slack",type="events"} 2`,
		`pulse_events_rejected_total{path="/slack/events",platform="slack",reason="signature"} 1`,
		`pulse_http_requests_total{code="401",path="/slack/events"} 1`,
		"pulse_up 1",
		"process_resident_memory_bytes",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func mustPost(t *testing.T, r *replica, body string, retry int) {
	t.Helper()
	if code := postSigned(r.base, body, retry); code != http.StatusOK {
		t.Fatalf("delivery answered %d, want 200", code)
	}
}
