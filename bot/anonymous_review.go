package bot

// Anonymous peer reviews are stored like anonymous feedback answers: who
// has reviewed whom is one set (to show progress, remind and refuse a
// second review), the reviews another, with no author, no id, no time and
// no order. A review is kept under its author only while it is being
// written (the one-answer-at-a-time dialogue needs the draft, and only its
// author may read it); submitting drops the draft and stores the review
// with nothing that names its author, in one step. Reviews about a person
// are shown merged per question, never one by one, and only once no new
// one can ever arrive (CanSeeAnonymousReviews).

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// AnonymousReview is an anonymous peer review exactly as stored: about
// whom, the answers and ratings, nothing that says who wrote it or when.
type AnonymousReview struct {
	Subject UserID         `json:"subject"`
	Answers []string       `json:"answers"`
	Ratings map[string]int `json:"ratings,omitempty"`
}

// ReviewAnswerer says that Author submitted an anonymous peer review of Subject.
type ReviewAnswerer struct {
	Subject UserID `json:"subject"`
	Author  UserID `json:"author"`
}

// AnonymousReviews are what an anonymous cycle stores of its peer reviews:
// who reviewed whom (sorted by subject and author) and the reviews (sorted
// by subject and text), two lists with nothing linking them.
type AnonymousReviews struct {
	CycleID  string            `json:"cycle"`
	Answered []ReviewAnswerer  `json:"answered"`
	Reviews  []AnonymousReview `json:"reviews"`
}

// AnonymousReviewStore keeps anonymous peer reviews apart from who wrote them.
type AnonymousReviewStore interface {
	// SubmitAnonymousReview records that author reviewed rev.Subject,
	// stores rev with no author, and deletes the author's draft, in one
	// step with the audit entry (which names no one). ErrConflict when
	// author has already reviewed rev.Subject in the cycle.
	SubmitAnonymousReview(ctx context.Context, teamID, cycleID string, author UserID, rev AnonymousReview, a AuditEntry) error
	// CycleAnonymousReviews returns a cycle's answerers and reviews.
	CycleAnonymousReviews(ctx context.Context, teamID, cycleID string) (AnonymousReviews, error)
}

// SortAnonymousReviews puts both lists in the order that says nothing:
// answerers by subject and author, reviews by subject and their words.
func SortAnonymousReviews(x *AnonymousReviews) {
	slices.SortFunc(x.Answered, func(a, b ReviewAnswerer) int {
		return strings.Compare(string(a.Subject)+"|"+string(a.Author), string(b.Subject)+"|"+string(b.Author))
	})
	slices.SortFunc(x.Reviews, func(a, b AnonymousReview) int {
		return strings.Compare(string(a.Subject)+"|"+strings.Join(a.Answers, "\x00"), string(b.Subject)+"|"+strings.Join(b.Answers, "\x00"))
	})
}

// About returns the reviews of one subject.
func (x AnonymousReviews) About(subject UserID) []AnonymousReview {
	var out []AnonymousReview
	for _, r := range x.Reviews {
		if r.Subject == subject {
			out = append(out, r)
		}
	}
	return out
}

// anonymousDone stands for the submission time of an anonymous peer
// review, which is not stored: the marker answersOf gets says "done", no more.
var anonymousDone = time.Unix(1, 0).UTC()

// cycleAnswers are a cycle's answer sheets kept under their authors
// (self, manager, named peers and drafts) and its anonymous peer reviews.
type cycleAnswers struct {
	named []ReviewAnswers
	anon  AnonymousReviews
}

// loadCycleAnswers reads both kinds of a cycle's answers.
func (s *Service) loadCycleAnswers(ctx context.Context, teamID, cycleID string) (cycleAnswers, error) {
	named, err := s.store.CycleAnswers(ctx, teamID, cycleID)
	if err != nil {
		return cycleAnswers{}, fmt.Errorf("answers of %s: %w", cycleID, err)
	}
	anon, err := s.store.CycleAnonymousReviews(ctx, teamID, cycleID)
	if err != nil {
		return cycleAnswers{}, fmt.Errorf("anonymous reviews of %s: %w", cycleID, err)
	}
	return cycleAnswers{named: named, anon: anon}, nil
}

// progress indexes who has done what, for the steps, status and reminders:
// the named sheets, and for each anonymous answerer a marker that holds no
// answers (see answersOf).
func (c cycleAnswers) progress() map[string]ReviewAnswers {
	list := append([]ReviewAnswers(nil), c.named...)
	for _, a := range c.anon.Answered {
		list = append(list, ReviewAnswers{CycleID: c.anon.CycleID, Subject: a.Subject, Role: RolePeer, Author: a.Author, Submitted: anonymousDone})
	}
	return answersOf(list)
}

// submitAnonymousReview stores a finished anonymous peer review (see the
// top of this file); the audit entry says that someone reviewed the
// subject, not who, and carries no event key.
func (s *Service) submitAnonymousReview(ctx context.Context, r *request, p reviewPlace, ans ReviewAnswers) error {
	rev := AnonymousReview{Subject: ans.Subject, Answers: ans.Answers, Ratings: ans.Ratings}
	a := AuditEntry{At: r.now, Action: "review.submitted", Subject: p.cycle.ID + ":" + string(ans.Subject), Detail: RolePeer}
	return s.store.SubmitAnonymousReview(ctx, p.team.ID, p.cycle.ID, r.actor.ID, rev, a)
}
