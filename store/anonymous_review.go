package store

// Anonymous peer reviews (bot.AnonymousReviewStore). Keys, with T = P{team:<id>}:
//
//	T rv:anon:<cid>:answered  zset  "<subject>|<author>" → 0   who reviewed whom
//	T rv:anon:<cid>:reviews   zset  review → random score       the reviews
//	T rv:anon:<cid>:call:<c>  string  "1" for 10 minutes: one call done (c random, per call)
//
// A review member is bot.AnonymousReview JSON (subject, answers, ratings)
// with a random nonce, so two equal reviews stay two. As for anonymous
// feedback (anonymous.go): sorted sets, the answerers by id (score 0), the
// reviews by a random score, so no order says who submitted when; the
// review has no author, id or time, the audit entry names no one, and the
// author's draft (rv:answers:<cid>) is deleted in the same step.

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
)

var _ bot.AnonymousReviewStore = (*Store)(nil)

// anonymousReviewLua records one anonymous peer review. The call marks
// itself under its own random id (KEYS[5], no author in it) for a while,
// so the client resending it after a lost reply hears 'ok', not 'conflict'.
// KEYS: audit, answered, reviews, drafts, this call's mark. ARGV: answerer,
// review member, score, draft field, audit entry, audit cap, mark ttl.
// Returns 'conflict' or 'ok'.
const anonymousReviewLua = `
if redis.call('EXISTS', KEYS[5]) == 1 then return 'ok' end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 'conflict' end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
redis.call('HDEL', KEYS[4], ARGV[4])
redis.call('SET', KEYS[5], '1', 'EX', ARGV[7])
audit(KEYS[1], ARGV[5], ARGV[6])
return 'ok'
`

var anonymousReviewScript = redis.NewScript(auditLua + anonymousReviewLua)

// anonymousReviewMember is how a review is kept: its fields and a nonce.
type anonymousReviewMember struct {
	bot.AnonymousReview
	Nonce string `json:"n"`
}

func answererMember(subject, author bot.UserID) string { return string(subject) + "|" + string(author) }

// reviewMember encodes a review with a fresh nonce, and a fresh random score.
func reviewMember(rev bot.AnonymousReview) (string, float64, error) {
	nonce, err := randomHex(8)
	if err != nil {
		return "", 0, err
	}
	score, err := randomScore()
	if err != nil {
		return "", 0, err
	}
	member, err := encode("anonymous review", anonymousReviewMember{AnonymousReview: rev, Nonce: nonce})
	return member, score, err
}

// SubmitAnonymousReview records that author reviewed rev.Subject, stores
// the review with no author and deletes the author's draft, in one step.
func (s *Store) SubmitAnonymousReview(ctx context.Context, teamID, cycleID string, author bot.UserID, rev bot.AnonymousReview, a bot.AuditEntry) error {
	member, score, err := reviewMember(rev)
	if err != nil {
		return fmt.Errorf("anonymous review in %s: %w", cycleID, err)
	}
	entry, err := encodeAudit(a)
	if err != nil {
		return fmt.Errorf("anonymous review in %s: %w", cycleID, err)
	}
	draft := answersField(bot.ReviewAnswers{Subject: rev.Subject, Role: bot.RolePeer, Author: author})
	keys := []string{s.auditKey(teamID), s.rvKey(teamID, "anon", cycleID, "answered"),
		s.rvKey(teamID, "anon", cycleID, "reviews"), s.rvKey(teamID, "answers", cycleID),
		s.rvKey(teamID, "anon", cycleID, "call", rand.Text())}
	res, err := anonymousReviewScript.Run(ctx, s.rdb, keys, answererMember(rev.Subject, author), member, score, draft, entry, AuditCap,
		int64(resendWindow/time.Second)).Text()
	if err != nil {
		return fmt.Errorf("anonymous review in %s: %w", cycleID, err)
	}
	if res == "conflict" {
		return fmt.Errorf("anonymous review in %s: %w", cycleID, bot.ErrConflict)
	}
	return nil
}

// CycleAnonymousReviews returns who reviewed whom and the reviews, each
// list in the order that says nothing (bot.SortAnonymousReviews).
func (s *Store) CycleAnonymousReviews(ctx context.Context, teamID, cycleID string) (bot.AnonymousReviews, error) {
	out := bot.AnonymousReviews{CycleID: cycleID}
	answered, err := s.rdb.ZRange(ctx, s.rvKey(teamID, "anon", cycleID, "answered"), 0, -1).Result()
	if err != nil {
		return out, fmt.Errorf("anonymous reviewers in %s: %w", cycleID, err)
	}
	for _, m := range answered {
		subject, author, ok := strings.Cut(m, "|")
		if !ok {
			return out, fmt.Errorf("anonymous reviewers in %s: bad member %q", cycleID, m)
		}
		out.Answered = append(out.Answered, bot.ReviewAnswerer{Subject: bot.UserID(subject), Author: bot.UserID(author)})
	}
	reviews, err := s.rdb.ZRange(ctx, s.rvKey(teamID, "anon", cycleID, "reviews"), 0, -1).Result()
	if err != nil {
		return out, fmt.Errorf("anonymous reviews in %s: %w", cycleID, err)
	}
	for _, m := range reviews {
		var rm anonymousReviewMember
		if err := json.Unmarshal([]byte(m), &rm); err != nil {
			return out, fmt.Errorf("decode anonymous review in %s: %w", cycleID, err)
		}
		out.Reviews = append(out.Reviews, rm.AnonymousReview)
	}
	bot.SortAnonymousReviews(&out)
	return out, nil
}

// importAnonymousReviews queues what an export holds of anonymous cycles:
// who reviewed whom, and the reviews, each with a fresh nonce and a fresh
// random score, so an import links no more than the export did.
func (s *Store) importAnonymousReviews(b *importBatch, t string, x bot.ReviewExport) error {
	for _, ar := range x.AnonymousReviews {
		if _, ok := idNumber(ar.CycleID, "C"); !ok {
			return fmt.Errorf("anonymous reviews of cycle %q: want a cycle id such as C1", ar.CycleID)
		}
		for _, a := range ar.Answered {
			b.add("zadd", s.rvKey(t, "anon", ar.CycleID, "answered"), "0", answererMember(a.Subject, a.Author))
		}
		for _, rev := range ar.Reviews {
			member, score, err := reviewMember(rev)
			if err != nil {
				return err
			}
			b.add("zadd", s.rvKey(t, "anon", ar.CycleID, "reviews"), strconv.FormatFloat(score, 'g', -1, 64), member)
		}
	}
	return nil
}
