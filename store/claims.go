package store

// The scheduler's run claims and run records. Keys (T = P{team:<id>}):
//
//	T run:<run id>     hash    one fire of one job: the claim itself and the run's outcome
//	                           (fields below); TTL the caller's claim TTL (days)
//	T runs             list    run ids, newest first, capped at RunsCap
//
// A run id names (job, team, zone, fire time), so every replica that
// computes the same fire computes the same id, and the first write of the
// hash wins: Claim is one script (an atomic "set if absent" of the hash),
// so two replicas, or a restarted process, never both run one fire.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/scheduler/jobrun"
)

// RunsCap is how many run ids a team's recent-runs list keeps.
const RunsCap = 200

// Runs keeps run claims and records. It shares the Store's client and prefix.
type Runs struct{ s *Store }

// Runs returns the run records of the scheduler.
func (s *Store) Runs() *Runs { return &Runs{s: s} }

func (r *Runs) runKey(teamID, runID string) string { return r.s.teamKey(teamID, "run", runID) }
func (r *Runs) listKey(teamID string) string       { return r.s.teamKey(teamID, "runs") }

// claimLua writes the run hash if the fire is unclaimed (or may be taken
// over) and indexes it in the team's list.
// KEYS: run hash, runs list. ARGV: now (unix ms), ttl (ms), cap, mode,
// then field/value pairs of the new record.
const claimLua = `
local now = tonumber(ARGV[1])
local status = redis.call('HGET', KEYS[1], 'status')
local takeover = false
if status then
  local lease = tonumber(redis.call('HGET', KEYS[1], 'lease') or '0')
  if status == 'planning' and lease < now then
    takeover = true
  elseif ARGV[4] == '1' and (status == 'missed' or status == 'day-off') then
    takeover = true
  elseif ARGV[4] == '1' and (status == 'done-with-errors' or status == 'failed') then
    -- A manual re-run: the retry starts its counts afresh.
    takeover = true
    redis.call('HDEL', KEYS[1], 'planned', 'sent', 'failed', 'deduped', 'finished')
  else
    return {0, redis.call('HGETALL', KEYS[1])}
  end
end
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('HSET', KEYS[1], 'attempts', attempts + 1)
if not takeover then
  redis.call('LPUSH', KEYS[2], KEYS[1])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, redis.call('HGETALL', KEYS[1])}
`

var claimScript = redis.NewScript(claimLua)

// Claim records r as the run of its fire if no process has claimed that fire
// (or mode allows replacing what is there), in one atomic step. It reports
// whether this call won, and returns the record as stored afterwards: the
// caller's when it won, the earlier claimant's when it lost.
func (r *Runs) Claim(ctx context.Context, rec jobrun.Record, now time.Time, ttl time.Duration, mode jobrun.ClaimMode) (bool, jobrun.Record, error) {
	args := []any{now.UnixMilli(), ttl.Milliseconds(), RunsCap, int(mode)}
	args = append(args, encodeRun(rec)...)
	res, err := claimScript.Run(ctx, r.s.rdb, []string{r.runKey(rec.TeamID, rec.ID), r.listKey(rec.TeamID)}, args...).Slice()
	if err != nil {
		return false, jobrun.Record{}, fmt.Errorf("claim run %s: %w", rec.ID, err)
	}
	won, _ := res[0].(int64)
	stored, err := decodeRunReply(res[1])
	if err != nil {
		return false, jobrun.Record{}, fmt.Errorf("claim run %s: %w", rec.ID, err)
	}
	return won == 1, stored, nil
}

// Release gives a run in planning back, so the next wake of any replica
// retries it: the lease is set to now and the error kept.
func (r *Runs) Release(ctx context.Context, teamID, runID string, now time.Time, cause string) error {
	err := r.s.rdb.HSet(ctx, r.runKey(teamID, runID), "lease", now.UnixMilli()-1, "error", cause).Err()
	if err != nil {
		return fmt.Errorf("release run %s: %w", runID, err)
	}
	return nil
}

// Fail ends a run that cannot be planned.
func (r *Runs) Fail(ctx context.Context, teamID, runID string, now time.Time, cause string) error {
	err := r.s.rdb.HSet(ctx, r.runKey(teamID, runID), "status", string(jobrun.Failed), "error", cause,
		"finished", now.UnixMilli()).Err()
	if err != nil {
		return fmt.Errorf("fail run %s: %w", runID, err)
	}
	return nil
}

// finishLua closes a run when every planned delivery is settled.
const finishLua = `
local function finish(key, now)
  local h = redis.call('HMGET', key, 'status', 'planned', 'sent', 'failed')
  if h[1] ~= 'sending' then return 0 end
  local planned = tonumber(h[2] or '0')
  local sent = tonumber(h[3] or '0')
  local failed = tonumber(h[4] or '0')
  if sent + failed < planned then return 0 end
  local status = 'done'
  if failed > 0 then status = 'done-with-errors' end
  redis.call('HSET', key, 'status', status, 'finished', now)
  return 1
end
`

// enqueuedLua records how many deliveries a run planned.
// KEYS: run hash. ARGV: planned, now (unix ms).
const enqueuedLua = finishLua + `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HSET', KEYS[1], 'status', 'sending', 'planned', ARGV[1])
return finish(KEYS[1], ARGV[2])
`

var enqueuedScript = redis.NewScript(enqueuedLua)

// Enqueued moves a run from planning to sending with its planned count. A
// run with nothing to send (or whose deliveries all settled already) is
// finished at once; finished reports that.
func (r *Runs) Enqueued(ctx context.Context, teamID, runID string, planned int, now time.Time) (finished bool, err error) {
	n, err := enqueuedScript.Run(ctx, r.s.rdb, []string{r.runKey(teamID, runID)}, planned, now.UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("enqueued run %s: %w", runID, err)
	}
	if n < 0 {
		return false, fmt.Errorf("enqueued run %s: %w", runID, bot.ErrNotFound)
	}
	return n == 1, nil
}

// Get returns one run.
func (r *Runs) Get(ctx context.Context, teamID, runID string) (jobrun.Record, error) {
	m, err := r.s.rdb.HGetAll(ctx, r.runKey(teamID, runID)).Result()
	if err != nil {
		return jobrun.Record{}, fmt.Errorf("get run %s: %w", runID, err)
	}
	if len(m) == 0 {
		return jobrun.Record{}, fmt.Errorf("get run %s: %w", runID, bot.ErrNotFound)
	}
	return decodeRun(m)
}

// Recent returns the team's newest n runs, newest first. Runs whose record
// expired are left out.
func (r *Runs) Recent(ctx context.Context, teamID string, n int) ([]jobrun.Record, error) {
	if n <= 0 {
		return nil, nil
	}
	keys, err := r.s.rdb.LRange(ctx, r.listKey(teamID), 0, int64(n)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("recent runs of %s: %w", teamID, err)
	}
	cmds := make([]*redis.MapStringStringCmd, len(keys))
	_, err = r.s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.HGetAll(ctx, k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("recent runs of %s: %w", teamID, err)
	}
	out := make([]jobrun.Record, 0, len(keys))
	for _, c := range cmds {
		m := c.Val()
		if len(m) == 0 {
			continue
		}
		rec, err := decodeRun(m)
		if err != nil {
			return nil, fmt.Errorf("recent runs of %s: %w", teamID, err)
		}
		out = append(out, rec)
	}
	return out, nil
}

func encodeRun(r jobrun.Record) []any {
	f := []any{
		"id", r.ID, "job", string(r.Job), "team", r.TeamID, "zone", r.Zone,
		"fire", r.FireAt.UnixMilli(), "period", r.Period, "status", string(r.Status),
		"owner", r.Owner, "lease", r.Lease.UnixMilli(),
		"started", r.StartedAt.UnixMilli(), "error", r.Error,
	}
	if r.Manual {
		f = append(f, "manual", 1)
	}
	if !r.FinishedAt.IsZero() {
		f = append(f, "finished", r.FinishedAt.UnixMilli())
	}
	return f
}

func decodeRunReply(v any) (jobrun.Record, error) {
	list, ok := v.([]any)
	if !ok {
		return jobrun.Record{}, fmt.Errorf("decode run: unexpected reply %T", v)
	}
	m := make(map[string]string, len(list)/2)
	for i := 0; i+1 < len(list); i += 2 {
		k, _ := list[i].(string)
		val, _ := list[i+1].(string)
		m[k] = val
	}
	return decodeRun(m)
}

func decodeRun(m map[string]string) (jobrun.Record, error) {
	num := func(k string) int64 {
		n, _ := strconv.ParseInt(m[k], 10, 64)
		return n
	}
	ms := func(k string) time.Time {
		n := num(k)
		if n == 0 {
			return time.Time{}
		}
		return time.UnixMilli(n).UTC()
	}
	if m["id"] == "" {
		return jobrun.Record{}, errors.New("decode run: record has no id")
	}
	return jobrun.Record{
		ID: m["id"], Job: bot.Job(m["job"]), TeamID: m["team"], Zone: m["zone"],
		FireAt: ms("fire"), Period: m["period"], Manual: m["manual"] == "1",
		Status: jobrun.Status(m["status"]), Owner: m["owner"], Lease: ms("lease"),
		Attempts: int(num("attempts")),
		Planned:  int(num("planned")), Sent: int(num("sent")), Failed: int(num("failed")),
		Deduped: int(num("deduped")), Error: m["error"],
		StartedAt: ms("started"), FinishedAt: ms("finished"),
	}, nil
}
