package store_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store/storetest"
)

// BenchmarkRecordUpdate measures a warm progress update on the real Redis:
// one script call that moves the value, appends history, indexes and audit.
func BenchmarkRecordUpdate(b *testing.B) {
	ctx := context.Background()
	s := storetest.MustOpen(b)
	rt := storetest.CountRoundTrips(s)
	g, err := s.CreateGoal(ctx, bot.Goal{TeamID: "bench", Title: "t", Owner: alice}, bot.AuditEntry{})
	if err != nil {
		b.Fatal(err)
	}
	audit := bot.AuditEntry{At: t0, Actor: alice, Action: "goal.updated", Subject: g.ID}
	rt.Reset()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		u := bot.Update{GoalID: g.ID, Author: alice,
			At: t0.Add(time.Duration(i) * time.Second), Note: "progress", Key: "ev-" + strconv.Itoa(i)}
		if _, err := s.RecordUpdate(ctx, u, bot.ProgressChange{Number: 1, Relative: true}, audit); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(rt.N())/float64(i), "roundtrips/op")
}

// BenchmarkGiveKudos measures giving a kudos to two people on the real
// Redis: allowance check, kudos, indexes and audit in one script call.
func BenchmarkGiveKudos(b *testing.B) {
	ctx := context.Background()
	s := storetest.MustOpen(b)
	rt := storetest.CountRoundTrips(s)
	audit := bot.AuditEntry{At: t0, Actor: alice, Action: "kudos.given"}
	rt.Reset()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		k := bot.Kudos{TeamID: "bench", From: alice, To: []bot.UserID{bob, carol}, Message: "thanks",
			Values: []string{"ownership"}, At: t0.Add(time.Duration(i) * time.Millisecond), Key: "ev-" + strconv.Itoa(i)}
		if _, err := s.GiveKudos(ctx, k, "2026-03-02", 1<<30, audit); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(rt.N())/float64(i), "roundtrips/op")
}

// BenchmarkTeamUpdatesWindow reads a 10-minute window out of a team
// history of 2,000 updates: the cost follows the window (10 records), not
// the history, because the read walks the time index.
func BenchmarkTeamUpdatesWindow(b *testing.B) {
	ctx := context.Background()
	s := storetest.MustOpen(b)
	g, err := s.CreateGoal(ctx, bot.Goal{TeamID: "bench", Title: "t", Owner: alice}, bot.AuditEntry{})
	if err != nil {
		b.Fatal(err)
	}
	const history = 2000
	for i := range history {
		u := bot.Update{GoalID: g.ID, At: t0.Add(time.Duration(i) * time.Minute)}
		if _, err := s.RecordUpdate(ctx, u, bot.ProgressChange{Number: float64(i + 1)}, bot.AuditEntry{}); err != nil {
			b.Fatal(err)
		}
	}
	from := t0.Add(history / 2 * time.Minute)
	rt := storetest.CountRoundTrips(s)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		ups, err := s.TeamUpdates(ctx, "bench", from, from.Add(10*time.Minute))
		if err != nil || len(ups) != 10 {
			b.Fatalf("window: %d updates, %v", len(ups), err)
		}
		n++
	}
	b.ReportMetric(float64(rt.N())/float64(n), "roundtrips/op")
}
