package slack

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Twenty people's `/goal G1 +1` arriving at once as slash commands: every
// one is answered 200 and recorded, and the goal ends at the exact sum.
func TestTwentyConcurrentSlashCommandUpdatesAllLand(t *testing.T) {
	h := newServiceHarness(t)
	ctx := context.Background()
	_, text := commandReplyText(t, h.postForm("/slack/commands",
		commandForm(t, h, "/goal", "new Team orders from 0 to 500 orders by 2026-12-31 for team Growth")))
	goals, err := h.store.TeamGoals(ctx, "growth")
	if err != nil || len(goals) != 1 {
		t.Fatalf("goal not created (%q): %v %v", text, goals, err)
	}
	id := goals[0].ID

	const n = 20
	var wg sync.WaitGroup
	start := make(chan struct{})
	codes := make([]int, n)
	for i := range n {
		form := commandForm(t, h, "/goal", id+" +1 orders")
		form.Set("trigger_id", fmt.Sprintf("trig-progress-%d", i))
		body := []byte(form.Encode())
		stamp := strconv.FormatInt(h.clock.Now().Unix(), 10)
		req, err := http.NewRequest(http.MethodPost, h.http.URL+"/slack/commands", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", stamp)
		req.Header.Set("X-Slack-Signature", "v0="+fmt.Sprintf("%x", sign(testSecret, stamp, body)))
		wg.Go(func() {
			<-start
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("command %d: %v", i, err)
				return
			}
			codes[i] = resp.StatusCode
			_ = resp.Body.Close()
		})
	}
	close(start)
	wg.Wait()
	h.settle()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("command %d answered %d, want 200", i, c)
		}
	}
	g, err := h.store.GetGoal(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ups, err := h.store.GoalUpdates(ctx, id, time.Time{}, h.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if g.Current != n || len(ups) != n {
		t.Fatalf("after %d concurrent /goal %s +1: current %v with %d updates, want %d and %d", n, id, g.Current, len(ups), n, n)
	}
}
