package bot

import (
	"context"
	"errors"
	"fmt"
	"github.com/pulse-bot/pulse/bot/parse"
	"slices"
	"strings"
	"time"
)

// QuestionRole is what a written check-in answer counts as beyond its
// question: the highlight the summary shows, or the blockers the summary and
// scorecard list.
type QuestionRole string

// The roles a question can have; the other questions have none.
const (
	RoleHighlight QuestionRole = "highlight"
	RoleBlockers  QuestionRole = "blockers"
)

// NoQuestion in Team.HighlightQuestion or Team.BlockersQuestion marks that
// no question has that role.
const NoQuestion = -1

// Default question roles (1-based), used when a team marks none: SPEC's
// "done" question is the highlight and its third, "blockers", the blockers.
const (
	defaultHighlightQuestion = 1
	defaultBlockersQuestion  = 3
)

// MaxCheckInQuestions bounds a team's written check-in questions.
const MaxCheckInQuestions = 10

// Question is one written check-in question as it was asked.
type Question struct {
	// Text is the team's own wording; empty for a default question.
	Text string `json:"text,omitempty"`
	// Key is the catalogue key of a default question, shown in the
	// reader's language; empty for the team's own.
	Key  string       `json:"key,omitempty"`
	Role QuestionRole `json:"role,omitempty"`
}

// defaultQuestionKeys are the written check-in questions of SPEC.md; the
// mood question (1–5) always follows them.
var defaultQuestionKeys = []string{"checkin_q_done", "checkin_q_next", "checkin_q_blockers"}

// IsDefaultQuestionKey reports whether k names one of SPEC's default
// questions, the only keys a kept question may carry (an import checks it).
func IsDefaultQuestionKey(k string) bool { return slices.Contains(defaultQuestionKeys, k) }

// CheckInQuestions are the team's written questions with their roles, as a
// check-in asks them now.
func (t Team) CheckInQuestions() []Question {
	out := defaultQuestions()
	if len(t.Questions) > 0 {
		out = make([]Question, len(t.Questions))
		for i, q := range t.Questions {
			out[i] = Question{Text: q}
		}
	}
	return withRoles(out, t.HighlightQuestion, t.BlockersQuestion)
}

// defaultQuestions are SPEC's questions without roles.
func defaultQuestions() []Question {
	out := make([]Question, len(defaultQuestionKeys))
	for i, k := range defaultQuestionKeys {
		out[i] = Question{Key: k}
	}
	return out
}

// withRoles marks the highlight and blockers questions: a marked number
// (1-based) wins, NoQuestion leaves the role out, 0 takes the default
// unless the other role is marked on the default's question.
func withRoles(qs []Question, highlight, blockers int) []Question {
	if highlight == 0 && blockers != defaultHighlightQuestion {
		highlight = defaultHighlightQuestion
	}
	if blockers == 0 && highlight != defaultBlockersQuestion {
		blockers = defaultBlockersQuestion
	}
	for i := range qs {
		switch i + 1 {
		case highlight:
			qs[i].Role = RoleHighlight
		case blockers:
			qs[i].Role = RoleBlockers
		}
	}
	return qs
}

// AskedQuestions are the questions the check-in's answers were given to:
// the ones kept with it; for one stored before questions were kept, the
// team's current ones when it was written since they were set (or when
// nothing was answered yet), else SPEC's defaults with their default roles.
func (c CheckIn) AskedQuestions(t Team) []Question {
	if len(c.Questions) > 0 {
		return c.Questions
	}
	if len(c.Answers) == 0 || askedSince(t.QuestionsSince, c) {
		return t.CheckInQuestions()
	}
	return withRoles(defaultQuestions(), 0, 0)
}

// askedSince reports whether the check-in was written after since (a zero
// since is never known).
func askedSince(since time.Time, c CheckIn) bool {
	return !since.IsZero() && !c.UpdatedAt.Before(since)
}

// Highlight is the answer to the question asked as the highlight, empty when there was none.
func (c CheckIn) Highlight(t Team) string {
	return strings.TrimSpace(c.answerWithRole(t, RoleHighlight))
}

// Blockers is the answer to the question asked as the blockers, empty when
// there was none or the person said none ("none", "无", "没有" …).
func (c CheckIn) Blockers(t Team) string {
	b := strings.TrimSpace(c.answerWithRole(t, RoleBlockers))
	if isNothing(b) {
		return ""
	}
	return b
}

func (c CheckIn) answerWithRole(t Team, role QuestionRole) string {
	for i, q := range c.AskedQuestions(t) {
		if q.Role == role && i < len(c.Answers) {
			return c.Answers[i]
		}
	}
	return ""
}

func isNothing(s string) bool {
	switch strings.ToLower(strings.Trim(s, " .!。！")) {
	case "", "no", "none", "nope", "nothing", "n/a", "na", "-", "无", "没有", "暂无", "没", "否":
		return true
	}
	return false
}

// questionText is how question q reads in locale l.
func (s *Service) questionText(l Locale, q Question) string {
	if q.Key != "" {
		return s.catalog.T(l, q.Key, nil)
	}
	return q.Text
}

// answerLabel labels answer i of a check-in asked qs: its question, or
// "Answer N" for an answer no question is known for.
func (s *Service) answerLabel(l Locale, qs []Question, i int) string {
	if i < len(qs) {
		return s.questionText(l, qs[i])
	}
	return s.catalog.T(l, "checkin_answer_n", map[string]any{"N": i + 1})
}

// questionTexts are the questions as read in locale l.
func (s *Service) questionTexts(l Locale, qs []Question) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = s.questionText(l, q)
	}
	return out
}

// markedQuestions writes the team's questions as `/pulse team set …
// questions` takes them, each role tagged in locale l.
func (s *Service) markedQuestions(l Locale, t Team) string {
	qs := t.CheckInQuestions()
	parts := make([]string, len(qs))
	for i, q := range qs {
		parts[i] = s.questionText(l, q)
		if q.Role != "" {
			parts[i] = s.catalog.T(l, "questions_tagged", map[string]any{"Question": parts[i], "Role": s.roleName(l, string(q.Role))})
		}
	}
	return strings.Join(parts, " | ")
}

// roleName is a role's tag word in locale l.
func (s *Service) roleName(l Locale, role string) string {
	return s.catalog.T(l, "questions_tag_"+role, nil)
}

// setQuestions reads a question list with role tags into the team, or
// refuses it with one sentence in locale l.
func (s *Service) setQuestions(t *Team, value string, l Locale) error {
	spec, refusal, ok := parse.ParseQuestions(value)
	if refusal != nil {
		return refuse("questions_"+refusal.Reason, map[string]any{"Role": s.roleName(l, refusal.Role)})
	}
	if !ok || len(spec.Questions) > MaxCheckInQuestions {
		return refuse("questions_usage", nil)
	}
	t.Questions, t.HighlightQuestion, t.BlockersQuestion = spec.Questions, spec.Highlight, spec.Blockers
	return nil
}

// keepQuestionsSince dates a team file's questions: unchanged questions and
// roles keep the stored date, new or changed ones date from now.
func (s *Service) keepQuestionsSince(ctx context.Context, t *Team) error {
	if !t.QuestionsSince.IsZero() {
		return nil
	}
	existing, err := s.store.GetTeam(ctx, t.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		t.QuestionsSince = s.clock.Now()
	case err != nil:
		return fmt.Errorf("apply team %s: %w", t.Name, err)
	case sameQuestions(existing, *t):
		t.QuestionsSince = existing.QuestionsSince
	default:
		t.QuestionsSince = s.clock.Now()
	}
	return nil
}

// sameQuestions reports whether two versions of a team ask the same questions with the same roles.
func sameQuestions(a, b Team) bool {
	return slices.Equal(a.Questions, b.Questions) && a.HighlightQuestion == b.HighlightQuestion &&
		a.BlockersQuestion == b.BlockersQuestion
}
