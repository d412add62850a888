package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// event is one signed message.channels delivery.
type event struct {
	id, ts, body string
}

// eventSeq numbers every event of the run, so ids and message ts never repeat.
var eventSeq atomic.Int64

// newEvent is "G<k> 2.5% shipped step N" posted in the team channel by one
// of the members.
func newEvent(goal string) event {
	n := eventSeq.Add(1)
	id := "EvBench" + strconv.FormatInt(n, 10)
	ts := fmt.Sprintf("%d.%06d", 1700000000+n/1000000, n%1000000)
	user := "U" + strconv.FormatInt(n%members, 10)
	body := fmt.Sprintf(`{"token":"x","team_id":%q,"api_app_id":"A1","type":"event_callback","event_id":%q,"event_time":1700000000,`+
		`"event":{"type":"message","channel_type":"channel","channel":%q,"user":%q,"text":"%s 2.5%% shipped step %d","ts":%q,"event_ts":%q}}`,
		slackTeam, id, channel, user, goal, n, ts, ts)
	return event{id: id, ts: ts, body: body}
}

// post delivers ev to base signed as Slack signs it and returns the status
// (0 when the request failed) and how long the answer took.
func post(c *http.Client, base string, ev event) (int, time.Duration) {
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + stamp + ":" + ev.body))
	req, err := http.NewRequest(http.MethodPost, base+"/slack/events", strings.NewReader(ev.body))
	if err != nil {
		return 0, 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, time.Since(start)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

// sent is the outcome of one run: which events were acknowledged (2xx),
// the ack latencies, and the wall time from first send to last answer.
type sent struct {
	acked     []event
	refused   int
	latencies []time.Duration
	elapsed   time.Duration
}

func (s *sent) ackRate(events int) float64 { return float64(events) / s.elapsed.Seconds() }

func (s *sent) p(q float64) time.Duration {
	if len(s.latencies) == 0 {
		return 0
	}
	l := slices.Clone(s.latencies)
	slices.Sort(l)
	return l[min(len(l)-1, int(q*float64(len(l))))]
}

func newClient(conns int) *http.Client {
	return &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns}}
}

// flatOut sends events from c senders as fast as they are answered.
func flatOut(base string, events []event, c int) *sent {
	client := newClient(c)
	defer client.CloseIdleConnections()
	codes := make([]int, len(events))
	lat := make([]time.Duration, len(events))
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Go(func() {
			for i := range next {
				codes[i], lat[i] = post(client, base, events[i])
			}
		})
	}
	for i := range events {
		next <- i
	}
	close(next)
	wg.Wait()
	return outcome(events, codes, lat, time.Since(start))
}

// paced sends events at rate per second on a fixed schedule, each in its
// own request whatever the answers before it, so a slow answer shows as
// latency instead of slowing the load down.
func paced(base string, events []event, rate int) *sent {
	client := newClient(256)
	defer client.CloseIdleConnections()
	codes := make([]int, len(events))
	lat := make([]time.Duration, len(events))
	interval := time.Second / time.Duration(rate)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range events {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() { codes[i], lat[i] = post(client, base, events[i]) })
	}
	wg.Wait()
	return outcome(events, codes, lat, time.Since(start))
}

func outcome(events []event, codes []int, lat []time.Duration, elapsed time.Duration) *sent {
	s := &sent{latencies: lat, elapsed: elapsed}
	for i, code := range codes {
		if code >= 200 && code < 300 {
			s.acked = append(s.acked, events[i])
		} else {
			s.refused++
		}
	}
	return s
}

// bareHandler is the floor: verify the signature, claim the event id with
// SET NX, answer 200. It does nothing else.
func bareHandler(rdb redis.UniversalClient, prefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		stamp := r.Header.Get("X-Slack-Request-Timestamp")
		ts, err := strconv.ParseInt(stamp, 10, 64)
		if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
			http.Error(w, "stale", http.StatusUnauthorized)
			return
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte("v0:" + stamp + ":"))
		mac.Write(body)
		want := "v0=" + hex.EncodeToString(mac.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Slack-Signature"))) {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		var ev struct {
			EventID string `json:"event_id"`
		}
		if err := json.Unmarshal(body, &ev); err != nil || ev.EventID == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := rdb.SetNX(ctx, prefix+ev.EventID, 1, time.Hour).Err(); err != nil {
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
