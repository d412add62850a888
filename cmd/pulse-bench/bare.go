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
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
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
// process instead, as before session 25, where an answer wakes no other
// process: a floor no separate server can reach, kept to compare.
func startFloor(inline bool, rdb redis.UniversalClient, redisURL, prefix string) (*floor, error) {
	if inline {
		srv := httptest.NewServer(bareHandler(rdb, prefix))
		return &floor{base: srv.URL, stop: srv.Close}, nil
	}
	base, stop, err := startSelf("-serve-bare", "-redis", redisURL, "-bare-prefix", prefix)
	if err != nil {
		return nil, fmt.Errorf("bare floor: %w", err)
	}
	return &floor{base: base, stop: stop}, nil
}

// floorWhere names where the floor runs, for the bench's first line.
func floorWhere(inline bool) string {
	if inline {
		return "inside this process (-inline-floor)"
	}
	return "in its own process"
}

// serveBare is the bare floor's own process. Unless GOMAXPROCS is set,
// it runs twice Go's default processors, as serve does (its system calls
// keep their processor too): the floor gets every advantage serve has.
func serveBare(addr, redisURL, prefix string) error {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(2 * runtime.GOMAXPROCS(0))
	}
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return fmt.Errorf("-redis: %w", err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	mux := http.NewServeMux()
	mux.Handle("/slack/events", bareHandler(rdb, prefix))
	if err := serveUntilSignalled(addr, mux); err != nil {
		return fmt.Errorf("bare floor: %w", err)
	}
	return nil
}

// startSelf runs this command again with flag set to a free loopback
// address and the extra args, waits for its /readyz, and returns its base
// URL and how to stop it.
func startSelf(flag string, args ...string) (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, fmt.Errorf("find this command: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(exe, append([]string{flag, addr}, args...)...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} // gone with the bench, however it ends
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start %s: %w", flag, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	if err := waitReady("http://"+addr, 10*time.Second); err != nil {
		stop()
		return "", nil, err
	}
	return "http://" + addr, stop, nil
}

// serveUntilSignalled serves h at addr, with a /readyz, until SIGTERM.
func serveUntilSignalled(addr string, h http.Handler) error {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	go func() { <-sig; _ = srv.Close() }()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
