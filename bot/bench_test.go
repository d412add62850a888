package bot_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
	"github.com/pulse-bot/pulse/store/storetest"
)

// BenchmarkHandleProgressMessage measures a whole "G7 2.6% …" chat message:
// loading the person, their team, the goal, the atomic update and the reply,
// on real Redis. It reports Redis round trips per message.
func BenchmarkHandleProgressMessage(b *testing.B) {
	st := storetest.MustOpen(b)
	svc, goalID := benchService(b, st)
	rt := storetest.CountRoundTrips(st)
	ctx := context.Background()
	rt.Reset()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := svc.Handle(ctx, bot.Event{Key: fmt.Sprintf("bench:%d", i), Kind: bot.KindMessage, Platform: bot.PlatformConsole,
			User: alice, Channel: "growth", Text: fmt.Sprintf("%s +%d shipped", goalID, 1)})
		if err != nil || resp.Reaction != "check" {
			b.Fatalf("update %d: %v %+v", i, err, resp)
		}
	}
	b.ReportMetric(float64(rt.N())/float64(b.N), "roundtrips/op")
}

// BenchmarkHandleKudos measures a whole "/kudos @bob …" command with its
// allowance check, recipient notice and reply.
func BenchmarkHandleKudos(b *testing.B) {
	st := storetest.MustOpen(b)
	svc, _ := benchService(b, st)
	rt := storetest.CountRoundTrips(st)
	ctx := context.Background()
	rt.Reset()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := svc.Handle(ctx, asAdapter(bot.Event{Key: fmt.Sprintf("bench:k%d", i), Kind: bot.KindCommand, Platform: bot.PlatformConsole,
			User: alice, Channel: "growth", Text: "/kudos " + bot.Mention(bob) + " thanks"}))
		if err != nil || resp.Reply.IsZero() {
			b.Fatalf("kudos %d: %v", i, err)
		}
	}
	b.ReportMetric(float64(rt.N())/float64(b.N), "roundtrips/op")
}

func benchService(b *testing.B, st bot.Store) (*bot.Service, string) {
	b.Helper()
	ctx := context.Background()
	svc, err := bot.NewService(bot.Config{Store: st, Messenger: &bottest.Messenger{}, Clock: bot.NewManualClock(monday), Log: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	team := bot.NewTeam("Growth", bot.PlatformConsole, "growth", monday)
	team.Members = []bot.UserID{alice, bob}
	team.KudosAllowance = 100
	team.AnnounceKudos = false
	if err := svc.ApplyTeam(ctx, team); err != nil {
		b.Fatal(err)
	}
	for _, id := range []bot.UserID{alice, bob} {
		if err := st.SavePerson(ctx, bot.Person{ID: id, Name: id.Local(), Locale: bot.English}); err != nil {
			b.Fatal(err)
		}
	}
	g, err := st.CreateGoal(ctx, bot.Goal{TeamID: "growth", Title: "Orders", Owner: alice, Metric: bot.Metric{Target: 1e9},
		Start: monday, Due: monday.AddDate(0, 1, 0), State: bot.GoalOpen}, bot.AuditEntry{At: monday, Actor: alice, Action: "goal.created"})
	if err != nil {
		b.Fatal(err)
	}
	return svc, g.ID
}
