package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// streamGroup is one Redis stream read through one consumer group: the
// steps the scheduler's delivery queue and the event inbox share (create
// the group, read new entries, read a consumer's own pending ones, take
// over idle ones).
type streamGroup struct {
	rdb    redis.UniversalClient
	stream string
	group  string
}

// ensure creates the stream and its consumer group if they do not exist.
func (g streamGroup) ensure(ctx context.Context) error {
	err := g.rdb.XGroupCreateMkStream(ctx, g.stream, g.group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create group %s on %s: %w", g.group, g.stream, err)
	}
	return nil
}

// read returns up to count entries for consumer from id (">" for new
// ones), waiting up to block for one (block < 0: do not wait).
func (g streamGroup) read(ctx context.Context, consumer, id string, count int, block time.Duration) ([]redis.XMessage, error) {
	res, err := g.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: g.group, Consumer: consumer, Streams: []string{g.stream, id},
		Count: int64(count), Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s as %s: %w", g.stream, consumer, err)
	}
	var out []redis.XMessage
	for _, st := range res {
		out = append(out, st.Messages...)
	}
	return out, nil
}

// reclaim moves to consumer up to count entries pending with any consumer
// for at least minIdle, scanning from start; it returns them and the next cursor.
func (g streamGroup) reclaim(ctx context.Context, consumer string, minIdle time.Duration, start string, count int) ([]redis.XMessage, string, error) {
	msgs, next, err := g.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: g.stream, Group: g.group, Consumer: consumer,
		MinIdle: minIdle, Start: start, Count: int64(count),
	}).Result()
	if err != nil {
		return nil, start, fmt.Errorf("reclaim %s entries as %s: %w", g.stream, consumer, err)
	}
	return msgs, next, nil
}

// deliveries returns how many times each of consumer's pending entries in
// [first, last] was delivered, by id.
func (g streamGroup) deliveries(ctx context.Context, consumer, first, last string, count int) (map[string]int64, error) {
	res, err := g.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: g.stream, Group: g.group, Start: first, End: last, Count: int64(count), Consumer: consumer,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("delivery counts on %s: %w", g.stream, err)
	}
	out := make(map[string]int64, len(res))
	for _, p := range res {
		out[p.ID] = p.RetryCount
	}
	return out, nil
}
