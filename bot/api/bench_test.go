package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// BenchmarkProgressUpdates measures progress updates per second through
// the API (HTTP, token check, rate limit, the core's atomic update keyed by
// Idempotency-Key, the channel post) beside the same updates typed in chat
// (Service.Handle of a channel message, the path an inbox worker takes),
// against one goal and spread over 100 goals, on the real Redis. After
// each run every update is counted in Redis, and a replay of keys already
// used must record nothing: the exactly-once guarantee is checked, not
// assumed.
//
//	go test ./bot/api -run '^$' -bench BenchmarkProgressUpdates -benchtime 2000x
func BenchmarkProgressUpdates(b *testing.B) {
	for _, goals := range []int{1, 100} {
		b.Run(fmt.Sprintf("api/goals=%d", goals), func(b *testing.B) { benchUpdates(b, goals, true) })
		b.Run(fmt.Sprintf("chat/goals=%d", goals), func(b *testing.B) { benchUpdates(b, goals, false) })
	}
}

func benchUpdates(b *testing.B, goals int, viaAPI bool) {
	h := newHarness(b, 1<<30)
	ids := make([]string, goals)
	for i := range ids {
		ids[i] = h.goal(maya, fmt.Sprintf("Raise checkout conversion %d from 2.1%% to 3.2%% by 2026-12-31 for team growth", i))
	}
	tok := h.token(maya, "growth", "bench")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var seq atomic.Int64
	update := func(n int64, replay bool) error {
		id := ids[int(n)%goals]
		value := fmt.Sprintf("2.%d", n%9+1)
		if !viaAPI {
			resp, err := h.svc.Handle(context.Background(), bot.Event{Key: fmt.Sprintf("bench:%d", n), Kind: bot.KindMessage,
				Platform: bot.PlatformConsole, User: alice, Channel: "growth-channel", Text: id + " " + value + "% bench",
				Message: bot.MessageRef{Platform: bot.PlatformConsole, Channel: "growth-channel", ID: fmt.Sprint(n)}})
			// A replayed chat event is answered with silence, as a platform retry is.
			if err != nil || (resp.Reaction != "check") != replay {
				return fmt.Errorf("chat update %d: %v (%q)", n, err, bot.PlainText(resp.Reply))
			}
			return nil
		}
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/goals/"+id+"/progress", strings.NewReader(`{"value": `+value+`, "note": "bench"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Idempotency-Key", fmt.Sprintf("bench:%d", n))
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		// Read the body to its end so the connection is reused.
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("api update %d: status %d", n, resp.StatusCode)
		}
		return nil
	}
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := update(seq.Add(1), false); err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(seq.Load())/elapsed.Seconds(), "updates/s")
	// Exactly once: every update landed once, and replaying keys records nothing.
	for n := int64(1); n <= min(seq.Load(), 50); n++ {
		if err := update(n, true); err != nil {
			b.Fatal(err)
		}
	}
	total := 0
	for _, id := range ids {
		total += len(h.updates(id))
	}
	if int64(total) != seq.Load() {
		b.Fatalf("%d updates stored for %d sent (and 50 replayed)", total, seq.Load())
	}
}
