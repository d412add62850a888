package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// TestServeMountsTheAPIAndLinksTheFilesSources runs `pulse serve` with a
// team file declaring a metric source that links a goal, and pushes a
// value through /api/v1 with a stored token: the wiring end to end, on the
// real Redis and a fake Slack speaking its Web API.
func TestServeMountsTheAPIAndLinksTheFilesSources(t *testing.T) {
	env, st := redisEnv(t)
	ctx := context.Background()
	slack := &fakeSlack{}
	slackSrv := httptest.NewServer(slack)
	defer slackSrv.Close()
	now := time.Now()
	team := bot.NewTeam("Growth", bot.PlatformSlack, "C0GROWTH", now.AddDate(0, -1, 0))
	if err := st.SaveTeam(ctx, team, bot.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	g, err := st.CreateGoal(ctx, bot.Goal{TeamID: "growth", Title: "Checkout conversion", OwnerTeam: "growth",
		Metric: bot.Metric{Baseline: 2.1, Target: 3.2, Unit: "%"}, Current: 2.1, State: bot.GoalOpen,
		Start: now.AddDate(0, -1, 0), Due: now.AddDate(0, 2, 0), UpdatedAt: now.AddDate(0, -1, 0)}, bot.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.Repeat("s", 43)
	sum := sha256.Sum256([]byte(secret))
	tok := bot.APIToken{ID: "abcdefghijklmnop", Team: "growth", Name: "shop", Hash: hex.EncodeToString(sum[:]), CreatedAt: now}
	if err := st.SaveAPIToken(ctx, tok, bot.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, "teams.yaml", fmt.Sprintf(`teams:
  - name: Growth
    platform: slack
    channel: C0GROWTH
    sources:
      - name: shop-conversion
        url: http://127.0.0.1:1/stats
        path: data.conversion.rate
        schedule: "0 3 1 1 *"
        goals: [%s]
`, g.ID))
	for k, v := range map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret",
		"SLACK_API_URL": slackSrv.URL + "/", "PULSE_CONFIG": file} {
		env[k] = v
	}
	r := startReplica(t, env)
	if !strings.Contains(r.body(t, "/api/v1/openapi.json"), `"openapi": "3.1.0"`) {
		t.Fatal("serve does not serve the OpenAPI document")
	}
	req, _ := http.NewRequest("POST", r.base+"/api/v1/goals/"+g.ID+"/progress", strings.NewReader(`{"value": 2.4}`))
	req.Header.Set("Authorization", "Bearer pulse_"+tok.ID+"_"+secret)
	req.Header.Set("Idempotency-Key", "e2e-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"current":2.4`) || !strings.Contains(string(body), `"source":"shop-conversion"`) {
		t.Fatalf("push through serve: %d %s", resp.StatusCode, body)
	}
	eventually(t, 10*time.Second, "the channel post", func() bool {
		slack.mu.Lock()
		defer slack.mu.Unlock()
		for _, c := range slack.channels {
			if c == "C0GROWTH" {
				return true
			}
		}
		return false
	})
	linked, err := st.GetGoal(ctx, g.ID)
	if err != nil || linked.Source != "shop-conversion" {
		t.Fatalf("the file's link: %q %v", linked.Source, err)
	}
}
