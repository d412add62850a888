// Command pulse-bench measures a real `pulse serve` process end to end:
// signed Slack `message.channels` events "G1 2.5% shipped step N" from a
// loopback load generator, against real Redis and a fake Slack Web API
// served by this command, counting PROCESSED events (the update recorded in
// Redis AND the reaction sent to the fake Slack), not acknowledgements.
//
// In the same run it serves a bare handler (verify the signature, SET NX
// the event id, answer 200) as the floor, in a process of its own as
// serve is (this command started again with -serve-bare; -inline-floor
// serves it inside the load generator instead, to compare), drives both
// with the same load, and prints the ratios. Two scenarios: every event
// updates the same goal G1, and events spread over many goals. For each:
//
//   - ack throughput flat out (-events at -concurrency), Pulse and bare
//   - p99 ack latency at a paced -rate events/s for -paced seconds
//   - processed throughput: events recorded and reacted to, from the first
//     send until the last is processed (the backlog may drain after the
//     last ack, within -drain)
//   - lost: acknowledged (2xx) but not processed; doubled: recorded more
//     than once
//
// Before the first scenario both servers get 2,000 unmeasured events, so
// each scenario measures them warm. Before that it measures how late the
// idle machine wakes a sleeping thread (-stalls), as background for the
// latencies. It also prints the time to /readyz = 200 and resident memory,
// idle and after the load.
//
//	go run ./cmd/pulse-bench [-events 20000] [-concurrency 32] [-rate 1000] [-paced 5s] [-goals 100]
//
// CI-scale: -events 2000 -paced 1s. Loopback only, bounded request counts;
// it stops by itself. It builds ./cmd/pulse unless -bin names a binary,
// uses its own key prefix and deletes its keys afterwards.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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

// options are the bench's sizes.
type options struct {
	events      int
	concurrency int
	rate        int
	paced       time.Duration
	goals       int
	drain       time.Duration
}

func run() error {
	var o options
	flag.IntVar(&o.events, "events", 20000, "events per flat-out run")
	flag.IntVar(&o.concurrency, "concurrency", 32, "concurrent senders in the flat-out runs")
	flag.IntVar(&o.rate, "rate", 1000, "events per second in the paced runs")
	flag.DurationVar(&o.paced, "paced", 5*time.Second, "length of each paced run")
	flag.IntVar(&o.goals, "goals", 100, "goals in the many-goals scenario")
	flag.DurationVar(&o.drain, "drain", 30*time.Second, "how long the backlog may take to drain after the last ack")
	stallsFor := flag.Duration("stalls", 3*time.Second, "how long to measure the idle machine's own stalls before the load (0: not at all)")
	redisURL := flag.String("redis", envOr("REDIS_URL", "redis://127.0.0.1:6379/0"), "Redis to run against (loopback)")
	bin := flag.String("bin", "", "pulse binary (default: build ./cmd/pulse)")
	inlineFloor := flag.Bool("inline-floor", false, "serve the bare floor inside this process instead of its own (faster than any separate server; to compare only)")
	serveBareAt := flag.String("serve-bare", "", "internal: serve only the bare floor at this address (the bench starts itself so)")
	barePrefix := flag.String("bare-prefix", "", "internal: the bare floor's key prefix, with -serve-bare")
	flag.Parse()
	if *serveBareAt != "" {
		return serveBare(*serveBareAt, *redisURL, *barePrefix)
	}
	if o.events < 1 || o.concurrency < 1 || o.rate < 1 || o.paced <= 0 || o.goals < 1 {
		return errors.New("-events, -concurrency, -rate, -paced and -goals must be positive")
	}
	// Everything set up is undone in reverse on return and on an
	// interrupt alike: no serve or floor left running, no keys left behind.
	undo := &teardown{}
	defer undo.run()
	undo.onInterrupt()
	if *bin == "" {
		dir, err := os.MkdirTemp("", "pulse-bench")
		if err != nil {
			return err
		}
		undo.add(func() { _ = os.RemoveAll(dir) })
		*bin = filepath.Join(dir, "pulse")
		build := exec.Command("go", "build", "-o", *bin, "./cmd/pulse")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build ./cmd/pulse (run from the repository root): %w", err)
		}
	}
	opts, err := redis.ParseURL(*redisURL)
	if err != nil {
		return fmt.Errorf("-redis: %w", err)
	}
	rdb := redis.NewClient(opts)
	undo.add(func() { _ = rdb.Close() })
	prefix := "pulsebench:" + randomHex(6) + ":"
	undo.add(func() { cleanup(rdb, prefix) })

	world, err := seed(context.Background(), rdb, prefix, o.goals)
	if err != nil {
		return err
	}
	slack := newFakeSlack()
	slackSrv := httptest.NewServer(slack)
	undo.add(slackSrv.Close)
	bare, err := startFloor(*inlineFloor, rdb, *redisURL, prefix+"bare:")
	if err != nil {
		return err
	}
	undo.add(bare.stop)

	logFile, err := os.CreateTemp("", "pulse-bench-serve-*.log")
	if err != nil {
		return err
	}
	undo.add(func() { _ = logFile.Close() })
	pulse, err := startPulse(*bin, *redisURL, prefix, slackSrv.URL+"/api/", logFile)
	if err != nil {
		return err
	}
	undo.add(pulse.kill)
	time.Sleep(2 * time.Second) // let start-up garbage be collected before the idle reading
	idle, _, err := rss(pulse.cmd.Process.Pid)
	if err != nil {
		return err
	}
	fmt.Printf("pulse-bench: %d events flat out at c=%d, paced %d/s for %s, many goals = %d; GOMAXPROCS of this process %d; bare floor %s\n",
		o.events, o.concurrency, o.rate, o.paced, o.goals, numCPU(), floorWhere(*inlineFloor))
	fmt.Printf("time to /readyz=200:    %6.0f ms\n", float64(pulse.ready.Microseconds())/1000)
	fmt.Printf("resident memory idle:   %6.1f MB\n", float64(idle)/1024)
	if *stallsFor > 0 {
		fmt.Printf("idle machine's stalls:  %s\n", measureStalls(*stallsFor))
	}

	b := &bench{o: o, world: world, slack: slack, pulse: pulse.base, bare: bare.base, pid: pulse.cmd.Process.Pid}
	b.warmUp(scenario{goals: world.goals[1:]})
	var failed []string
	for _, sc := range []scenario{{name: "one goal (every event updates G1)", goals: world.goals[:1]},
		{name: fmt.Sprintf("many goals (%d)", len(world.goals)-1), goals: world.goals[1:]}} {
		res, err := b.scenario(sc)
		if err != nil {
			return err
		}
		res.print(sc.name)
		failed = append(failed, res.misses(sc.name)...)
	}
	after, peak, err := rss(pulse.cmd.Process.Pid)
	if err != nil {
		return err
	}
	fmt.Printf("resident memory after:  %6.1f MB (peak %.1f MB)\n", float64(after)/1024, float64(peak)/1024)
	if err := pulse.stop(20 * time.Second); err != nil {
		return fmt.Errorf("serve did not exit cleanly on SIGTERM: %w", err)
	}
	fmt.Printf("serve's log (warnings and errors): %s\n", logFile.Name())
	if len(failed) > 0 {
		fmt.Println("missed targets:\n  " + strings.Join(failed, "\n  "))
	}
	for _, f := range failed {
		if strings.HasPrefix(f, "lost") || strings.HasPrefix(f, "doubled") {
			return errors.New("events were lost or doubled")
		}
		if strings.HasPrefix(f, "floor refused") {
			return errors.New("the floor refused events, so its rates are no floor")
		}
	}
	return nil
}

// pulseProc is the `pulse serve` under test.
type pulseProc struct {
	*child
	base  string
	ready time.Duration
}

// startPulse runs serve with its log (warnings and up) going to logFile.
func startPulse(bin, redisURL, prefix, slackURL string, logFile *os.File) (*pulseProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"REDIS_URL="+redisURL, "PULSE_REDIS_PREFIX="+prefix, "PULSE_HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"PULSE_LOG_LEVEL=warn", "SLACK_BOT_TOKEN=xoxb-bench", "SLACK_SIGNING_SECRET="+secret,
		"SLACK_API_URL="+slackURL)
	cmd.Stderr = logFile
	start := time.Now()
	c, err := startChild("serve", cmd, syscall.SIGKILL, base)
	if err != nil {
		return nil, err
	}
	return &pulseProc{child: c, base: base, ready: time.Since(start)}, nil
}

// teardown undoes what the bench set up, once, in reverse order.
type teardown struct {
	mu   sync.Mutex
	fns  []func()
	done bool
}

func (t *teardown) add(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fns = append(t.fns, f)
}

func (t *teardown) run() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return
	}
	t.done = true
	for i := len(t.fns) - 1; i >= 0; i-- {
		t.fns[i]()
	}
}

// onInterrupt runs the teardown and exits on SIGINT or SIGTERM: the
// deferred run would not happen then.
func (t *teardown) onInterrupt() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		fmt.Fprintln(os.Stderr, "pulse-bench: interrupted; stopping serve and the floor, deleting the bench's keys")
		t.run()
		os.Exit(130)
	}()
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

// cpuTime reads the user+system CPU time the process used so far, from
// /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s on Linux).
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time of pid %d: %w", pid, err)
	}
	// The command name (field 2) may hold spaces; the fields after it do not.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("read CPU time of pid %d: short stat line", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("read CPU time of pid %d: %w", pid, err)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
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

// cleanup deletes the bench's keys, a page of SCAN per UNLINK.
func cleanup(rdb redis.UniversalClient, prefix string) {
	ctx := context.Background()
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			fmt.Fprintln(os.Stderr, "pulse-bench: clean up:", err)
			return
		}
		if len(keys) > 0 {
			rdb.Unlink(ctx, keys...)
		}
		if cursor = next; cursor == 0 {
			return
		}
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
