package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store/storetest"
)

// An anonymous peer review is stored apart from who wrote it, in one step
// that also drops the writer's draft; a second review of the same person
// by the same writer is refused; forgetting the subject deletes the
// reviews about them and every answerer entry naming them, forgetting a
// writer only their answerer entries. Run it on a Cluster with
// REDIS_URL=redis://…:7201/0?cluster=true: the script's keys share a slot.
func TestAnonymousReviewsAreStoredApart(t *testing.T) {
	s := storetest.MustOpen(t)
	ctx := context.Background()
	must(t, "save eng", s.SaveTeam(ctx, fullTeam("eng"), bot.AuditEntry{}))
	c, err := s.CreateReviewCycle(ctx, bot.ReviewCycle{TeamID: "eng", Title: "H1", Due: t0.Add(48 * time.Hour), Peers: 3, Anonymous: true, At: t0},
		[]bot.UserID{alice, bob}, bot.AuditEntry{At: t0, Actor: carol, Action: "review.started"})
	must(t, "start", err)
	draft := bot.ReviewAnswers{CycleID: c.ID, TeamID: "eng", Subject: alice, Role: bot.RolePeer, Author: bob, Answers: []string{"half written"}, UpdatedAt: t0}
	must(t, "draft", s.SaveReviewAnswers(ctx, draft, bot.AuditEntry{At: t0, Action: "review.answered"}))
	submit := func(author, subject bot.UserID, text string) error {
		return s.SubmitAnonymousReview(ctx, "eng", c.ID, author, bot.AnonymousReview{Subject: subject, Answers: []string{text}},
			bot.AuditEntry{At: t0, Action: "review.submitted", Detail: bot.RolePeer})
	}
	must(t, "bob on alice", submit(bob, alice, "clear writer"))
	if err := submit(bob, alice, "again"); !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("second review by bob = %v, want ErrConflict", err)
	}
	must(t, "carol on alice", submit(carol, alice, "calm"))
	must(t, "alice on bob", submit(alice, bob, "fast"))
	named, err := s.CycleAnswers(ctx, "eng", c.ID)
	if err != nil || len(named) != 0 {
		t.Fatalf("named answers %+v, %v: the draft must go with the submission", named, err)
	}
	got, err := s.CycleAnonymousReviews(ctx, "eng", c.ID)
	if err != nil || len(got.Answered) != 3 || len(got.Reviews) != 3 {
		t.Fatalf("stored %+v, %v", got, err)
	}
	if first := got.Answered[0]; first.Subject != alice || first.Author != bob {
		t.Errorf("answerers not in subject, author order: %+v", got.Answered)
	}
	if about := got.About(alice); len(about) != 2 || about[0].Answers[0] != "calm" {
		t.Errorf("reviews of alice %+v, want two in text order", about)
	}

	// An import keeps exactly what an export holds: the two lists, apart.
	other := storetest.MustOpen(t)
	must(t, "import", other.ImportReviews(ctx, bot.ReviewExport{TeamID: "eng", Cycles: []bot.ReviewCycle{c}, AnonymousReviews: []bot.AnonymousReviews{got}}))
	back, err := other.CycleAnonymousReviews(ctx, "eng", c.ID)
	if err != nil || !reflect.DeepEqual(back, got) {
		t.Errorf("imported %+v, %v; exported %+v", back, err, got)
	}
	if err := other.ImportReviews(ctx, bot.ReviewExport{TeamID: "eng", AnonymousReviews: []bot.AnonymousReviews{{CycleID: "nope"}}}); err == nil {
		t.Error("an import of anonymous reviews of no cycle id was accepted")
	}

	must(t, "forget alice", s.ForgetPerson(ctx, alice, bot.AuditEntry{At: t0, Action: "forget"}))
	got, err = s.CycleAnonymousReviews(ctx, "eng", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.About(alice)) != 0 || len(got.Reviews) != 1 {
		t.Errorf("after forgetting alice, reviews %+v: those about her must go, hers about bob stay (they name no one)", got.Reviews)
	}
	for _, a := range got.Answered {
		if a.Subject == alice || a.Author == alice {
			t.Errorf("after forgetting alice an answerer entry names her: %+v", a)
		}
	}
}
