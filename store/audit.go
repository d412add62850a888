package store

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/pulse-bot/pulse/bot"
)

// AuditLog returns the team's newest entries, newest first; limit <= 0
// means all that are kept (AuditCap).
func (s *Store) AuditLog(ctx context.Context, teamID string, limit int) ([]bot.AuditEntry, error) {
	stop := int64(limit) - 1
	if limit <= 0 {
		stop = -1
	}
	list, err := s.rdb.LRange(ctx, s.auditKey(teamID), 0, stop).Result()
	if err != nil {
		return nil, fmt.Errorf("audit log %s: %w", teamID, err)
	}
	out := make([]bot.AuditEntry, 0, len(list))
	for _, data := range list {
		a, err := decodeAudit(data)
		if err != nil {
			return nil, fmt.Errorf("audit log %s: %w", teamID, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// Audit appends an entry on its own. An entry with a Key is stored once per
// (key, action, subject): a retried event adds nothing, while one event may
// still log several distinct changes. The second time it returns
// bot.ErrDuplicate.
func (s *Store) Audit(ctx context.Context, teamID string, a bot.AuditEntry) error {
	if teamID == "" {
		return fmt.Errorf("audit: empty team id")
	}
	entry, err := encodeAudit(a)
	if err != nil {
		return fmt.Errorf("audit %s: %w", teamID, err)
	}
	if entry == "" {
		return fmt.Errorf("audit %s: empty entry", teamID)
	}
	hasKey, ttl := idemArgs(a.Key)
	marker := s.idemKey(teamID, "audit", a.Key+"\x00"+a.Action+"\x00"+a.Subject)
	status, err := s.scripts.audit.Run(ctx, s.rdb, []string{s.auditKey(teamID), marker},
		hasKey, ttl, entry, AuditCap, rand.Text()).Text()
	if err != nil {
		return fmt.Errorf("audit %s: %w", teamID, err)
	}
	if err := errReply(status); err != nil {
		return fmt.Errorf("audit %s: %w", teamID, err)
	}
	return nil
}
