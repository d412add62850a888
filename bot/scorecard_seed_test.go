package bot_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// seeder writes goals, updates, check-ins and kudos straight to the store at
// chosen times, the way the service would have recorded them.
type seeder struct {
	tb   testing.TB
	st   bot.Store
	team string
	mu   sync.Mutex
	// metrics are the seeded goals' metrics, which each update is checked against.
	metrics map[string]bot.Metric
	n       int
}

func newSeeder(tb testing.TB, st bot.Store, team string) *seeder {
	return &seeder{tb: tb, st: st, team: team, metrics: map[string]bot.Metric{}}
}

func (s *seeder) key() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("seed:%d", s.n)
}

func (s *seeder) goal(g bot.Goal) string {
	s.tb.Helper()
	g.TeamID, g.State = s.team, bot.GoalOpen
	if g.Current == 0 && !g.Metric.Milestone {
		g.Current = g.Metric.Baseline
	}
	g.UpdatedAt = g.Start
	out, err := s.st.CreateGoal(context.Background(), g, bot.AuditEntry{At: g.Start, Actor: g.Owner, Action: "goal.created", Key: s.key()})
	if err != nil {
		s.tb.Fatalf("seed goal %q: %v", g.Title, err)
	}
	s.mu.Lock()
	s.metrics[out.ID] = out.Metric
	s.mu.Unlock()
	return out.ID
}

func (s *seeder) update(goalID string, author bot.UserID, value float64, at time.Time, note string) {
	s.tb.Helper()
	s.mu.Lock()
	m := s.metrics[goalID]
	s.mu.Unlock()
	u := bot.Update{GoalID: goalID, TeamID: s.team, Note: note, Author: author, At: at}
	change := bot.ProgressChange{Number: value, Unit: m.Unit, Milestone: m.Milestone}
	if _, err := s.st.RecordUpdate(context.Background(), u, change, bot.AuditEntry{}); err != nil {
		s.tb.Fatalf("seed update %s=%v at %s: %v", goalID, value, at, err)
	}
}

func (s *seeder) checkIn(person bot.UserID, at time.Time, loc *time.Location, mood int, blockers string) {
	s.tb.Helper()
	c := bot.CheckIn{TeamID: s.team, Person: person, Period: bot.ISOWeek(at, loc),
		Answers: []string{"shipped things", "more things", blockers}, Mood: mood, Next: 4, Completed: at, UpdatedAt: at}
	if err := s.st.SaveCheckIn(context.Background(), c, "", bot.AuditEntry{}); err != nil {
		s.tb.Fatalf("seed check-in of %s: %v", person, err)
	}
}

func (s *seeder) skip(person bot.UserID, at time.Time, loc *time.Location, reason string) {
	s.tb.Helper()
	c := bot.CheckIn{TeamID: s.team, Person: person, Period: bot.ISOWeek(at, loc), Skipped: true, SkipReason: reason, UpdatedAt: at}
	if err := s.st.SaveCheckIn(context.Background(), c, "", bot.AuditEntry{}); err != nil {
		s.tb.Fatalf("seed skip of %s: %v", person, err)
	}
}

func (s *seeder) kudos(from bot.UserID, to []bot.UserID, msg string, values []string, at time.Time) {
	s.tb.Helper()
	k := bot.Kudos{TeamID: s.team, From: from, To: to, Message: msg, Values: values, At: at, Key: s.key()}
	if _, err := s.st.GiveKudos(context.Background(), k, at.UTC().Format("2006-01-02"), 1000, bot.AuditEntry{}); err != nil {
		s.tb.Fatalf("seed kudos from %s: %v", from, err)
	}
}
