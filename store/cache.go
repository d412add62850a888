package store

import (
	"context"
	"fmt"
	"time"
)

// FirstSeen records key for ttl and reports whether it is new: one SET NX,
// so of any number of replicas exactly one sees true.
func (s *Store) FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, fmt.Errorf("first seen %s: ttl must be positive", key)
	}
	ok, err := s.rdb.SetNX(ctx, s.seenKey(key), "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("first seen %s: %w", key, err)
	}
	return ok, nil
}

// CacheGet returns a cached value and whether there was one.
func (s *Store) CacheGet(ctx context.Context, key string) (string, bool, error) {
	v, err := s.rdb.Get(ctx, s.cacheKey(key)).Result()
	if isNil(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("cache get %s: %w", key, err)
	}
	return v, true, nil
}

// CacheSet keeps value for ttl.
func (s *Store) CacheSet(ctx context.Context, key, value string, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("cache set %s: ttl must be positive", key)
	}
	if err := s.rdb.Set(ctx, s.cacheKey(key), value, ttl).Err(); err != nil {
		return fmt.Errorf("cache set %s: %w", key, err)
	}
	return nil
}
