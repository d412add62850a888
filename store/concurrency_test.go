package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

func TestConcurrentKudosNeverPassAllowanceRedis(t *testing.T) {
	concurrentKudos(t, storetest.MustOpen(t))
}

func TestConcurrentKudosNeverPassAllowanceEmbedded(t *testing.T) {
	concurrentKudos(t, storetest.MustOpenEmbedded(t))
}

// concurrentKudos has 20 goroutines each give one kudos against an
// allowance of 5: exactly 5 may succeed.
func concurrentKudos(t *testing.T, s *store.Store) {
	ctx := context.Background()
	const givers, allowance = 20, 5
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		mu       sync.Mutex
		ok, over int
		failures []error
	)
	for i := range givers {
		wg.Go(func() {
			<-start
			k := bot.Kudos{TeamID: "eng", From: alice, To: []bot.UserID{bob}, Message: "m",
				At: t0.Add(time.Duration(i) * time.Second), Key: fmt.Sprintf("ev-%d", i)}
			_, err := s.GiveKudos(ctx, k, "2026-03-02", allowance, bot.AuditEntry{At: t0, Action: "kudos.given"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, bot.ErrAllowanceExceeded):
				over++
			default:
				failures = append(failures, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("unexpected errors: %v", failures)
	}
	if ok != allowance || over != givers-allowance {
		t.Fatalf("%d succeeded and %d were refused, want %d and %d", ok, over, allowance, givers-allowance)
	}
	used, err := s.KudosUsed(ctx, "eng", alice, "2026-03-02")
	must(t, "kudos used", err)
	stored, err := s.TeamKudos(ctx, "eng", t0, t0.Add(time.Hour))
	must(t, "team kudos", err)
	log, err := s.AuditLog(ctx, "eng", 0)
	must(t, "audit", err)
	if used != allowance || len(stored) != allowance || len(log) != allowance {
		t.Fatalf("used %d, stored %d, audited %d; want %d each", used, len(stored), len(log), allowance)
	}
}

func TestConcurrentRelativeUpdatesAllLandRedis(t *testing.T) {
	concurrentUpdates(t, storetest.MustOpen(t))
}

func TestConcurrentRelativeUpdatesAllLandEmbedded(t *testing.T) {
	concurrentUpdates(t, storetest.MustOpenEmbedded(t))
}

// concurrentUpdates has 200 goroutines each add 1 to one goal, every event
// sent twice: each lands once (no conflict, nothing lost), the value is
// the exact sum, and the history walks 0, 1, 2, … without a gap or repeat.
func concurrentUpdates(t *testing.T, s *store.Store) {
	ctx := context.Background()
	const writers = 200
	g, err := s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "count", Owner: alice, State: bot.GoalOpen}, bot.AuditEntry{})
	must(t, "create goal", err)
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make(chan error, 2*writers)
	)
	for i := range 2 * writers {
		wg.Go(func() {
			<-start
			u := bot.Update{GoalID: g.ID, Author: alice, At: t0.Add(time.Duration(i%writers) * time.Second),
				Key: fmt.Sprintf("ev-%d", i%writers)}
			_, err := s.RecordUpdate(ctx, u, bot.ProgressChange{Number: 1, Relative: true}, bot.AuditEntry{})
			if errors.Is(err, bot.ErrDuplicate) {
				err = nil
			}
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, "add one", err)
	}
	got, err := s.GetGoal(ctx, g.ID)
	must(t, "get goal", err)
	history, err := s.GoalUpdates(ctx, g.ID, t0, t0.Add(time.Hour))
	must(t, "history", err)
	if got.Current != writers || len(history) != writers {
		t.Fatalf("current %v with %d updates in history, want %d and %d", got.Current, len(history), writers, writers)
	}
	seen := map[float64]bool{}
	for _, u := range history {
		if u.Value != u.Previous+1 || seen[u.Value] {
			t.Fatalf("history entry %+v repeats or skips a value", u)
		}
		seen[u.Value] = true
	}
}
