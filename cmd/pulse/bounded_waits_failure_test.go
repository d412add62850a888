package main

// Bounded waits: a hung Redis costs a request its own budget, not the
// client's defaults; a slow or huge request body is cut off.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// readyBudget is what /readyz may take while Redis hangs: the readiness
// probe's timeoutSeconds in deploy/k8s/deployment.yaml, which leaves its
// own 1 s timeout room on a loaded machine (it took 5–6 s before the
// client honoured deadlines).
const readyBudget = 3 * time.Second

// timed runs fn and returns how long it took.
func timed(fn func()) time.Duration {
	start := time.Now()
	fn()
	return time.Since(start)
}

func TestReadyzAnswersWithinItsBudgetWhileRedisHangs(t *testing.T) {
	manifest, err := os.ReadFile("../../deploy/k8s/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("timeoutSeconds: %d", int(readyBudget.Seconds())); !strings.Contains(string(manifest), want) {
		t.Fatalf("the readiness probe does not wait %s (%q) in deploy/k8s/deployment.yaml", readyBudget, want)
	}
	rds := startPrivateRedis(t)
	slack := newWireSlack(t)
	env := map[string]string{
		"REDIS_URL":       rds.url(),
		"SLACK_BOT_TOKEN": "xoxb-stall-test", "SLACK_SIGNING_SECRET": wireSecret, "SLACK_API_URL": slack.url(),
	}
	pulse := startReplica(t, env)
	rds.pause()
	defer rds.resume()
	for i := range 3 {
		var code int
		took := timed(func() { code = pulse.get(t, "/readyz") })
		if code != http.StatusServiceUnavailable || took > readyBudget {
			t.Fatalf("/readyz #%d while Redis hangs: %d after %s, want 503 within %s", i, code, took.Round(time.Millisecond), readyBudget)
		}
	}
	rds.resume()
	eventually(t, 10*time.Second, "/readyz back to 200", func() bool { return pulse.get(t, "/readyz") == http.StatusOK })
}

func TestServeRefusesOversizedBodies(t *testing.T) {
	slack := newWireSlack(t)
	env, _ := replicaEnv(t, slack.url())
	pulse := startReplica(t, env)
	big := strings.Repeat("x", int(serveLimits.MaxBody)+1)
	for _, path := range []string{"/slack/events", "/slack/commands", "/readyz", "/metrics", "/nowhere"} {
		req, err := http.NewRequest(http.MethodPost, pulse.base+path, strings.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with a %d-byte body = %d, want 413", path, len(big), resp.StatusCode)
		}
	}
}

// slowConns is how many slow-body clients the read-timeout test opens.
const slowConns = 500

// 500 clients each declare a 1 MB body and send it a byte at a time: the
// read timeout cuts every connection, and no handler gets a whole body.
func TestSlowBodiesAreCutByTheReadTimeout(t *testing.T) {
	limits := serveLimits
	limits.ReadHeader, limits.Read = 300*time.Millisecond, 500*time.Millisecond
	var mu sync.Mutex
	var complete, cut int
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		mu.Lock()
		if err == nil {
			complete++
		} else {
			cut++
		}
		mu.Unlock()
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(ln.Addr().String(), handler, limits)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	// Without a read timeout a trickling client holds its connection as
	// long as it likes: past this deadline the test fails.
	ctx, stop := context.WithTimeout(context.Background(), 60*time.Second)
	defer stop()
	var wg sync.WaitGroup
	closedIn := make(chan time.Duration, slowConns)
	for range slowConns {
		wg.Go(func() {
			took, err := slowBody(ctx, ln.Addr().String())
			if err != nil {
				t.Error(err)
				return
			}
			closedIn <- took
		})
	}
	wg.Wait()
	close(closedIn)
	var worst time.Duration
	n := 0
	for d := range closedIn {
		n++
		worst = max(worst, d)
	}
	mu.Lock()
	defer mu.Unlock()
	if n != slowConns || complete != 0 {
		t.Fatalf("%d of %d slow connections cut, %d bodies read whole", n, slowConns, complete)
	}
	// Each is cut once its read deadline passes; the bound leaves room for
	// 500 connections on a loaded two-core machine, below the 45 s+ such
	// connections used to stay open.
	if bound := limits.Read + 20*time.Second; worst > bound {
		t.Fatalf("the slowest connection was cut after %s, want within %s", worst.Round(time.Millisecond), bound)
	}
	t.Logf("%d slow connections cut, the slowest after %s; %d handlers saw a cut body", n, worst.Round(time.Millisecond), cut)
}

// slowBody declares a 1 MB body and trickles it a byte every 200 ms until
// the server closes the connection; it returns how long that took.
func slowBody(ctx context.Context, addr string) (time.Duration, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, fmt.Errorf("dial: %w", err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := fmt.Fprintf(conn, "POST /slack/events HTTP/1.1\r\nHost: pulse\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 1<<20-1); err != nil {
		return 0, fmt.Errorf("send headers: %w", err)
	}
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		// Whatever the server answers, the connection must end.
		_, _ = io.Copy(io.Discard, bufio.NewReader(conn))
	}()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-closed:
			return time.Since(start), nil
		case <-ctx.Done():
			return 0, fmt.Errorf("the server kept a slow connection open for %s", time.Since(start).Round(time.Millisecond))
		case <-tick.C:
			_, _ = conn.Write([]byte("x")) // a write after the cut fails; the read side reports it
		}
	}
}
