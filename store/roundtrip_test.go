package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

// The hot paths promise their round trips: RecordUpdate one once the
// goal's team is cached (two before), a chat update's first read with its
// goal one, GiveKudos one.
func TestRoundTripsOfHotWrites(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	rt := storetest.CountRoundTrips(s)
	g, err := s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "t", Owner: alice}, bot.AuditEntry{})
	must(t, "create goal", err)
	// Load the scripts into the server first: a NOSCRIPT fallback is a
	// once-per-server cost, not the steady state.
	_, err = s.RecordUpdate(ctx, bot.Update{GoalID: g.ID, At: t0}, bot.ProgressChange{Number: 1}, bot.AuditEntry{})
	must(t, "first update", err)
	_, err = s.GiveKudos(ctx, bot.Kudos{TeamID: "eng", From: alice, To: []bot.UserID{bob}, At: t0}, "d", 100, bot.AuditEntry{})
	must(t, "first kudos", err)

	rt.Reset()
	_, err = s.RecordUpdate(ctx, bot.Update{GoalID: g.ID, At: t0, Key: "k"}, bot.ProgressChange{Number: 1, Relative: true},
		bot.AuditEntry{At: t0, Action: "goal.updated"})
	must(t, "warm update", err)
	if n := rt.N(); n != 1 {
		t.Fatalf("warm RecordUpdate took %d round trips, want 1", n)
	}

	cold := store.New(s.Client(), store.Options{Prefix: s.Key("")})
	rt.Reset()
	_, err = cold.RecordUpdate(ctx, bot.Update{GoalID: g.ID, At: t0}, bot.ProgressChange{Number: 3}, bot.AuditEntry{})
	must(t, "cold update", err)
	if n := rt.N(); n != 2 {
		t.Fatalf("RecordUpdate with a cold goal cache took %d round trips, want 2", n)
	}

	// A chat update's first read carries its goal: one round trip where
	// Membership and GetGoal take two.
	rt.Reset()
	_, read, err := s.MembershipWithGoal(ctx, alice, g.ID)
	must(t, "membership with goal", err)
	if n := rt.N(); n != 1 || !read.Done {
		t.Fatalf("MembershipWithGoal took %d round trips (goal read: %v), want 1", n, read.Done)
	}

	rt.Reset()
	_, err = s.GiveKudos(ctx, bot.Kudos{TeamID: "eng", From: alice, To: []bot.UserID{bob, carol}, At: t0.Add(time.Second), Key: "k"},
		"d", 100, bot.AuditEntry{At: t0, Action: "kudos.given"})
	must(t, "kudos", err)
	if n := rt.N(); n != 1 {
		t.Fatalf("GiveKudos took %d round trips, want 1", n)
	}
}
