package store

// Anonymous feedback answers (bot.AnonymousStore). Keys, with T = P{team:<id>}:
//
//	T rv:req:<rid>:answered   zset  person → 0   who has answered (any request)
//	T rv:req:<rid>:held       zset  answer → random score   waiting for a batch
//	T rv:req:<rid>:released   zset  answer → random score   handed to the requester
//	T rv:req:<rid>:call:<c>   string  one call's reply, 10 minutes: c is random, per call
//
// An answer member is bot.AnonymousAnswer JSON with a random nonce, so two
// equal texts stay two answers. Sorted sets, never lists or hashes: a small
// hash or set keeps its members in arrival order inside Redis, a sorted set
// keeps them by score — 0 for the answerers (so by id) and a random number
// for the answers — so neither order says who answered when. The answer has
// no id, no author and no time; the audit entry names no one.

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
)

var _ bot.AnonymousStore = (*Store)(nil)

// anonymousAnswerLua records one anonymous answer. Its reply is kept for
// a while under the call's own random id (KEYS[5], no author in it), so the
// client resending the call after a lost reply hears the same reply, not
// 'conflict', and a batch it released is still handed on.
// KEYS: audit, answered, held, released, this call's reply. ARGV: person,
// member, score, batch, audit entry, audit cap, reply ttl. Returns
// {'conflict'}, {'held'} or {'released', member…}.
const anonymousAnswerLua = `
local again = redis.call('GET', KEYS[5])
if again then return cjson.decode(again) end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return {'conflict'} end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
audit(KEYS[1], ARGV[5], ARGV[6])
if redis.call('ZCARD', KEYS[3]) < tonumber(ARGV[4]) then
  redis.call('SET', KEYS[5], cjson.encode({'held'}), 'EX', ARGV[7])
  return {'held'}
end
local held = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
local out = {'released'}
for i = 1, #held, 2 do
  redis.call('ZADD', KEYS[4], held[i + 1], held[i])
  out[#out + 1] = held[i]
end
redis.call('DEL', KEYS[3])
redis.call('SET', KEYS[5], cjson.encode(out), 'EX', ARGV[7])
return out
`

var anonymousAnswerScript = redis.NewScript(auditLua + anonymousAnswerLua)

// anonymousMember is how an answer is kept: its fields and a nonce.
type anonymousMember struct {
	bot.AnonymousAnswer
	Nonce string `json:"n"`
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func randomScore() (float64, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, err
	}
	return float64(binary.BigEndian.Uint64(b[:])>>11) / float64(1<<53), nil
}

// AnswerAnonymously records that person answered and holds the answer,
// releasing every held answer once at least batch are held.
func (s *Store) AnswerAnonymously(ctx context.Context, teamID, requestID string, person bot.UserID, ans bot.AnonymousAnswer, batch int, a bot.AuditEntry) ([]bot.AnonymousAnswer, error) {
	nonce, err := randomHex(8)
	if err != nil {
		return nil, fmt.Errorf("answer %s: %w", requestID, err)
	}
	score, err := randomScore()
	if err != nil {
		return nil, fmt.Errorf("answer %s: %w", requestID, err)
	}
	member, err := encode("anonymous answer", anonymousMember{AnonymousAnswer: ans, Nonce: nonce})
	if err != nil {
		return nil, fmt.Errorf("answer %s: %w", requestID, err)
	}
	entry, err := encodeAudit(a)
	if err != nil {
		return nil, fmt.Errorf("answer %s: %w", requestID, err)
	}
	keys := []string{s.auditKey(teamID), s.rvKey(teamID, "req", requestID, "answered"),
		s.rvKey(teamID, "req", requestID, "held"), s.rvKey(teamID, "req", requestID, "released"),
		s.rvKey(teamID, "req", requestID, "call", rand.Text())}
	res, err := anonymousAnswerScript.Run(ctx, s.rdb, keys, string(person), member, score, batch, entry, AuditCap,
		int64(resendWindow/time.Second)).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("answer %s: %w", requestID, err)
	}
	switch res[0] {
	case "conflict":
		return nil, fmt.Errorf("answer %s: %w", requestID, bot.ErrConflict)
	case "held":
		return nil, nil
	}
	return decodeAnonymous(res[1:])
}

func decodeAnonymous(members []string) ([]bot.AnonymousAnswer, error) {
	out := make([]bot.AnonymousAnswer, 0, len(members))
	for _, m := range members {
		var am anonymousMember
		if err := json.Unmarshal([]byte(m), &am); err != nil {
			return nil, fmt.Errorf("decode anonymous answer: %w", err)
		}
		out = append(out, am.AnonymousAnswer)
	}
	return out, nil
}

// RequestAnonymousAnswers returns the released and the held answers.
func (s *Store) RequestAnonymousAnswers(ctx context.Context, teamID, requestID string) (bot.AnonymousAnswers, error) {
	out := bot.AnonymousAnswers{RequestID: requestID}
	for _, part := range []struct {
		key  string
		dest *[]bot.AnonymousAnswer
	}{{"released", &out.Released}, {"held", &out.Held}} {
		members, err := s.rdb.ZRange(ctx, s.rvKey(teamID, "req", requestID, part.key), 0, -1).Result()
		if err != nil {
			return out, fmt.Errorf("anonymous answers to %s: %w", requestID, err)
		}
		list, err := decodeAnonymous(members)
		if err != nil {
			return out, fmt.Errorf("anonymous answers to %s: %w", requestID, err)
		}
		*part.dest = list
	}
	return out, nil
}

// RequestAnswerers returns who answered, anonymous answerers and named ones.
func (s *Store) RequestAnswerers(ctx context.Context, teamID, requestID string) ([]bot.UserID, error) {
	anon, err := s.rdb.ZRange(ctx, s.rvKey(teamID, "req", requestID, "answered"), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("answerers of %s: %w", requestID, err)
	}
	named, err := s.rdb.HKeys(ctx, s.rvKey(teamID, "req", requestID, "answers")).Result()
	if err != nil {
		return nil, fmt.Errorf("answerers of %s: %w", requestID, err)
	}
	out := make([]bot.UserID, 0, len(anon)+len(named))
	for _, id := range append(anon, named...) {
		if !slices.Contains(out, bot.UserID(id)) {
			out = append(out, bot.UserID(id))
		}
	}
	slices.Sort(out)
	return out, nil
}

// importAnonymous queues what an export holds of anonymous requests: the
// answerers and the answers, each answer with a fresh nonce and a fresh
// random score, so an import links no more than the export did.
func (s *Store) importAnonymous(b *importBatch, t string, x bot.ReviewExport) error {
	for _, a := range x.Answerers {
		for _, p := range a.People {
			b.add("zadd", s.rvKey(t, "req", a.RequestID, "answered"), "0", string(p))
		}
	}
	for _, a := range x.Anonymous {
		for _, part := range []struct {
			key  string
			list []bot.AnonymousAnswer
		}{{"released", a.Released}, {"held", a.Held}} {
			for _, ans := range part.list {
				nonce, err := randomHex(8)
				if err != nil {
					return err
				}
				score, err := randomScore()
				if err != nil {
					return err
				}
				member, err := encode("anonymous answer", anonymousMember{AnonymousAnswer: ans, Nonce: nonce})
				if err != nil {
					return err
				}
				b.add("zadd", s.rvKey(t, "req", a.RequestID, part.key), strconv.FormatFloat(score, 'g', -1, 64), member)
			}
		}
	}
	return nil
}
