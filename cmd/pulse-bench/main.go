// Command pulse-bench measures a real `pulse serve` process: time from start
// to /readyz = 200, resident memory idle, and resident memory after it
// handled a load of signed Slack events (default 100,000) against real
// Redis and a fake Slack Web API served by this command.
//
//	go run ./cmd/pulse-bench [-events 100000] [-concurrency 16] [-redis redis://127.0.0.1:6379/0]
//
// It builds ./cmd/pulse unless -bin names a binary, uses its own key
// prefix and deletes its keys afterwards.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

const secret = "pulse-bench-signing-secret"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pulse-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	events := flag.Int("events", 100000, "events to send")
	concurrency := flag.Int("concurrency", 16, "concurrent senders")
	redisURL := flag.String("redis", envOr("REDIS_URL", "redis://127.0.0.1:6379/0"), "Redis to run against")
	bin := flag.String("bin", "", "pulse binary (default: build ./cmd/pulse)")
	flag.Parse()

	if *bin == "" {
		dir, err := os.MkdirTemp("", "pulse-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		*bin = filepath.Join(dir, "pulse")
		build := exec.Command("go", "build", "-o", *bin, "./cmd/pulse")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build ./cmd/pulse (run from the repository root): %w", err)
		}
	}
	var replies atomic.Int64
	slack := httptest.NewServer(fakeSlack(&replies))
	defer slack.Close()

	prefix := "pulsebench:" + randomHex(6) + ":"
	defer cleanup(*redisURL, prefix)
	port, err := freePort()
	if err != nil {
		return err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(*bin, "serve")
	cmd.Env = append(os.Environ(),
		"REDIS_URL="+*redisURL, "PULSE_REDIS_PREFIX="+prefix, "PULSE_HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"PULSE_LOG_LEVEL=warn", "SLACK_BOT_TOKEN=xoxb-bench", "SLACK_SIGNING_SECRET="+secret,
		"SLACK_API_URL="+slack.URL+"/api/")
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if err := waitReady(base, 10*time.Second); err != nil {
		return err
	}
	ready := time.Since(start)
	time.Sleep(2 * time.Second) // let start-up garbage be collected before the idle reading
	idle, _, err := rss(cmd.Process.Pid)
	if err != nil {
		return err
	}

	sent := time.Now()
	var failed atomic.Int64
	next := make(chan int)
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *concurrency}}
	for range *concurrency {
		wg.Go(func() {
			for i := range next {
				if code := post(client, base, i); code != http.StatusOK {
					failed.Add(1)
				}
			}
		})
	}
	for i := range *events {
		next <- i
	}
	close(next)
	wg.Wait()
	acked := time.Since(sent)
	want := int64(*events) - failed.Load()
	deadline := time.Now().Add(5 * time.Minute)
	for replies.Load() < want && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	handled := time.Since(sent)
	after, peak, err := rss(cmd.Process.Pid)
	if err != nil {
		return err
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	stopErr := cmd.Wait()

	mb := func(kb int64) float64 { return float64(kb) / 1024 }
	fmt.Printf("time to /readyz=200:    %6.0f ms   (target < 300 ms)\n", float64(ready.Microseconds())/1000)
	fmt.Printf("resident memory idle:   %6.1f MB   (target < 40 MB)\n", mb(idle))
	fmt.Printf("resident memory after:  %6.1f MB   (target < 120 MB; peak %.1f MB)\n", mb(after), mb(peak))
	fmt.Printf("events: %d sent, %d refused, %d replies; acked in %s (%.0f/s), all replied in %s\n",
		*events, failed.Load(), replies.Load(), acked.Round(time.Millisecond),
		float64(*events)/acked.Seconds(), handled.Round(time.Millisecond))
	if stopErr != nil {
		return fmt.Errorf("serve did not exit cleanly on SIGTERM: %w", stopErr)
	}
	return nil
}

// post sends event i: a direct message "help" from one of 50 people.
func post(c *http.Client, base string, i int) int {
	user := "U" + strconv.Itoa(i%50)
	body := fmt.Sprintf(`{"type":"event_callback","team_id":"T1","event_id":"EvB%d","event_time":1700000000,`+
		`"event":{"type":"message","channel_type":"im","channel":"D%s","user":%q,"text":"help","ts":"1700000000.%06d"}}`,
		i, user, user, i)
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + stamp + ":" + body))
	req, _ := http.NewRequest(http.MethodPost, base+"/slack/events", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// fakeSlack answers the Web API calls serve makes and counts replies.
func fakeSlack(replies *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		w.Header().Set("Content-Type", "application/json")
		switch strings.TrimPrefix(r.URL.Path, "/api/") {
		case "auth.test":
			fmt.Fprint(w, `{"ok":true,"user_id":"UBOT","bot_id":"BBOT","team_id":"T1","team":"Bench","user":"pulse"}`)
		case "users.info":
			id := form.Get("user")
			fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"team_id":"T1","name":%q,"real_name":%q,"tz":"UTC"}}`, id, id, id)
		case "chat.postMessage", "chat.postEphemeral":
			n := replies.Add(1)
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000001.%06d","message_ts":"1700000001.%06d"}`, form.Get("channel"), n, n)
		default:
			fmt.Fprint(w, `{"ok":true}`)
		}
	})
}

func waitReady(base string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return errors.New("serve was not ready within " + within.String())
}

// rss reads the process's resident and peak resident memory in kB.
func rss(pid int) (cur, peak int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("read memory of pid %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			cur = v
		case "VmHWM:":
			peak = v
		}
	}
	return cur, peak, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// cleanup deletes the bench's keys.
func cleanup(redisURL, prefix string) {
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx := context.Background()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		c.Unlink(ctx, iter.Val())
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
