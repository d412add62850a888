package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
)

// Tunables of the key schema; doc.go explains each.
const (
	// DefaultPrefix starts every key when Options.Prefix is empty.
	DefaultPrefix = "pulse:"
	// AuditCap is how many entries a team's audit log keeps.
	AuditCap = 10000
	// IdempotencyTTL is how long a write's idempotency key is remembered.
	IdempotencyTTL = 72 * time.Hour
	// resendWindow is how long a keyless write's own call id is
	// remembered: long past the client's last resend of it.
	resendWindow = 10 * time.Minute
	// AllowanceTTL is how long a giver's daily kudos counter lives: long
	// enough to outlast the day in every time zone.
	AllowanceTTL = 48 * time.Hour
)

// Options tune a Store.
type Options struct {
	// Prefix starts every key, so several Pulse installations (or tests)
	// can share one Redis. Default "pulse:". It must not contain '{' or '}',
	// which would break the hash tags.
	Prefix string
}

// Store keeps Pulse's records in Redis. It implements bot.Store and
// bot.Cache. It is safe for concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	prefix  string
	scripts *scripts
	// goalTeams caches goal id → team id. The mapping never changes once a
	// goal exists, so RecordUpdate on a warm goal needs no lookup.
	goalTeams sync.Map
	// personTeams remembers the team ids (sorted) each person's index held
	// when last read, so Membership reads those teams in the same round
	// trip as the index itself; the index read then decides, and a guess
	// that no longer matches costs one more round trip.
	personTeams sync.Map
	// decodedTeams remembers the last record decoded per team (see
	// decodeTeamOnce).
	decodedTeams sync.Map
	// enqueues sends the queueing of deliveries that arrive together in
	// one pipeline (see pipelineBatcher): the acknowledgement path, kept
	// apart so an ack never waits behind the workers' batch.
	enqueues pipelineBatcher
	// shared does the same for the workers' commands of every event
	// (membership reads, recorded updates).
	shared pipelineBatcher
}

var (
	_ bot.Store = (*Store)(nil)
	_ bot.Cache = (*Store)(nil)
)

// New wraps a client. The caller keeps ownership of rdb and closes it.
func New(rdb redis.UniversalClient, opts Options) *Store {
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Store{rdb: rdb, prefix: prefix, scripts: newScripts()}
}

// Client returns the underlying client, for the packages (scheduler queue,
// rate limiter) that keep their own keys next to the store's.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Ping checks that Redis answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// Key builds a key under the store's prefix from parts joined by ':', so
// code outside this file names keys the same way the schema in doc.go does.
func (s *Store) Key(parts ...string) string {
	return s.prefix + strings.Join(parts, ":")
}

// Bounded waits on Redis: a client from Connect gets these unless REDIS_URL
// sets its own (dial_timeout, read_timeout, write_timeout, pool_timeout),
// and honours every context deadline (ContextTimeoutEnabled), so a
// stalled Redis costs a caller its own budget, not go-redis's defaults of
// 5 s a try.
const (
	DialTimeout  = 2 * time.Second
	ReadTimeout  = 2 * time.Second
	WriteTimeout = 2 * time.Second
	PoolTimeout  = 2 * time.Second
)

// Connect opens a client for a Redis URL:
//
//	redis://[user:pass@]host:port/db          one server
//	rediss://...                              the same over TLS
//	redis://host:port/db?master_name=NAME[&addr=host:port...]   Sentinel (host:port are sentinels)
//	redis://host:port?cluster=true[&addr=host:port...]          Cluster
//
// The other query parameters go-redis knows (dial_timeout, pool_size, ...)
// are accepted in every form. Every form gets the bounded waits above.
func Connect(rawURL string) (redis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse redis url: %w", err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("parse redis url: scheme %q is not redis:// or rediss://", u.Scheme)
	}
	q := u.Query()
	switch {
	case q.Get("cluster") == "true" || q.Get("cluster") == "1":
		q.Del("cluster")
		u.RawQuery = q.Encode()
		opts, err := redis.ParseClusterURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("parse redis cluster url: %w", err)
		}
		opts.ContextTimeoutEnabled = true
		boundWaits(q, &opts.DialTimeout, &opts.ReadTimeout, &opts.WriteTimeout, &opts.PoolTimeout)
		opts.Protocol = protocol(q, opts.Protocol)
		return redis.NewClusterClient(opts), nil
	case q.Has("master_name"):
		opts, err := redis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("parse redis sentinel url: %w", err)
		}
		opts.ContextTimeoutEnabled = true
		boundWaits(q, &opts.DialTimeout, &opts.ReadTimeout, &opts.WriteTimeout, &opts.PoolTimeout)
		opts.Protocol = protocol(q, opts.Protocol)
		return redis.NewFailoverClient(opts), nil
	default:
		opts, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("parse redis url: %w", err)
		}
		opts.ContextTimeoutEnabled = true
		boundWaits(q, &opts.DialTimeout, &opts.ReadTimeout, &opts.WriteTimeout, &opts.PoolTimeout)
		opts.Protocol = protocol(q, opts.Protocol)
		return redis.NewClient(opts), nil
	}
}

// protocol is RESP2 unless the URL asks for one: Pulse uses no RESP3
// feature (push notifications, client-side caching), and on RESP3 go-redis
// checks every connection for pending pushes before each command, which
// cost 6 % of serve's CPU time under load (pulse-bench, pprof).
func protocol(q url.Values, parsed int) int {
	if q.Has("protocol") {
		return parsed
	}
	return 2
}

// boundWaits sets each timeout the URL's query left unset to its default.
func boundWaits(q url.Values, dial, read, write, pool *time.Duration) {
	for _, w := range []struct {
		param string
		field *time.Duration
		def   time.Duration
	}{
		{"dial_timeout", dial, DialTimeout}, {"read_timeout", read, ReadTimeout},
		{"write_timeout", write, WriteTimeout}, {"pool_timeout", pool, PoolTimeout},
	} {
		if !q.Has(w.param) {
			*w.field = w.def
		}
	}
}

// StartEmbedded starts an in-process Redis-compatible server and returns a
// client speaking RESP to it over loopback, so `pulse try` and
// `serve --embedded-store` run the same code paths as production. stop
// closes the client and the server; the data is gone afterwards.
func StartEmbedded() (rdb redis.UniversalClient, stop func(), err error) {
	srv := miniredis.NewMiniRedis()
	if err := srv.Start(); err != nil {
		return nil, nil, fmt.Errorf("start embedded redis: %w", err)
	}
	client := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true})
	stop = func() {
		_ = client.Close()
		srv.Close()
	}
	return client, stop, nil
}

// Key builders. Every key of a team carries the hash tag {team:<id>} and
// every key of a person {user:<id>}, so scripts over one team or one person
// stay in one Redis Cluster slot.

func (s *Store) teamKey(teamID string, parts ...string) string {
	return s.prefix + "{team:" + teamID + "}:" + strings.Join(parts, ":")
}

func (s *Store) userKey(id bot.UserID, parts ...string) string {
	return s.prefix + "{user:" + string(id) + "}:" + strings.Join(parts, ":")
}

func (s *Store) globalKey(parts ...string) string { return s.Key(parts...) }

// Global keys.
func (s *Store) teamsKey() string         { return s.globalKey("teams") }
func (s *Store) channelsKey() string      { return s.globalKey("channels") }
func (s *Store) goalSeqKey() string       { return s.globalKey("goal", "seq") }
func (s *Store) goalTeamKey() string      { return s.globalKey("goal", "team") }
func (s *Store) seenKey(k string) string  { return s.globalKey("seen", k) }
func (s *Store) cacheKey(k string) string { return s.globalKey("cache", k) }

// Team keys.
func (s *Store) teamInfoKey(t string) string { return s.teamKey(t, "team") }
func (s *Store) auditKey(t string) string    { return s.teamKey(t, "audit") }
func (s *Store) goalsKey(t string) string    { return s.teamKey(t, "goals") }
func (s *Store) goalKey(t, g string) string  { return s.teamKey(t, "goal", g) }
func (s *Store) goalUpdatesKey(t, g string) string {
	return s.teamKey(t, "goal", g, "updates")
}
func (s *Store) updatesKey(t string) string       { return s.teamKey(t, "updates") }
func (s *Store) updatesByTimeKey(t string) string { return s.teamKey(t, "updates", "by-time") }
func (s *Store) updatesByKey(t string, author bot.UserID) string {
	return s.teamKey(t, "updates", "by", string(author))
}
func (s *Store) updateSeqKey(t string) string   { return s.teamKey(t, "updates", "seq") }
func (s *Store) kudosKey(t string) string       { return s.teamKey(t, "kudos") }
func (s *Store) kudosByTimeKey(t string) string { return s.teamKey(t, "kudos", "by-time") }
func (s *Store) kudosFromKey(t string, giver bot.UserID) string {
	return s.teamKey(t, "kudos", "from", string(giver))
}
func (s *Store) kudosToKey(t string, to bot.UserID) string {
	return s.teamKey(t, "kudos", "to", string(to))
}
func (s *Store) kudosUsedKey(t string, giver bot.UserID, day string) string {
	return s.teamKey(t, "kudos", "used", string(giver), day)
}
func (s *Store) checkInsKey(t, period string) string { return s.teamKey(t, "checkins", period) }
func (s *Store) checkInsOfKey(t string, p bot.UserID) string {
	return s.teamKey(t, "checkins", "of", string(p))
}
func (s *Store) idemKey(t, kind, key string) string { return s.teamKey(t, "idem", kind, key) }

// Person keys.
func (s *Store) personKey(id bot.UserID) string      { return s.userKey(id, "person") }
func (s *Store) convKey(id bot.UserID) string        { return s.userKey(id, "conv") }
func (s *Store) personTeamsKey(id bot.UserID) string { return s.userKey(id, "teams") }

// Arguments shared by the write scripts.

// idemArgs returns the "has key" flag and TTL seconds the scripts expect.
func idemArgs(key string) (string, int64) {
	if key == "" {
		return "0", int64(IdempotencyTTL / time.Second)
	}
	return "1", int64(IdempotencyTTL / time.Second)
}

// errReply turns a script's status word into the bot error it stands for.
func errReply(status string) error {
	switch status {
	case "ok":
		return nil
	case "notfound":
		return bot.ErrNotFound
	case "duplicate":
		return bot.ErrDuplicate
	case "conflict":
		return bot.ErrConflict
	case "exceeded":
		return bot.ErrAllowanceExceeded
	}
	return fmt.Errorf("unexpected script reply %q", status)
}

// isNil reports whether err is redis.Nil (key or field missing).
func isNil(err error) bool { return errors.Is(err, redis.Nil) }
