package store_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/store"
)

// Every URL form gets bounded waits and honours context deadlines; a
// timeout the URL sets is kept.
func TestConnectBoundsEveryWaitInEveryForm(t *testing.T) {
	type waits struct {
		ctx                        bool
		dial, read, write, poolTmo time.Duration
	}
	defaults := waits{true, store.DialTimeout, store.ReadTimeout, store.WriteTimeout, store.PoolTimeout}
	optionsOf := func(t *testing.T, rdb redis.UniversalClient) waits {
		t.Helper()
		defer rdb.Close()
		switch c := rdb.(type) {
		case *redis.Client:
			o := c.Options()
			return waits{o.ContextTimeoutEnabled, o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout}
		case *redis.ClusterClient:
			o := c.Options()
			return waits{o.ContextTimeoutEnabled, o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout}
		}
		t.Fatalf("unexpected client %T", rdb)
		return waits{}
	}
	for _, tc := range []struct {
		url  string
		want waits
	}{
		{"redis://db:6379/0", defaults},
		{"rediss://db:6380/0", defaults},
		{"redis://s1:26379/2?master_name=mymaster&addr=s2:26379", defaults},
		{"redis://n1:7000?cluster=true&addr=n2:7000", defaults},
		{"redis://db:6379/0?read_timeout=500ms&dial_timeout=300ms",
			waits{true, 300 * time.Millisecond, 500 * time.Millisecond, store.WriteTimeout, store.PoolTimeout}},
		{"redis://n1:7000?cluster=true&write_timeout=700ms&pool_timeout=4s",
			waits{true, store.DialTimeout, store.ReadTimeout, 700 * time.Millisecond, 4 * time.Second}},
		{"redis://s1:26379/2?master_name=m&read_timeout=1500ms",
			waits{true, store.DialTimeout, 1500 * time.Millisecond, store.WriteTimeout, store.PoolTimeout}},
	} {
		rdb, err := store.Connect(tc.url)
		must(t, tc.url, err)
		if got := optionsOf(t, rdb); got != tc.want {
			t.Errorf("%s: waits %+v, want %+v", tc.url, got, tc.want)
		}
	}
}
