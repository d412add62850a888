package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

func TestReviewStoreRedis(t *testing.T)    { runReviewStore(t, storetest.MustOpen) }
func TestReviewStoreEmbedded(t *testing.T) { runReviewStore(t, storetest.MustOpenEmbedded) }

// runReviewStore checks the guarded writes: a stale sheet is refused and
// changes nothing, a request is answered once per person, a retried event
// stores once, and every write appends its audit entry.
func runReviewStore(t *testing.T, open func(testing.TB) *store.Store) {
	st := open(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	ann, ben := bot.UserID("console:rv:ann"), bot.UserID("console:rv:ben")
	audit := func(action, key string) bot.AuditEntry {
		return bot.AuditEntry{At: at, Actor: ann, Action: action, Key: key}
	}

	c, err := st.CreateReviewCycle(ctx, bot.ReviewCycle{TeamID: "t", Title: "H2", Due: at.AddDate(0, 0, 20), Peers: 2, At: at},
		[]bot.UserID{ann, ben}, audit("review.started", "e1"))
	if err != nil || c.ID != "C1" {
		t.Fatalf("create cycle = %+v, %v", c, err)
	}
	if _, err := st.CreateReviewCycle(ctx, bot.ReviewCycle{TeamID: "t", Title: "H2"}, nil, audit("review.started", "e1")); !errors.Is(err, bot.ErrDuplicate) {
		t.Fatalf("retried create: %v", err)
	}
	sh, err := st.GetReviewSheet(ctx, "t", "C1", ann)
	if err != nil || sh.Version != 1 {
		t.Fatalf("sheet = %+v, %v", sh, err)
	}
	sh.Nominated = []bot.UserID{ben}
	saved, err := st.SaveReviewSheet(ctx, sh, audit("review.nominated", "e2"))
	if err != nil || saved.Version != 2 {
		t.Fatalf("save sheet = %+v, %v", saved, err)
	}
	sh.Peers = []bot.UserID{ben}
	if _, err := st.SaveReviewSheet(ctx, sh, audit("review.peers_approved", "e3")); !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("stale sheet saved: %v", err)
	}
	got, err := st.GetReviewSheet(ctx, "t", "C1", ann)
	if err != nil || len(got.Peers) != 0 || len(got.Nominated) != 1 {
		t.Fatalf("sheet after conflict = %+v, %v", got, err)
	}

	q, err := st.CreateFeedbackRequest(ctx, bot.FeedbackRequest{TeamID: "t", From: ann, Asked: []bot.UserID{ben}, Due: at.AddDate(0, 0, 7), At: at},
		audit("feedback.requested", "e4"))
	if err != nil {
		t.Fatal(err)
	}
	if back, err := st.GetFeedbackRequest(ctx, q.ID); err != nil || back.TeamID != "t" {
		t.Fatalf("get request = %+v, %v", back, err)
	}
	answer := bot.Feedback{TeamID: "t", From: ben, To: ann, Text: "clear", RequestID: q.ID, At: at}
	if _, err := st.SaveFeedback(ctx, answer, audit("feedback.answered", "e5")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveFeedback(ctx, answer, audit("feedback.answered", "e6")); !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("second answer: %v", err)
	}
	answers, err := st.RequestAnswers(ctx, "t", q.ID)
	if err != nil || len(answers) != 1 || answers[0].Text != "clear" {
		t.Fatalf("answers = %+v, %v", answers, err)
	}
	all, err := st.TeamFeedback(ctx, "t", at, at.Add(time.Second))
	if err != nil || len(all) != 1 {
		t.Fatalf("team feedback = %+v, %v", all, err)
	}

	log, err := st.AuditLog(ctx, "t", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"feedback.answered", "feedback.requested", "review.nominated", "review.started"}
	if len(log) != len(want) {
		t.Fatalf("audit log = %+v", log)
	}
	for i, a := range log {
		if a.Action != want[i] {
			t.Fatalf("audit %d = %s, want %s", i, a.Action, want[i])
		}
	}
}
