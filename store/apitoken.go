package store

// API tokens and the API's per-token rate limit. Keys:
//
//	P{api}:tokens              hash    token id → token record (team, name, SHA-256 of the secret, maker, time)
//	P{api}:idem:<key>          string  the token id a chat event created; TTL IdempotencyTTL
//	P{api:rate}:<id>:<window>  string  calls of one token in one fixed window (this one and the previous one weigh in); TTL two windows
//
// All tokens live in one hash, so creating one checks its name is unique in
// its team and stores it in one script. Only the secret's hash is kept.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
)

func (s *Store) apiTokensKey() string         { return s.prefix + "{api}:tokens" }
func (s *Store) apiIdemKey(key string) string { return s.prefix + "{api}:idem:" + key }
func (s *Store) apiRateKey(id string, window int64) string {
	return s.prefix + "{api:rate}:" + id + ":" + strconv.FormatInt(window, 10)
}

type apiTokenRec struct {
	Team      string     `json:"team"`
	Name      string     `json:"name"`
	Hash      string     `json:"hash"`
	CreatedBy bot.UserID `json:"by"`
	CreatedAt time.Time  `json:"at"`
}

// saveAPITokenLua stores a token unless the key made one that still exists
// (duplicate) or its team already has a token of that name (conflict). A
// key whose token was taken back (its direct message failed) makes a new one.
// KEYS: tokens hash, idempotency marker. ARGV: has key, ttl, id, record, team, name.
var saveAPITokenLua = redis.NewScript(`
if ARGV[1] == '1' then
  local made = redis.call('GET', KEYS[2])
  if made and redis.call('HEXISTS', KEYS[1], made) == 1 then return 'duplicate' end
end
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do
  local t = cjson.decode(v)
  if t.team == ARGV[5] and t.name == ARGV[6] then return 'conflict' end
end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
if ARGV[1] == '1' then redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[2]) end
return 'ok'
`)

// revokeAPITokenLua deletes the team's token of that name and replies its
// id and record, or nothing.
// KEYS: tokens hash. ARGV: team, name.
var revokeAPITokenLua = redis.NewScript(`
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local t = cjson.decode(all[i+1])
  if t.team == ARGV[1] and t.name == ARGV[2] then
    redis.call('HDEL', KEYS[1], all[i])
    return {all[i], all[i+1]}
  end
end
return {}
`)

// SaveAPIToken stores a new token and audits it in its team.
func (s *Store) SaveAPIToken(ctx context.Context, t bot.APIToken, a bot.AuditEntry) error {
	data, err := json.Marshal(apiTokenRec{Team: t.Team, Name: t.Name, Hash: t.Hash, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt})
	if err != nil {
		return fmt.Errorf("encode api token: %w", err)
	}
	hasKey, ttl := idemArgs(a.Key)
	status, err := saveAPITokenLua.Run(ctx, s.rdb, []string{s.apiTokensKey(), s.apiIdemKey(a.Key)},
		hasKey, ttl, t.ID, string(data), t.Team, t.Name).Text()
	if err != nil {
		return fmt.Errorf("save api token %s: %w", t.Name, err)
	}
	if err := errReply(status); err != nil {
		return fmt.Errorf("save api token %s: %w", t.Name, err)
	}
	// A key whose first token was taken back audited its creation then.
	if a != (bot.AuditEntry{}) {
		if err := s.Audit(ctx, t.Team, a); err != nil && !errors.Is(err, bot.ErrDuplicate) {
			return err
		}
	}
	return nil
}

func decodeAPIToken(id, data string) (bot.APIToken, error) {
	var r apiTokenRec
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return bot.APIToken{}, fmt.Errorf("decode api token %s: %w", id, err)
	}
	return bot.APIToken{ID: id, Team: r.Team, Name: r.Name, Hash: r.Hash, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}, nil
}

// APIToken returns the token with this public id, or bot.ErrNotFound.
func (s *Store) APIToken(ctx context.Context, id string) (bot.APIToken, error) {
	data, err := s.rdb.HGet(ctx, s.apiTokensKey(), id).Result()
	if isNil(err) {
		return bot.APIToken{}, fmt.Errorf("api token %s: %w", id, bot.ErrNotFound)
	}
	if err != nil {
		return bot.APIToken{}, fmt.Errorf("api token %s: %w", id, err)
	}
	return decodeAPIToken(id, data)
}

// TeamAPITokens lists the team's tokens, oldest first.
func (s *Store) TeamAPITokens(ctx context.Context, team string) ([]bot.APIToken, error) {
	all, err := s.rdb.HGetAll(ctx, s.apiTokensKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("api tokens of %s: %w", team, err)
	}
	var out []bot.APIToken
	for id, data := range all {
		t, err := decodeAPIToken(id, data)
		if err != nil {
			return nil, err
		}
		if t.Team == team {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b bot.APIToken) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// RevokeAPIToken deletes the team's token of that name and audits it.
func (s *Store) RevokeAPIToken(ctx context.Context, team, name string, a bot.AuditEntry) (bot.APIToken, error) {
	reply, err := revokeAPITokenLua.Run(ctx, s.rdb, []string{s.apiTokensKey()}, team, name).StringSlice()
	if err != nil {
		return bot.APIToken{}, fmt.Errorf("revoke api token %s of %s: %w", name, team, err)
	}
	if len(reply) != 2 {
		return bot.APIToken{}, fmt.Errorf("revoke api token %s of %s: %w", name, team, bot.ErrNotFound)
	}
	t, err := decodeAPIToken(reply[0], reply[1])
	if err != nil {
		return bot.APIToken{}, err
	}
	if a != (bot.AuditEntry{}) {
		if err := s.Audit(ctx, team, a); err != nil {
			return t, err
		}
	}
	return t, nil
}

// allowAPICallLua is a sliding-window counter: the calls of the current
// fixed window plus the previous window's, weighted by how much of it still
// lies within the last window length, rounded up. A fixed window alone lets a token
// make twice its limit across a boundary (the limit at 0:59, again at
// 1:00). Refused calls are not counted. Replies {1} or {0, ms to wait}.
// KEYS: this window's counter, the previous one's (one slot). ARGV: limit,
// window ms, ms elapsed in this window.
var allowAPICallLua = redis.NewScript(`
local limit, w, e = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local prev = tonumber(redis.call('GET', KEYS[2]) or '0')
-- ceil(a / b) of whole numbers, exactly.
local function ceildiv(a, b) return math.floor((a + b - 1) / b) end
if cur + ceildiv(prev * (w - e), w) < limit then
  redis.call('INCR', KEYS[1])
  redis.call('PEXPIRE', KEYS[1], 2 * w + 1000)
  return {1}
end
-- Allowed again once the weighted previous count fits in what is left.
if cur < limit then
  return {0, math.max(1, ceildiv(w * (prev - limit + cur + 1), prev) - e)}
end
return {0, w - e + ceildiv(w * (cur - limit + 1), cur)}
`)

// AllowAPICall counts one call of a token in a sliding window of length
// window (on the caller's clock) and reports whether it is within limit,
// with the time the token may call again when it is not.
func (s *Store) AllowAPICall(ctx context.Context, tokenID string, limit int, window time.Duration, now time.Time) (bool, time.Time, error) {
	wms := window.Milliseconds()
	w := now.UnixMilli() / wms
	elapsed := now.UnixMilli() - w*wms
	reply, err := allowAPICallLua.Run(ctx, s.rdb, []string{s.apiRateKey(tokenID, w), s.apiRateKey(tokenID, w-1)},
		limit, wms, elapsed).Int64Slice()
	if err != nil {
		return false, time.Time{}, fmt.Errorf("count api calls of %s: %w", tokenID, err)
	}
	if reply[0] == 1 {
		return true, time.Time{}, nil
	}
	return false, now.Add(time.Duration(reply[1]) * time.Millisecond), nil
}
