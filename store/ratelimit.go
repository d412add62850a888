package store

// The send rate limiter shared by all replicas. Keys:
//
//	P{rate:<scope>}:<name>   string  GCRA theoretical arrival time of the rule (unix µs); TTL until it no longer matters
//	P{rate:<scope>}:hold     string  no sends in the scope before this time (unix µs), set when a platform said "retry after"
//
// A scope is a platform; all of a scope's keys share one hash tag, so one
// script checks the app-wide and per-conversation rules together (one
// round trip per send) and stays legal on a Redis Cluster.
//
// The limiter is a small GCRA (generic cell rate algorithm) in Lua rather
// than github.com/go-redis/redis_rate: the caller passes the time, so the
// limiter runs on the injected bot.Clock like the rest of the scheduler
// (redis_rate reads the server's TIME, which tests cannot move), and its
// keys live under the store's prefix, where the test cleanup finds them.

import (
	"context"
	"fmt"
	"time"

	"github.com/pulse-bot/pulse/scheduler/jobrun"
	"github.com/redis/go-redis/v9"
)

// RateLimiter paces sends across replicas.
type RateLimiter struct{ s *Store }

// RateLimiter returns the shared send limiter.
func (s *Store) RateLimiter() *RateLimiter { return &RateLimiter{s: s} }

func (l *RateLimiter) key(scope, name string) string {
	return l.s.prefix + "{rate:" + scope + "}:" + name
}

// takeLua grants one send if every rule allows it (and no hold is in
// force), or returns how long to wait (µs) without taking anything.
// KEYS: hold, rule keys. ARGV: now (µs), then interval (µs) and burst per rule.
const takeLua = `
local now = tonumber(ARGV[1])
local hold = tonumber(redis.call('GET', KEYS[1]) or '0')
if hold > now then return hold - now end
local wait = 0
local tats = {}
for i = 2, #KEYS do
  local interval = tonumber(ARGV[2 * i - 2])
  local burst = tonumber(ARGV[2 * i - 1])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  local allow = tat + interval - burst * interval
  if allow - now > wait then wait = allow - now end
  tats[i] = tat + interval
end
if wait > 0 then return wait end
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], string.format('%d', tats[i]), 'PX', math.floor((tats[i] - now) / 1000) + 60000)
end
return 0
`

var takeScript = redis.NewScript(takeLua)

// Take grants one send under every rule of scope at now, or returns how
// long to wait before asking again (nothing is taken then). Rules with a
// zero Interval are unlimited and skipped.
func (l *RateLimiter) Take(ctx context.Context, scope string, now time.Time, rules ...jobrun.RateRule) (time.Duration, error) {
	keys := []string{l.key(scope, "hold")}
	args := []any{now.UnixMicro()}
	for _, r := range rules {
		if r.Interval <= 0 {
			continue
		}
		keys = append(keys, l.key(scope, r.Name))
		args = append(args, r.Interval.Microseconds(), max(r.Burst, 1))
	}
	wait, err := takeScript.Run(ctx, l.s.rdb, keys, args...).Int64()
	if err != nil {
		return 0, fmt.Errorf("take send token for %s: %w", scope, err)
	}
	return time.Duration(wait) * time.Microsecond, nil
}

// holdLua moves the scope's hold later (never earlier).
// KEYS: hold. ARGV: until (µs), now (µs).
const holdLua = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local untl = tonumber(ARGV[1])
if untl <= cur then return 0 end
redis.call('SET', KEYS[1], string.format('%d', untl), 'PX', math.floor((untl - tonumber(ARGV[2])) / 1000) + 60000)
return 1
`

var holdScript = redis.NewScript(holdLua)

// Hold stops every send of scope until until, across replicas: a platform
// that answered "rate limited, retry after D" is not asked again before
// then by anyone.
func (l *RateLimiter) Hold(ctx context.Context, scope string, now, until time.Time) error {
	if err := holdScript.Run(ctx, l.s.rdb, []string{l.key(scope, "hold")}, until.UnixMicro(), now.UnixMicro()).Err(); err != nil {
		return fmt.Errorf("hold sends for %s: %w", scope, err)
	}
	return nil
}
