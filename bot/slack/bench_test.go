package slack

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store/storetest"
)

// counter is a handler that only counts: the benchmark measures the
// adapter's intake (verify, parse, queue, ack, then the inbox workers: profile, hand-off), not the core.
type counter struct{ n atomic.Int64 }

func (c *counter) Handle(context.Context, bot.Event) (bot.Response, error) {
	c.n.Add(1)
	return bot.Response{}, nil
}

// BenchmarkSlackEvents posts signed message events to /slack/events over
// loopback HTTP and reports events/s and ack latency percentiles, for the
// adapter (queueing in the real Redis inbox, workers draining it) and for a bare handler that only verifies
// the signature and does one Redis SET NX. "max" drives 32 concurrent
// clients as fast as answers come; "1000rps" paces one client at 1,000
// events/s. Run: go test -run '^$' -bench SlackEvents -benchtime 20000x ./bot/slack/
func BenchmarkSlackEvents(b *testing.B) {
	for _, target := range []string{"adapter", "bare"} {
		for _, mode := range []string{"max", "1000rps"} {
			b.Run(target+"/"+mode, func(b *testing.B) {
				url, settle := benchTarget(b, target)
				driveEvents(b, url, mode == "1000rps", settle)
			})
		}
	}
}

// benchTarget serves the adapter or the bare handler and returns its URL and
// a function that waits until every acknowledged event has been worked off.
func benchTarget(b *testing.B, target string) (string, func()) {
	if target == "adapter" {
		c := &counter{}
		h := newHarness(b, c)
		return h.http.URL + "/slack/events", h.settle
	}
	st := storetest.MustOpen(b)
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		ts := r.Header.Get("X-Slack-Request-Timestamp")
		got, _ := hex.DecodeString(strings.TrimPrefix(r.Header.Get("X-Slack-Signature"), "v0="))
		if !hmac.Equal(got, sign(testSecret, ts, body)) {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		// The event id sits at a fixed place in the benchmark's bodies.
		id := string(body[strings.Index(string(body), `"event_id":"`)+12:][:16])
		if _, err := st.FirstSeen(r.Context(), "bare:"+id, claimTTL); err != nil {
			http.Error(w, "redis", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	srv := httptest.NewServer(bare)
	b.Cleanup(srv.Close)
	return srv.URL, func() {}
}

func benchBody(i int64) []byte {
	return []byte(fmt.Sprintf(`{"token":"x","team_id":"%s","api_app_id":"A0PNCHHK2","event_id":"Ev%014d","type":"event_callback","event_time":1355517523,`+
		`"event":{"type":"message","channel":"C024BE91L","user":"U2147483697","text":"G7 2.6%% shipped the new payment page","ts":"1355517523.%06d","channel_type":"channel"}}`,
		testTeam, i, i))
}

func driveEvents(b *testing.B, url string, paced bool, settle func()) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128}}
	stamp := strconv.FormatInt(testNow.Unix(), 10)
	var seq atomic.Int64
	post := func() time.Duration {
		i := seq.Add(1)
		body := benchBody(i)
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Slack-Request-Timestamp", stamp)
		req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(sign(testSecret, stamp, body)))
		start := time.Now()
		resp, err := client.Do(req)
		d := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
		return d
	}
	post() // warm the connection and the profile cache
	settle()

	var mu sync.Mutex
	var lat []time.Duration
	b.ResetTimer()
	start := time.Now()
	if paced {
		// Send event i at start+i ms; after a stall, catch up at once so
		// the average rate stays 1,000/s.
		for i := 0; i < b.N; i++ {
			if wait := time.Until(start.Add(time.Duration(i) * time.Millisecond)); wait > 0 {
				time.Sleep(wait)
			}
			lat = append(lat, post())
		}
	} else {
		b.SetParallelism(16) // 16 × GOMAXPROCS clients
		b.RunParallel(func(pb *testing.PB) {
			var mine []time.Duration
			for pb.Next() {
				mine = append(mine, post())
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	settle() // count only events whose work is done
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)]) / float64(time.Millisecond) }
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "events/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
