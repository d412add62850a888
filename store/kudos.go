package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// GiveKudos checks the giver's allowance for day and stores the kudos, its
// indexes and the audit entry in one script, so concurrent kudos can never
// pass the allowance. A kudos without an ID gets one ("K" + time + random),
// and an audit entry without a subject gets that id.
func (s *Store) GiveKudos(ctx context.Context, k bot.Kudos, day string, allowance int, a bot.AuditEntry) (int, error) {
	if k.TeamID == "" || k.From == "" || len(k.To) == 0 || day == "" {
		return 0, fmt.Errorf("give kudos: team, giver, recipients and day are required")
	}
	if k.ID == "" {
		id, err := newKudosID(k.At)
		if err != nil {
			return 0, fmt.Errorf("give kudos: %w", err)
		}
		k.ID = id
	}
	if a != (bot.AuditEntry{}) && a.Subject == "" {
		a.Subject = k.ID
	}
	data, err := encodeKudos(k)
	if err != nil {
		return 0, fmt.Errorf("give kudos: %w", err)
	}
	entry, err := encodeAudit(a)
	if err != nil {
		return 0, fmt.Errorf("give kudos %s: %w", k.ID, err)
	}
	keys := s.kudosScriptKeys(k, day, "kudos", k.Key)
	hasKey, ttl := idemArgs(k.Key)
	reply, err := s.scripts.giveKudos.Run(ctx, s.rdb, keys, hasKey, ttl, len(k.To), allowance,
		k.ID, data, k.At.UnixMilli(), entry, AuditCap, int64(AllowanceTTL/time.Second), rand.Text()).Slice()
	if err != nil {
		return 0, fmt.Errorf("give kudos %s: %w", k.ID, err)
	}
	status, remaining, err := statusAndCount(reply)
	if err != nil {
		return 0, fmt.Errorf("give kudos %s: %w", k.ID, err)
	}
	remaining = max(remaining, 0)
	if err := errReply(status); err != nil {
		return remaining, fmt.Errorf("give kudos %s: %w", k.ID, err)
	}
	return remaining, nil
}

// statusAndCount reads a script's {status, number} reply.
func statusAndCount(reply []any) (string, int, error) {
	if len(reply) != 2 {
		return "", 0, fmt.Errorf("unexpected script reply %v", reply)
	}
	status, ok1 := reply[0].(string)
	n, ok2 := reply[1].(int64)
	if !ok1 || !ok2 {
		return "", 0, fmt.Errorf("unexpected script reply %v", reply)
	}
	return status, int(n), nil
}

// newKudosID makes an id that sorts roughly by time and cannot collide in
// practice, without a round trip to a counter.
func newKudosID(at time.Time) (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("kudos id: %w", err)
	}
	return "K" + strconv.FormatInt(at.UnixMilli(), 36) + hex.EncodeToString(b[:]), nil
}

// KudosUsed returns how many recipients the giver has used on day.
func (s *Store) KudosUsed(ctx context.Context, teamID string, giver bot.UserID, day string) (int, error) {
	n, err := s.rdb.Get(ctx, s.kudosUsedKey(teamID, giver, day)).Int()
	if isNil(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("kudos used by %s in %s on %s: %w", giver, teamID, day, err)
	}
	return n, nil
}

// LastKudosBy returns the newest kudos the giver gave in the team, or bot.ErrNotFound.
func (s *Store) LastKudosBy(ctx context.Context, teamID string, giver bot.UserID) (bot.Kudos, error) {
	ids, err := s.rdb.ZRevRange(ctx, s.kudosFromKey(teamID, giver), 0, 0).Result()
	if err != nil {
		return bot.Kudos{}, fmt.Errorf("last kudos by %s in %s: %w", giver, teamID, err)
	}
	if len(ids) == 0 {
		return bot.Kudos{}, fmt.Errorf("last kudos by %s in %s: %w", giver, teamID, bot.ErrNotFound)
	}
	data, err := s.rdb.HGet(ctx, s.kudosKey(teamID), ids[0]).Result()
	if isNil(err) {
		return bot.Kudos{}, fmt.Errorf("last kudos by %s in %s: %w", giver, teamID, bot.ErrNotFound)
	}
	if err != nil {
		return bot.Kudos{}, fmt.Errorf("last kudos by %s in %s: %w", giver, teamID, err)
	}
	return decodeKudos(teamID, ids[0], data)
}

// UndoKudos deletes k (found by k.TeamID and k.ID) and refunds len(k.To)
// to k.From's allowance of day, in one script, and returns the kudos it
// took back. The undo is keyed by a.Key (the event): when that event
// already took one back, nothing changes and that one is returned.
func (s *Store) UndoKudos(ctx context.Context, k bot.Kudos, day string, a bot.AuditEntry) (bot.Kudos, error) {
	if k.TeamID == "" || k.ID == "" {
		return bot.Kudos{}, fmt.Errorf("undo kudos: team and id are required")
	}
	entry, err := encodeAudit(a)
	if err != nil {
		return bot.Kudos{}, fmt.Errorf("undo kudos %s: %w", k.ID, err)
	}
	keys := s.kudosScriptKeys(k, day, "kudos-undo", a.Key)
	hasKey, ttl := idemArgs(a.Key)
	reply, err := s.scripts.undoKudos.Run(ctx, s.rdb, keys, k.ID, len(k.To), entry, AuditCap, hasKey, ttl).StringSlice()
	if err != nil {
		return bot.Kudos{}, fmt.Errorf("undo kudos %s: %w", k.ID, err)
	}
	if reply[0] == "notfound" {
		return bot.Kudos{}, fmt.Errorf("undo kudos %s: %w", k.ID, bot.ErrNotFound)
	}
	if len(reply) != 3 {
		return bot.Kudos{}, fmt.Errorf("undo kudos %s: unexpected reply %q", k.ID, reply)
	}
	undone, err := decodeKudos(k.TeamID, reply[1], reply[2])
	if err != nil {
		return bot.Kudos{}, fmt.Errorf("undo kudos %s: %w", k.ID, err)
	}
	return undone, nil
}

// KudosUndoneBy returns the kudos the undo event key took back in the
// team, or bot.ErrNotFound when it took none back (within IdempotencyTTL).
func (s *Store) KudosUndoneBy(ctx context.Context, teamID, key string) (bot.Kudos, error) {
	if key == "" {
		return bot.Kudos{}, fmt.Errorf("kudos undone: %w", bot.ErrNotFound)
	}
	done, err := s.rdb.HMGet(ctx, s.idemKey(teamID, "kudos-undo", key), "id", "rec").Result()
	if err != nil {
		return bot.Kudos{}, fmt.Errorf("kudos undone by %s: %w", key, err)
	}
	id, _ := done[0].(string)
	rec, _ := done[1].(string)
	if id == "" {
		return bot.Kudos{}, fmt.Errorf("kudos undone by %s: %w", key, bot.ErrNotFound)
	}
	return decodeKudos(teamID, id, rec)
}

// TeamKudos returns kudos given in the team with from <= At < to, oldest first.
func (s *Store) TeamKudos(ctx context.Context, teamID string, from, to time.Time) ([]bot.Kudos, error) {
	recs, err := s.window(ctx, s.kudosByTimeKey(teamID), s.kudosKey(teamID), from, to)
	if err != nil {
		return nil, fmt.Errorf("team kudos %s: %w", teamID, err)
	}
	return kudosWindow(teamID).keep(recs, from, to)
}

// kudosWindow decodes a team's kudos; ids of one instant sort as text.
func kudosWindow(teamID string) recordsWindow[bot.Kudos] {
	return recordsWindow[bot.Kudos]{
		decode: func(r windowRec) (bot.Kudos, error) { return decodeKudos(teamID, r.id, r.data) },
		at:     func(k bot.Kudos) time.Time { return k.At },
		byID:   strings.Compare,
	}
}

// kudosScriptKeys are the keys the give and undo scripts touch, in the
// order both expect: the giver's daily count, the kudos hash, the time
// index, the giver's index, the audit log, the event's idempotency marker
// (kind and event key), then each recipient's index.
func (s *Store) kudosScriptKeys(k bot.Kudos, day, kind, eventKey string) []string {
	t := k.TeamID
	keys := []string{
		s.kudosUsedKey(t, k.From, day), s.kudosKey(t), s.kudosByTimeKey(t), s.kudosFromKey(t, k.From),
		s.auditKey(t), s.idemKey(t, kind, eventKey),
	}
	for _, to := range k.To {
		keys = append(keys, s.kudosToKey(t, to))
	}
	return keys
}
