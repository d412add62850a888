package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// The import scripts, like the core's, keep every key of one call in one
// Redis Cluster slot; this runs each of them under the slot checker.
func TestImportScriptKeysShareOneSlot(t *testing.T) {
	s, checker, step := slotCheckedStore(t)
	var err error
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	alice, bob := bot.UserID("slack:T1:alice"), bot.UserID("feishu:tk:ou_bob")
	step("goal", s.ImportGoal(ctx, bot.Goal{ID: "G12", TeamID: "eng", Title: "t", Owner: alice, Current: 3}))
	step("update", s.ImportUpdate(ctx, bot.Update{GoalID: "G12", TeamID: "eng", Value: 3, Author: bob, At: at}))
	step("kudos", s.ImportKudos(ctx, bot.Kudos{ID: "K1", TeamID: "eng", From: alice, To: []bot.UserID{bob, alice}, At: at}))
	step("check-in", s.ImportCheckIn(ctx, bot.CheckIn{TeamID: "eng", Person: alice, Period: "2026-W10"}))
	step("reviews", s.ImportReviews(ctx, bot.ReviewExport{TeamID: "eng",
		Settings: bot.ReviewSettings{FeedbackVisibility: bot.VisibilityPerson},
		Feedback: []bot.Feedback{{ID: "F3", TeamID: "eng", From: bob, To: alice, RequestID: "FR9", At: at}},
		Requests: []bot.FeedbackRequest{{ID: "FR9", TeamID: "eng", From: alice, Asked: []bot.UserID{bob}, At: at}},
		Cycles:   []bot.ReviewCycle{{ID: "C4", TeamID: "eng", Title: "H1", At: at}},
		Sheets:   []bot.ReviewSheet{{CycleID: "C4", TeamID: "eng", Person: alice, Version: 3}},
		Answers:  []bot.ReviewAnswers{{CycleID: "C4", TeamID: "eng", Subject: alice, Role: bot.RoleSelf, Author: alice, UpdatedAt: at}},
		Actions:  []bot.DevAction{{ID: "A2", TeamID: "eng", Person: alice, At: at}},
		Flags:    []bot.ReviewFlag{{TeamID: "eng", Person: alice, Period: "2026-W10", By: bob, At: at}},
	}))
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
	f, err := s.SaveFeedback(ctx, bot.Feedback{TeamID: "eng", From: alice, To: bob, At: at}, bot.AuditEntry{})
	step("feedback after import", err)
	q, err := s.CreateFeedbackRequest(ctx, bot.FeedbackRequest{TeamID: "eng", From: bob, Asked: []bot.UserID{alice}, At: at}, bot.AuditEntry{})
	step("request after import", err)
	c, err := s.CreateReviewCycle(ctx, bot.ReviewCycle{TeamID: "eng", At: at}, nil, bot.AuditEntry{})
	step("cycle after import", err)
	x, err := s.SaveDevAction(ctx, bot.DevAction{TeamID: "eng", Person: bob, At: at}, bot.AuditEntry{})
	step("action after import", err)
	if got := []string{f.ID, q.ID, c.ID, x.ID}; got[0] != "F4" || got[1] != "FR10" || got[2] != "C5" || got[3] != "A3" {
		t.Errorf("the first ids after the import are %v, want [F4 FR10 C5 A3]", got)
	}
	if _, err := s.SaveFeedback(ctx, bot.Feedback{TeamID: "eng", From: bob, To: alice, RequestID: "FR9", At: at}, bot.AuditEntry{}); !errors.Is(err, bot.ErrConflict) {
		t.Errorf("a second answer to the imported FR9 by the same person: %v, want ErrConflict", err)
	}
	sh, err := s.GetReviewSheet(ctx, "eng", "C4", alice)
	step("imported sheet", err)
	if _, err := s.SaveReviewSheet(ctx, sh, bot.AuditEntry{}); err != nil {
		t.Errorf("saving the imported sheet at its version %d: %v", sh.Version, err)
	}
}

// ImportReviews refuses records of another team or with ids it cannot
// number, and writes nothing of that team then.
func TestImportReviewsRejectsForeignRecords(t *testing.T) {
	rdb, stop, err := StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	s := New(rdb, Options{})
	ctx := context.Background()
	alice := bot.UserID("slack:T1:alice")
	for _, x := range []bot.ReviewExport{
		{TeamID: ""},
		{TeamID: "eng", Feedback: []bot.Feedback{{ID: "F1", TeamID: "ops", From: alice, To: alice}}},
		{TeamID: "eng", Feedback: []bot.Feedback{{ID: "FR1", TeamID: "eng", From: alice, To: alice}}},
		{TeamID: "eng", Requests: []bot.FeedbackRequest{{ID: "F1", TeamID: "eng"}}},
		{TeamID: "eng", Cycles: []bot.ReviewCycle{{ID: "C0", TeamID: "eng"}}},
		{TeamID: "eng", Sheets: []bot.ReviewSheet{{CycleID: "C1", TeamID: "eng"}}},
		{TeamID: "eng", Actions: []bot.DevAction{{ID: "A1", TeamID: "ops", Person: alice}}},
		{TeamID: "eng", Settings: bot.ReviewSettings{FeedbackVisibility: bot.VisibilityPerson}, Flags: []bot.ReviewFlag{{TeamID: "eng", Person: alice}}},
	} {
		if err := s.ImportReviews(ctx, x); err == nil {
			t.Errorf("ImportReviews(%+v) = nil, want an error", x)
		}
	}
	if rs, err := s.ReviewSettings(ctx, "eng"); err != nil || rs.FeedbackVisibility != "" {
		t.Errorf("a refused import wrote settings: %+v, %v", rs, err)
	}
}
