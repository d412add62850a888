package store

import (
	"context"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// The inbox acknowledgement shares its pipeline with marks in other slots
// (cache keys carry no hash tag): it must be one command whose keys stay in
// the {inbox} slot, not a MULTI, which a Cluster refuses across slots.
func TestInboxAckWithMarksKeepsEachCommandInOneSlot(t *testing.T) {
	s, checker, step := slotCheckedStore(t)
	ctx := context.Background()
	in := s.Inbox()
	step("ensure group", in.EnsureGroup(ctx))
	var ids []string
	for _, k := range []string{"slack:msg:C1:1.0", "slack:msg:C2:2.0"} {
		_, err := in.Enqueue(ctx, bot.InboxEntry{Key: k, Platform: bot.PlatformSlack, Kind: "event"}, time.Hour)
		step("enqueue "+k, err)
	}
	got, err := in.Read(ctx, "c1", 10, -1)
	step("read", err)
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	marks := []bot.SettleMark{
		{Key: "slack:sent:slack:msg:C1:1.0:reply", Value: "1", TTL: time.Hour},
		{Key: "slack:sent:slack:msg:C2:2.0:reply", Value: "1", TTL: time.Hour},
	}
	if slot(s.cacheKey(marks[0].Key)) == slot(s.inboxKey("events")) {
		t.Fatal("the probe's first mark hashes to the inbox slot; pick another key")
	}
	step("ack", in.Ack(ctx, marks, ids...))
	for _, e := range checker.errors {
		t.Error(e)
	}
	if checker.txs != 0 {
		t.Errorf("the acknowledgement ran %d MULTI transactions, want none", checker.txs)
	}
	if len(checker.seen) != 2 {
		t.Errorf("%d distinct scripts ran, want the enqueue and the ack", len(checker.seen))
	}
}
