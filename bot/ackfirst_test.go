package bot

import (
	"context"
	"testing"
	"time"
)

var ackEpoch = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

func TestAckFirstHoldsWorkWhileAnAnswerIsUnderWay(t *testing.T) {
	clock := NewManualClock(ackEpoch)
	a := NewAckFirst(clock, 0)
	if free, _ := a.state(clock.Now()); !free {
		t.Fatal("work held with no answer under way")
	}
	a.Begin()
	a.Begin()
	if free, _ := a.state(clock.Now()); free {
		t.Error("work free while two answers are under way")
	}
	a.End()
	if free, _ := a.state(clock.Now()); free {
		t.Error("work free while one answer is still under way")
	}
	a.End()
	if free, _ := a.state(clock.Now()); !free {
		t.Error("work held after the last answer ended")
	}
}

func TestAckFirstHoldsWorkThroughABurstUntilAQuietWindow(t *testing.T) {
	clock := NewManualClock(ackEpoch)
	a := NewAckFirst(clock, 1000) // 100 answers in a 100 ms window make a burst
	answer := func(n int) {
		for range n {
			a.Begin()
			a.End()
		}
	}
	answer(99)
	if free, _ := a.state(clock.Now()); !free {
		t.Fatal("99 answers in a window held work; the burst starts at 100")
	}
	answer(1)
	if free, _ := a.state(clock.Now()); free {
		t.Error("work free during a burst of 100 answers in a window")
	}
	clock.Advance(ackWindow)
	if free, _ := a.state(clock.Now()); free {
		t.Error("work free one window after a burst: the last full window was a burst")
	}
	answer(10)
	clock.Advance(ackWindow)
	if free, _ := a.state(clock.Now()); !free {
		t.Error("work held after a full window with 10 answers")
	}
}

func TestAckFirstWaitEndsWithTheAnswersOrAtItsLimit(t *testing.T) {
	clock := NewManualClock(ackEpoch)
	a := NewAckFirst(clock, 0)
	a.Begin()
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.wait(context.Background(), clock.Now().Add(time.Hour))
	}()
	a.End()
	<-done // returns once the answer ended, long before its limit

	a.Begin()
	defer a.End()
	limit := clock.Now().Add(2 * time.Second)
	done = make(chan struct{})
	go func() {
		defer close(done)
		a.wait(context.Background(), limit)
		if now := clock.Now(); now.Before(limit) {
			t.Errorf("wait returned at %s, before its limit %s, with an answer under way", now, limit)
		}
	}()
	clock.Set(limit)
	<-done // the held worker looks at the clock again within ackPoll

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a.wait(ctx, clock.Now().Add(time.Hour)) // an ended context does not wait
}
