package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
)

// ScorecardData reads one scorecard's records in at most three pipelines,
// whatever the team's size or history:
//
//  1. the goal ids, the update and kudos ids in the window (from the
//     by-time indexes), the counts before it, and each period's check-ins;
//  2. the goal hashes, one script that finds each goal's value at each
//     instant (valuesAtLua), the window's update and kudos records, and the
//     profiles asked for;
//  3. the profiles of kudos givers and recipients not asked for (skipped
//     when there are none).
//
// Each pipeline reads only what the window holds, so the cost follows the
// period, not the history. On a Cluster go-redis splits the person reads of
// a pipeline by slot; the team's keys share one slot.
func (s *Store) ScorecardData(ctx context.Context, q bot.ScorecardQuery) (bot.ScorecardData, error) {
	first, err := s.scorecardIndexes(ctx, q)
	if err != nil {
		return bot.ScorecardData{}, fmt.Errorf("scorecard data of %s: %w", q.TeamID, err)
	}
	out, second, err := s.scorecardRecords(ctx, q, first)
	if err != nil {
		return bot.ScorecardData{}, fmt.Errorf("scorecard data of %s: %w", q.TeamID, err)
	}
	if err := s.scorecardPeople(ctx, &out, second); err != nil {
		return bot.ScorecardData{}, fmt.Errorf("scorecard data of %s: %w", q.TeamID, err)
	}
	return out, nil
}

// scorecardFirst is what the first pipeline read.
type scorecardFirst struct {
	goalIDs, updateIDs, kudosIDs []string
	checkIns                     map[string]map[string]string
	updatesBefore, kudosBefore   int
}

func (s *Store) scorecardIndexes(ctx context.Context, q bot.ScorecardQuery) (scorecardFirst, error) {
	t := q.TeamID
	var goals, updates, kudos *redis.StringSliceCmd
	var updatesBefore, kudosBefore *redis.IntCmd
	counts := q.CountFrom.Before(q.From) && !q.CountFrom.IsZero()
	checkIns := make([]*redis.MapStringStringCmd, len(q.Periods))
	window := q.From.Before(q.To)
	byScore := &redis.ZRangeBy{Min: strconv.FormatInt(q.From.UnixMilli(), 10), Max: strconv.FormatInt(q.To.UnixMilli(), 10)}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		goals = p.SMembers(ctx, s.goalsKey(t))
		if window {
			updates = p.ZRangeByScore(ctx, s.updatesByTimeKey(t), byScore)
			kudos = p.ZRangeByScore(ctx, s.kudosByTimeKey(t), byScore)
		}
		if counts {
			lo, hi := strconv.FormatInt(q.CountFrom.UnixMilli(), 10), "("+strconv.FormatInt(ceilMilli(q.From), 10)
			updatesBefore = p.ZCount(ctx, s.updatesByTimeKey(t), lo, hi)
			kudosBefore = p.ZCount(ctx, s.kudosByTimeKey(t), lo, hi)
		}
		for i, period := range q.Periods {
			checkIns[i] = p.HGetAll(ctx, s.checkInsKey(t, period))
		}
		return nil
	})
	if err != nil {
		return scorecardFirst{}, fmt.Errorf("read indexes: %w", err)
	}
	out := scorecardFirst{goalIDs: goals.Val(), checkIns: make(map[string]map[string]string, len(q.Periods))}
	slices.SortFunc(out.goalIDs, compareIDs)
	if window {
		out.updateIDs, out.kudosIDs = updates.Val(), kudos.Val()
	}
	for i, period := range q.Periods {
		out.checkIns[period] = checkIns[i].Val()
	}
	if counts {
		out.updatesBefore, out.kudosBefore = int(updatesBefore.Val()), int(kudosBefore.Val())
	}
	return out, nil
}

// scorecardSecond is what the third pipeline still has to read.
type scorecardSecond struct {
	// missingPeople are kudos givers and recipients whose profiles were not asked for.
	missingPeople []bot.UserID
}

func (s *Store) scorecardRecords(ctx context.Context, q bot.ScorecardQuery, first scorecardFirst) (bot.ScorecardData, scorecardSecond, error) {
	t := q.TeamID
	goalCmds := make([]*redis.MapStringStringCmd, len(first.goalIDs))
	var values *redis.Cmd
	var updates, kudos *redis.SliceCmd
	people := make([]*redis.StringCmd, len(q.People))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range first.goalIDs {
			goalCmds[i] = p.HGetAll(ctx, s.goalKey(t, id))
		}
		if len(first.goalIDs) > 0 && len(q.ValuesAt) > 0 {
			keys := make([]string, 0, len(first.goalIDs)+1)
			keys = append(keys, s.updatesKey(t))
			for _, id := range first.goalIDs {
				keys = append(keys, s.goalUpdatesKey(t, id))
			}
			args := make([]any, len(q.ValuesAt))
			for j, at := range q.ValuesAt {
				args[j] = ceilMilli(at)
			}
			// EVAL, not EVALSHA: a pipeline cannot retry on NOSCRIPT, and
			// Redis compiles a script body it has seen only once.
			values = p.Eval(ctx, valuesAtLua, keys, args...)
		}
		if len(first.updateIDs) > 0 {
			updates = p.HMGet(ctx, s.updatesKey(t), first.updateIDs...)
		}
		if len(first.kudosIDs) > 0 {
			kudos = p.HMGet(ctx, s.kudosKey(t), first.kudosIDs...)
		}
		for i, id := range q.People {
			people[i] = p.Get(ctx, s.personKey(id))
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return bot.ScorecardData{}, scorecardSecond{}, fmt.Errorf("read records: %w", err)
	}
	out := bot.ScorecardData{CheckIns: map[string][]bot.CheckIn{}, ValuesAt: map[string][]bot.GoalValue{}, People: map[bot.UserID]bot.Person{},
		UpdatesBefore: first.updatesBefore, KudosBefore: first.kudosBefore}
	var second scorecardSecond
	flat, err := valuesReply(values, len(first.goalIDs)*len(q.ValuesAt))
	if err != nil {
		return bot.ScorecardData{}, scorecardSecond{}, err
	}
	for i, id := range first.goalIDs {
		if len(goalCmds[i].Val()) == 0 {
			continue
		}
		g, err := decodeGoal(t, id, goalCmds[i].Val())
		if err != nil {
			return bot.ScorecardData{}, scorecardSecond{}, err
		}
		out.Goals = append(out.Goals, g)
		vals := make([]bot.GoalValue, len(q.ValuesAt))
		for j := range vals {
			if v := flat[i*len(q.ValuesAt)+j]; v != "" {
				if vals[j], err = parseGoalValue(v); err != nil {
					return bot.ScorecardData{}, scorecardSecond{}, fmt.Errorf("goal %s: %w", id, err)
				}
			}
		}
		out.ValuesAt[id] = vals
	}
	if out.Updates, err = decodeWindowUpdates(t, q, first.updateIDs, updates); err != nil {
		return bot.ScorecardData{}, scorecardSecond{}, err
	}
	if out.Kudos, err = decodeWindowKudos(t, q, first.kudosIDs, kudos); err != nil {
		return bot.ScorecardData{}, scorecardSecond{}, err
	}
	for period, h := range first.checkIns {
		list := make([]bot.CheckIn, 0, len(h))
		for person, data := range h {
			c, err := decodeCheckIn(t, period, bot.UserID(person), data)
			if err != nil {
				return bot.ScorecardData{}, scorecardSecond{}, err
			}
			list = append(list, c)
		}
		slices.SortFunc(list, func(a, b bot.CheckIn) int { return strings.Compare(string(a.Person), string(b.Person)) })
		out.CheckIns[period] = list
	}
	asked := make(map[bot.UserID]bool, len(q.People))
	for i, id := range q.People {
		asked[id] = true
		if err := addPerson(out.People, id, people[i]); err != nil {
			return bot.ScorecardData{}, scorecardSecond{}, err
		}
	}
	for _, k := range out.Kudos {
		for _, id := range append([]bot.UserID{k.From}, k.To...) {
			if !asked[id] {
				asked[id] = true
				second.missingPeople = append(second.missingPeople, id)
			}
		}
	}
	return out, second, nil
}

// scorecardPeople reads, in the third pipeline, the profiles of kudos
// givers and recipients that were not asked for; none, no round trip.
func (s *Store) scorecardPeople(ctx context.Context, out *bot.ScorecardData, second scorecardSecond) error {
	if len(second.missingPeople) == 0 {
		return nil
	}
	people := make([]*redis.StringCmd, len(second.missingPeople))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range second.missingPeople {
			people[i] = p.Get(ctx, s.personKey(id))
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return fmt.Errorf("read kudos people: %w", err)
	}
	for i, id := range second.missingPeople {
		if err := addPerson(out.People, id, people[i]); err != nil {
			return err
		}
	}
	return nil
}

// valuesAtLua finds, for each goal and instant, the value of the goal's last
// update before the instant, without sending the records to the client.
// Per goal a ZCOUNT and one ZREVRANGEBYSCORE read the updates between the
// first and the last instant and the one before them, and the picked
// records are fetched with one HMGET per thousand, so the script makes two
// calls per goal whatever the history.
// KEYS: the team's updates hash, then each goal's updates-by-time index.
// ARGV: the instants in unix milliseconds, ascending (exclusive bounds).
// Replies one string per goal and instant, goal-major: "<value>@<ms>", the
// value as stored (the shortest exact decimal; "0" for a zero value, left
// out of the record) and when that update was recorded, or "" when the
// goal had no update before the instant.
const valuesAtLua = `
local n = #ARGV
local first, last = tonumber(ARGV[1]), '(' .. ARGV[n]
local picks, pickedAt, need, needList = {}, {}, {}, {}
for k = 2, #KEYS do
  local within = redis.call('ZCOUNT', KEYS[k], ARGV[1], last)
  local rows = redis.call('ZREVRANGEBYSCORE', KEYS[k], last, '-inf', 'WITHSCORES', 'LIMIT', 0, within + 1)
  local i, cur, curAt = #rows - 1, false, ''
  for j = 1, n do
    local bound = tonumber(ARGV[j])
    while i >= 1 and rows[i] and tonumber(rows[i + 1]) < bound do
      cur, curAt = rows[i], rows[i + 1]
      i = i - 2
    end
    picks[#picks + 1] = cur
    pickedAt[#picks] = curAt
    if cur and not need[cur] then
      need[cur] = true
      needList[#needList + 1] = cur
    end
  end
end
local values = {}
for c = 1, #needList, 1000 do
  local chunk = {}
  for x = c, math.min(c + 999, #needList) do chunk[#chunk + 1] = needList[x] end
  local recs = redis.call('HMGET', KEYS[1], unpack(chunk))
  for x = 1, #chunk do
    local v = ''
    if recs[x] then v = string.match(recs[x], '"v":(-?[%d%.eE+-]+)') or '0' end
    values[chunk[x]] = v
  end
end
local out = {}
for p = 1, #picks do
  out[p] = picks[p] and (values[picks[p]] .. '@' .. pickedAt[p]) or ''
end
return out
`

// parseGoalValue reads one "<value>@<ms>" of valuesAtLua's reply.
func parseGoalValue(v string) (bot.GoalValue, error) {
	value, at, ok := strings.Cut(v, "@")
	f, err := strconv.ParseFloat(value, 64)
	if err != nil || !ok {
		return bot.GoalValue{}, fmt.Errorf("value %q: not <value>@<ms>", v)
	}
	ms, err := strconv.ParseFloat(at, 64)
	if err != nil {
		return bot.GoalValue{}, fmt.Errorf("value %q: time: %w", v, err)
	}
	return bot.GoalValue{Value: f, OK: true, At: time.UnixMilli(int64(ms))}, nil
}

// valuesReply reads valuesAtLua's reply; a nil command (no goals) is all empty.
func valuesReply(cmd *redis.Cmd, n int) ([]string, error) {
	out := make([]string, n)
	if cmd == nil {
		return out, nil
	}
	list, err := cmd.StringSlice()
	if err != nil {
		return nil, fmt.Errorf("read goal values: %w", err)
	}
	if len(list) != n {
		return nil, fmt.Errorf("read goal values: %d values for %d goal instants", len(list), n)
	}
	return list, nil
}

func decodeWindowUpdates(teamID string, q bot.ScorecardQuery, ids []string, cmd *redis.SliceCmd) ([]bot.Update, error) {
	return updatesWindow(teamID).keep(pipelinedRecs(ids, cmd), q.From, q.To)
}

func decodeWindowKudos(teamID string, q bot.ScorecardQuery, ids []string, cmd *redis.SliceCmd) ([]bot.Kudos, error) {
	return kudosWindow(teamID).keep(pipelinedRecs(ids, cmd), q.From, q.To)
}

// pipelinedRecs pairs the ids an index listed with the records a pipelined
// read returned for them; a record deleted in between is left out.
func pipelinedRecs(ids []string, cmd *redis.SliceCmd) []windowRec {
	if cmd == nil {
		return nil
	}
	out := make([]windowRec, 0, len(ids))
	for i, v := range cmd.Val() {
		if data, ok := v.(string); ok {
			out = append(out, windowRec{id: ids[i], data: data})
		}
	}
	return out
}

// addPerson decodes a profile read in a pipeline; a missing one is left out.
func addPerson(into map[bot.UserID]bot.Person, id bot.UserID, cmd *redis.StringCmd) error {
	data, err := cmd.Result()
	if isNil(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read person %s: %w", id, err)
	}
	p, err := decodePerson(id, data)
	if err != nil {
		return err
	}
	into[id] = p
	return nil
}

// ceilMilli is t in unix milliseconds, rounded up, so "score < ceilMilli(t)"
// keeps every update recorded before t.
func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.After(time.UnixMilli(ms)) {
		ms++
	}
	return ms
}
