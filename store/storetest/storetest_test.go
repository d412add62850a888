package storetest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// fatalTB records Fatalf and stops the goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestMustOpenFailsWhenNoRedisAnswers(t *testing.T) {
	t.Setenv("REDIS_URL", "redis://127.0.0.1:1/0")
	tb := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		MustOpen(tb)
		t.Error("MustOpen returned without a Redis")
	}()
	<-done
	if !strings.Contains(tb.msg, "no Redis answers at redis://127.0.0.1:1/0") {
		t.Fatalf("MustOpen failed with %q, want a clear message naming the url", tb.msg)
	}
}

func TestMustOpenCleansUpItsPrefix(t *testing.T) {
	ctx := context.Background()
	var prefix string
	var rdb redis.UniversalClient
	t.Run("user", func(t *testing.T) {
		s := MustOpen(t)
		prefix = s.Key("")
		if !strings.HasPrefix(prefix, "pulsetest:") {
			t.Fatalf("prefix %q", prefix)
		}
		for _, k := range []string{"a", "{team:x}:b", "{user:y}:c"} {
			if err := s.Client().Set(ctx, prefix+k, "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
	})
	rdb = MustOpen(t).Client()
	n, err := rdb.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(n) != 0 {
		t.Fatalf("keys left after cleanup: %v", n)
	}
}

func TestCountRoundTripsCountsAPipelineAsOne(t *testing.T) {
	ctx := context.Background()
	s := MustOpenEmbedded(t)
	rt := CountRoundTrips(s)
	if err := s.Client().Set(ctx, s.Key("x"), "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	_, err := s.Client().Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, s.Key("x"))
		p.Get(ctx, s.Key("y"))
		p.Incr(ctx, s.Key("z"))
		return nil
	})
	if err != nil && err != redis.Nil {
		t.Fatal(err)
	}
	if n := rt.N(); n != 2 {
		t.Fatalf("counted %d round trips for a command and a pipeline, want 2", n)
	}
	rt.Reset()
	if n := rt.N(); n != 0 {
		t.Fatalf("after reset: %d", n)
	}
}
