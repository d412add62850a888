package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/scheduler/jobrun"
	"github.com/pulse-bot/pulse/store/storetest"
)

func planningRun(id string, now time.Time, owner string) jobrun.Record {
	return jobrun.Record{
		ID: id, Job: bot.JobCheckInPrompt, TeamID: "eng", Zone: "Europe/Berlin", FireAt: now,
		Period: "2026-W13", Status: jobrun.Planning, Owner: owner, Lease: now.Add(time.Minute), StartedAt: now,
	}
}

func TestClaimRunIsWonByExactlyOneOfManyClaimants(t *testing.T) {
	runs := storetest.MustOpen(t).Runs()
	now := time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for i := range 20 {
		wg.Go(func() {
			won, stored, err := runs.Claim(context.Background(), planningRun("r1", now, string(rune('a'+i))), now, time.Hour, jobrun.ClaimNew)
			if err != nil {
				t.Error(err)
				return
			}
			if stored.ID != "r1" || stored.Status != jobrun.Planning {
				t.Errorf("stored %+v", stored)
			}
			if won {
				mu.Lock()
				winners++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if winners != 1 {
		t.Errorf("%d claimants won, want 1", winners)
	}
	recent, err := runs.Recent(context.Background(), "eng", 10)
	if err != nil || len(recent) != 1 || recent[0].Attempts != 1 {
		t.Errorf("recent runs %+v (%v), want the one run on attempt 1", recent, err)
	}
}

func TestClaimTakesOverOnlyWhatModeAllows(t *testing.T) {
	ctx := context.Background()
	runs := storetest.MustOpen(t).Runs()
	now := time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC)
	if won, _, err := runs.Claim(ctx, planningRun("r1", now, "dead"), now, time.Hour, jobrun.ClaimNew); err != nil || !won {
		t.Fatalf("first claim: %v %v", won, err)
	}
	if won, _, _ := runs.Claim(ctx, planningRun("r1", now, "b"), now.Add(30*time.Second), time.Hour, jobrun.ClaimNew); won {
		t.Error("took over a run whose lease holds")
	}
	won, stored, err := runs.Claim(ctx, planningRun("r1", now, "b"), now.Add(2*time.Minute), time.Hour, jobrun.ClaimNew)
	if err != nil || !won || stored.Owner != "b" || stored.Attempts != 2 {
		t.Errorf("takeover after the lease: won %v, %+v, %v", won, stored, err)
	}

	missed := planningRun("r2", now, "a")
	missed.Status, missed.FinishedAt = jobrun.Missed, now
	if won, _, _ := runs.Claim(ctx, missed, now, time.Hour, jobrun.ClaimNew); !won {
		t.Fatal("could not record a missed run")
	}
	if won, _, _ := runs.Claim(ctx, planningRun("r2", now, "b"), now, time.Hour, jobrun.ClaimNew); won {
		t.Error("the loop re-ran a missed run")
	}
	if won, _, _ := runs.Claim(ctx, planningRun("r2", now, "cli"), now, time.Hour, jobrun.ClaimManual); !won {
		t.Error("a manual run could not take a missed run")
	}
	if won, _, _ := runs.Claim(ctx, planningRun("r2", now, "cli2"), now.Add(30*time.Second), time.Hour, jobrun.ClaimManual); won {
		t.Error("a manual run took a run that is planning under a live lease")
	}
	recent, err := runs.Recent(ctx, "eng", 10)
	if err != nil || len(recent) != 2 {
		t.Errorf("recent runs %d (%v), want 2: takeovers are not listed again", len(recent), err)
	}
}

func TestRunFinishesWhenEveryDeliveryIsSettled(t *testing.T) {
	ctx := context.Background()
	st := storetest.MustOpen(t)
	runs, q := st.Runs(), st.Queue()
	now := time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC)
	if _, _, err := runs.Claim(ctx, planningRun("r1", now, "a"), now, time.Hour, jobrun.ClaimNew); err != nil {
		t.Fatal(err)
	}
	args := func(key string) jobrun.MarkerArgs {
		return jobrun.MarkerArgs{TeamID: "eng", Key: key, RunID: "r1", Now: now.Add(time.Minute), TTL: time.Hour}
	}
	// A fast worker settles one delivery before the planner records the count.
	if _, err := q.Reserve(ctx, args("k1"), time.Minute, 3); err != nil {
		t.Fatal(err)
	}
	if fin, err := q.Complete(ctx, args("k1"), jobrun.OutcomeSent); err != nil || fin {
		t.Fatalf("complete k1: finished %v, %v", fin, err)
	}
	if fin, err := runs.Enqueued(ctx, "eng", "r1", 2, now); err != nil || fin {
		t.Fatalf("enqueued: finished %v, %v", fin, err)
	}
	if fin, err := q.Complete(ctx, args("k2"), jobrun.OutcomeFailed); err != nil || !fin {
		t.Fatalf("complete k2: finished %v, %v; want the run finished", fin, err)
	}
	if fin, err := q.Complete(ctx, args("k2"), jobrun.OutcomeSent); err != nil || fin {
		t.Errorf("completing twice counted again: %v %v", fin, err)
	}
	rec, err := runs.Get(ctx, "eng", "r1")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != jobrun.DoneWithErrors || rec.Planned != 2 || rec.Sent != 1 || rec.Failed != 1 || rec.FinishedAt.IsZero() {
		t.Errorf("run %+v", rec)
	}
	if fin, err := runs.Enqueued(ctx, "eng", "gone", 1, now); err == nil || fin {
		t.Error("enqueued a run that was never claimed")
	}
}

// TestManualClaimRetriesARunWithFailuresOnly: a manual claim takes a run
// that ended done-with-errors (or failed), starting its counts afresh; it
// never takes one that ended done. Reopen then counts a delivery sent
// before as deduped (not to be queued) and lets a failed one be reserved
// again.
func TestManualClaimRetriesARunWithFailuresOnly(t *testing.T) {
	ctx := context.Background()
	st := storetest.MustOpen(t)
	runs, q := st.Runs(), st.Queue()
	now := time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC)
	args := func(key string) jobrun.MarkerArgs {
		return jobrun.MarkerArgs{TeamID: "eng", Key: key, RunID: "r1", Now: now, TTL: time.Hour}
	}
	if _, _, err := runs.Claim(ctx, planningRun("r1", now, "a"), now, time.Hour, jobrun.ClaimNew); err != nil {
		t.Fatal(err)
	}
	if _, err := runs.Enqueued(ctx, "eng", "r1", 2, now); err != nil {
		t.Fatal(err)
	}
	for key, outcome := range map[string]jobrun.Outcome{"k-sent": jobrun.OutcomeSent, "k-failed": jobrun.OutcomeFailed} {
		if _, err := q.Complete(ctx, args(key), outcome); err != nil {
			t.Fatal(err)
		}
	}
	if rec, _ := runs.Get(ctx, "eng", "r1"); rec.Status != jobrun.DoneWithErrors {
		t.Fatalf("run status %s, want done-with-errors", rec.Status)
	}
	if won, _, _ := runs.Claim(ctx, planningRun("r1", now, "loop"), now.Add(time.Hour), time.Hour, jobrun.ClaimNew); won {
		t.Fatal("the loop re-ran a finished run")
	}
	won, stored, err := runs.Claim(ctx, planningRun("r1", now, "cli"), now.Add(time.Minute), time.Hour, jobrun.ClaimManual)
	if err != nil || !won || stored.Status != jobrun.Planning || stored.Sent != 0 || stored.Failed != 0 || stored.Planned != 0 || !stored.FinishedAt.IsZero() {
		t.Fatalf("manual retry claim: won %v, %+v, %v; want planning with fresh counts", won, stored, err)
	}
	// The re-run renews the run record; the sent marker must outlive it
	// too, or a later re-run would send that delivery again.
	if err := st.Client().PExpire(ctx, q.MarkerKey("eng", "k-sent"), time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if sent, err := q.Reopen(ctx, args("k-sent")); err != nil || !sent {
		t.Errorf("reopen of a sent delivery = %v, %v; want sent before", sent, err)
	}
	if ttl := st.Client().PTTL(ctx, q.MarkerKey("eng", "k-sent")).Val(); ttl <= time.Minute {
		t.Errorf("a reopened sent marker expires in %s, want the run's ttl (1h) again", ttl)
	}
	if sent, err := q.Reopen(ctx, args("k-failed")); err != nil || sent {
		t.Errorf("reopen of a failed delivery = %v, %v; want to send it again", sent, err)
	}
	if r, err := q.Reserve(ctx, args("k-failed"), time.Minute, 3); err != nil || r.State != jobrun.Reserved || r.Attempt != 1 {
		t.Errorf("reserve after reopen = %+v, %v; want a fresh first attempt", r, err)
	}
	if _, err := runs.Enqueued(ctx, "eng", "r1", 1, now); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Complete(ctx, args("k-failed"), jobrun.OutcomeSent); err != nil {
		t.Fatal(err)
	}
	rec, _ := runs.Get(ctx, "eng", "r1")
	if rec.Status != jobrun.Done || rec.Sent != 1 || rec.Deduped != 1 || rec.Failed != 0 {
		t.Fatalf("retried run %+v, want done with 1 sent and 1 already sent", rec)
	}
	if won, _, _ := runs.Claim(ctx, planningRun("r1", now, "cli2"), now.Add(2*time.Minute), time.Hour, jobrun.ClaimManual); won {
		t.Error("a manual run took a run that ended done")
	}
}
