package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
	"github.com/pulse-bot/pulse/store/storetest"
)

// A private personal goal is hidden from the team's other members, so an
// update fed by the API must not be announced in the team channel, where
// every member reads; a private team goal is the team's and is announced.
func TestAFedUpdateOnAPrivateGoalIsNotAnnouncedInTheTeamChannel(t *testing.T) {
	h := newHarness(t, 100)
	g := h.goal(alice, "Raise my checkout conversion from 2.1% to 3.2% by 2026-12-31")
	if reply := h.say(alice, "/goal edit "+g+" private on"); !strings.Contains(reply, g) {
		t.Fatalf("private on: %q", reply)
	}
	tok := h.token(maya, "growth", "shop")
	before := len(h.out.Sent())
	if a := h.call("POST", "/api/v1/goals/"+g+"/progress", tok, "p1", `{"value": 2.5, "note": "secret plan"}`); a.status != 200 {
		t.Fatalf("%d %v", a.status, a.body)
	}
	for _, s := range h.out.Sent()[before:] {
		if s.To.Channel == "growth-channel" {
			t.Fatalf("a private goal's update was posted in the team channel: %q", bot.PlainText(s.Msg))
		}
	}
	if a := h.call("GET", "/api/v1/goals/"+g, tok, "", ""); a.status != 200 {
		t.Fatalf("the team's token (made by its manager) reads the private goal: %d %v", a.status, a.body)
	}
	tg := h.goal(maya, "Raise checkout conversion from 2.1% to 3.2% by 2026-12-31 for team growth")
	h.say(maya, "/goal edit "+tg+" private on")
	before = len(h.out.Sent())
	h.call("POST", "/api/v1/goals/"+tg+"/progress", tok, "p2", `{"value": 2.5}`)
	if sent := h.out.Sent()[before:]; len(sent) != 1 || sent[0].To.Channel != "growth-channel" {
		t.Fatalf("a private team goal's update: posts %v", sent)
	}
}

// Broadcast mentions typed into a note or status never reach the channel as mentions.
func TestNotesCannotBroadcastInTheChannel(t *testing.T) {
	h := newHarness(t, 100)
	g := h.goal(maya, "Raise checkout conversion from 2.1% to 3.2% by 2026-12-31 for team growth")
	tok := h.token(maya, "growth", "shop")
	before := len(h.out.Sent())
	a := h.call("POST", "/api/v1/goals/"+g+"/progress", tok, "n1", `{"value": 2.5, "note": "<!channel> <!here> @everyone <at user_id=\"all\">all</at> <@U123>"}`)
	if a.status != 200 {
		t.Fatalf("%d %v", a.status, a.body)
	}
	for _, s := range h.out.Sent()[before:] {
		text := bot.PlainText(s.Msg)
		for _, bad := range []string{"<!channel>", "<!here>", "@everyone", `<at user_id="all">`} {
			if strings.Contains(text, bad) {
				t.Fatalf("channel post carries %s: %q", bad, text)
			}
		}
	}
}

// The token's secret never lands in the audit log or in any Redis key or value.
func TestTheTokenSecretIsNowhereInRedis(t *testing.T) {
	h := newHarness(t, 100)
	g := h.goal(maya, "Raise checkout conversion from 2.1% to 3.2% by 2026-12-31 for team growth")
	tok := h.token(maya, "growth", "shop")
	secret := tok[strings.LastIndex(tok, "_")+1:]
	h.call("POST", "/api/v1/goals/"+g+"/progress", tok, "s1", `{"value": 2.5}`)
	h.call("POST", "/api/v1/goals/"+g+"/progress", tok, "s2", `{"value": "x"}`)
	h.call("GET", "/api/v1/goals/"+g, tok, "", "")
	log, err := h.store.AuditLog(context.Background(), "growth", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		if strings.Contains(e.Detail+e.Subject, secret) {
			t.Fatalf("audit entry holds the secret: %+v", e)
		}
	}
	// Every value of every test key, whatever its type (the secret is
	// random, so a hit can only be this test's).
	ctx := context.Background()
	rdb := h.store.Client()
	iter := rdb.Scan(ctx, 0, "pulsetest:*", 1000).Iterator()
	checked := 0
	for iter.Next(ctx) {
		key := iter.Val()
		var vals []string
		switch rdb.Type(ctx, key).Val() {
		case "string":
			vals = []string{rdb.Get(ctx, key).Val()}
		case "hash":
			for k, v := range rdb.HGetAll(ctx, key).Val() {
				vals = append(vals, k, v)
			}
		case "list":
			vals = rdb.LRange(ctx, key, 0, -1).Val()
		case "set":
			vals = rdb.SMembers(ctx, key).Val()
		case "zset":
			vals = rdb.ZRange(ctx, key, 0, -1).Val()
		case "stream":
			for _, m := range rdb.XRange(ctx, key, "-", "+").Val() {
				for k, v := range m.Values {
					vals = append(vals, k, fmt.Sprint(v))
				}
			}
		}
		checked++
		for _, v := range append(vals, key) {
			if strings.Contains(v, secret) {
				t.Fatalf("Redis key %s holds the token's secret", key)
			}
		}
	}
	if err := iter.Err(); err != nil || checked == 0 {
		t.Fatalf("scanned %d keys: %v", checked, err)
	}
}

// Values and times at the edges are refused with a sentence, never stored.
func TestEdgeValuesAndTimesAreRefused(t *testing.T) {
	h := newHarness(t, 1000)
	g := h.goal(maya, "Raise checkout conversion from 2.1% to 3.2% by 2026-12-31 for team growth")
	tok := h.token(maya, "growth", "shop")
	for i, body := range []string{
		`{"value": 1e400}`, `{"value": NaN}`, `{"value": Infinity}`, `{"value": 1e16}`, `{"value": -1e16}`,
		`{"value": 1, "at": "0001-01-01T00:00:00Z"}`,
		`{"value": 1, "at": "9999-12-31T23:59:59Z"}`, `{"value": 1}{"value": 2}`, `[]`, `null`, `{"value": null}`,
		`{"value": 1, "status": "<!channel>"}`, `{"value": 1, "source": "<!here>"}`,
		strings.Repeat("[", 10000), `{"value": 1, "value": 2, "note": "\u0000\u202e\u2066\u2069"}`,
	} {
		key := "e" + string(rune('a'+i))
		a := h.call("POST", "/api/v1/goals/"+g+"/progress", tok, key, body)
		if a.status == 200 && i != 14 {
			t.Errorf("%s accepted: %v", body, a.body)
		}
		if a.status >= 500 {
			t.Errorf("%s: %d %v", body, a.status, a.body)
		}
	}
	if ups := h.updates(g); len(ups) != 1 || ups[0].Value != 2 || ups[0].Note != "" {
		t.Fatalf("updates %+v, want only the duplicate-field one (2) with its control and bidi-override note dropped", ups)
	}
}

// failingMessenger fails every direct message while fail is set.
type failingMessenger struct {
	bottest.Messenger
	fail atomic.Bool
}

func (m *failingMessenger) Send(ctx context.Context, to bot.Address, msg bot.Message, key string) (bot.MessageRef, error) {
	if m.fail.Load() && to.User != "" {
		return bot.MessageRef{}, errors.New("platform down")
	}
	return m.Messenger.Send(ctx, to, msg, key)
}

// A token whose direct message failed was never seen by anyone: it must
// not stay valid or keep its name, and the retry of the same command must
// deliver a working token.
func TestATokenWhoseDirectMessageFailedIsNotLeftBehind(t *testing.T) {
	st := storetest.MustOpen(t)
	out := &failingMessenger{}
	svc, err := bot.NewService(bot.Config{Store: st, Messenger: out, Clock: bot.NewManualClock(start), Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	tm := bot.NewTeam("growth", bot.PlatformConsole, "growth-channel", start)
	tm.Managers = []bot.UserID{maya}
	if err := svc.ApplyTeam(context.Background(), tm); err != nil {
		t.Fatal(err)
	}
	ev := bot.Event{Key: "dm-fail:1", Kind: bot.KindCommand, Platform: bot.PlatformConsole, User: maya,
		Channel: "growth-channel", Text: "/pulse token create growth ci"}
	out.fail.Store(true)
	if _, err := svc.Handle(context.Background(), ev); err == nil {
		t.Fatal("the token's direct message failed but the command succeeded")
	}
	if list, err := st.TeamAPITokens(context.Background(), "growth"); err != nil || len(list) != 0 {
		t.Fatalf("an unseen token was kept: %+v %v", list, err)
	}
	// The inbox delivers the failed event again once the platform is back.
	out.fail.Store(false)
	if resp, err := svc.Handle(context.Background(), ev); err != nil || !strings.Contains(bot.PlainText(resp.Reply), "direct") {
		t.Fatalf("retry: %q %v", bot.PlainText(resp.Reply), err)
	}
	dm := out.To(maya)
	if len(dm) != 1 || !tokenPattern.MatchString(bot.PlainText(dm[0].Msg)) {
		t.Fatalf("after the retry, direct messages %v", dm)
	}
	if _, err := svc.Authenticate(context.Background(), tokenPattern.FindString(bot.PlainText(dm[0].Msg))); err != nil {
		t.Fatalf("the delivered token does not work: %v", err)
	}
}

// Idempotency keys are the caller's own: another team using the same key
// ("2026-11-23", "1") neither replays nor blocks this team's update, and
// learns nothing about the other team's goals.
func TestTwoTeamsUsingTheSameIdempotencyKeyDoNotCollide(t *testing.T) {
	h := newHarness(t, 100)
	g := h.goal(maya, "Raise checkout conversion from 2.1% to 3.2% by 2026-12-31 for team growth")
	opsGoal := h.goal(omar, "Cut refund rate from 5% to 3% by 2026-12-31 for team ops")
	growth := h.token(maya, "growth", "shop")
	ops := h.token(omar, "ops", "erp")
	if a := h.call("POST", "/api/v1/goals/"+g+"/progress", growth, "2026-11-23", `{"value": 2.5}`); a.status != 200 {
		t.Fatalf("growth: %d %v", a.status, a.body)
	}
	a := h.call("POST", "/api/v1/goals/"+opsGoal+"/progress", ops, "2026-11-23", `{"value": 4.5}`)
	if a.status != 200 || a.body["replayed"] != false {
		t.Fatalf("ops with the key growth used: %d %v", a.status, a.body)
	}
	if n := len(h.updates(opsGoal)); n != 1 {
		t.Fatalf("ops goal has %d updates, want 1", n)
	}
}

// The limit holds over any minute: a token that spent it at 9:00:59 does
// not get it again at 9:01:00 (a fixed window let twice the limit through).
func TestTheRateLimitHoldsAcrossAWindowBoundary(t *testing.T) {
	h := newHarness(t, 10)
	g := h.goal(maya, "Raise checkout conversion from 2.1% to 3.2% by 2026-12-31 for team growth")
	tok := h.token(maya, "growth", "shop")
	h.clock.Advance(59*time.Second + 500*time.Millisecond)
	allowed := 0
	for i := 0; i < 10; i++ {
		if h.call("GET", "/api/v1/goals/"+g, tok, "", "").status == 200 {
			allowed++
		}
	}
	h.clock.Advance(time.Second) // 9:01:00.5
	for i := 0; i < 10; i++ {
		if a := h.call("GET", "/api/v1/goals/"+g, tok, "", ""); a.status == 200 {
			allowed++
		} else if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" {
			t.Fatalf("%d %v", a.status, a.header)
		}
	}
	if allowed > 10 {
		t.Fatalf("%d calls allowed within one second across the boundary, limit 10 a minute", allowed)
	}
	// Half a minute later half of the earlier calls no longer count.
	h.clock.Advance(30 * time.Second)
	if a := h.call("GET", "/api/v1/goals/"+g, tok, "", ""); a.status != 200 {
		t.Fatalf("half a minute later: %d", a.status)
	}
}

// A known address with the wrong method answers 405 with Allow, in the caller's language.
func TestAWrongMethodIsMethodNotAllowed(t *testing.T) {
	h := newHarness(t, 100)
	g := h.goal(maya, "Raise checkout conversion from 2.1% to 3.2% by 2026-12-31 for team growth")
	tok := h.token(maya, "growth", "shop")
	a := h.call("PUT", "/api/v1/goals/"+g+"/progress", tok, "k", `{"value": 2.5}`)
	h.wantProblem(a, http.StatusMethodNotAllowed, bot.English, "api_method_not_allowed", map[string]any{"Method": "PUT", "Allow": "POST"})
	if a.header.Get("Allow") != "POST" {
		t.Fatalf("Allow %q", a.header.Get("Allow"))
	}
	h.wantProblem(h.call("DELETE", "/api/v1/goals/"+g, tok, "", "", "Accept-Language", "zh-CN"), http.StatusMethodNotAllowed,
		bot.Chinese, "api_method_not_allowed", map[string]any{"Method": "DELETE", "Allow": "GET"})
	if n := len(h.updates(g)); n != 0 {
		t.Fatalf("%d updates", n)
	}
	if a := h.call("POST", "/api/v1/goals/"+g+"/progress", tok, "k", `{"value": 2.5}`); a.status != 200 {
		t.Fatalf("POST: %d %v", a.status, a.body)
	}
}
