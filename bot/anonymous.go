package bot

// Anonymous feedback answers are stored with no link to their author:
// who has answered is one set (to stop a second answer and to remind the
// others), the answers another, with no author, no id, no time and no
// arrival order. The requester gets them only in batches of at least
// AnonymityFloor new answers: fewer left over at the deadline are never
// shown, since one or two new lines would point at whoever answered after
// the last batch.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// AnonymousAnswer is an anonymous answer exactly as stored: its words and
// hashtags, nothing that says who wrote it or when.
type AnonymousAnswer struct {
	Text   string   `json:"text"`
	Values []string `json:"values,omitempty"`
	Tags   []string `json:"tags,omitempty"`
}

// AnonymousAnswers are a request's anonymous answers: Released ones were
// handed to the requester in a batch, Held ones wait for the next batch or
// the deadline. Each list is in no particular order.
type AnonymousAnswers struct {
	RequestID string            `json:"request"`
	Released  []AnonymousAnswer `json:"released"`
	Held      []AnonymousAnswer `json:"held"`
}

// AnonymousStore keeps anonymous answers apart from who answered.
type AnonymousStore interface {
	// AnswerAnonymously adds person to the request's answerers and ans to
	// its held answers in one step, with the audit entry (which names no
	// one). When at least batch answers are held they are all released
	// together and returned. ErrConflict when person has answered already.
	AnswerAnonymously(ctx context.Context, teamID, requestID string, person UserID, ans AnonymousAnswer, batch int, a AuditEntry) ([]AnonymousAnswer, error)
	// RequestAnonymousAnswers returns the request's released and held answers.
	RequestAnonymousAnswers(ctx context.Context, teamID, requestID string) (AnonymousAnswers, error)
	// RequestAnswerers returns who has answered a request, anonymous or not,
	// sorted by id.
	RequestAnswerers(ctx context.Context, teamID, requestID string) ([]UserID, error)
}

// ReleasedAnonymous is what the requester of an anonymous request may read:
// the released batches, each of at least AnonymityFloor answers. Held
// answers stay held, the deadline included: a leftover of one or two
// handed over on its own would be whoever answered after the last batch.
// Nobody else may read any of it.
func ReleasedAnonymous(v Viewer, q FeedbackRequest, a AnonymousAnswers) []AnonymousAnswer {
	if !v.Inside || v.ID != q.From {
		return nil
	}
	out := append([]AnonymousAnswer(nil), a.Released...)
	sortAnonymous(out)
	return out
}

// sortAnonymous orders answers by their text, so the order says nothing.
func sortAnonymous(list []AnonymousAnswer) {
	sort.Slice(list, func(i, j int) bool { return list[i].Text < list[j].Text })
}

// anonymousLinesOf writes answers as bullet lines, by text.
func anonymousLinesOf(list []AnonymousAnswer) []string {
	sorted := append([]AnonymousAnswer(nil), list...)
	sortAnonymous(sorted)
	out := make([]string, len(sorted))
	for i, a := range sorted {
		out[i] = "• " + a.Text
	}
	return out
}

// myAnonymousAnswers lists, per anonymous request of the actor, the
// answers ReleasedAnonymous lets them read, in text order.
func (s *Service) myAnonymousAnswers(ctx context.Context, r *request, teams []Team) ([]Block, error) {
	var blocks []Block
	for _, t := range teams {
		reqs, err := s.store.TeamFeedbackRequests(ctx, t.ID)
		if err != nil {
			return nil, fmt.Errorf("requests of %s: %w", t.ID, err)
		}
		for _, q := range reqs {
			if q.From != r.actor.ID || !q.Anonymous {
				continue
			}
			all, err := s.store.RequestAnonymousAnswers(ctx, t.ID, q.ID)
			if err != nil {
				return nil, err
			}
			shown := ReleasedAnonymous(r.viewer, q, all)
			if len(shown) == 0 {
				continue
			}
			blocks = append(blocks, Context{Text: q.ID}, Text{Text: strings.Join(anonymousLinesOf(shown), "\n")})
		}
	}
	return blocks, nil
}

// shortHash names a batch for its idempotency key without naming anyone.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// exportAnonymous adds what anonymous requests store: who answered and the
// answers, in two lists with nothing linking them.
func (s *Service) exportAnonymous(ctx context.Context, x *ReviewExport, reqs []FeedbackRequest) error {
	for _, q := range reqs {
		if !q.Anonymous {
			continue
		}
		people, err := s.store.RequestAnswerers(ctx, x.TeamID, q.ID)
		if err != nil {
			return err
		}
		answers, err := s.store.RequestAnonymousAnswers(ctx, x.TeamID, q.ID)
		if err != nil {
			return err
		}
		sortAnonymous(answers.Released)
		sortAnonymous(answers.Held)
		if len(people) > 0 {
			x.Answerers = append(x.Answerers, RequestAnswerers{RequestID: q.ID, People: people})
		}
		if len(answers.Released)+len(answers.Held) > 0 {
			x.Anonymous = append(x.Anonymous, answers)
		}
	}
	return nil
}
