package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pulse-bot/pulse/bot/parse"
)

// Writing reviews: the form, the one-answer-at-a-time dialogue, submitting.

// writerPlace finds what the actor writes: about the person mentioned first
// (as their manager or approved peer), else their own self-review. It
// returns the role and the text after the mention. A name typed with "@"
// that the platform did not turn into a mention is refused by name, never
// taken as the start of a self-review answer.
func (s *Service) writerPlace(ctx context.Context, r *request, args string) (reviewPlace, string, string, error) {
	args, name := s.cutTeam(ctx, args)
	id, rest, ok, err := parse.OneMention(args)
	if err != nil {
		return reviewPlace{}, "", "", err
	}
	if ok && UserID(id) == r.actor.ID {
		args = rest
	} else if ok {
		p, err := s.placeOf(ctx, r, UserID(id), name)
		if err != nil {
			return reviewPlace{}, "", "", err
		}
		role, ok := s.reviewRole(p, r.actor.ID)
		if !ok {
			return reviewPlace{}, "", "", refuse("review_not_reviewer", nil)
		}
		return p, role, rest, nil
	}
	p, err := s.placeOf(ctx, r, r.actor.ID, name)
	if err != nil {
		return reviewPlace{}, "", "", err
	}
	return p, RoleSelf, strings.TrimSpace(args), nil
}

func (s *Service) reviewWrite(ctx context.Context, r *request, args string) (Response, error) {
	p, role, rest, err := s.writerPlace(ctx, r, args)
	if err != nil {
		return Response{}, err
	}
	if rest != "" {
		return Response{}, refuse("review_write_usage", nil)
	}
	return s.reviewForm(ctx, r, p, role)
}

// reviewForm shows the evidence pack beside the questions, as a form.
func (s *Service) reviewForm(ctx context.Context, r *request, p reviewPlace, role string) (Response, error) {
	if err := s.checkSheet(ctx, r, p, writeAction(role)); err != nil {
		return Response{}, err
	}
	ans, err := s.loadAnswers(ctx, p, role, r.actor.ID)
	if err != nil {
		return Response{}, err
	}
	if ans.Done() && anonymousPeer(p.cycle, role) {
		return Response{}, refuse("visibility_review_anonymous_submitted", nil)
	}
	names, err := s.names(ctx, r, []UserID{p.sheet.Person})
	if err != nil {
		return Response{}, err
	}
	msg := Message{Title: s.t(r, "review_form_title_"+role, map[string]any{"Name": names[p.sheet.Person], "Title": p.cycle.Title})}
	ev, err := s.buildEvidence(ctx, r.viewer, p.team, p.sheet.Person, p.cycle.PeriodFrom, r.now, role != RolePeer)
	if err != nil {
		return Response{}, err
	}
	msg.Blocks = append(msg.Blocks, s.evidenceBlocks(ctx, r, ev, names[p.sheet.Person])...)
	msg.Blocks = append(msg.Blocks, Divider{})
	for i, q := range s.reviewQuestionTexts(p.cycle, r.locale) {
		initial := ""
		if i < len(ans.Answers) {
			initial = ans.Answers[i]
		}
		msg.Blocks = append(msg.Blocks, Input{ID: "q" + strconv.Itoa(i), Label: q, Multiline: true, Initial: initial})
	}
	for i, v := range p.cycle.Values {
		initial := ""
		if n := ans.Ratings[v]; n > 0 {
			initial = strconv.Itoa(n)
		}
		msg.Blocks = append(msg.Blocks, Input{ID: "r" + strconv.Itoa(i), Label: s.t(r, "review_q_rating", map[string]any{"Value": v}), Initial: initial})
	}
	btn := s.writeButton(r.locale, p.team, p.cycle, p.sheet.Person, role, "/review answer <text>")
	btn[0].Label = s.t(r, "button_submit", nil)
	msg.Blocks = append(msg.Blocks, btn, Context{Text: s.t(r, "review_form_hint", nil)})
	return Response{Reply: msg, Visibility: Private}, nil
}

// submitReviewForm saves a submitted review form, or opens the form when
// the button came without fields.
func (s *Service) submitReviewForm(ctx context.Context, r *request) (Response, error) {
	parts := strings.Split(r.ev.Action.Value, "|")
	if len(parts) != 4 {
		return Response{}, refuse("error_unknown_action", nil)
	}
	p, err := s.placeOf(ctx, r, UserID(parts[2]), parts[0])
	if err != nil {
		return Response{}, err
	}
	role, ok := s.reviewRole(p, r.actor.ID)
	if !ok || role != parts[3] || p.team.ID != parts[0] || p.cycle.ID != parts[1] {
		return Response{}, refuse("review_not_reviewer", nil)
	}
	if len(r.ev.Action.Fields) == 0 {
		return s.reviewForm(ctx, r, p, role)
	}
	if err := s.checkSheet(ctx, r, p, writeAction(role)); err != nil {
		return Response{}, err
	}
	ans, err := s.loadAnswers(ctx, p, role, r.actor.ID)
	if err != nil {
		return Response{}, err
	}
	qs := s.reviewQuestionTexts(p.cycle, r.locale)
	ans.Answers = make([]string, len(qs))
	ans.Ratings = map[string]int{}
	errs := map[string]string{}
	for i := range qs {
		id := "q" + strconv.Itoa(i)
		ans.Answers[i] = strings.TrimSpace(r.ev.Action.Fields[id])
		if ans.Answers[i] == "" {
			errs[id] = s.t(r, "review_answer_missing", nil)
		}
	}
	for i, v := range p.cycle.Values {
		id := "r" + strconv.Itoa(i)
		n, ok := parseMood(r.ev.Action.Fields[id])
		if !ok {
			errs[id] = s.t(r, "review_rating_invalid", nil)
		}
		ans.Ratings[v] = n
	}
	if len(errs) > 0 {
		return Response{FieldErrors: errs, Visibility: Private}, nil
	}
	return s.submitAnswers(ctx, r, p, ans)
}

// submitAnswers saves a complete answer sheet and says what comes next.
func (s *Service) submitAnswers(ctx context.Context, r *request, p reviewPlace, ans ReviewAnswers) (Response, error) {
	if ans.Submitted.IsZero() {
		ans.Submitted = r.now
	}
	ans.UpdatedAt = r.now
	if anonymousPeer(p.cycle, ans.Role) {
		err := s.submitAnonymousReview(ctx, r, p, ans)
		if errors.Is(err, ErrConflict) {
			return Response{}, refuse("visibility_review_anonymous_submitted", nil)
		}
		if err != nil {
			return Response{}, fmt.Errorf("save anonymous review: %w", err)
		}
	} else if err := s.store.SaveReviewAnswers(ctx, ans, r.audit("review.submitted", p.cycle.ID+":"+string(ans.Subject), ans.Role)); err != nil {
		return Response{}, fmt.Errorf("save review: %w", err)
	}
	names, err := s.names(ctx, r, []UserID{ans.Subject})
	if err != nil {
		return Response{}, err
	}
	key := "review_submitted"
	switch {
	case ans.Role == RoleSelf && len(p.sheet.Nominated) == 0 && p.sheet.Approved.IsZero() && p.cycle.Peers > 0:
		key = "review_submitted_nominate"
	case ans.Role == RoleSelf:
		key = "review_submitted_self"
	}
	return s.say(r, key, map[string]any{"Name": names[ans.Subject], "Max": p.cycle.Peers}), nil
}

// reviewAnswer records one answer at a time: the next open question, then
// each value's rating; the last one submits.
func (s *Service) reviewAnswer(ctx context.Context, r *request, args string) (Response, error) {
	p, role, text, err := s.writerPlace(ctx, r, args)
	if err != nil {
		return Response{}, err
	}
	if text == "" {
		return Response{}, refuse("review_answer_usage", nil)
	}
	if err := s.checkSheet(ctx, r, p, writeAction(role)); err != nil {
		return Response{}, err
	}
	ans, err := s.loadAnswers(ctx, p, role, r.actor.ID)
	if err != nil {
		return Response{}, err
	}
	if ans.Done() && anonymousPeer(p.cycle, role) {
		return Response{}, refuse("visibility_review_anonymous_submitted", nil)
	}
	if ans.Done() {
		return Response{}, refuse("review_already_submitted", nil)
	}
	qs := s.reviewQuestionTexts(p.cycle, r.locale)
	for len(ans.Answers) < len(qs) {
		ans.Answers = append(ans.Answers, "")
	}
	if ans.Ratings == nil {
		ans.Ratings = map[string]int{}
	}
	next := nextReviewItem(ans, len(qs), p.cycle.Values)
	if next < len(qs) {
		ans.Answers[next] = text
	} else {
		n, ok := parseMood(text)
		if !ok {
			return Response{}, refuse("review_rating_invalid", nil)
		}
		ans.Ratings[p.cycle.Values[next-len(qs)]] = n
	}
	total := len(qs) + len(p.cycle.Values)
	if after := nextReviewItem(ans, len(qs), p.cycle.Values); after < total {
		ans.UpdatedAt = r.now
		audit := r.audit("review.answered", p.cycle.ID+":"+string(ans.Subject), role)
		if anonymousPeer(p.cycle, role) {
			// The draft is the author's until submitted; the audit does not
			// name them, so its entries cannot be lined up by name with the
			// anonymous submission that follows. The event key stays: a
			// retried answer must not fill the next question too.
			audit.Actor = ""
		}
		if err := s.store.SaveReviewAnswers(ctx, ans, audit); err != nil {
			return Response{}, fmt.Errorf("save review answer: %w", err)
		}
		label := ""
		if after < len(qs) {
			label = qs[after]
		} else {
			label = s.t(r, "review_q_rating", map[string]any{"Value": p.cycle.Values[after-len(qs)]})
		}
		return s.say(r, "review_next_question", map[string]any{"N": after + 1, "Total": total, "Question": label}), nil
	}
	return s.submitAnswers(ctx, r, p, ans)
}

// anonymousPeer reports whether a review in this role is stored with no
// author once submitted (anonymous_review.go).
func anonymousPeer(c ReviewCycle, role string) bool { return c.Anonymous && role == RolePeer }

// nextReviewItem is the index of the first open question, then of the
// first unrated value (offset by the questions); n+len(values) when all are done.
func nextReviewItem(ans ReviewAnswers, n int, values []string) int {
	for i := 0; i < n; i++ {
		if i >= len(ans.Answers) || strings.TrimSpace(ans.Answers[i]) == "" {
			return i
		}
	}
	for i, v := range values {
		if ans.Ratings[v] == 0 {
			return n + i
		}
	}
	return n + len(values)
}
