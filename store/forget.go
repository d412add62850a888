package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
)

// forgetRetries bounds how often one team's forget step is retried when a
// concurrent write touches the keys it watches.
const forgetRetries = 10

// ForgetPerson deletes everything Pulse keeps about the person: profile,
// conversation, team index, check-ins, kudos they gave (and their name
// among others' recipients; a kudos left with nobody is deleted), goals
// they own with their updates, their name as author of other updates and
// as creator of other goals, their kudos allowance counters, and their
// feedback and review data (forget_review.go says what goes and what
// stays). They are removed from every team. Each team the person left a trace in gets the
// audit entry a; the audit log itself is kept as the record of changes.
//
// It visits every team, so it costs time in proportion to the installation,
// which is fine for a rare request. Each team's part is one optimistic
// transaction (WATCH/MULTI) over that team's slot; the person's own keys and
// the global indexes (goal → team, feedback request → team) follow. Running it again finishes an interrupted run.
func (s *Store) ForgetPerson(ctx context.Context, id bot.UserID, a bot.AuditEntry) error {
	if id == "" {
		return fmt.Errorf("forget person: empty id")
	}
	all, err := s.rdb.SMembers(ctx, s.teamsKey()).Result()
	if err != nil {
		return fmt.Errorf("forget %s: list teams: %w", id, err)
	}
	own, err := s.rdb.SMembers(ctx, s.personTeamsKey(id)).Result()
	if err != nil {
		return fmt.Errorf("forget %s: list their teams: %w", id, err)
	}
	teamIDs := append(all, own...)
	slices.Sort(teamIDs)
	teamIDs = slices.Compact(teamIDs)
	var goals, requests []string
	for _, t := range teamIDs {
		deleted, err := s.forgetInTeam(ctx, t, id, a)
		if err != nil {
			return fmt.Errorf("forget %s: %w", id, err)
		}
		goals = append(goals, deleted.goals...)
		requests = append(requests, deleted.requests...)
	}
	if err := s.unindexRequests(ctx, requests); err != nil {
		return fmt.Errorf("forget %s: %w", id, err)
	}
	if len(goals) > 0 {
		if err := s.rdb.HDel(ctx, s.goalTeamKey(), goals...).Err(); err != nil {
			return fmt.Errorf("forget %s: unindex goals: %w", id, err)
		}
		for _, g := range goals {
			s.goalTeams.Delete(g)
		}
	}
	counters, err := s.scanKeys(ctx, globEscape(s.prefix)+"{team:*}:kudos:used:"+globEscape(string(id))+":*")
	if err != nil {
		return fmt.Errorf("forget %s: find allowance counters: %w", id, err)
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range counters {
			p.Unlink(ctx, k)
		}
		p.Unlink(ctx, s.personKey(id), s.convKey(id), s.personTeamsKey(id))
		return nil
	})
	if err != nil {
		return fmt.Errorf("forget %s: delete their keys: %w", id, err)
	}
	return nil
}

// forgotten are the ids of what one team's step deleted that global
// indexes point at.
type forgotten struct {
	goals, requests []string
}

// forgetInTeam removes the person's traces from one team and returns the
// ids of the goals and feedback requests it deleted.
func (s *Store) forgetInTeam(ctx context.Context, teamID string, id bot.UserID, a bot.AuditEntry) (forgotten, error) {
	watched := append([]string{
		s.teamInfoKey(teamID), s.goalsKey(teamID), s.kudosKey(teamID), s.updatesKey(teamID),
		s.kudosFromKey(teamID, id), s.kudosToKey(teamID, id), s.updatesByKey(teamID, id),
		s.checkInsOfKey(teamID, id),
	}, s.reviewWatchKeys(teamID)...)
	var deleted forgotten
	for range forgetRetries {
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			var err error
			deleted, err = s.forgetTx(ctx, tx, teamID, id, a)
			return err
		}, watched...)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return forgotten{}, fmt.Errorf("team %s: %w", teamID, err)
		}
		return deleted, nil
	}
	return forgotten{}, fmt.Errorf("team %s: still changing after %d tries", teamID, forgetRetries)
}

// teamTraces is what one team holds of a person.
type teamTraces struct {
	team     *bot.Team
	goals    []bot.Goal
	given    map[string]bot.Kudos
	received map[string]bot.Kudos
	authored map[string]bot.Update
	periods  []string
	// ownedUpdates are the updates of goals the person owns, by goal id.
	ownedUpdates map[string]map[string]bot.Update
	reviews      reviewTraces
}

func (s *Store) forgetTx(ctx context.Context, tx *redis.Tx, teamID string, id bot.UserID, a bot.AuditEntry) (forgotten, error) {
	tr, err := s.readTraces(ctx, tx, teamID, id, a.At)
	if err != nil {
		return forgotten{}, err
	}
	entry, err := encodeAudit(a)
	if err != nil {
		return forgotten{}, err
	}
	var deleted forgotten
	changed := !tr.reviews.empty()
	_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if tr.team != nil && (tr.team.HasMember(id) || tr.team.HasManager(id)) {
			t := *tr.team
			t.Members = slices.DeleteFunc(slices.Clone(t.Members), func(u bot.UserID) bool { return u == id })
			t.Managers = slices.DeleteFunc(slices.Clone(t.Managers), func(u bot.UserID) bool { return u == id })
			data, err := encodeTeam(t)
			if err != nil {
				return err
			}
			p.Set(ctx, s.teamInfoKey(teamID), data, 0)
			changed = true
		}
		if err := s.forgetKudos(ctx, p, teamID, id, tr); err != nil {
			return err
		}
		var err error
		if deleted.goals, err = s.forgetGoals(ctx, p, teamID, id, tr); err != nil {
			return err
		}
		if deleted.requests, err = s.forgetReviews(ctx, p, teamID, id, tr.reviews); err != nil {
			return err
		}
		for uid, u := range tr.authored {
			if _, gone := tr.ownedUpdates[u.GoalID]; gone {
				continue
			}
			u.Author = ""
			data, err := encodeUpdate(u)
			if err != nil {
				return err
			}
			p.HSet(ctx, s.updatesKey(teamID), uid, data)
		}
		for _, period := range tr.periods {
			p.HDel(ctx, s.checkInsKey(teamID, period), string(id))
		}
		changed = changed || len(tr.given)+len(tr.received)+len(tr.authored)+len(tr.periods)+len(deleted.goals) > 0
		p.Del(ctx, s.kudosFromKey(teamID, id), s.kudosToKey(teamID, id), s.updatesByKey(teamID, id),
			s.checkInsOfKey(teamID, id))
		if changed && entry != "" {
			p.LPush(ctx, s.auditKey(teamID), entry)
			p.LTrim(ctx, s.auditKey(teamID), 0, AuditCap-1)
		}
		return nil
	})
	if err != nil {
		return forgotten{}, err
	}
	return deleted, nil
}

// forgetKudos deletes the kudos the person gave and takes them off the
// recipients of the others.
func (s *Store) forgetKudos(ctx context.Context, p redis.Pipeliner, teamID string, id bot.UserID, tr teamTraces) error {
	drop := func(kid string, k bot.Kudos) {
		p.HDel(ctx, s.kudosKey(teamID), kid)
		p.ZRem(ctx, s.kudosByTimeKey(teamID), kid)
		p.ZRem(ctx, s.kudosFromKey(teamID, k.From), kid)
		for _, to := range k.To {
			p.SRem(ctx, s.kudosToKey(teamID, to), kid)
		}
	}
	for kid, k := range tr.given {
		drop(kid, k)
	}
	for kid, k := range tr.received {
		if _, ok := tr.given[kid]; ok {
			continue
		}
		k.To = slices.DeleteFunc(slices.Clone(k.To), func(u bot.UserID) bool { return u == id })
		if len(k.To) == 0 {
			drop(kid, k)
			continue
		}
		data, err := encodeKudos(k)
		if err != nil {
			return err
		}
		p.HSet(ctx, s.kudosKey(teamID), kid, data)
	}
	return nil
}

// forgetGoals deletes the goals the person owns with their updates, and
// clears the person as creator, and deleted goals as parent, of the rest.
func (s *Store) forgetGoals(ctx context.Context, p redis.Pipeliner, teamID string, id bot.UserID, tr teamTraces) ([]string, error) {
	var deleted []string
	for _, g := range tr.goals {
		if g.Owner != id {
			continue
		}
		deleted = append(deleted, g.ID)
		p.Del(ctx, s.goalKey(teamID, g.ID), s.goalUpdatesKey(teamID, g.ID))
		p.SRem(ctx, s.goalsKey(teamID), g.ID)
		for uid, u := range tr.ownedUpdates[g.ID] {
			p.HDel(ctx, s.updatesKey(teamID), uid)
			p.ZRem(ctx, s.updatesByTimeKey(teamID), uid)
			p.SRem(ctx, s.updatesByKey(teamID, u.Author), uid)
		}
	}
	for _, g := range tr.goals {
		if g.Owner == id || (g.CreatedBy != id && !slices.Contains(deleted, g.Parent)) {
			continue
		}
		if g.CreatedBy == id {
			g.CreatedBy = ""
		}
		if slices.Contains(deleted, g.Parent) {
			g.Parent = ""
		}
		fields, err := goalFields(g)
		if err != nil {
			return nil, err
		}
		// Only the static record: the current value may be moving concurrently.
		// A new version, so an edit that read the goal before saves over nothing.
		p.HSet(ctx, s.goalKey(teamID, g.ID), "rec", fields[0])
		p.HIncrBy(ctx, s.goalKey(teamID, g.ID), "ver", 1)
	}
	return deleted, nil
}

// readTraces reads, under WATCH, what the team holds of the person.
func (s *Store) readTraces(ctx context.Context, tx *redis.Tx, teamID string, id bot.UserID, at time.Time) (teamTraces, error) {
	var (
		info                                            *redis.StringCmd
		goalIDs, received, authored, periods, givenList *redis.StringSliceCmd
	)
	_, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
		info = p.Get(ctx, s.teamInfoKey(teamID))
		goalIDs = p.SMembers(ctx, s.goalsKey(teamID))
		givenList = p.ZRange(ctx, s.kudosFromKey(teamID, id), 0, -1)
		received = p.SMembers(ctx, s.kudosToKey(teamID, id))
		authored = p.SMembers(ctx, s.updatesByKey(teamID, id))
		periods = p.SMembers(ctx, s.checkInsOfKey(teamID, id))
		return nil
	})
	if err != nil && !isNil(err) {
		return teamTraces{}, fmt.Errorf("read traces: %w", err)
	}
	tr := teamTraces{periods: periods.Val(), ownedUpdates: map[string]map[string]bot.Update{}}
	switch data, err := info.Result(); {
	case isNil(err):
	case err != nil:
		return teamTraces{}, fmt.Errorf("read team: %w", err)
	default:
		t, err := decodeTeam(teamID, data)
		if err != nil {
			return teamTraces{}, err
		}
		tr.team = &t
	}
	for _, cmd := range []*redis.StringSliceCmd{goalIDs, givenList, received, authored, periods} {
		if err := cmd.Err(); err != nil {
			return teamTraces{}, fmt.Errorf("read traces: %w", err)
		}
	}
	if tr.goals, err = s.readGoals(ctx, tx, teamID, goalIDs.Val()); err != nil {
		return teamTraces{}, err
	}
	if tr.given, err = s.readKudos(ctx, tx, teamID, givenList.Val()); err != nil {
		return teamTraces{}, err
	}
	if tr.received, err = s.readKudos(ctx, tx, teamID, received.Val()); err != nil {
		return teamTraces{}, err
	}
	if tr.authored, err = s.readUpdates(ctx, tx, teamID, authored.Val()); err != nil {
		return teamTraces{}, err
	}
	if tr.reviews, err = s.readReviewTraces(ctx, tx, teamID, id, at); err != nil {
		return teamTraces{}, err
	}
	for _, g := range tr.goals {
		if g.Owner != id {
			continue
		}
		ids, err := tx.ZRange(ctx, s.goalUpdatesKey(teamID, g.ID), 0, -1).Result()
		if err != nil {
			return teamTraces{}, fmt.Errorf("read updates of goal %s: %w", g.ID, err)
		}
		if tr.ownedUpdates[g.ID], err = s.readUpdates(ctx, tx, teamID, ids); err != nil {
			return teamTraces{}, err
		}
	}
	return tr, nil
}

func (s *Store) readKudos(ctx context.Context, c redis.Cmdable, teamID string, ids []string) (map[string]bot.Kudos, error) {
	out := map[string]bot.Kudos{}
	if len(ids) == 0 {
		return out, nil
	}
	vals, err := c.HMGet(ctx, s.kudosKey(teamID), ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("read kudos: %w", err)
	}
	for i, v := range vals {
		data, ok := v.(string)
		if !ok {
			continue
		}
		k, err := decodeKudos(teamID, ids[i], data)
		if err != nil {
			return nil, err
		}
		out[ids[i]] = k
	}
	return out, nil
}

func (s *Store) readUpdates(ctx context.Context, c redis.Cmdable, teamID string, ids []string) (map[string]bot.Update, error) {
	out := map[string]bot.Update{}
	if len(ids) == 0 {
		return out, nil
	}
	vals, err := c.HMGet(ctx, s.updatesKey(teamID), ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("read updates: %w", err)
	}
	for i, v := range vals {
		data, ok := v.(string)
		if !ok {
			continue
		}
		u, err := decodeUpdate(teamID, data)
		if err != nil {
			return nil, err
		}
		out[ids[i]] = u
	}
	return out, nil
}

// scanKeys returns the keys matching a glob pattern, on every master of a Cluster.
func (s *Store) scanKeys(ctx context.Context, pattern string) ([]string, error) {
	scan := func(ctx context.Context, c redis.Cmdable) ([]string, error) {
		var keys []string
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		return keys, iter.Err()
	}
	cluster, ok := s.rdb.(*redis.ClusterClient)
	if !ok {
		return scan(ctx, s.rdb)
	}
	var (
		mu   sync.Mutex
		keys []string
	)
	err := cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		found, err := scan(ctx, c)
		mu.Lock()
		keys = append(keys, found...)
		mu.Unlock()
		return err
	})
	return keys, err
}

// globEscape quotes the characters Redis's MATCH treats as wildcards.
func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)
	return r.Replace(s)
}
