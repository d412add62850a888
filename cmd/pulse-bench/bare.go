package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/store"
)

// floor is where the bare handler runs: the server the bench compares
// serve with.
type floor struct {
	base string
	stop func()
}

// startFloor serves the bare handler in a process of its own (this
// command again, with -serve-bare), as serve runs in one: its answers then
// cross the same process boundary and compete with the load generator for
// the CPU the same way. With inline it serves the handler inside this
// process instead, as before session 25, on the bench's own Redis client:
// there an answer wakes no other process, which no server a platform
// reaches can match; it is kept to compare.
func startFloor(inline bool, rdb redis.UniversalClient, redisURL, prefix string) (*floor, error) {
	if inline {
		srv := httptest.NewServer(bareHandler(rdb, prefix))
		return &floor{base: srv.URL, stop: srv.Close}, nil
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	// /proc/self/exe, not the path: a rebuild of the bench during a run
	// must not start another floor.
	cmd := exec.Command("/proc/self/exe", "-serve-bare", addr, "-redis", redisURL, "-bare-prefix", prefix)
	cmd.Stderr = os.Stderr
	c, err := startChild("the bare floor", cmd, syscall.SIGTERM, "http://"+addr)
	if err != nil {
		return nil, err
	}
	return &floor{base: "http://" + addr, stop: func() { _ = c.stop(5 * time.Second) }}, nil
}

// floorWhere names where the floor runs, for the bench's first line.
func floorWhere(inline bool) string {
	if inline {
		return "inside this process (-inline-floor)"
	}
	return "in its own process"
}

// serveBare is the bare floor's own process, until SIGTERM. It gets what
// serve gets unless the environment says otherwise: a Redis client from
// store.Connect (RESP2, the same timeouts), twice Go's default processors
// and a garbage collection at 300 % heap growth; the bench has no
// pipelining to give it, as the bare handler of issue 11 had none.
func serveBare(addr, redisURL, prefix string) error {
	if prefix == "" {
		return errors.New("-serve-bare needs -bare-prefix: the floor's keys must stay under the bench's prefix")
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(2 * runtime.GOMAXPROCS(0))
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	rdb, err := store.Connect(redisURL)
	if err != nil {
		return fmt.Errorf("bare floor: %w", err)
	}
	defer rdb.Close()
	mux := http.NewServeMux()
	mux.Handle("/slack/events", bareHandler(rdb, prefix))
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("bare floor: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	go func() { <-sig; _ = srv.Close() }()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("bare floor: %w", err)
	}
	return nil
}
