package scheduler

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
	"github.com/pulse-bot/pulse/scheduler/jobrun"
)

// recorder is the shared recording messenger with the counts these tests read.
type recorder struct{ bottest.Messenger }

// prompts counts check-in prompts per person.
func (r *recorder) prompts() map[bot.UserID]int {
	out := map[bot.UserID]int{}
	for _, s := range r.Sent() {
		if s.To.User != "" && strings.HasPrefix(s.Key, string(bot.JobCheckInPrompt)+":") {
			out[s.To.User]++
		}
	}
	return out
}

func (r *recorder) channelPosts(channel string) int {
	n := 0
	for _, s := range r.Sent() {
		if s.To.Channel == channel && s.To.Thread == "" {
			n++
		}
	}
	return n
}

// The real core plans and sends through the scheduler: every member gets
// one prompt in their language and their check-in conversation opens, a
// crash before acknowledging does not prompt anyone twice, and the digest
// posts once however often it is run.
func TestServicePromptsEveryMemberOnceThroughTheQueue(t *testing.T) {
	monday := local(t, "Europe/Berlin", 2026, 3, 23, 10, 1)
	e := newEnv(t, monday)
	team := e.team("eng", "Europe/Berlin", 4, func(tm *bot.Team) { tm.CreatedAt = monday.Add(-12 * time.Hour) })
	e.person(bot.Person{ID: team.Members[3], Name: "Li", Locale: bot.Chinese, TimeZone: "Asia/Shanghai"})

	rec := &recorder{}
	limiter := e.limiter(nil)
	svc, err := bot.NewService(bot.Config{Store: e.st, Messenger: limiter.Wrap(rec), Clock: e.clock, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	replica := func(name string) *Scheduler {
		return e.scheduler(name, func(c *Config) { c.Planner = svc })
	}
	dying := replica("w")
	dying.hooks.afterComplete = crashAt(2)
	e.tick(dying)
	if _, err := dying.workOnce(context.Background(), "w"); !errors.Is(err, errCrashed) {
		t.Fatalf("worker did not crash: %v", err)
	}
	restarted := replica("w")
	e.drain(restarted, "w")

	dms := rec.prompts()
	for _, m := range team.Members[:3] {
		if dms[m] != 1 {
			t.Errorf("%s got %d prompts, want 1", m, dms[m])
		}
		conv, err := e.st.Conversation(context.Background(), m)
		if err != nil || conv.TeamID != team.ID || conv.Period != "2026-W13" {
			t.Errorf("%s: conversation %+v (%v), want eng 2026-W13", m, conv, err)
		}
	}
	// Li is prompted at 10:00 Shanghai time, hours earlier the same local
	// day: the wake runs that missed fire too.
	if dms[team.Members[3]] != 1 {
		t.Errorf("Shanghai member got %d prompts, want 1", dms[team.Members[3]])
	}

	ctx := context.Background()
	friday := local(t, "Europe/Berlin", 2026, 3, 27, 16, 5)
	e.clock.Set(friday)
	first, err := restarted.RunNow(ctx, bot.JobScorecardDigest, team.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := restarted.RunNow(ctx, bot.JobScorecardDigest, team.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != jobrun.Done || first.Sent != 1 || second.ID != first.ID {
		t.Errorf("digest runs %+v then %+v, want one run with one post", first, second)
	}
	e.tick(restarted)
	e.drain(restarted, "w")
	if n := rec.channelPosts(team.Channel); n != 1 {
		t.Errorf("%d digests posted, want 1", n)
	}
}
