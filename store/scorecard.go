package store

import (
	"context"
	"encoding/json"
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
//     by-time indexes) and each period's check-ins;
//  2. the goal hashes, for each goal and instant the id of its last update
//     before the instant, the window's update and kudos records, and the
//     profiles asked for;
//  3. the values of those last updates, and the profiles of kudos givers and
//     recipients not asked for (skipped when there are none).
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
	if err := s.scorecardValues(ctx, q, &out, second); err != nil {
		return bot.ScorecardData{}, fmt.Errorf("scorecard data of %s: %w", q.TeamID, err)
	}
	return out, nil
}

// scorecardFirst is what the first pipeline read.
type scorecardFirst struct {
	goalIDs, updateIDs, kudosIDs []string
	checkIns                     map[string]map[string]string
}

func (s *Store) scorecardIndexes(ctx context.Context, q bot.ScorecardQuery) (scorecardFirst, error) {
	t := q.TeamID
	var goals, updates, kudos *redis.StringSliceCmd
	checkIns := make([]*redis.MapStringStringCmd, len(q.Periods))
	window := q.From.Before(q.To)
	byScore := &redis.ZRangeBy{Min: strconv.FormatInt(q.From.UnixMilli(), 10), Max: strconv.FormatInt(q.To.UnixMilli(), 10)}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		goals = p.SMembers(ctx, s.goalsKey(t))
		if window {
			updates = p.ZRangeByScore(ctx, s.updatesByTimeKey(t), byScore)
			kudos = p.ZRangeByScore(ctx, s.kudosByTimeKey(t), byScore)
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
	return out, nil
}

// scorecardSecond is what the third pipeline still has to read.
type scorecardSecond struct {
	// lastIDs[goal][i] is the id of the goal's last update before ValuesAt[i], or "".
	lastIDs map[string][]string
	// missingPeople are kudos givers and recipients whose profiles were not asked for.
	missingPeople []bot.UserID
}

func (s *Store) scorecardRecords(ctx context.Context, q bot.ScorecardQuery, first scorecardFirst) (bot.ScorecardData, scorecardSecond, error) {
	t := q.TeamID
	goalCmds := make([]*redis.MapStringStringCmd, len(first.goalIDs))
	lastCmds := make([][]*redis.StringSliceCmd, len(first.goalIDs))
	var updates, kudos *redis.SliceCmd
	people := make([]*redis.StringCmd, len(q.People))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range first.goalIDs {
			goalCmds[i] = p.HGetAll(ctx, s.goalKey(t, id))
			lastCmds[i] = make([]*redis.StringSliceCmd, len(q.ValuesAt))
			for j, at := range q.ValuesAt {
				lastCmds[i][j] = p.ZRevRangeByScore(ctx, s.goalUpdatesKey(t, id), &redis.ZRangeBy{
					Max: "(" + strconv.FormatInt(ceilMilli(at), 10), Min: "-inf", Count: 1})
			}
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
	out := bot.ScorecardData{CheckIns: map[string][]bot.CheckIn{}, ValuesAt: map[string][]bot.GoalValue{}, People: map[bot.UserID]bot.Person{}}
	second := scorecardSecond{lastIDs: map[string][]string{}}
	for i, id := range first.goalIDs {
		if len(goalCmds[i].Val()) == 0 {
			continue
		}
		g, err := decodeGoal(t, id, goalCmds[i].Val())
		if err != nil {
			return bot.ScorecardData{}, scorecardSecond{}, err
		}
		out.Goals = append(out.Goals, g)
		last := make([]string, len(q.ValuesAt))
		for j, cmd := range lastCmds[i] {
			if ids := cmd.Val(); len(ids) > 0 {
				last[j] = ids[0]
			}
		}
		second.lastIDs[id] = last
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

// scorecardValues reads the values of the goals' last updates and the
// profiles of kudos people not asked for, in the third pipeline.
func (s *Store) scorecardValues(ctx context.Context, q bot.ScorecardQuery, out *bot.ScorecardData, second scorecardSecond) error {
	seen := map[string]bool{}
	var ids []string
	for _, last := range second.lastIDs {
		for _, id := range last {
			if id != "" && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 && len(second.missingPeople) == 0 {
		fillValues(q, out, second, nil)
		return nil
	}
	var values *redis.SliceCmd
	people := make([]*redis.StringCmd, len(second.missingPeople))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if len(ids) > 0 {
			values = p.HMGet(ctx, s.updatesKey(q.TeamID), ids...)
		}
		for i, id := range second.missingPeople {
			people[i] = p.Get(ctx, s.personKey(id))
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return fmt.Errorf("read goal values: %w", err)
	}
	byID := make(map[string]float64, len(ids))
	if values != nil {
		for i, v := range values.Val() {
			data, ok := v.(string)
			if !ok {
				continue
			}
			var rec struct {
				Value float64 `json:"v"`
			}
			if err := json.Unmarshal([]byte(data), &rec); err != nil {
				return fmt.Errorf("decode update %s: %w", ids[i], err)
			}
			byID[ids[i]] = rec.Value
		}
	}
	fillValues(q, out, second, byID)
	for i, id := range second.missingPeople {
		if err := addPerson(out.People, id, people[i]); err != nil {
			return err
		}
	}
	return nil
}

func fillValues(q bot.ScorecardQuery, out *bot.ScorecardData, second scorecardSecond, byID map[string]float64) {
	for _, g := range out.Goals {
		last := second.lastIDs[g.ID]
		vals := make([]bot.GoalValue, len(q.ValuesAt))
		for j, id := range last {
			if v, ok := byID[id]; ok && id != "" {
				vals[j] = bot.GoalValue{Value: v, OK: true}
			}
		}
		out.ValuesAt[g.ID] = vals
	}
}

func decodeWindowUpdates(teamID string, q bot.ScorecardQuery, ids []string, cmd *redis.SliceCmd) ([]bot.Update, error) {
	if cmd == nil {
		return nil, nil
	}
	type idUpdate struct {
		id string
		u  bot.Update
	}
	list := make([]idUpdate, 0, len(ids))
	for i, v := range cmd.Val() {
		data, ok := v.(string)
		if !ok {
			continue
		}
		u, err := decodeUpdate(teamID, data)
		if err != nil {
			return nil, fmt.Errorf("update %s: %w", ids[i], err)
		}
		if !u.At.Before(q.From) && u.At.Before(q.To) {
			list = append(list, idUpdate{ids[i], u})
		}
	}
	slices.SortStableFunc(list, func(a, b idUpdate) int {
		if c := a.u.At.Compare(b.u.At); c != 0 {
			return c
		}
		return compareIDs(a.id, b.id)
	})
	out := make([]bot.Update, len(list))
	for i, x := range list {
		out[i] = x.u
	}
	return out, nil
}

func decodeWindowKudos(teamID string, q bot.ScorecardQuery, ids []string, cmd *redis.SliceCmd) ([]bot.Kudos, error) {
	if cmd == nil {
		return nil, nil
	}
	out := make([]bot.Kudos, 0, len(ids))
	for i, v := range cmd.Val() {
		data, ok := v.(string)
		if !ok {
			continue
		}
		k, err := decodeKudos(teamID, ids[i], data)
		if err != nil {
			return nil, err
		}
		if !k.At.Before(q.From) && k.At.Before(q.To) {
			out = append(out, k)
		}
	}
	slices.SortStableFunc(out, func(a, b bot.Kudos) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
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
