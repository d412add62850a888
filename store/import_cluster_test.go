package store

import (
	"context"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// The import scripts, like the core's, keep every key of one call in one
// Redis Cluster slot; this runs each of them under the slot checker.
func TestImportScriptKeysShareOneSlot(t *testing.T) {
	rdb, stop, err := StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	checker := &slotChecker{seen: map[string]bool{}}
	rdb.AddHook(checker)
	s := New(rdb, Options{})
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	alice, bob := bot.UserID("slack:T1:alice"), bot.UserID("feishu:tk:ou_bob")
	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	step("goal", s.ImportGoal(ctx, bot.Goal{ID: "G12", TeamID: "eng", Title: "t", Owner: alice, Current: 3}))
	step("update", s.ImportUpdate(ctx, bot.Update{GoalID: "G12", TeamID: "eng", Value: 3, Author: bob, At: at}))
	step("kudos", s.ImportKudos(ctx, bot.Kudos{ID: "K1", TeamID: "eng", From: alice, To: []bot.UserID{bob, alice}, At: at}))
	step("check-in", s.ImportCheckIn(ctx, bot.CheckIn{TeamID: "eng", Person: alice, Period: "2026-W10"}))
	for _, e := range checker.errors {
		t.Error(e)
	}
	for name, sc := range importScripts() {
		if !checker.seen[sc.Hash()] {
			t.Errorf("script %s was never run by this test", name)
		}
	}
	g, err := s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "after the import", Owner: alice}, bot.AuditEntry{})
	step("create goal after import", err)
	if g.ID != "G13" {
		t.Errorf("the first goal after importing G12 got id %s, want G13", g.ID)
	}
}
