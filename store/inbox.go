package store

// The event inbox. Keys (I = P{inbox}, one hash slot, so the scripts stay
// legal on a Redis Cluster):
//
//	I:events        stream  one entry per queued event: k (event key), p (platform),
//	                        t (kind), b (body), r (received, unix ms); consumer group
//	                        "inbox"; entries are deleted once acknowledged
//	I:claim:<key>   string  the stream id that queued the event; TTL the caller's
//	                        (the platform's retry window)
//	I:bury:<call>   string  "1" for 10 minutes: one Bury call done (call random)
//	I:dead          stream  dead letters: the entry's fields plus id (its inbox id),
//	                        n (deliveries), why (reason), at (buried, unix ms);
//	                        kept until `pulse inbox dead drop` or retry
//
// Queueing costs one script (EXISTS, XADD, SET); handling one entry a
// share of one XREADGROUP and a share of one pipeline: the marks of every
// entry a worker finished meanwhile (cache SETs, such as a reply's
// sent-marker), then one script (XACK, XDEL of those entries).

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
)

// InboxGroup is the consumer group every inbox worker of every replica joins.
const InboxGroup = "inbox"

// Inbox is the durable event inbox: it implements bot.InboxQueue.
type Inbox struct {
	s     *Store
	group streamGroup
	dead  string
}

var _ bot.InboxQueue = (*Inbox)(nil)

// Inbox returns the event inbox.
func (s *Store) Inbox() *Inbox {
	stream := s.inboxKey("events")
	return &Inbox{s: s, group: streamGroup{rdb: s.rdb, stream: stream, group: InboxGroup}, dead: s.inboxKey("dead")}
}

func (s *Store) inboxKey(parts ...string) string {
	return s.Key(append([]string{"{inbox}"}, parts...)...)
}

// enqueueLua claims an event key and queues the event, unless the key is
// claimed already. The XADD comes before the SET, so a failing write leaves
// nothing behind. The claim names the call that made it (ARGV[7]): the
// client resending that same call (a pipeline whose first reply was a
// retryable refusal, a timeout) hears 1 again, not "claimed before".
// KEYS: claim, stream. ARGV: claim ttl (ms), key, platform, kind, body,
// received (ms), call id.
// Returns 1 when queued by this call, 0 when the key was claimed before.
const enqueueLua = `
local claim = redis.call('GET', KEYS[1])
if claim then
  if string.sub(claim, -#ARGV[7] - 1) == ' ' .. ARGV[7] then return 1 end
  return 0
end
local id = redis.call('XADD', KEYS[2], '*', 'k', ARGV[2], 'p', ARGV[3], 't', ARGV[4], 'b', ARGV[5], 'r', ARGV[6])
redis.call('SET', KEYS[1], id .. ' ' .. ARGV[7], 'PX', ARGV[1])
return 1
`

var enqueueScript = redis.NewScript(enqueueLua)

// Enqueue claims e.Key for claimTTL and appends e to the inbox in one
// script, sent in one pipeline with the other deliveries queued at the
// same moment. Running it again (a client retry after a timeout, a
// platform retry, a twin) finds the claim and reports fresh=false: the
// event is queued once.
func (in *Inbox) Enqueue(ctx context.Context, e bot.InboxEntry, claimTTL time.Duration) (bool, error) {
	if e.Key == "" {
		return false, errors.New("enqueue: empty event key")
	}
	if claimTTL <= 0 {
		return false, fmt.Errorf("enqueue %s: claim ttl must be positive", e.Key)
	}
	n, err := evalShared(ctx, &in.s.enqueues, in.s.rdb, enqueueScript,
		[]string{in.s.inboxKey("claim", e.Key), in.group.stream},
		claimTTL.Milliseconds(), e.Key, string(e.Platform), e.Kind, e.Body, e.ReceivedAt.UnixMilli(), rand.Text()).Int64()
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", e.Key, err)
	}
	return n == 1, nil
}

// EnsureGroup creates the inbox stream and its consumer group if needed.
func (in *Inbox) EnsureGroup(ctx context.Context) error { return in.group.ensure(ctx) }

// Read takes up to count new entries for consumer, each delivered once so far.
func (in *Inbox) Read(ctx context.Context, consumer string, count int, block time.Duration) ([]bot.InboxEntry, error) {
	msgs, err := in.group.read(ctx, consumer, ">", count, block)
	if err != nil {
		return nil, err
	}
	out := make([]bot.InboxEntry, 0, len(msgs))
	for _, m := range msgs {
		e := inboxEntryOf(m.ID, m.Values)
		e.Deliveries = 1
		out = append(out, e)
	}
	return out, nil
}

// Pending re-reads consumer's entries delivered and not acknowledged
// (XREADGROUP from 0) and reads how often each was delivered.
func (in *Inbox) Pending(ctx context.Context, consumer string, count int) ([]bot.InboxEntry, error) {
	msgs, err := in.group.read(ctx, consumer, "0", count, -1)
	if err != nil || len(msgs) == 0 {
		return nil, err
	}
	counts, err := in.group.deliveries(ctx, consumer, msgs[0].ID, msgs[len(msgs)-1].ID, len(msgs))
	if err != nil {
		return nil, err
	}
	out := make([]bot.InboxEntry, 0, len(msgs))
	for _, m := range msgs {
		e := inboxEntryOf(m.ID, m.Values)
		e.Deliveries = max(counts[m.ID], 1)
		out = append(out, e)
	}
	return out, nil
}

// Reclaim takes over entries idle for minIdle with any consumer and reads
// how often each was delivered (XAUTOCLAIM counts this one).
func (in *Inbox) Reclaim(ctx context.Context, consumer string, minIdle time.Duration, start string, count int) ([]bot.InboxEntry, string, error) {
	msgs, next, err := in.group.reclaim(ctx, consumer, minIdle, start, count)
	if err != nil || len(msgs) == 0 {
		return nil, next, err
	}
	counts, err := in.group.deliveries(ctx, consumer, msgs[0].ID, msgs[len(msgs)-1].ID, len(msgs))
	if err != nil {
		return nil, next, err
	}
	out := make([]bot.InboxEntry, 0, len(msgs))
	for _, m := range msgs {
		e := inboxEntryOf(m.ID, m.Values)
		e.Deliveries = max(counts[m.ID], 1)
		out = append(out, e)
	}
	return out, next, nil
}

// ackLua acknowledges entries and deletes them from the stream. One
// command, not a MULTI: it shares a pipeline with the marks, cache keys in
// other Cluster slots, which a transaction cannot span (go-redis sends a
// Cluster pipeline's commands to their nodes).
// The ids go 1,000 at a time: Lua's unpack holds only about 8,000 values.
// KEYS: stream. ARGV: group, ids...
const ackLua = `
for i = 2, #ARGV, 1000 do
  local last = math.min(i + 999, #ARGV)
  redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, i, last))
  redis.call('XDEL', KEYS[1], unpack(ARGV, i, last))
end
return 0
`

// Ack writes marks to the cache (the keys CacheGet reads), then
// acknowledges entries and deletes them, in one pipeline however many. On
// one server the commands run in order, so an acknowledged entry's marks
// are written; an entry whose acknowledgement failed is delivered again
// and finds them. (A Cluster sends each node its part at once: a mark is
// missing then only if its own node failed too.) A failed mark of an
// acknowledged entry loses nothing: it is not delivered again.
func (in *Inbox) Ack(ctx context.Context, marks []bot.SettleMark, ids ...string) error {
	if len(ids) == 0 && len(marks) == 0 {
		return nil
	}
	var ack *redis.Cmd
	_, err := in.s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, m := range marks {
			p.Set(ctx, in.s.cacheKey(m.Key), m.Value, m.TTL)
		}
		if len(ids) > 0 {
			args := make([]any, 0, len(ids)+1)
			args = append(args, InboxGroup)
			for _, id := range ids {
				args = append(args, id)
			}
			// EVAL, not EVALSHA: a pipeline cannot retry on NOSCRIPT.
			ack = p.Eval(ctx, ackLua, []string{in.group.stream}, args...)
		}
		return nil
	})
	if ack != nil && ack.Err() != nil {
		return fmt.Errorf("ack %d inbox entries from %s: %w", len(ids), ids[0], ack.Err())
	}
	if err != nil {
		return fmt.Errorf("write %d marks with the inbox acknowledgement: %w", len(marks), err)
	}
	return nil
}

// buryLua moves a pending entry to the dead-letter stream, unless another
// worker settled it meanwhile (0). The call marks itself for a while
// (KEYS[3]), so the client resending it after a lost reply hears 1 again,
// not "settled by someone else".
// KEYS: stream, dead, this call's mark. ARGV: group, id, key, platform, kind,
// body, received, deliveries, reason, now (ms), mark ttl (ms).
const buryLua = `
if redis.call('EXISTS', KEYS[3]) == 1 then return 1 end
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', 'id', ARGV[2], 'k', ARGV[3], 'p', ARGV[4], 't', ARGV[5], 'b', ARGV[6],
  'r', ARGV[7], 'n', ARGV[8], 'why', ARGV[9], 'at', ARGV[10])
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[11])
return 1
`

var buryScript = redis.NewScript(buryLua)

// Bury moves e to the dead-letter stream and settles it, atomically;
// moved is false when another worker settled it meanwhile.
func (in *Inbox) Bury(ctx context.Context, e bot.InboxEntry, reason string, at time.Time) (bool, error) {
	mark := in.s.inboxKey("bury", rand.Text())
	n, err := buryScript.Run(ctx, in.s.rdb, []string{in.group.stream, in.dead, mark},
		InboxGroup, e.ID, e.Key, string(e.Platform), e.Kind, e.Body, e.ReceivedAt.UnixMilli(),
		e.Deliveries, reason, at.UnixMilli(), resendWindow.Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("bury inbox entry %s: %w", e.ID, err)
	}
	return n == 1, nil
}

// DeadLetters lists up to count dead letters, oldest first.
func (in *Inbox) DeadLetters(ctx context.Context, count int) ([]bot.DeadLetter, error) {
	msgs, err := in.s.rdb.XRangeN(ctx, in.dead, "-", "+", int64(count)).Result()
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	out := make([]bot.DeadLetter, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, deadLetterOf(m))
	}
	return out, nil
}

// DeadCount counts the dead letters.
func (in *Inbox) DeadCount(ctx context.Context) (int64, error) {
	n, err := in.s.rdb.XLen(ctx, in.dead).Result()
	if err != nil {
		return 0, fmt.Errorf("count dead letters: %w", err)
	}
	return n, nil
}

// Backlog counts the entries queued and not yet settled.
func (in *Inbox) Backlog(ctx context.Context) (int64, error) {
	n, err := in.s.rdb.XLen(ctx, in.group.stream).Result()
	if err != nil {
		return 0, fmt.Errorf("inbox backlog: %w", err)
	}
	return n, nil
}

// retryDeadLua queues a dead letter again and removes it from the dead-letter stream.
// KEYS: dead, stream. ARGV: dead-letter id. Returns 0 when there is no such dead letter.
const retryDeadLua = `
local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then return 0 end
local f = {}
local raw = found[1][2]
for i = 1, #raw, 2 do f[raw[i]] = raw[i + 1] end
redis.call('XADD', KEYS[2], '*', 'k', f['k'], 'p', f['p'], 't', f['t'], 'b', f['b'], 'r', f['r'], 'q', '1')
redis.call('XDEL', KEYS[1], ARGV[1])
return 1
`

var retryDeadScript = redis.NewScript(retryDeadLua)

// RetryDead moves a dead letter back to the inbox; the workers take it as
// a new entry with a fresh delivery count, marked Requeued.
func (in *Inbox) RetryDead(ctx context.Context, id string) error {
	n, err := retryDeadScript.Run(ctx, in.s.rdb, []string{in.dead, in.group.stream}, id).Int64()
	if err != nil {
		return fmt.Errorf("retry dead letter %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("retry dead letter %s: %w", id, bot.ErrNoDeadLetter)
	}
	return nil
}

// DropDead deletes a dead letter for good.
func (in *Inbox) DropDead(ctx context.Context, id string) error {
	n, err := in.s.rdb.XDel(ctx, in.dead, id).Result()
	if err != nil {
		return fmt.Errorf("drop dead letter %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("drop dead letter %s: %w", id, bot.ErrNoDeadLetter)
	}
	return nil
}

func inboxEntryOf(id string, v map[string]any) bot.InboxEntry {
	str := func(k string) string { s, _ := v[k].(string); return s }
	e := bot.InboxEntry{ID: id, Key: str("k"), Platform: bot.Platform(str("p")), Kind: str("t"), Requeued: str("q") == "1"}
	if b := str("b"); b != "" {
		e.Body = []byte(b)
	}
	if ms, err := strconv.ParseInt(str("r"), 10, 64); err == nil {
		e.ReceivedAt = time.UnixMilli(ms).UTC()
	}
	return e
}

func deadLetterOf(m redis.XMessage) bot.DeadLetter {
	str := func(k string) string { s, _ := m.Values[k].(string); return s }
	d := bot.DeadLetter{ID: m.ID, Entry: inboxEntryOf(str("id"), m.Values), Reason: str("why")}
	d.Entry.Deliveries, _ = strconv.ParseInt(str("n"), 10, 64)
	if ms, err := strconv.ParseInt(str("at"), 10, 64); err == nil {
		d.BuriedAt = time.UnixMilli(ms).UTC()
	}
	return d
}
