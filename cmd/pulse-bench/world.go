package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
)

// Who the events come from: a Slack team with one channel and its members.
const (
	slackTeam = "T1"
	channel   = "C1"
	members   = 50
)

// world is what the bench seeded: the store over the bench's prefix and
// the team goals, G1 first.
type world struct {
	st    *store.Store
	goals []string
}

// seed stores team Growth (channel C1, members U0…U49) and 1+many team
// goals (milestones), so every member may update every goal.
func seed(ctx context.Context, rdb redis.UniversalClient, prefix string, many int) (*world, error) {
	st := store.New(rdb, store.Options{Prefix: prefix})
	now := time.Now()
	svc, err := bot.NewService(bot.Config{Store: st, Clock: bot.NewManualClock(now), Log: zerolog.Nop()})
	if err != nil {
		return nil, err
	}
	team := bot.NewTeam("Growth", bot.PlatformSlack, channel, now)
	for i := range members {
		team.Members = append(team.Members, bot.NewUserID(bot.PlatformSlack, slackTeam, fmt.Sprintf("U%d", i)))
	}
	if err := svc.ApplyTeam(ctx, team); err != nil {
		return nil, fmt.Errorf("seed team: %w", err)
	}
	w := &world{st: st}
	for i := range 1 + many {
		g, err := st.CreateGoal(ctx, bot.Goal{TeamID: team.ID, Title: fmt.Sprintf("Bench goal %d", i+1),
			OwnerTeam: team.ID, CreatedBy: team.Members[0], Metric: bot.Metric{Milestone: true, Target: 100, Unit: "%"},
			Start: now, State: bot.GoalOpen, UpdatedAt: now}, bot.AuditEntry{})
		if err != nil {
			return nil, fmt.Errorf("seed goal: %w", err)
		}
		w.goals = append(w.goals, g.ID)
	}
	return w, nil
}

// recorded counts, by the message ts each update came from, the updates
// stored on goals.
func (w *world) recorded(ctx context.Context, goals []string) (map[string]int, error) {
	out := map[string]int{}
	for _, id := range goals {
		ups, err := w.st.GoalUpdates(ctx, id, time.Time{}, time.Now().Add(time.Hour))
		if err != nil {
			return nil, fmt.Errorf("read updates of %s: %w", id, err)
		}
		for _, u := range ups {
			out[u.Source.ID]++
		}
	}
	return out, nil
}

// fakeSlack answers the Web API calls serve makes and records, by message
// ts, the reactions it was asked to add.
type fakeSlack struct {
	mu        sync.Mutex
	reactions map[string]int
	replies   int
	// awaited are the message ts a drain waits for, still without a
	// reaction; allReacted is closed when the last of them gets one. The
	// drain waits on it instead of counting the reactions again and again,
	// which took CPU time and this lock from serve's calls.
	awaited    map[string]bool
	allReacted chan struct{}
}

func newFakeSlack() *fakeSlack { return &fakeSlack{reactions: map[string]int{}} }

// await returns a channel closed once every message in tss has a reaction.
func (f *fakeSlack) await(tss []string) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.awaited, f.allReacted = map[string]bool{}, make(chan struct{})
	for _, ts := range tss {
		if f.reactions[ts] == 0 {
			f.awaited[ts] = true
		}
	}
	if len(f.awaited) == 0 {
		close(f.allReacted)
	}
	return f.allReacted
}

// ServeHTTP answers a Web API call. It reads the form only where the
// answer needs it: a reply's form (its blocks) is the largest, and the
// fake takes CPU time from serve on the same machine, where the real
// Slack would take none.
func (f *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	var form url.Values
	if method == "users.info" || method == "reactions.add" {
		form, _ = url.ParseQuery(string(body))
	}
	w.Header().Set("Content-Type", "application/json")
	switch method {
	case "auth.test":
		fmt.Fprint(w, `{"ok":true,"user_id":"UBOT","bot_id":"BBOT","team_id":"T1","team":"Bench","user":"pulse"}`)
	case "users.info":
		id := form.Get("user")
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"team_id":"T1","name":%q,"real_name":%q,"tz":"UTC"}}`, id, id, id)
	case "reactions.add":
		f.react(form.Get("timestamp"))
		fmt.Fprint(w, `{"ok":true}`)
	case "chat.postMessage", "chat.postEphemeral":
		f.mu.Lock()
		f.replies++
		n := f.replies
		f.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1800000000.%06d","message_ts":"1800000000.%06d"}`, channel, n, n)
	default:
		fmt.Fprint(w, `{"ok":true}`)
	}
}

// react records a reaction to the message ts.
func (f *fakeSlack) react(ts string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reactions[ts]++
	if f.awaited[ts] {
		delete(f.awaited, ts)
		if len(f.awaited) == 0 {
			close(f.allReacted)
		}
	}
}

// reacted counts the events among tss that got at least one reaction.
func (f *fakeSlack) reacted(tss []string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, ts := range tss {
		if f.reactions[ts] > 0 {
			n++
		}
	}
	return n
}

// reactionsTo returns how many reactions the message ts got.
func (f *fakeSlack) reactionsTo(ts string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reactions[ts]
}
