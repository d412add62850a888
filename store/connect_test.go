package store_test

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/store"
)

func TestConnectParsesEveryURLForm(t *testing.T) {
	single, err := store.Connect("redis://user:secret@db.example:6390/3?dial_timeout=2s")
	must(t, "single", err)
	c, ok := single.(*redis.Client)
	if !ok {
		t.Fatalf("redis:// gave %T, want *redis.Client", single)
	}
	o := c.Options()
	if o.Addr != "db.example:6390" || o.DB != 3 || o.Username != "user" || o.Password != "secret" || o.TLSConfig != nil {
		t.Fatalf("redis:// options: addr %s db %d user %s tls %v", o.Addr, o.DB, o.Username, o.TLSConfig != nil)
	}
	_ = c.Close()

	tlsClient, err := store.Connect("rediss://db.example:6380/0")
	must(t, "tls", err)
	if o := tlsClient.(*redis.Client).Options(); o.TLSConfig == nil || o.TLSConfig.ServerName != "db.example" {
		t.Fatal("rediss:// did not turn on TLS for the host")
	}
	_ = tlsClient.Close()

	cluster, err := store.Connect("redis://n1:7000?cluster=true&addr=n2:7000&addr=n3:7000")
	must(t, "cluster", err)
	if _, ok := cluster.(*redis.ClusterClient); !ok {
		t.Fatalf("cluster=true gave %T, want *redis.ClusterClient", cluster)
	}
	_ = cluster.Close()

	sentinel, err := store.Connect("redis://s1:26379/2?master_name=mymaster&addr=s2:26379")
	must(t, "sentinel", err)
	if _, ok := sentinel.(*redis.Client); !ok {
		t.Fatalf("master_name gave %T, want a failover *redis.Client", sentinel)
	}
	_ = sentinel.Close()

	for _, bad := range []string{"http://db:6379", "redis://db:6379/notanumber", "::"} {
		if _, err := store.Connect(bad); err == nil {
			t.Errorf("Connect(%q) accepted a bad url", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("Connect error leaks the password: %v", err)
		}
	}
}
