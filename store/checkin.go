package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"

	"github.com/pulse-bot/pulse/bot"
)

// GetCheckIn returns one person's check-in for a period, or bot.ErrNotFound.
func (s *Store) GetCheckIn(ctx context.Context, teamID, period string, person bot.UserID) (bot.CheckIn, error) {
	data, err := s.rdb.HGet(ctx, s.checkInsKey(teamID, period), string(person)).Result()
	if isNil(err) {
		return bot.CheckIn{}, fmt.Errorf("get check-in %s %s %s: %w", teamID, period, person, bot.ErrNotFound)
	}
	if err != nil {
		return bot.CheckIn{}, fmt.Errorf("get check-in %s %s %s: %w", teamID, period, person, err)
	}
	return decodeCheckIn(teamID, period, person, data)
}

// SaveCheckIn stores the check-in with its audit entry in one script; with a
// key seen before it returns bot.ErrDuplicate and changes nothing.
func (s *Store) SaveCheckIn(ctx context.Context, c bot.CheckIn, key string, a bot.AuditEntry) error {
	if c.TeamID == "" || c.Period == "" || c.Person == "" {
		return fmt.Errorf("save check-in: team, period and person are required")
	}
	data, err := encodeCheckIn(c)
	if err != nil {
		return fmt.Errorf("save check-in %s %s %s: %w", c.TeamID, c.Period, c.Person, err)
	}
	entry, err := encodeAudit(a)
	if err != nil {
		return fmt.Errorf("save check-in %s %s %s: %w", c.TeamID, c.Period, c.Person, err)
	}
	keys := []string{
		s.checkInsKey(c.TeamID, c.Period), s.checkInsOfKey(c.TeamID, c.Person), s.auditKey(c.TeamID),
		s.idemKey(c.TeamID, "checkin", key),
	}
	hasKey, ttl := idemArgs(key)
	status, err := s.scripts.saveCheckIn.Run(ctx, s.rdb, keys, hasKey, ttl, string(c.Person), data,
		c.Period, entry, AuditCap, rand.Text()).Text()
	if err != nil {
		return fmt.Errorf("save check-in %s %s %s: %w", c.TeamID, c.Period, c.Person, err)
	}
	if err := errReply(status); err != nil {
		return fmt.Errorf("save check-in %s %s %s: %w", c.TeamID, c.Period, c.Person, err)
	}
	return nil
}

// TeamCheckIns returns every stored check-in of the team for the period,
// ordered by person.
func (s *Store) TeamCheckIns(ctx context.Context, teamID, period string) ([]bot.CheckIn, error) {
	h, err := s.rdb.HGetAll(ctx, s.checkInsKey(teamID, period)).Result()
	if err != nil {
		return nil, fmt.Errorf("team check-ins %s %s: %w", teamID, period, err)
	}
	out := make([]bot.CheckIn, 0, len(h))
	for person, data := range h {
		c, err := decodeCheckIn(teamID, period, bot.UserID(person), data)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b bot.CheckIn) int { return strings.Compare(string(a.Person), string(b.Person)) })
	return out, nil
}
