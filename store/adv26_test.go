package store_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store/storetest"
)

// adv26Resend is a hook that does what go-redis does when a script's reply
// does not come within ReadTimeout (2 s: a Redis busy for 2-4 s with a slow
// command, a fork, a network hiccup) or the connection ends with EOF after
// the server ran it: the same command is sent again (MaxRetries 3, see
// go-redis shouldRetry: a read timeout is retried for every command
// without a custom read timeout). The first send ran on the server; only
// the reply to the second reaches the caller.
//
// It resends the first EVALSHA/EVAL one of whose keys contains marker.
type adv26Resend struct {
	marker string
	done   atomic.Bool
}

func (h *adv26Resend) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *adv26Resend) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		name := cmd.Name()
		if (name != "evalsha" && name != "eval") || !h.hasMarker(cmd.Args()) || h.done.Load() {
			return next(ctx, cmd)
		}
		// First send: runs on the server, its reply is "lost".
		if err := next(ctx, cmd); err != nil {
			// e.g. NOSCRIPT after another test flushed the scripts: go-redis
			// Script.Run falls back to EVAL, which is resent instead.
			return err
		}
		h.done.Store(true)
		// go-redis resends the same command; the caller sees this reply.
		return next(ctx, cmd)
	}
}
func (h *adv26Resend) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (h *adv26Resend) hasMarker(args []any) bool {
	for _, a := range args {
		if s, ok := a.(string); ok && strings.Contains(s, h.marker) {
			return true
		}
	}
	return false
}

// A keyed /goal new whose createGoal script the client sends again after a
// lost reply: the goal is created once, and CreateGoal must report it (or
// at least leave it usable). Before call ids the resend answered
// 'duplicate' naming the goal the first send created, which is this call's
// own id, and CreateGoal then deleted that id's goal->team index ("drop
// unused id"): the goal stayed in the team's set but could never be read or
// updated again, and every redelivery of the event failed the same way until it was
// dead-lettered.
func TestAdv26CreateGoalResentAfterALostReplyLeavesAUsableGoal(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	hook := &adv26Resend{marker: ":idem:goal:"}
	s.Client().AddHook(hook)
	g, err := s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "resent", Owner: alice, State: bot.GoalOpen,
		Metric: bot.Metric{Target: 10}, Start: t0, Due: t0.AddDate(0, 3, 0), UpdatedAt: t0},
		bot.AuditEntry{At: t0, Actor: alice, Action: "goal.created", Key: "slack:cmd:trigger-adv26-1"})
	if !hook.done.Load() {
		t.Fatal("setup: the createGoal script was not seen by the hook")
	}
	if err != nil {
		t.Errorf("CreateGoal, first call for its key, reply lost and resent by the client: %v (want the goal it created)", err)
	}
	goals, lerr := s.TeamGoals(ctx, "eng")
	if lerr != nil || len(goals) != 1 {
		t.Fatalf("team goals after one create: %d (%v), want 1", len(goals), lerr)
	}
	id := goals[0].ID
	if g.ID != "" && g.ID != id {
		t.Errorf("CreateGoal returned %s, the team holds %s", g.ID, id)
	}
	if _, err := s.GetGoal(ctx, id); err != nil {
		t.Errorf("GetGoal(%s) after the create: %v: the goal is in the team's set but cannot be read", id, err)
	}
	if _, err := s.RecordUpdate(ctx, bot.Update{GoalID: id, At: t0.Add(time.Minute), Key: "adv26-up"},
		bot.ProgressChange{Number: 1, Relative: true}, bot.AuditEntry{}); err != nil {
		t.Errorf("RecordUpdate on %s after the create: %v: the goal cannot be updated", id, err)
	}
	// The event's redelivery (the handler failed above) must not fail forever either.
	_, err = s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "resent", Owner: alice, State: bot.GoalOpen,
		Metric: bot.Metric{Target: 10}, Start: t0, Due: t0.AddDate(0, 3, 0), UpdatedAt: t0},
		bot.AuditEntry{At: t0, Actor: alice, Action: "goal.created", Key: "slack:cmd:trigger-adv26-1"})
	if err != nil && !errors.Is(err, bot.ErrDuplicate) {
		t.Errorf("the event's redelivery: %v, want the duplicate it is (every further delivery fails the same way: dead letter)", err)
	}
}

// The same resend of a keyed kudos: the first call for its key must not
// hear "duplicate", because the core answers a duplicate with silence
// (Service.failure): the giver gets no reply and, worse, announceKudos is
// never reached, so the recipients are never told, although the kudos is
// stored and counted against the allowance. Every keyed write script now
// names its call in its marker (markerLua), as RecordUpdate and Enqueue did.
func TestAdv26GiveKudosResentAfterALostReplyIsNotADuplicate(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	hook := &adv26Resend{marker: ":idem:kudos:"}
	s.Client().AddHook(hook)
	k := bot.Kudos{TeamID: "eng", From: alice, To: []bot.UserID{bob}, Message: "thanks", At: t0, Key: "slack:msg:C1:1.000001"}
	_, err := s.GiveKudos(ctx, k, "2026-03-02", 5, bot.AuditEntry{At: t0, Actor: alice, Action: "kudos.given", Key: k.Key})
	if !hook.done.Load() {
		t.Fatal("setup: the giveKudos script was not seen by the hook")
	}
	if err != nil {
		t.Errorf("GiveKudos, first call for its key, reply lost and resent by the client: %v (want success: the core turns a duplicate into silence and skips telling the recipients)", err)
	}
}

// And a keyed check-in answer: a duplicate on the first call makes the core
// say nothing, so the person never sees the next question (or, on the
// last answer, the conversation is never closed: finishCheckIn returns
// before ClearConversation).
func TestAdv26SaveCheckInResentAfterALostReplyIsNotADuplicate(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	hook := &adv26Resend{marker: ":idem:checkin:"}
	s.Client().AddHook(hook)
	c := bot.CheckIn{TeamID: "eng", Period: "2026-W10", Person: alice, Answers: []string{"shipped"}, Next: 1, UpdatedAt: t0}
	err := s.SaveCheckIn(ctx, c, "slack:msg:D1:1.000002", bot.AuditEntry{At: t0, Actor: alice, Action: "checkin.answered", Key: "slack:msg:D1:1.000002"})
	if !hook.done.Load() {
		t.Fatal("setup: the saveCheckIn script was not seen by the hook")
	}
	if err != nil {
		t.Errorf("SaveCheckIn, first call for its key, reply lost and resent by the client: %v (want success)", err)
	}
}

// The other keyed writes, resent the same way: each first call for its key
// succeeds as the first send did (before call ids, each heard "duplicate").
func TestAdv26KeyedWritesResentAfterALostReplySucceed(t *testing.T) {
	ctx := context.Background()
	goal := func(t *testing.T, s interface {
		CreateGoal(context.Context, bot.Goal, bot.AuditEntry) (bot.Goal, error)
	}) bot.Goal {
		g, err := s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "g", Owner: alice, State: bot.GoalOpen,
			Metric: bot.Metric{Target: 10}, Start: t0, Due: t0.AddDate(0, 3, 0), UpdatedAt: t0}, bot.AuditEntry{})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	t.Run("save goal", func(t *testing.T) {
		s := storetest.MustOpen(t)
		g := goal(t, s)
		hook := &adv26Resend{marker: ":idem:goal-save:"}
		s.Client().AddHook(hook)
		g.Title = "renamed"
		err := s.SaveGoal(ctx, g, bot.AuditEntry{At: t0, Actor: alice, Action: "goal.edited", Key: "slack:cmd:adv26-save"})
		if !hook.done.Load() || err != nil {
			t.Fatalf("SaveGoal resent (hook saw it: %v): %v, want nil", hook.done.Load(), err)
		}
		if got, _ := s.GetGoal(ctx, g.ID); got.Title != "renamed" || got.Version != 1 {
			t.Fatalf("goal after the resent save: %+v, want renamed once (version 1)", got)
		}
	})
	t.Run("audit", func(t *testing.T) {
		s := storetest.MustOpen(t)
		hook := &adv26Resend{marker: ":idem:audit:"}
		s.Client().AddHook(hook)
		err := s.Audit(ctx, "eng", bot.AuditEntry{At: t0, Actor: alice, Action: "team.viewed", Key: "audit-adv26"})
		if !hook.done.Load() || err != nil {
			t.Fatalf("Audit resent (hook saw it: %v): %v, want nil", hook.done.Load(), err)
		}
	})
	t.Run("review write", func(t *testing.T) {
		s := storetest.MustOpen(t)
		must(t, "save eng", s.SaveTeam(ctx, fullTeam("eng"), bot.AuditEntry{}))
		c, err := s.CreateReviewCycle(ctx, bot.ReviewCycle{TeamID: "eng", Title: "H1", Due: t0.Add(48 * time.Hour), Peers: 3, At: t0},
			[]bot.UserID{alice, bob}, bot.AuditEntry{})
		must(t, "start", err)
		hook := &adv26Resend{marker: ":idem:review:"}
		s.Client().AddHook(hook)
		ans := bot.ReviewAnswers{CycleID: c.ID, TeamID: "eng", Subject: alice, Role: bot.RoleSelf, Author: alice, Answers: []string{"x"}, UpdatedAt: t0}
		err = s.SaveReviewAnswers(ctx, ans, bot.AuditEntry{At: t0, Actor: alice, Action: "review.answered", Key: "review-adv26"})
		if !hook.done.Load() || err != nil {
			t.Fatalf("SaveReviewAnswers resent (hook saw it: %v): %v, want nil", hook.done.Load(), err)
		}
	})
}

// An anonymous answer or review carries no event key (nothing may link it
// to its author), so before, the client's resend of the first call heard
// 'conflict': "you already answered" for a first answer, and a batch that
// call released never reached the requester. The call now keeps its reply
// under its own random id.
func TestAdv26AnonymousWritesResentAfterALostReplyAnswerAsTheFirstSend(t *testing.T) {
	ctx := context.Background()
	t.Run("answer releasing a batch", func(t *testing.T) {
		s := storetest.MustOpen(t)
		for _, p := range []bot.UserID{alice, bob} {
			if _, err := s.AnswerAnonymously(ctx, "eng", "R1", p, bot.AnonymousAnswer{Text: "from " + string(p)}, 3, bot.AuditEntry{}); err != nil {
				t.Fatal(err)
			}
		}
		hook := &adv26Resend{marker: ":req:R1:held"}
		s.Client().AddHook(hook)
		batch, err := s.AnswerAnonymously(ctx, "eng", "R1", carol, bot.AnonymousAnswer{Text: "third"}, 3, bot.AuditEntry{})
		if !hook.done.Load() || err != nil || len(batch) != 3 {
			t.Fatalf("third answer resent (hook saw it: %v): batch %+v, %v; want the 3 answers it released", hook.done.Load(), batch, err)
		}
		if _, err := s.AnswerAnonymously(ctx, "eng", "R1", carol, bot.AnonymousAnswer{Text: "again"}, 3, bot.AuditEntry{}); !errors.Is(err, bot.ErrConflict) {
			t.Fatalf("carol answering again, a new call: %v, want ErrConflict", err)
		}
	})
	t.Run("review", func(t *testing.T) {
		s := storetest.MustOpen(t)
		must(t, "save eng", s.SaveTeam(ctx, fullTeam("eng"), bot.AuditEntry{}))
		c, err := s.CreateReviewCycle(ctx, bot.ReviewCycle{TeamID: "eng", Title: "H1", Due: t0.Add(48 * time.Hour), Peers: 3, Anonymous: true, At: t0},
			[]bot.UserID{alice, bob}, bot.AuditEntry{})
		must(t, "start", err)
		hook := &adv26Resend{marker: ":reviews"}
		s.Client().AddHook(hook)
		err = s.SubmitAnonymousReview(ctx, "eng", c.ID, bob, bot.AnonymousReview{Subject: alice, Answers: []string{"clear"}}, bot.AuditEntry{})
		if !hook.done.Load() || err != nil {
			t.Fatalf("review resent (hook saw it: %v): %v, want nil", hook.done.Load(), err)
		}
		got, err := s.CycleAnonymousReviews(ctx, "eng", c.ID)
		if err != nil || len(got.Reviews) != 1 {
			t.Fatalf("reviews after the resend: %+v %v, want one", got, err)
		}
		if err := s.SubmitAnonymousReview(ctx, "eng", c.ID, bob, bot.AnonymousReview{Subject: alice, Answers: []string{"x"}}, bot.AuditEntry{}); !errors.Is(err, bot.ErrConflict) {
			t.Fatalf("bob reviewing alice again, a new call: %v, want ErrConflict", err)
		}
	})
}

// Relative steps add up to their exact decimal sum, also from a value that
// drifted before (stored as 2.9999999999999996), with many places, with
// exponents, and back to zero without a sign.
func TestRelativeUpdatesAddUpToTheDecimalSum(t *testing.T) {
	ctx := context.Background()
	s := storetest.MustOpen(t)
	cases := []struct {
		start float64
		steps []float64
		want  float64
	}{
		{2.1, []float64{0.3, 0.3, 0.3}, 3},
		{2.9999999999999996, []float64{0.3}, 3.3},
		{0.1, []float64{0.2}, 0.3},
		{0.3, []float64{-0.1, -0.2}, 0},
		{1e-05, []float64{2e-05}, 3e-05},
		{1234.5678, []float64{0.0001, -1234.5679}, 0},
		{0, []float64{0.123456789012}, 0.123456789012},
	}
	for i, c := range cases {
		g, err := s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "sum", Owner: alice, State: bot.GoalOpen,
			Metric: bot.Metric{Baseline: c.start, Target: 10000}, Current: c.start, Start: t0, Due: t0.AddDate(0, 3, 0), UpdatedAt: t0}, bot.AuditEntry{})
		if err != nil {
			t.Fatal(err)
		}
		for j, step := range c.steps {
			if _, err := s.RecordUpdate(ctx, bot.Update{GoalID: g.ID, At: t0.Add(time.Duration(j+1) * time.Minute)},
				bot.ProgressChange{Number: step, Relative: true}, bot.AuditEntry{}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.GetGoal(ctx, g.ID)
		if err != nil || got.Current != c.want || math.Signbit(got.Current) {
			t.Errorf("case %d: %v plus %v stands at %v (%v), want %v", i, c.start, c.steps, got.Current, err, c.want)
		}
	}
}
