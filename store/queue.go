package store

// The scheduler's delivery queue. Keys (T = P{team:<id>}):
//
//	P queue:deliveries   stream  one entry per delivery: run (run id), d (JSON bot.Delivery);
//	                             consumer group "workers"; entries are deleted once acknowledged
//	T delivery:<key>     string  delivery marker by bot.Delivery.Key: "sending:<attempt>:<deadline ms>"
//	                             while a worker sends, "retry:<attempt>" after a failed attempt,
//	                             "sent" or "failed" when settled; TTL the caller's (days)
//
// Every step costs O(1) Redis work per delivery: XADD (pipelined), a share of
// one XREADGROUP, one Reserve script, one Complete script, one XACK+XDEL.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pulse-bot/pulse/scheduler/jobrun"
	"github.com/redis/go-redis/v9"
)

// QueueGroup is the consumer group every worker of every replica joins.
const QueueGroup = "workers"

// Queue is the durable delivery stream and its delivery markers.
type Queue struct {
	s      *Store
	stream string
	group  streamGroup
}

// Queue returns the delivery queue.
func (s *Store) Queue() *Queue {
	stream := s.Key("queue", "deliveries")
	return &Queue{s: s, stream: stream, group: streamGroup{rdb: s.rdb, stream: stream, group: QueueGroup}}
}

// Ensure creates the stream and its consumer group if they do not exist.
func (q *Queue) Ensure(ctx context.Context) error { return q.group.ensure(ctx) }

// addChunk bounds one pipeline, so a 10,000-person run does not build one huge request.
const addChunk = 1000

// Add appends one entry per delivery of a run.
func (q *Queue) Add(ctx context.Context, runID string, deliveries [][]byte) error {
	for start := 0; start < len(deliveries); start += addChunk {
		end := min(start+addChunk, len(deliveries))
		_, err := q.s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, d := range deliveries[start:end] {
				p.XAdd(ctx, &redis.XAddArgs{Stream: q.stream, Values: []any{"run", runID, "d", d}})
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("enqueue run %s: %w", runID, err)
		}
	}
	return nil
}

// Read takes up to count new entries for consumer, waiting up to block for
// one to arrive (block < 0: do not wait).
func (q *Queue) Read(ctx context.Context, consumer string, count int, block time.Duration) ([]jobrun.Entry, error) {
	return q.read(ctx, consumer, ">", count, block)
}

// ReadPending returns up to count entries that consumer was given and has
// not acknowledged, with ids after after ("0" from the start). A restarted
// worker that keeps its name finishes these first.
func (q *Queue) ReadPending(ctx context.Context, consumer, after string, count int) ([]jobrun.Entry, error) {
	return q.read(ctx, consumer, after, count, -1)
}

func (q *Queue) read(ctx context.Context, consumer, id string, count int, block time.Duration) ([]jobrun.Entry, error) {
	msgs, err := q.group.read(ctx, consumer, id, count, block)
	if err != nil {
		return nil, err
	}
	out := make([]jobrun.Entry, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, entryOf(m))
	}
	return out, nil
}

// Reclaim moves to consumer up to count entries that have been pending
// with any consumer for at least minIdle (a dead worker's), scanning from
// start ("0-0" at first); it returns them and the cursor for the next call
// ("0-0" when the scan wrapped).
func (q *Queue) Reclaim(ctx context.Context, consumer string, minIdle time.Duration, start string, count int) ([]jobrun.Entry, string, error) {
	msgs, next, err := q.group.reclaim(ctx, consumer, minIdle, start, count)
	if err != nil {
		return nil, start, err
	}
	out := make([]jobrun.Entry, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, entryOf(m))
	}
	return out, next, nil
}

// Ack acknowledges an entry and deletes it from the stream, so the stream
// holds only work not yet done.
func (q *Queue) Ack(ctx context.Context, id string) error {
	_, err := q.s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, q.stream, QueueGroup, id)
		p.XDel(ctx, q.stream, id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("ack queue entry %s: %w", id, err)
	}
	return nil
}

// Pending counts the entries consumer holds unacknowledged.
func (q *Queue) Pending(ctx context.Context, consumer string) (int64, error) {
	res, err := q.s.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: q.stream, Group: QueueGroup, Start: "-", End: "+", Count: 1, Consumer: consumer,
	}).Result()
	if err != nil {
		return 0, fmt.Errorf("pending of %s: %w", consumer, err)
	}
	return int64(len(res)), nil
}

// Backlog counts entries in the stream: not yet acknowledged work.
func (q *Queue) Backlog(ctx context.Context) (int64, error) {
	n, err := q.s.rdb.XLen(ctx, q.stream).Result()
	if err != nil {
		return 0, fmt.Errorf("queue backlog: %w", err)
	}
	return n, nil
}

// RemoveConsumer drops consumer from the group if it holds nothing, so
// one-shot consumers (`pulse jobs run`) do not pile up. A consumer that
// still holds entries is kept: removing it would orphan them.
func (q *Queue) RemoveConsumer(ctx context.Context, consumer string) error {
	n, err := q.Pending(ctx, consumer)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if err := q.s.rdb.XGroupDelConsumer(ctx, q.stream, QueueGroup, consumer).Err(); err != nil {
		return fmt.Errorf("remove consumer %s: %w", consumer, err)
	}
	return nil
}

func entryOf(m redis.XMessage) jobrun.Entry {
	e := jobrun.Entry{ID: m.ID}
	if v, ok := m.Values["run"].(string); ok {
		e.RunID = v
	}
	if v, ok := m.Values["d"].(string); ok {
		e.Delivery = []byte(v)
	}
	return e
}

func (q *Queue) markerKey(teamID, key string) string { return q.s.teamKey(teamID, "delivery", key) }

// reserveLua takes a delivery for sending, unless it is settled or held.
// KEYS: marker, run hash. ARGV: now (ms), lease (ms), max attempts, ttl (ms).
// Returns {state, attempt or deadline}.
const reserveLua = finishLua + `
local now = tonumber(ARGV[1])
local v = redis.call('GET', KEYS[1])
local attempt = 0
if v then
  if v == 'sent' then
    if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HINCRBY', KEYS[2], 'deduped', 1) end
    return {1, 0}
  end
  if v == 'failed' then return {2, 0} end
  local state, n, deadline = string.match(v, '^(%a+):(%d+):?(%d*)$')
  attempt = tonumber(n) or 0
  if state == 'sending' and tonumber(deadline) > now then return {3, tonumber(deadline)} end
end
attempt = attempt + 1
if attempt > tonumber(ARGV[3]) then
  redis.call('SET', KEYS[1], 'failed', 'PX', ARGV[4])
  if redis.call('EXISTS', KEYS[2]) == 1 then
    redis.call('HINCRBY', KEYS[2], 'failed', 1)
    finish(KEYS[2], now)
  end
  return {4, attempt - 1}
end
redis.call('SET', KEYS[1], 'sending:' .. attempt .. ':' .. (now + tonumber(ARGV[2])), 'PX', ARGV[4])
return {0, attempt}
`

var reserveScript = redis.NewScript(reserveLua)

// Reserve takes the delivery for sending for lease, counting the attempt,
// or says why not. Time is the caller's clock, so tests move leases by hand.
func (q *Queue) Reserve(ctx context.Context, a jobrun.MarkerArgs, lease time.Duration, maxAttempts int) (jobrun.Reservation, error) {
	res, err := reserveScript.Run(ctx, q.s.rdb, []string{q.markerKey(a.TeamID, a.Key), q.s.Runs().runKey(a.TeamID, a.RunID)},
		a.Now.UnixMilli(), lease.Milliseconds(), maxAttempts, a.TTL.Milliseconds()).Int64Slice()
	if err != nil {
		return jobrun.Reservation{}, fmt.Errorf("reserve delivery %s: %w", a.Key, err)
	}
	r := jobrun.Reservation{State: jobrun.ReserveState(res[0])}
	switch r.State {
	case jobrun.Reserved, jobrun.Exhausted:
		r.Attempt = int(res[1])
	case jobrun.Busy:
		r.Until = time.UnixMilli(res[1]).UTC()
	}
	return r, nil
}

// releaseLua gives a reserved delivery back after a failed attempt.
// KEYS: marker. ARGV: attempt, ttl (ms).
const releaseLua = `
local v = redis.call('GET', KEYS[1])
if v == 'sent' or v == 'failed' then return 0 end
redis.call('SET', KEYS[1], 'retry:' .. ARGV[1], 'PX', ARGV[2])
return 1
`

var releaseScript = redis.NewScript(releaseLua)

// Release gives the delivery back after attempt failed, so the next
// attempt (by any worker) may take it at once.
func (q *Queue) Release(ctx context.Context, a jobrun.MarkerArgs, attempt int) error {
	err := releaseScript.Run(ctx, q.s.rdb, []string{q.markerKey(a.TeamID, a.Key)}, attempt, a.TTL.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("release delivery %s: %w", a.Key, err)
	}
	return nil
}

// completeLua settles a delivery and counts it in its run, once.
// KEYS: marker, run hash. ARGV: outcome ("sent" or "failed"), now (ms), ttl (ms).
// Returns {counted, run finished}.
const completeLua = finishLua + `
local v = redis.call('GET', KEYS[1])
if v == 'sent' or v == 'failed' then return {0, 0} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
if redis.call('EXISTS', KEYS[2]) == 0 then return {1, 0} end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
return {1, finish(KEYS[2], tonumber(ARGV[2]))}
`

var completeScript = redis.NewScript(completeLua)

// Complete settles the delivery as sent or failed and counts it in its run
// (once, however many entries carry it). finished reports that this was
// the run's last delivery.
func (q *Queue) Complete(ctx context.Context, a jobrun.MarkerArgs, outcome jobrun.Outcome) (finished bool, err error) {
	if outcome != jobrun.OutcomeSent && outcome != jobrun.OutcomeFailed {
		return false, fmt.Errorf("complete delivery %s: outcome %q is not sent or failed", a.Key, outcome)
	}
	res, err := completeScript.Run(ctx, q.s.rdb, []string{q.markerKey(a.TeamID, a.Key), q.s.Runs().runKey(a.TeamID, a.RunID)},
		string(outcome), a.Now.UnixMilli(), a.TTL.Milliseconds()).Int64Slice()
	if err != nil {
		return false, fmt.Errorf("complete delivery %s: %w", a.Key, err)
	}
	return res[1] == 1, nil
}

// reopenLua readies a delivery of a manual re-run: one sent before is
// counted in the run as already sent and is not queued again; one that
// failed for good has its marker dropped, so it is tried afresh.
// A sent marker is kept for ttl again: the re-run renewed the run record,
// and a later re-run of it must still find the marker, not send again.
// KEYS: marker, run hash. ARGV: ttl (ms). Returns 1 when the delivery was
// sent before.
const reopenLua = `
local v = redis.call('GET', KEYS[1])
if v == 'sent' then
  if tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HINCRBY', KEYS[2], 'deduped', 1) end
  return 1
end
if v == 'failed' then redis.call('DEL', KEYS[1]) end
return 0
`

var reopenScript = redis.NewScript(reopenLua)

// Reopen readies a delivery for a manual re-run (see reopenLua) and
// reports whether it was sent before, in which case it must not be queued.
func (q *Queue) Reopen(ctx context.Context, a jobrun.MarkerArgs) (sentBefore bool, err error) {
	n, err := reopenScript.Run(ctx, q.s.rdb, []string{q.markerKey(a.TeamID, a.Key), q.s.Runs().runKey(a.TeamID, a.RunID)}, a.TTL.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("reopen delivery %s: %w", a.Key, err)
	}
	return n == 1, nil
}

// Marker returns a delivery's marker as stored ("" when there is none), for
// tests and `/pulse status`.
func (q *Queue) Marker(ctx context.Context, teamID, key string) (string, error) {
	v, err := q.s.rdb.Get(ctx, q.markerKey(teamID, key)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("delivery marker %s: %w", key, err)
	}
	return v, nil
}

// PruneConsumers drops consumers that hold nothing and have not read for
// idle: processes that stopped for good (each process names its own), so
// the group does not grow with every restart. It returns how many it dropped.
func (q *Queue) PruneConsumers(ctx context.Context, idle time.Duration) (int, error) {
	consumers, err := q.s.rdb.XInfoConsumers(ctx, q.stream, QueueGroup).Result()
	if err != nil {
		return 0, fmt.Errorf("list queue consumers: %w", err)
	}
	dropped := 0
	for _, c := range consumers {
		if c.Pending > 0 || c.Idle < idle {
			continue
		}
		if err := q.s.rdb.XGroupDelConsumer(ctx, q.stream, QueueGroup, c.Name).Err(); err != nil {
			return dropped, fmt.Errorf("drop consumer %s: %w", c.Name, err)
		}
		dropped++
	}
	return dropped, nil
}
