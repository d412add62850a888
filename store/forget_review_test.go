package store_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

func TestForgetReviewDataRedis(t *testing.T)    { runForgetReviewData(t, storetest.MustOpen) }
func TestForgetReviewDataEmbedded(t *testing.T) { runForgetReviewData(t, storetest.MustOpenEmbedded) }

// runForgetReviewData seeds feedback, requests, answers, two cycles with
// sheets and answers, actions and flags that involve Alice and others,
// forgets Alice while a review answer about her lands in the middle of the
// forget (its transaction must retry and catch it), and checks that nothing
// names her outside the audit log and that what is only the others' is
// intact.
func runForgetReviewData(t *testing.T, open func(testing.TB) *store.Store) {
	s := open(t)
	ctx := context.Background()
	eng := fullTeam("eng") // alice, bob members; carol manager
	must(t, "save eng", s.SaveTeam(ctx, eng, bot.AuditEntry{}))
	n := 0
	ev := func(action string) bot.AuditEntry {
		n++
		return bot.AuditEntry{At: t0, Actor: carol, Action: action, Key: "ev" + strconv.Itoa(n)}
	}
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	give := func(f bot.Feedback) bot.Feedback {
		t.Helper()
		f.TeamID = "eng"
		got, err := s.SaveFeedback(ctx, f, ev("feedback.given"))
		must(t, "save feedback", err)
		return got
	}
	request := func(from bot.UserID, asked ...bot.UserID) bot.FeedbackRequest {
		t.Helper()
		q, err := s.CreateFeedbackRequest(ctx, bot.FeedbackRequest{TeamID: "eng", From: from, Asked: asked, Topic: "demo", Due: at(60), At: t0}, ev("feedback.requested"))
		must(t, "request feedback", err)
		return q
	}

	// Direct feedback both ways, and one between others.
	give(bot.Feedback{From: alice, To: bob, Text: "thanks", At: at(1)})
	give(bot.Feedback{From: bob, To: alice, Text: "great demo", At: at(2)})
	carolToBob := give(bot.Feedback{From: carol, To: bob, Text: "well run", Values: []string{"ownership"}, At: at(3)})
	// Alice's request, answered by Bob; Bob's request, answered by Alice and
	// Carol; Carol's request that never asked Alice.
	qa := request(alice, bob, carol)
	give(bot.Feedback{From: bob, To: alice, Text: "on alice", RequestID: qa.ID, At: at(4)})
	qb := request(bob, alice, carol)
	give(bot.Feedback{From: alice, To: bob, Text: "on bob", RequestID: qb.ID, At: at(5)})
	carolOnBob := give(bot.Feedback{From: carol, To: bob, Text: "carol on bob", RequestID: qb.ID, At: at(6)})
	qc := request(carol, bob)

	// C1, started by Alice, for Alice and Bob; C2, started by Carol, for Bob,
	// whose sheet Alice approved and released.
	c1, err := s.CreateReviewCycle(ctx, bot.ReviewCycle{TeamID: "eng", Title: "H1", Due: at(90), Peers: 2, StartedBy: alice, At: t0},
		[]bot.UserID{alice, bob}, ev("review.started"))
	must(t, "start C1", err)
	c2, err := s.CreateReviewCycle(ctx, bot.ReviewCycle{TeamID: "eng", Title: "H2", Due: at(120), Peers: 1, StartedBy: carol, At: t0},
		[]bot.UserID{bob}, ev("review.started"))
	must(t, "start C2", err)
	sheet := func(c bot.ReviewCycle, p bot.UserID, edit func(*bot.ReviewSheet)) bot.ReviewSheet {
		t.Helper()
		sh, err := s.GetReviewSheet(ctx, "eng", c.ID, p)
		must(t, "get sheet", err)
		edit(&sh)
		sh, err = s.SaveReviewSheet(ctx, sh, ev("review.sheet"))
		must(t, "save sheet", err)
		return sh
	}
	sheet(c1, alice, func(sh *bot.ReviewSheet) { sh.Nominated = []bot.UserID{bob}; sh.Peers = []bot.UserID{bob} })
	bobC1 := sheet(c1, bob, func(sh *bot.ReviewSheet) {
		sh.Nominated = []bot.UserID{alice, carol}
		sh.Peers = []bot.UserID{alice, carol}
		sh.ApprovedBy, sh.Approved = carol, at(10)
	})
	sheet(c2, bob, func(sh *bot.ReviewSheet) {
		sh.Peers = []bot.UserID{carol}
		sh.ApprovedBy, sh.Approved, sh.ReleasedBy, sh.Released = alice, at(10), alice, at(11)
	})
	answer := func(c bot.ReviewCycle, subject bot.UserID, role string, author bot.UserID) bot.ReviewAnswers {
		t.Helper()
		a := bot.ReviewAnswers{CycleID: c.ID, TeamID: "eng", Subject: subject, Role: role, Author: author,
			Answers: []string{"a", "b", "c"}, Ratings: map[string]int{"candor": 4}, Submitted: at(20), UpdatedAt: at(20)}
		must(t, "save answers", s.SaveReviewAnswers(ctx, a, ev("review.answered")))
		return a
	}
	answer(c1, alice, bot.RoleSelf, alice)
	answer(c1, alice, bot.RolePeer, bob)
	answer(c1, alice, bot.RoleManager, carol)
	answer(c1, bob, bot.RolePeer, alice)
	keptAnswers := []bot.ReviewAnswers{answer(c1, bob, bot.RoleManager, carol), answer(c1, bob, bot.RolePeer, carol), answer(c1, bob, bot.RoleSelf, bob)}
	answer(c2, bob, bot.RoleManager, alice)

	action := func(person, by bot.UserID) bot.DevAction {
		t.Helper()
		x, err := s.SaveDevAction(ctx, bot.DevAction{TeamID: "eng", Person: person, Text: "course", Due: at(200), By: by, At: t0}, ev("review.action"))
		must(t, "save action", err)
		return x
	}
	action(alice, carol)
	byAlice := action(bob, alice)
	byCarol := action(bob, carol)
	flag := func(person bot.UserID, period string, by bot.UserID) bot.ReviewFlag {
		t.Helper()
		f := bot.ReviewFlag{TeamID: "eng", Person: person, Period: period, Note: "blocked", By: by, At: t0}
		must(t, "save flag", s.SaveReviewFlag(ctx, f, ev("review.flagged")))
		return f
	}
	flag(alice, "2026-W10", carol)
	flagByAlice := flag(bob, "2026-W10", alice)
	flagByCarol := flag(bob, "2026-W11", carol)

	// Once the forget has read C1's answers, Carol writes a peer answer
	// about Alice there: the transaction must fail and rerun, and delete it
	// too.
	var injected atomic.Bool
	hook := midForget{fn: func(cmds []redis.Cmder) {
		if !slices.ContainsFunc(cmds, func(c redis.Cmder) bool { return c.Name() == "hkeys" }) || !injected.CompareAndSwap(false, true) {
			return
		}
		answer(c1, alice, bot.RolePeer, carol)
	}}
	addHookEverywhere(t, s.Client(), hook)

	forgotten := bot.AuditEntry{At: t0, Action: "person.forgotten", Subject: "someone"}
	must(t, "forget alice", s.ForgetPerson(ctx, alice, forgotten))
	if !injected.Load() {
		t.Fatal("the concurrent answer was never written")
	}
	assertNoTrace(t, s, string(alice))

	// Feedback: only what is between others is left.
	fb, err := s.TeamFeedback(ctx, "eng", t0, at(60))
	must(t, "team feedback", err)
	mustEqual(t, "feedback after forget", fb, []bot.Feedback{carolToBob, carolOnBob})

	// Alice's request is gone, with its answers and its index entry.
	_, err = s.GetFeedbackRequest(ctx, qa.ID)
	mustErr(t, "alice's request", err, bot.ErrNotFound)
	indexed, err := s.Client().HExists(ctx, s.Key("rv", "req", "team"), qa.ID).Result()
	must(t, "request index", err)
	if indexed {
		t.Fatalf("request %s is still indexed", qa.ID)
	}
	answers, err := s.RequestAnswers(ctx, "eng", qa.ID)
	must(t, "answers to alice's request", err)
	if len(answers) != 0 {
		t.Fatalf("answers to a deleted request: %+v", answers)
	}
	// Bob's request stays, without Alice among the asked or the answers.
	gotQB, err := s.GetFeedbackRequest(ctx, qb.ID)
	must(t, "bob's request", err)
	qb.Asked = []bot.UserID{carol}
	mustEqual(t, "bob's request", gotQB, qb)
	answers, err = s.RequestAnswers(ctx, "eng", qb.ID)
	must(t, "answers to bob's request", err)
	mustEqual(t, "answers to bob's request", answers, []bot.Feedback{carolOnBob})
	gotQC, err := s.GetFeedbackRequest(ctx, qc.ID)
	must(t, "carol's request", err)
	mustEqual(t, "carol's request", gotQC, qc)

	// Cycles stay; Alice's sheet and every answer by or about her go.
	cycles, err := s.ReviewCycles(ctx, "eng")
	must(t, "cycles", err)
	c1.StartedBy = ""
	// Bob's sheet, the only one of C2, is released: the forget touched it
	// and closes the cycle, as the cycle table does (bot.CycleAfterForget).
	c2.Closed = forgotten.At
	mustEqual(t, "cycles", cycles, []bot.ReviewCycle{c1, c2})
	sheets, err := s.ReviewSheets(ctx, "eng", c1.ID)
	must(t, "C1 sheets", err)
	wantBob := bobC1
	wantBob.Nominated, wantBob.Peers, wantBob.Version = []bot.UserID{carol}, []bot.UserID{carol}, bobC1.Version+1
	mustEqual(t, "C1 sheets", sheets, []bot.ReviewSheet{wantBob})
	_, err = s.SaveReviewSheet(ctx, bobC1, ev("review.sheet"))
	mustErr(t, "saving a sheet read before the forget", err, bot.ErrConflict)
	got, err := s.CycleAnswers(ctx, "eng", c1.ID)
	must(t, "C1 answers", err)
	slices.SortFunc(keptAnswers, cmpAnswers)
	mustEqual(t, "C1 answers", got, keptAnswers)
	got, err = s.CycleAnswers(ctx, "eng", c2.ID)
	must(t, "C2 answers", err)
	if len(got) != 0 {
		t.Fatalf("C2 answers: %+v", got)
	}
	bobC2, err := s.GetReviewSheet(ctx, "eng", c2.ID, bob)
	must(t, "bob's C2 sheet", err)
	if bobC2.ApprovedBy != "" || bobC2.ReleasedBy != "" || bobC2.Released.IsZero() || !slices.Equal(bobC2.Peers, []bot.UserID{carol}) {
		t.Fatalf("bob's C2 sheet: %+v", bobC2)
	}

	// Actions and flags on Alice go; those she recorded forget her.
	acts, err := s.DevActions(ctx, "eng")
	must(t, "actions", err)
	byAlice.By = ""
	mustEqual(t, "actions", acts, []bot.DevAction{byAlice, byCarol})
	flags, err := s.ReviewFlags(ctx, "eng")
	must(t, "flags", err)
	flagByAlice.By = ""
	mustEqual(t, "flags", flags, []bot.ReviewFlag{flagByAlice, flagByCarol})

	// One audit entry for the team's forget; a second forget finds nothing
	// and writes none.
	log, err := s.AuditLog(ctx, "eng", 2)
	must(t, "audit", err)
	if len(log) != 2 || log[0] != forgotten || log[1] == forgotten {
		t.Fatalf("audit after forget: %+v", log)
	}
	must(t, "forget again", s.ForgetPerson(ctx, alice, forgotten))
	again, err := s.AuditLog(ctx, "eng", 2)
	must(t, "audit", err)
	mustEqual(t, "audit after a second forget", again, log)
	assertNoTrace(t, s, string(alice))
}

// cmpAnswers orders answer sheets as CycleAnswers does.
func cmpAnswers(a, b bot.ReviewAnswers) int {
	return strings.Compare(string(a.Subject)+"|"+a.Role+"|"+string(a.Author), string(b.Subject)+"|"+b.Role+"|"+string(b.Author))
}

// addHookEverywhere installs h where a transaction's commands pass: on the
// client, and on a Cluster also on each node's client (existing and later
// ones), because a ClusterClient runs WATCH transactions on the node
// client of the keys' slot, whose hooks the ClusterClient's never reach.
// Hooks may then fire twice for one pipeline; midForget's callers act once.
func addHookEverywhere(t *testing.T, rdb redis.UniversalClient, h redis.Hook) {
	t.Helper()
	rdb.AddHook(h)
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return
	}
	cc.OnNewNode(func(node *redis.Client) { node.AddHook(h) })
	err := cc.ForEachShard(context.Background(), func(_ context.Context, node *redis.Client) error {
		node.AddHook(h)
		return nil
	})
	must(t, "hook the cluster's nodes", err)
}

// midForget is a client hook that calls fn after each pipeline's replies
// came back, to write concurrently between a transaction's reads and its
// EXEC.
type midForget struct{ fn func([]redis.Cmder) }

func (h midForget) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h midForget) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h midForget) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.fn(cmds)
		return err
	}
}
