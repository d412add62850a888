package bot

import (
	"context"
	"sync"
	"time"
)

// SettleMark is a cache entry (as Cache.CacheSet writes it) that records
// what handling an inbox entry did, such as a sent reply. It matters only
// when the entry is delivered again, which only an entry not acknowledged
// is; so the inbox worker writes it with the entry's acknowledgement, in
// the same round trip, instead of the adapter paying one of its own.
type SettleMark struct {
	Key   string
	Value string
	TTL   time.Duration
}

// settlement collects the marks one try at an inbox entry registers
// (MarkOnSettle). Once the try returned it is closed: a goroutine that
// outlives the try writes its mark itself.
type settlement struct {
	mu     sync.Mutex
	marks  []SettleMark
	closed bool
}

type settlementKey struct{}

func withSettlement(ctx context.Context, s *settlement) context.Context {
	return context.WithValue(ctx, settlementKey{}, s)
}

// close ends the try and returns its marks.
func (s *settlement) close() []SettleMark {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return s.marks
}

// MarkOnSettle hands key=value (kept for ttl) to the inbox worker running
// ctx's try at an entry, which writes it no later than the entry's
// acknowledgement and in the same round trip; if the try fails, the worker
// writes it before the entry is tried again. It reports false when ctx
// belongs to no try under way (a call outside the inbox workers, or a
// goroutine that outlived its try) or ttl is not positive: then the
// caller must write the entry itself.
//
// A replica killed between the effect and its acknowledgement loses the
// mark with it, as it would lose a mark not yet written by its own round
// trip; the takeover then repeats the effect.
func MarkOnSettle(ctx context.Context, key, value string, ttl time.Duration) bool {
	s, ok := ctx.Value(settlementKey{}).(*settlement)
	if !ok || ttl <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.marks = append(s.marks, SettleMark{Key: key, Value: value, TTL: ttl})
	return true
}
