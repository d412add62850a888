package store

// The web view's sign-in links and sessions, and the batched read of the
// company page. Keys:
//
//	P{web:<sha256 of token>}:link      string  "<user>|<issued unix µs>", one-time sign-in link; TTL its validity
//	P{web:<sha256 of token>}:session   string  "<user>|<issued unix µs>", a web session; TTL its validity
//	P{user:<id>}:web:sessions          set     the hashes of the person's sessions, to end them all
//	P{web:rate}:<name>                 string  attempts counted in a fixed window; TTL the window
//
// Tokens are never stored, only their SHA-256 hashes (the caller hashes):
// someone who reads Redis cannot sign in with what they find.

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

// WebSessions keeps the web view's sign-in links and sessions.
type WebSessions struct{ s *Store }

// WebSessions returns the web view's link and session store.
func (s *Store) WebSessions() *WebSessions { return &WebSessions{s: s} }

func (w *WebSessions) linkKey(hash string) string { return w.s.prefix + "{web:" + hash + "}:link" }
func (w *WebSessions) sessionKey(hash string) string {
	return w.s.prefix + "{web:" + hash + "}:session"
}
func (w *WebSessions) listKey(id bot.UserID) string { return w.s.userKey(id, "web", "sessions") }
func (w *WebSessions) rateKey(name string) string   { return w.s.prefix + "{web:rate}:" + name }

func encodeGrant(id bot.UserID, issued time.Time) string {
	return string(id) + "|" + strconv.FormatInt(issued.UnixMicro(), 10)
}

func decodeGrant(data string) (bot.UserID, time.Time, error) {
	i := strings.LastIndexByte(data, '|')
	if i < 0 {
		return "", time.Time{}, fmt.Errorf("web grant %q: no issue time", data)
	}
	us, err := strconv.ParseInt(data[i+1:], 10, 64)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("web grant issue time: %w", err)
	}
	return bot.UserID(data[:i]), time.UnixMicro(us), nil
}

// SaveLink stores a sign-in link's hash for person, issued at issued, kept for ttl.
func (w *WebSessions) SaveLink(ctx context.Context, hash string, person bot.UserID, issued time.Time, ttl time.Duration) error {
	if err := w.s.rdb.Set(ctx, w.linkKey(hash), encodeGrant(person, issued), ttl).Err(); err != nil {
		return fmt.Errorf("save web link: %w", err)
	}
	return nil
}

// TakeLink reads and deletes a link in one step (GETDEL), so two redemptions
// at once cannot both succeed. bot.ErrNotFound when there is none (never
// issued, already used, or past its TTL).
func (w *WebSessions) TakeLink(ctx context.Context, hash string) (bot.UserID, time.Time, error) {
	data, err := w.s.rdb.GetDel(ctx, w.linkKey(hash)).Result()
	if isNil(err) {
		return "", time.Time{}, fmt.Errorf("take web link: %w", bot.ErrNotFound)
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("take web link: %w", err)
	}
	return decodeGrant(data)
}

// SaveSession stores a session's hash for person and then adds it to the
// person's list, so SignOut can end them all. The two steps are sent one
// after the other, not pipelined: on a Cluster the session and the list live
// on different nodes, and a pipeline may land the list entry first, letting a
// racing sign-out read and drop the hash before the session exists.
func (w *WebSessions) SaveSession(ctx context.Context, hash string, person bot.UserID, issued time.Time, ttl time.Duration) error {
	if err := w.s.rdb.Set(ctx, w.sessionKey(hash), encodeGrant(person, issued), ttl).Err(); err != nil {
		return fmt.Errorf("save web session: %w", err)
	}
	_, err := w.s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, w.listKey(person), hash)
		p.Expire(ctx, w.listKey(person), ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("list web session of %s: %w", person, err)
	}
	return nil
}

// Session returns the person and issue time of a session, or bot.ErrNotFound.
func (w *WebSessions) Session(ctx context.Context, hash string) (bot.UserID, time.Time, error) {
	data, err := w.s.rdb.Get(ctx, w.sessionKey(hash)).Result()
	if isNil(err) {
		return "", time.Time{}, fmt.Errorf("web session: %w", bot.ErrNotFound)
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("web session: %w", err)
	}
	return decodeGrant(data)
}

// EndSessions deletes every session of person and returns how many were live.
func (w *WebSessions) EndSessions(ctx context.Context, person bot.UserID) (int, error) {
	hashes, err := w.s.rdb.SMembers(ctx, w.listKey(person)).Result()
	if err != nil {
		return 0, fmt.Errorf("list web sessions of %s: %w", person, err)
	}
	dels := make([]*redis.IntCmd, len(hashes))
	_, err = w.s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, h := range hashes {
			dels[i] = p.Del(ctx, w.sessionKey(h))
		}
		// Only the hashes read above leave the list: a session saved
		// meanwhile stays listed, so the next sign-out still ends it.
		if len(hashes) > 0 {
			p.SRem(ctx, w.listKey(person), hashes)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("end web sessions of %s: %w", person, err)
	}
	n := 0
	for _, d := range dels {
		n += int(d.Val())
	}
	return n, nil
}

// Allow counts one attempt under name in a fixed window and reports whether
// it is within limit. The window starts with the first attempt.
func (w *WebSessions) Allow(ctx context.Context, name string, limit int, window time.Duration) (bool, error) {
	var count *redis.IntCmd
	_, err := w.s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		count = p.Incr(ctx, w.rateKey(name))
		p.ExpireNX(ctx, w.rateKey(name), window)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("count web attempts: %w", err)
	}
	return count.Val() <= int64(limit), nil
}

// TeamsWithGoals returns every team and each team's goals in three round
// trips whatever the number of teams: the team list; the team records with
// their goal id sets; the goal records. The company page reads it.
func (s *Store) TeamsWithGoals(ctx context.Context) ([]bot.Team, map[string][]bot.Goal, error) {
	ids, err := s.rdb.SMembers(ctx, s.teamsKey()).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("list teams: %w", err)
	}
	slices.Sort(ids)
	infos := make([]*redis.StringCmd, len(ids))
	goalSets := make([]*redis.StringSliceCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			infos[i] = p.Get(ctx, s.teamInfoKey(id))
			goalSets[i] = p.SMembers(ctx, s.goalsKey(id))
		}
		return nil
	})
	if err != nil && !isNil(err) {
		return nil, nil, fmt.Errorf("read teams: %w", err)
	}
	teams := make([]bot.Team, 0, len(ids))
	type goalRef struct{ team, id string }
	var refs []goalRef
	for i, id := range ids {
		data, err := infos[i].Result()
		if isNil(err) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read team %s: %w", id, err)
		}
		t, err := decodeTeam(id, data)
		if err != nil {
			return nil, nil, err
		}
		teams = append(teams, t)
		goalIDs := goalSets[i].Val()
		slices.SortFunc(goalIDs, compareIDs)
		for _, g := range goalIDs {
			refs = append(refs, goalRef{team: id, id: g})
		}
	}
	hashes := make([]*redis.MapStringStringCmd, len(refs))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, ref := range refs {
			hashes[i] = p.HGetAll(ctx, s.goalKey(ref.team, ref.id))
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read goals: %w", err)
	}
	goals := make(map[string][]bot.Goal, len(teams))
	for i, ref := range refs {
		if len(hashes[i].Val()) == 0 {
			continue
		}
		g, err := decodeGoal(ref.team, ref.id, hashes[i].Val())
		if err != nil {
			return nil, nil, err
		}
		goals[ref.team] = append(goals[ref.team], g)
	}
	return teams, goals, nil
}
