package store_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/store"
)

// A single Cluster endpoint must give a ClusterClient when cluster mode is
// asked for: go-redis's plain URL parser would silently give a standalone
// client, whose multi-slot commands then fail with MOVED on a real Cluster.
func TestConnectSingleClusterEndpointGivesClusterClient(t *testing.T) {
	for _, url := range []string{
		"redis://127.0.0.1:7001/0?cluster=true",
		"redis://127.0.0.1:7001?cluster=1&dial_timeout=1s",
		"rediss://user:pw@node.example:6380?cluster=true",
	} {
		c, err := store.Connect(url)
		if err != nil {
			t.Fatalf("Connect(%q): %v", url, err)
		}
		cc, ok := c.(*redis.ClusterClient)
		if !ok {
			t.Fatalf("Connect(%q) gave %T, want *redis.ClusterClient", url, c)
		}
		if addrs := cc.Options().Addrs; len(addrs) != 1 {
			t.Errorf("Connect(%q) seeds %v, want the one endpoint", url, addrs)
		}
		_ = c.Close()
	}
	plain, err := store.Connect("redis://127.0.0.1:7001/0")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := plain.(*redis.Client); !ok {
		t.Errorf("without cluster=true Connect gave %T, want *redis.Client", plain)
	}
	_ = plain.Close()
}
