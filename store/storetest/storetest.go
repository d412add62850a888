// Package storetest opens stores for tests: on the real Redis at $REDIS_URL
// or on the embedded server, each under its own key prefix that is deleted
// when the test ends, and counts round trips for benchmarks.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/store"
)

// DefaultURL is the Redis tests use when REDIS_URL is unset.
const DefaultURL = "redis://127.0.0.1:6379/0"

// URL is the Redis tests run against: $REDIS_URL, or DefaultURL. Tests
// that start a process of their own on the test Redis pass it this.
func URL() string {
	if url := os.Getenv("REDIS_URL"); url != "" {
		return url
	}
	return DefaultURL
}

// MustOpen returns a store on the real Redis at URL() under a fresh
// prefix "pulsetest:<random>:". When the test ends it deletes that
// prefix's keys and closes the client. If Redis does not answer, the test
// fails: the standards forbid skipping.
func MustOpen(tb testing.TB) *store.Store {
	tb.Helper()
	url := URL()
	rdb, err := store.Connect(url)
	if err != nil {
		tb.Fatalf("storetest: REDIS_URL %q: %v", url, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		tb.Fatalf("storetest: no Redis answers at %s (%v); start one (./scripts/test does) or set REDIS_URL", url, err)
	}
	return open(tb, rdb, func() { _ = rdb.Close() })
}

// MustOpenEmbedded returns a store on a fresh embedded server, with the same
// prefix and cleanup as MustOpen.
func MustOpenEmbedded(tb testing.TB) *store.Store {
	tb.Helper()
	rdb, stop, err := store.StartEmbedded()
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	return open(tb, rdb, stop)
}

func open(tb testing.TB, rdb redis.UniversalClient, closeFn func()) *store.Store {
	tb.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatalf("storetest: random prefix: %v", err)
	}
	prefix := "pulsetest:" + hex.EncodeToString(b[:]) + ":"
	s := store.New(rdb, store.Options{Prefix: prefix})
	tb.Cleanup(func() {
		if err := deletePrefix(context.Background(), rdb, prefix); err != nil {
			tb.Errorf("storetest: delete keys under %s: %v", prefix, err)
		}
		closeFn()
	})
	return s
}

// deletePrefix unlinks every key under prefix (which holds no glob
// characters), on each master of a Cluster.
func deletePrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) error {
	del := func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var batch []string
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == 500 {
				if err := unlink(ctx, c, batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return unlink(ctx, c, batch)
	}
	if cluster, ok := rdb.(*redis.ClusterClient); ok {
		return cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return del(ctx, c) })
	}
	return del(ctx, rdb)
}

// unlink deletes keys one command each in a pipeline, so keys of different
// Cluster slots never share a command.
func unlink(ctx context.Context, c redis.Cmdable, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Unlink(ctx, k)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("unlink: %w", err)
	}
	return nil
}

// RoundTrips counts the requests a client sends: each command and each
// pipeline (or MULTI/EXEC transaction) counts as one. A new connection's
// handshake (HELLO, AUTH, SELECT, CLIENT ...) is not counted: it is paid
// once per pooled connection, not per operation.
type RoundTrips struct{ n atomic.Int64 }

// N returns the count since the last Reset.
func (r *RoundTrips) N() int64 { return r.n.Load() }

// Reset sets the count to zero.
func (r *RoundTrips) Reset() { r.n.Store(0) }

// CountRoundTrips installs a hook on the store's client that counts round
// trips, so benchmarks can report roundtrips/op. Install it once per client.
func CountRoundTrips(s *store.Store) *RoundTrips {
	r := &RoundTrips{}
	s.Client().AddHook(countHook{r})
	return r
}

type countHook struct{ r *RoundTrips }

func (h countHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !handshake(cmd) {
			h.r.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (h countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if slices.ContainsFunc(cmds, notHandshake) {
			h.r.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// handshake reports whether cmd is part of setting up a connection.
func handshake(cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "auth", "select", "client", "readonly":
		return true
	}
	return false
}

func notHandshake(cmd redis.Cmder) bool { return !handshake(cmd) }
