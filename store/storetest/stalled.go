package storetest

import (
	"net"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/store"
)

// Stalled returns a store on a Redis that accepts connections and never
// answers, as a stopped (SIGSTOPped) server does, for tests of what Pulse
// does when Redis cannot answer in time.
func Stalled(t testing.TB) *store.Store {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: StalledAddr(t)})
	t.Cleanup(func() { _ = rdb.Close() })
	return store.New(rdb, store.Options{Prefix: "stalled:"})
}

// StalledAddr listens on a loopback port that accepts connections and
// never answers, until the test ends; tests that need their own client
// settings (store.Connect's) dial it themselves.
func StalledAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}

// Connected returns a store under prefix over a client built as serve
// builds it (store.Connect: bounded waits, ContextTimeoutEnabled,
// retries) for url, closed when the test ends: for tests of what those
// settings do, on a stalled, refusing or private server.
func Connected(t testing.TB, url, prefix string) *store.Store {
	t.Helper()
	rdb, err := store.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return store.New(rdb, store.Options{Prefix: prefix})
}

// Down returns a store on a Redis address that refuses connections, as a
// stopped server's port does, for tests of what Pulse does when nothing
// could have been stored.
func Down(t testing.TB) *store.Store {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	return store.New(rdb, store.Options{Prefix: "down:"})
}
