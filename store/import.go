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

// ImportReviews writes one team's feedback and review records as exported:
// settings, feedback (with each request answer's slot), requests, cycles
// with their sheets (and sheet versions) and answers, development actions
// and flags, under their own ids and times. The team's records go in one
// script call in the team's hash slot, so a team is restored whole or not
// at all; the team's id counters are raised to the highest imported
// number. Then the global request id counter is raised and the requests
// are indexed (after the requests exist, as CreateFeedbackRequest does).
// Running it again writes the same values.
func (s *Store) ImportReviews(ctx context.Context, x bot.ReviewExport) error {
	t := x.TeamID
	if t == "" {
		return fmt.Errorf("import reviews: team is required")
	}
	b := importBatch{index: map[string]int{}}
	if !zeroSettings(x.Settings) {
		data, err := encode("review settings", x.Settings)
		if err != nil {
			return fmt.Errorf("import reviews of %s: %w", t, err)
		}
		b.add("hset", s.rvKey(t, "settings"), "settings", data)
	}
	wrong := func(what, id, team string) error {
		return fmt.Errorf("import reviews of %s: %s %q: want an id such as %s1 and team %s (got team %q)", t, what, id, idPrefix(what), t, team)
	}
	var maxFb, maxReq, maxCycle, maxAction int64
	for _, f := range x.Feedback {
		n, ok := idNumber(f.ID, "F")
		if !ok || f.TeamID != t || f.From == "" || f.To == "" {
			return wrong("feedback", f.ID, f.TeamID)
		}
		maxFb = max(maxFb, n)
		data, err := encode("feedback", f)
		if err != nil {
			return fmt.Errorf("import feedback %s: %w", f.ID, err)
		}
		if f.RequestID != "" {
			b.add("hset", s.rvKey(t, "req", f.RequestID, "answers"), string(f.From), f.ID)
		}
		b.add("hset", s.rvKey(t, "fb"), f.ID, data)
		b.add("zadd", s.rvKey(t, "fb", "by-time"), strconv.FormatInt(f.At.UnixMilli(), 10), f.ID)
	}
	for _, q := range x.Requests {
		n, ok := idNumber(q.ID, "FR")
		if !ok || q.TeamID != t {
			return wrong("feedback request", q.ID, q.TeamID)
		}
		maxReq = max(maxReq, n)
		data, err := encode("feedback request", q)
		if err != nil {
			return fmt.Errorf("import feedback request %s: %w", q.ID, err)
		}
		b.add("hset", s.rvKey(t, "req"), q.ID, data)
	}
	if err := s.importAnonymous(&b, t, x); err != nil {
		return fmt.Errorf("import reviews of %s: %w", t, err)
	}
	if err := s.importAnonymousReviews(&b, t, x); err != nil {
		return fmt.Errorf("import reviews of %s: %w", t, err)
	}
	for _, c := range x.Cycles {
		n, ok := idNumber(c.ID, "C")
		if !ok || c.TeamID != t {
			return wrong("review cycle", c.ID, c.TeamID)
		}
		maxCycle = max(maxCycle, n)
		data, err := encode("review cycle", c)
		if err != nil {
			return fmt.Errorf("import review cycle %s: %w", c.ID, err)
		}
		b.add("hset", s.rvKey(t, "cycles"), c.ID, data)
	}
	for _, sh := range x.Sheets {
		if _, ok := idNumber(sh.CycleID, "C"); !ok || sh.TeamID != t || sh.Person == "" {
			return wrong("review cycle", sh.CycleID, sh.TeamID)
		}
		data, err := encode("review sheet", sh)
		if err != nil {
			return fmt.Errorf("import review sheet %s %s: %w", sh.CycleID, sh.Person, err)
		}
		b.add("hset", s.rvKey(t, "sheets", sh.CycleID), string(sh.Person), data)
		b.add("hset", s.rvKey(t, "sheetv", sh.CycleID), string(sh.Person), strconv.Itoa(sh.Version))
	}
	for _, a := range x.Answers {
		if _, ok := idNumber(a.CycleID, "C"); !ok || a.TeamID != t || a.Subject == "" || a.Author == "" {
			return wrong("review cycle", a.CycleID, a.TeamID)
		}
		data, err := encode("review answers", a)
		if err != nil {
			return fmt.Errorf("import review answers %s: %w", answersField(a), err)
		}
		b.add("hset", s.rvKey(t, "answers", a.CycleID), answersField(a), data)
	}
	for _, a := range x.Actions {
		n, ok := idNumber(a.ID, "A")
		if !ok || a.TeamID != t || a.Person == "" {
			return wrong("development action", a.ID, a.TeamID)
		}
		maxAction = max(maxAction, n)
		data, err := encode("action", a)
		if err != nil {
			return fmt.Errorf("import action %s: %w", a.ID, err)
		}
		b.add("hset", s.rvKey(t, "actions"), a.ID, data)
	}
	for _, f := range x.Flags {
		if f.TeamID != t || f.Person == "" || f.Period == "" {
			return fmt.Errorf("import reviews of %s: flag %s %s: want team %s, a person and a period (got team %q)", t, f.Person, f.Period, t, f.TeamID)
		}
		data, err := encode("review flag", f)
		if err != nil {
			return fmt.Errorf("import flag %s %s: %w", f.Person, f.Period, err)
		}
		b.add("hset", s.rvKey(t, "flags"), string(f.Person)+"|"+f.Period, data)
	}
	for _, c := range []struct {
		key string
		n   int64
	}{{s.rvKey(t, "fb", "seq"), maxFb}, {s.rvKey(t, "cycle", "seq"), maxCycle}, {s.rvKey(t, "action", "seq"), maxAction}} {
		if c.n > 0 {
			b.add("raise", c.key, strconv.FormatInt(c.n, 10), "")
		}
	}
	if len(b.keys) > 0 {
		if err := importReviewsScript.Run(ctx, s.rdb, b.keys, b.args...).Err(); err != nil && err != redis.Nil {
			return fmt.Errorf("import reviews of %s: %w", t, err)
		}
	}
	if maxReq > 0 {
		if err := raiseSeqScript.Run(ctx, s.rdb, []string{s.globalKey("rv", "req", "seq")}, maxReq).Err(); err != nil && err != redis.Nil {
			return fmt.Errorf("import reviews of %s: raise the request id counter: %w", t, err)
		}
	}
	if len(x.Requests) > 0 {
		index := make([]any, 0, 2*len(x.Requests))
		for _, q := range x.Requests {
			index = append(index, q.ID, t)
		}
		if err := s.rdb.HSet(ctx, s.globalKey("rv", "req", "team"), index...).Err(); err != nil {
			return fmt.Errorf("import reviews of %s: index the requests: %w", t, err)
		}
	}
	return nil
}

// importBatch collects the operations of one importReviewsScript call:
// each distinct key once in keys, each operation as four arguments (op,
// key number, a, b).
type importBatch struct {
	keys  []string
	index map[string]int
	args  []any
}

func (b *importBatch) add(op, key, a, v string) {
	i, ok := b.index[key]
	if !ok {
		b.keys = append(b.keys, key)
		i = len(b.keys)
		b.index[key] = i
	}
	b.args = append(b.args, op, i, a, v)
}

// zeroSettings reports whether rs was never set, so an import does
// not create a settings record the team never had.
func zeroSettings(rs bot.ReviewSettings) bool {
	return rs.FeedbackVisibility == "" && len(rs.Questions) == 0
}

// idPrefix names the id letter of a review record kind, for errors.
func idPrefix(what string) string {
	switch what {
	case "feedback":
		return "F"
	case "feedback request":
		return "FR"
	case "review cycle":
		return "C"
	}
	return "A"
}

// goalNumber reads n from "G<n>".
func goalNumber(id string) (int64, bool) { return idNumber(id, "G") }

// idNumber reads n from "<prefix><n>" (n > 0).
func idNumber(id, prefix string) (int64, bool) {
	if !strings.HasPrefix(id, prefix) {
		return 0, false
	}
	n, err := strconv.ParseInt(id[len(prefix):], 10, 64)
	return n, err == nil && n > 0
}

// importScripts lists the import scripts by name, for the slot test.
func importScripts() map[string]*redis.Script {
	return map[string]*redis.Script{
		"importGoal": importGoalScript, "importUpdate": importUpdateScript,
		"importKudos": importKudosScript, "importCheckIn": importCheckInScript, "raiseSeq": raiseSeqScript,
		"importReviews": importReviewsScript,
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
	// KEYS: one team's review keys, each once. ARGV: four per operation:
	// op, key number, a, b. Ops: "hset" (field a = b), "zadd" (score a,
	// member b), "raise" (the counter becomes at least a).
	importReviewsScript = redis.NewScript(`
for j = 1, #ARGV, 4 do
  local op, key, a, b = ARGV[j], KEYS[tonumber(ARGV[j + 1])], ARGV[j + 2], ARGV[j + 3]
  if op == 'hset' then redis.call('HSET', key, a, b)
  elseif op == 'zadd' then redis.call('ZADD', key, a, b)
  elseif op == 'raise' then
    if tonumber(redis.call('GET', key) or '0') < tonumber(a) then redis.call('SET', key, a) end
  else return redis.error_reply('unknown import op ' .. op)
  end
end
return 'ok'
`)
	// KEYS: period's check-ins hash, person's periods set. ARGV: person, json, period.
	importCheckInScript = redis.NewScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return 'ok'
`)
)
