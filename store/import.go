package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
)

// Import writes records as they were exported (`pulse export --format
// json`), for restoring a backup or moving a deployment. Unlike the core's
// writes it keeps ids, values and times exactly, checks no allowance and
// moves no goal: an export already holds the outcome of those rules. Every
// method is idempotent, so an import that stopped half-way is simply run
// again. None of them writes an audit entry; `pulse import` records one per
// team.

// ImportGoal stores g under its own id in its team, indexes goal → team and
// raises the goal id counter to at least g's number, so goals created after
// the import never reuse an id.
func (s *Store) ImportGoal(ctx context.Context, g bot.Goal) error {
	n, ok := goalNumber(g.ID)
	if !ok || g.TeamID == "" {
		return fmt.Errorf("import goal %q: want an id such as G7 and a team", g.ID)
	}
	fields, err := goalFields(g)
	if err != nil {
		return fmt.Errorf("import goal %s: %w", g.ID, err)
	}
	if err := s.rdb.HSet(ctx, s.goalTeamKey(), g.ID, g.TeamID).Err(); err != nil {
		return fmt.Errorf("import goal %s: index team: %w", g.ID, err)
	}
	keys := []string{s.goalKey(g.TeamID, g.ID), s.goalsKey(g.TeamID)}
	if err := importGoalScript.Run(ctx, s.rdb, keys, append([]any{g.ID}, fields...)...).Err(); err != nil && err != redis.Nil {
		return fmt.Errorf("import goal %s: %w", g.ID, err)
	}
	if err := raiseSeqScript.Run(ctx, s.rdb, []string{s.goalSeqKey()}, n).Err(); err != nil && err != redis.Nil {
		return fmt.Errorf("import goal %s: raise the id counter: %w", g.ID, err)
	}
	s.goalTeams.Store(g.ID, g.TeamID)
	return nil
}

// ImportUpdate appends u to its goal's history and the team's indexes,
// unless an identical update is already there (same goal, instant and
// record), without touching the goal's current value.
func (s *Store) ImportUpdate(ctx context.Context, u bot.Update) error {
	if u.TeamID == "" || u.GoalID == "" {
		return fmt.Errorf("import update: team and goal are required")
	}
	data, err := encodeUpdate(u)
	if err != nil {
		return fmt.Errorf("import update of %s: %w", u.GoalID, err)
	}
	t := u.TeamID
	keys := []string{s.updatesKey(t), s.updatesByTimeKey(t), s.goalUpdatesKey(t, u.GoalID),
		s.updatesByKey(t, u.Author), s.updateSeqKey(t)}
	if err := importUpdateScript.Run(ctx, s.rdb, keys, u.At.UnixMilli(), data).Err(); err != nil && err != redis.Nil {
		return fmt.Errorf("import update of %s: %w", u.GoalID, err)
	}
	return nil
}

// ImportKudos stores k under its own id with its indexes, outside any
// allowance.
func (s *Store) ImportKudos(ctx context.Context, k bot.Kudos) error {
	if k.ID == "" || k.TeamID == "" || k.From == "" || len(k.To) == 0 {
		return fmt.Errorf("import kudos %q: id, team, giver and recipients are required", k.ID)
	}
	data, err := encodeKudos(k)
	if err != nil {
		return fmt.Errorf("import kudos %s: %w", k.ID, err)
	}
	t := k.TeamID
	keys := []string{s.kudosKey(t), s.kudosByTimeKey(t), s.kudosFromKey(t, k.From)}
	for _, to := range k.To {
		keys = append(keys, s.kudosToKey(t, to))
	}
	if err := importKudosScript.Run(ctx, s.rdb, keys, k.ID, data, k.At.UnixMilli()).Err(); err != nil && err != redis.Nil {
		return fmt.Errorf("import kudos %s: %w", k.ID, err)
	}
	return nil
}

// ImportCheckIn stores one person's check-in for its period.
func (s *Store) ImportCheckIn(ctx context.Context, c bot.CheckIn) error {
	if c.TeamID == "" || c.Period == "" || c.Person == "" {
		return fmt.Errorf("import check-in: team, period and person are required")
	}
	data, err := encodeCheckIn(c)
	if err != nil {
		return fmt.Errorf("import check-in %s %s %s: %w", c.TeamID, c.Period, c.Person, err)
	}
	keys := []string{s.checkInsKey(c.TeamID, c.Period), s.checkInsOfKey(c.TeamID, c.Person)}
	if err := importCheckInScript.Run(ctx, s.rdb, keys, string(c.Person), data, c.Period).Err(); err != nil && err != redis.Nil {
		return fmt.Errorf("import check-in %s %s %s: %w", c.TeamID, c.Period, c.Person, err)
	}
	return nil
}

// goalNumber reads n from "G<n>".
func goalNumber(id string) (int64, bool) {
	if !strings.HasPrefix(id, "G") {
		return 0, false
	}
	n, err := strconv.ParseInt(id[1:], 10, 64)
	return n, err == nil && n > 0
}

// importScripts lists the import scripts by name, for the slot test.
func importScripts() map[string]*redis.Script {
	return map[string]*redis.Script{
		"importGoal": importGoalScript, "importUpdate": importUpdateScript,
		"importKudos": importKudosScript, "importCheckIn": importCheckInScript, "raiseSeq": raiseSeqScript,
	}
}

var (
	// KEYS: goal hash, team goals set. ARGV: goal id, rec, cur, st, upd.
	importGoalScript = redis.NewScript(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'rec', ARGV[2], 'cur', ARGV[3], 'st', ARGV[4], 'upd', ARGV[5])
redis.call('SADD', KEYS[2], ARGV[1])
return 'ok'
`)
	// KEYS: the counter. ARGV: the least value it must have.
	raiseSeqScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 'ok'
`)
	// KEYS: updates hash, team updates by time, goal updates by time,
	// author's updates set, update id counter. ARGV: at millis, update json.
	importUpdateScript = redis.NewScript(`
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], ARGV[1], ARGV[1])) do
  if redis.call('HGET', KEYS[1], id) == ARGV[2] then return 'duplicate' end
end
local id = 'U' .. redis.call('INCR', KEYS[5])
redis.call('HSET', KEYS[1], id, ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[1], id)
redis.call('ZADD', KEYS[3], ARGV[1], id)
redis.call('SADD', KEYS[4], id)
return 'ok'
`)
	// KEYS: kudos hash, kudos by time, giver's kudos by time, then each
	// recipient's kudos set. ARGV: kudos id, kudos json, at millis.
	importKudosScript = redis.NewScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
for i = 4, #KEYS do redis.call('SADD', KEYS[i], ARGV[1]) end
return 'ok'
`)
	// KEYS: period's check-ins hash, person's periods set. ARGV: person, json, period.
	importCheckInScript = redis.NewScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return 'ok'
`)
)
