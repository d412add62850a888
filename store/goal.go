package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
)

// CreateGoal takes the next id from the global counter ("G<n>"), records
// goal → team, and stores the goal with its audit entry in one script.
// An audit entry without a subject gets the new id. When a.Key was seen
// before it returns the goal that key created and bot.ErrDuplicate.
func (s *Store) CreateGoal(ctx context.Context, g bot.Goal, a bot.AuditEntry) (bot.Goal, error) {
	if g.TeamID == "" {
		return bot.Goal{}, fmt.Errorf("create goal: empty team id")
	}
	n, err := s.rdb.Incr(ctx, s.goalSeqKey()).Result()
	if err != nil {
		return bot.Goal{}, fmt.Errorf("create goal: next id: %w", err)
	}
	g.ID = "G" + strconv.FormatInt(n, 10)
	if a != (bot.AuditEntry{}) && a.Subject == "" {
		a.Subject = g.ID
	}
	fields, err := goalFields(g)
	if err != nil {
		return bot.Goal{}, fmt.Errorf("create goal: %w", err)
	}
	entry, err := encodeAudit(a)
	if err != nil {
		return bot.Goal{}, fmt.Errorf("create goal %s: %w", g.ID, err)
	}
	// The index goes first: once the goal exists, RecordUpdate must find its team.
	if err := s.rdb.HSet(ctx, s.goalTeamKey(), g.ID, g.TeamID).Err(); err != nil {
		return bot.Goal{}, fmt.Errorf("create goal %s: index team: %w", g.ID, err)
	}
	hasKey, ttl := idemArgs(a.Key)
	keys := []string{s.goalKey(g.TeamID, g.ID), s.goalsKey(g.TeamID), s.auditKey(g.TeamID),
		s.idemKey(g.TeamID, "goal", a.Key)}
	args := append([]any{hasKey, ttl, g.ID}, fields...)
	args = append(args, entry, AuditCap, rand.Text())
	reply, err := s.scripts.createGoal.Run(ctx, s.rdb, keys, args...).StringSlice()
	if err != nil {
		return bot.Goal{}, fmt.Errorf("create goal %s: %w", g.ID, err)
	}
	if reply[0] == "duplicate" {
		if err := s.rdb.HDel(ctx, s.goalTeamKey(), g.ID).Err(); err != nil {
			return bot.Goal{}, fmt.Errorf("create goal: drop unused id %s: %w", g.ID, err)
		}
		prior, err := s.GetGoal(ctx, reply[1])
		if err != nil {
			return bot.Goal{}, fmt.Errorf("create goal: read earlier goal: %w", err)
		}
		return prior, fmt.Errorf("create goal: key %s: %w", a.Key, bot.ErrDuplicate)
	}
	s.goalTeams.Store(g.ID, g.TeamID)
	return g, nil
}

// teamOfGoal resolves a goal's team, from the in-process cache when it can.
func (s *Store) teamOfGoal(ctx context.Context, goalID string) (string, error) {
	if t, ok := s.goalTeams.Load(goalID); ok {
		return t.(string), nil
	}
	t, err := s.rdb.HGet(ctx, s.goalTeamKey(), goalID).Result()
	if isNil(err) {
		return "", fmt.Errorf("goal %s: %w", goalID, bot.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("goal %s: find team: %w", goalID, err)
	}
	s.goalTeams.Store(goalID, t)
	return t, nil
}

// GetGoal returns the goal or bot.ErrNotFound.
func (s *Store) GetGoal(ctx context.Context, id string) (bot.Goal, error) {
	teamID, err := s.teamOfGoal(ctx, id)
	if err != nil {
		return bot.Goal{}, fmt.Errorf("get goal: %w", err)
	}
	return goalFromHash(teamID, id, s.rdb.HGetAll(ctx, s.goalKey(teamID, id)))
}

// goalFromHash is GetGoal's answer from the reply to the goal's HGETALL:
// an empty hash is a goal that does not exist (bot.ErrNotFound).
func goalFromHash(teamID, id string, reply *redis.MapStringStringCmd) (bot.Goal, error) {
	h, err := reply.Result()
	if err != nil {
		return bot.Goal{}, fmt.Errorf("get goal %s: %w", id, err)
	}
	if len(h) == 0 {
		return bot.Goal{}, fmt.Errorf("get goal %s: %w", id, bot.ErrNotFound)
	}
	return decodeGoal(teamID, id, h)
}

// SaveGoal replaces an existing goal's record and updated time if it is
// still at g.Version (bot.ErrConflict when another save came first); its current
// value and stated status move only by RecordUpdate (except when the goal
// changes between milestone and numeric or starts a new measure, see
// saveGoalLua), so a close or
// edit racing an update loses nothing. A goal never moves to another team.
func (s *Store) SaveGoal(ctx context.Context, g bot.Goal, a bot.AuditEntry) error {
	teamID, err := s.teamOfGoal(ctx, g.ID)
	if err != nil {
		return fmt.Errorf("save goal: %w", err)
	}
	if g.TeamID != "" && g.TeamID != teamID {
		return fmt.Errorf("save goal %s: belongs to team %s, not %s", g.ID, teamID, g.TeamID)
	}
	fields, err := goalFields(g)
	if err != nil {
		return fmt.Errorf("save goal: %w", err)
	}
	entry, err := encodeAudit(a)
	if err != nil {
		return fmt.Errorf("save goal %s: %w", g.ID, err)
	}
	keyed, ttl := idemArgs(a.Key)
	args := append(fields, entry, AuditCap, g.Version, keyed, ttl, rand.Text())
	status, err := s.scripts.saveGoal.Run(ctx, s.rdb,
		[]string{s.goalKey(teamID, g.ID), s.auditKey(teamID), s.idemKey(teamID, "goal-save", a.Key+"\x00"+g.ID)}, args...).Text()
	if err != nil {
		return fmt.Errorf("save goal %s: %w", g.ID, err)
	}
	if err := errReply(status); err != nil {
		return fmt.Errorf("save goal %s: %w", g.ID, err)
	}
	return nil
}

// RecordUpdate applies c to the goal in one script that reads the current
// value, computes the new one, checks it and appends u (see
// recordUpdateLua): one round trip once the goal's team is cached, and no
// lost or refused update however many arrive at once. Every call marks
// itself (a key and a call id), so the client resending it (see
// recordUpdateLua) never records it twice.
func (s *Store) RecordUpdate(ctx context.Context, u bot.Update, c bot.ProgressChange, a bot.AuditEntry) (bot.Update, error) {
	teamID, err := s.teamOfGoal(ctx, u.GoalID)
	if err != nil {
		return bot.Update{}, fmt.Errorf("record update: %w", err)
	}
	if u.TeamID != "" && u.TeamID != teamID {
		return bot.Update{}, fmt.Errorf("record update on %s: goal belongs to team %s, not %s", u.GoalID, teamID, u.TeamID)
	}
	if !isFinite(c.Number) {
		return bot.Update{}, fmt.Errorf("record update on %s: value is not a finite number", u.GoalID)
	}
	u.TeamID = teamID
	// The script writes the values in front of the rest of the record.
	u.Value, u.Previous = 0, 0
	data, err := encodeUpdate(u)
	if err != nil {
		return bot.Update{}, fmt.Errorf("record update on %s: %w", u.GoalID, err)
	}
	entry, err := encodeAudit(a)
	if err != nil {
		return bot.Update{}, fmt.Errorf("record update on %s: %w", u.GoalID, err)
	}
	call := rand.Text()
	marker, ttl := u.Key, int64(IdempotencyTTL/time.Second)
	if marker == "" {
		// Keyed by the call alone: a resend of it is still one update.
		marker, ttl = "call:"+call, int64(resendWindow/time.Second)
	}
	keys := []string{
		s.goalKey(teamID, u.GoalID), s.updatesKey(teamID), s.updatesByTimeKey(teamID),
		s.goalUpdatesKey(teamID, u.GoalID), s.updatesByKey(teamID, u.Author), s.auditKey(teamID),
		s.idemKey(teamID, "update", marker), s.updateSeqKey(teamID),
	}
	reply, err := evalShared(ctx, &s.shared, s.rdb, s.scripts.recordUpdate, keys,
		ttl, flag(c.Relative), formatFloat(c.Number), c.Unit, strconv.FormatBool(c.Milestone),
		string(u.Stated), u.At.UnixMilli(), formatTime(u.At), data, entry, AuditCap, call).StringSlice()
	if err != nil {
		return bot.Update{}, fmt.Errorf("record update on %s: %w", u.GoalID, err)
	}
	if len(reply) != 2 {
		return bot.Update{}, fmt.Errorf("record update on %s: unexpected script reply %q", u.GoalID, reply)
	}
	return s.recordedUpdate(u, reply[0], reply[1])
}

// recordedUpdate turns the update script's reply into the update as stored
// and the error its status stands for.
func (s *Store) recordedUpdate(u bot.Update, status, data string) (bot.Update, error) {
	var stored bot.Update
	if data != "" {
		var err error
		if stored, err = decodeUpdate(u.TeamID, data); err != nil {
			return bot.Update{}, fmt.Errorf("record update on %s: %w", u.GoalID, err)
		}
	}
	switch status {
	case "ok":
		return stored, nil
	case "duplicate":
		return stored, fmt.Errorf("record update on %s: key %s: %w", u.GoalID, u.Key, bot.ErrDuplicate)
	case "notfound":
		s.goalTeams.Delete(u.GoalID)
		return bot.Update{}, fmt.Errorf("record update on %s: %w", u.GoalID, bot.ErrNotFound)
	case "closed":
		return bot.Update{}, fmt.Errorf("record update on %s: %w", u.GoalID, bot.ErrGoalClosed)
	case "range":
		return bot.Update{}, fmt.Errorf("record update on %s: %w", u.GoalID, bot.ErrOutOfRange)
	case "conflict":
		return bot.Update{}, fmt.Errorf("record update on %s: metric changed: %w", u.GoalID, bot.ErrConflict)
	}
	return bot.Update{}, fmt.Errorf("record update on %s: unexpected script reply %q", u.GoalID, status)
}

// flag is a boolean as a script argument.
func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// TeamGoals returns the team's goals, open and closed, ordered by number.
func (s *Store) TeamGoals(ctx context.Context, teamID string) ([]bot.Goal, error) {
	ids, err := s.rdb.SMembers(ctx, s.goalsKey(teamID)).Result()
	if err != nil {
		return nil, fmt.Errorf("team goals %s: %w", teamID, err)
	}
	goals, err := s.readGoals(ctx, s.rdb, teamID, ids)
	if err != nil {
		return nil, fmt.Errorf("team goals %s: %w", teamID, err)
	}
	return goals, nil
}

// readGoals reads goal hashes in one pipeline, skipping missing ones,
// ordered by goal number.
func (s *Store) readGoals(ctx context.Context, c redis.Cmdable, teamID string, ids []string) ([]bot.Goal, error) {
	slices.SortFunc(ids, compareIDs)
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.goalKey(teamID, id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read goals: %w", err)
	}
	out := make([]bot.Goal, 0, len(ids))
	for i, cmd := range cmds {
		if len(cmd.Val()) == 0 {
			continue
		}
		g, err := decodeGoal(teamID, ids[i], cmd.Val())
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// GoalUpdates returns a goal's updates with from <= At < to, oldest first.
func (s *Store) GoalUpdates(ctx context.Context, goalID string, from, to time.Time) ([]bot.Update, error) {
	teamID, err := s.teamOfGoal(ctx, goalID)
	if err != nil {
		return nil, fmt.Errorf("goal updates: %w", err)
	}
	ups, err := s.updatesIn(ctx, teamID, s.goalUpdatesKey(teamID, goalID), from, to)
	if err != nil {
		return nil, fmt.Errorf("goal updates %s: %w", goalID, err)
	}
	return ups, nil
}

// TeamUpdates returns a team's updates with from <= At < to, oldest first.
func (s *Store) TeamUpdates(ctx context.Context, teamID string, from, to time.Time) ([]bot.Update, error) {
	ups, err := s.updatesIn(ctx, teamID, s.updatesByTimeKey(teamID), from, to)
	if err != nil {
		return nil, fmt.Errorf("team updates %s: %w", teamID, err)
	}
	return ups, nil
}

func (s *Store) updatesIn(ctx context.Context, teamID, index string, from, to time.Time) ([]bot.Update, error) {
	recs, err := s.window(ctx, index, s.updatesKey(teamID), from, to)
	if err != nil {
		return nil, err
	}
	return updatesWindow(teamID).keep(recs, from, to)
}

// updatesWindow decodes a team's updates; within one millisecond the index
// orders ids as text ("U10" < "U9"), so the id's number is the order the
// updates were recorded in.
func updatesWindow(teamID string) recordsWindow[bot.Update] {
	return recordsWindow[bot.Update]{
		decode: func(r windowRec) (bot.Update, error) {
			u, err := decodeUpdate(teamID, r.data)
			if err != nil {
				return bot.Update{}, fmt.Errorf("update %s: %w", r.id, err)
			}
			return u, nil
		},
		at:   func(u bot.Update) time.Time { return u.At },
		byID: compareIDs,
	}
}

// window reads the records an index holds for [from, to). Scores are unix
// milliseconds; the range is widened to whole milliseconds and callers
// filter exactly on the decoded time. Results come oldest first; ties keep
// the index's order.
func (s *Store) window(ctx context.Context, index, records string, from, to time.Time) ([]windowRec, error) {
	if !from.Before(to) {
		return nil, nil
	}
	flat, err := s.scripts.window.Run(ctx, s.rdb, []string{index, records},
		from.UnixMilli(), to.UnixMilli()).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("read window: %w", err)
	}
	out := make([]windowRec, 0, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		out = append(out, windowRec{id: flat[i], data: flat[i+1]})
	}
	return out, nil
}

// compareIDs orders ids like "G2" < "G10": by length, then text.
func compareIDs(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
