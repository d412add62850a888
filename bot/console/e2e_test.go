package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/console"
	"github.com/pulse-bot/pulse/store/storetest"
)

// TestPipedSessionWithTheRealService drives the real core on the real
// Redis through a piped script, as `pulse try` does.
func TestPipedSessionWithTheRealService(t *testing.T) {
	ctx := context.Background()
	st := storetest.MustOpen(t)
	clock := bot.NewManualClock(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	id := func(name string) bot.UserID { return bot.NewUserID(bot.PlatformConsole, "demo", name) }
	router := bot.Router{}
	svc, err := bot.NewService(bot.Config{Store: st, Messenger: router, Clock: clock, Admins: []bot.UserID{id("maya")}})
	if err != nil {
		t.Fatal(err)
	}
	team := bot.NewTeam("Growth", bot.PlatformConsole, "growth", time.Time{})
	team.Members = []bot.UserID{id("alice"), id("bob")}
	team.Managers = []bot.UserID{id("maya")}
	team.Values = []string{"teamwork"}
	if err := svc.ApplyTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	script := strings.Join([]string{
		"/goal new Raise checkout conversion from 2.1% to 3% by 2026-12-31",
		"# G1 2.4% new cart copy",
		"/kudos @bob thanks for the review #teamwork",
		"/as bob",
		"/goal list team growth",
		"/quit",
	}, "\n")
	out := &strings.Builder{}
	con, err := console.New(console.Config{
		In: strings.NewReader(script), Out: out, Handler: svc, Workspace: "demo",
		Users: []string{"alice", "bob", "maya"}, Channel: "growth", Clock: clock, Echo: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	router[bot.PlatformConsole] = con
	if err := con.Run(ctx); err != nil {
		t.Fatalf("run: %v", err)
	}

	goals, err := st.TeamGoals(ctx, "growth")
	if err != nil {
		t.Fatal(err)
	}
	if len(goals) != 1 || goals[0].ID != "G1" || goals[0].Current != 2.4 || goals[0].Owner != id("alice") {
		t.Fatalf("goals after the session = %+v\n%s", goals, out)
	}
	kudos, err := st.TeamKudos(ctx, "growth", clock.Now().Add(-time.Hour), clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(kudos) != 1 || kudos[0].From != id("alice") || len(kudos[0].To) != 1 || kudos[0].To[0] != id("bob") {
		t.Fatalf("kudos after the session = %+v\n%s", kudos, out)
	}
	for _, want := range []string{
		"alice> /goal new Raise checkout conversion",
		"alice> # G1 2.4% new cart copy\n(Pulse reacted with ✅ to your message)",
		"→ DM to bob:",
		"bob> /goal list team growth",
		"Raise checkout conversion",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("transcript lacks %q:\n%s", want, out)
		}
	}
}
