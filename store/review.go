package store

// Feedback, review cycles, development actions and check-in flags
// (bot.ReviewStore). Keys, with T = P{team:<id>}:
//
//	T rv:settings            hash    "settings" → bot.ReviewSettings JSON
//	T rv:fb                  hash    feedback id ("F<n>") → bot.Feedback JSON
//	T rv:fb:by-time          zset    feedback ids scored by time (unix ms)
//	T rv:fb:seq              string  feedback id counter
//	T rv:req                 hash    request id ("FR<n>") → bot.FeedbackRequest JSON
//	T rv:req:<rid>:answers   hash    answerer → feedback id (one answer each)
//	T rv:cycles              hash    cycle id ("C<n>") → bot.ReviewCycle JSON
//	T rv:cycle:seq           string  cycle id counter
//	T rv:sheets:<cid>        hash    person → bot.ReviewSheet JSON
//	T rv:sheetv:<cid>        hash    person → sheet version (compare-and-set)
//	T rv:answers:<cid>       hash    "<subject>|<role>|<author>" → bot.ReviewAnswers JSON
//	T rv:anon:<cid>:…        zsets   anonymous peer reviews, apart from who wrote them (anonymous_review.go)
//	T rv:actions             hash    action id ("A<n>") → bot.DevAction JSON
//	T rv:action:seq          string  action id counter
//	T rv:flags               hash    "<person>|<period>" → bot.ReviewFlag JSON
//	T idem:review:<k>        string  idempotency marker (k: event key and action), TTL IdempotencyTTL
//
// Global: P rv:req:seq (request id counter, ids are typed by people and
// must be unique across teams) and P rv:req:team (hash request id → team
// id, written after the request; readers check it against the request).
//
// Records are the bot types' own JSON (their tags name the export's
// fields). Every write is one call of reviewBatchLua over one team's keys:
// guards first (a field must be absent, or hold a value), then the writes,
// the idempotency marker and the audit entry, so a write is all or nothing.

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
)

var _ bot.ReviewStore = (*Store)(nil)

// reviewBatchLua applies guarded writes to one team's keys with an audit entry.
// KEYS: audit list, idempotency marker, then one key per operation.
// ARGV: has key, marker ttl, audit json, audit cap, call id, then three per
// operation: op, a, b. A resend of the same call (see markerLua) replies 'ok'.
// Ops: "hset" (field a = b), "hnew" (hset, but
// 'conflict' if a exists), "hmatch" (field a must equal b, ” = absent;
// no write), "zadd" (score a, member b).
const reviewBatchLua = `
if ARGV[1] == '1' then
  local prior, mine = seen(KEYS[2], ARGV[5])
  if mine then return 'ok' end
  if prior then return 'duplicate' end
end
for i = 3, #KEYS do
  local j = 6 + (i - 3) * 3
  local op = ARGV[j]
  if op == 'hnew' and redis.call('HEXISTS', KEYS[i], ARGV[j + 1]) == 1 then return 'conflict' end
  if op == 'hmatch' and (redis.call('HGET', KEYS[i], ARGV[j + 1]) or '') ~= ARGV[j + 2] then return 'conflict' end
end
for i = 3, #KEYS do
  local j = 6 + (i - 3) * 3
  local op = ARGV[j]
  if op == 'hset' or op == 'hnew' then redis.call('HSET', KEYS[i], ARGV[j + 1], ARGV[j + 2])
  elseif op == 'zadd' then redis.call('ZADD', KEYS[i], ARGV[j + 1], ARGV[j + 2])
  end
end
if ARGV[1] == '1' then mark(KEYS[2], '1', ARGV[2], ARGV[5]) end
audit(KEYS[1], ARGV[3], ARGV[4])
return 'ok'
`

// reviewBatchScript is immutable: a script body and its hash.
var reviewBatchScript = redis.NewScript(auditLua + markerLua + reviewBatchLua)

// batchOp is one operation of a review batch.
type batchOp struct {
	op, key, a, b string
}

func hset(key, field, value string) batchOp   { return batchOp{"hset", key, field, value} }
func hnew(key, field, value string) batchOp   { return batchOp{"hnew", key, field, value} }
func hmatch(key, field, value string) batchOp { return batchOp{"hmatch", key, field, value} }
func zadd(key string, score int64, member string) batchOp {
	return batchOp{"zadd", key, strconv.FormatInt(score, 10), member}
}

// reviewBatch runs ops over one team's keys with the audit entry. An entry
// with a Key makes the batch happen once per (key, action): a retried
// event changes nothing, and creates do not take a second id.
func (s *Store) reviewBatch(ctx context.Context, teamID string, a bot.AuditEntry, ops ...batchOp) error {
	entry, err := encodeAudit(a)
	if err != nil {
		return err
	}
	hasKey, ttl := idemArgs(a.Key)
	keys := []string{s.auditKey(teamID), s.idemKey(teamID, "review", a.Key+"\x00"+a.Action)}
	args := []any{hasKey, ttl, entry, AuditCap, rand.Text()}
	for _, op := range ops {
		keys = append(keys, op.key)
		args = append(args, op.op, op.a, op.b)
	}
	status, err := reviewBatchScript.Run(ctx, s.rdb, keys, args...).Text()
	if err != nil {
		return err
	}
	return errReply(status)
}

// Review keys.
func (s *Store) rvKey(t string, parts ...string) string {
	return s.teamKey(t, append([]string{"rv"}, parts...)...)
}

// nextID takes the next number of a counter, outside the write script:
// a retried write may skip a number, never reuse one.
func (s *Store) nextID(ctx context.Context, key, prefix string) (string, error) {
	n, err := s.rdb.Incr(ctx, key).Result()
	if err != nil {
		return "", err
	}
	return prefix + strconv.FormatInt(n, 10), nil
}

// hashValues decodes every value of a hash into T.
func hashValues[T any](ctx context.Context, s *Store, key, what string) ([]T, error) {
	h, err := s.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	out := make([]T, 0, len(h))
	for field, data := range h {
		var v T
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			return nil, fmt.Errorf("decode %s %s: %w", what, field, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// byNumber orders ids like "C2" < "C10".
func byNumber(a, b string) int {
	na, _ := strconv.Atoi(strings.TrimLeft(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
	nb, _ := strconv.Atoi(strings.TrimLeft(b, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
	if na != nb {
		return na - nb
	}
	return strings.Compare(a, b)
}

// ReviewSettings returns the team's settings; zero when never set.
func (s *Store) ReviewSettings(ctx context.Context, teamID string) (bot.ReviewSettings, error) {
	data, err := s.rdb.HGet(ctx, s.rvKey(teamID, "settings"), "settings").Result()
	if isNil(err) {
		return bot.ReviewSettings{}, nil
	}
	if err != nil {
		return bot.ReviewSettings{}, fmt.Errorf("review settings %s: %w", teamID, err)
	}
	var rs bot.ReviewSettings
	if err := json.Unmarshal([]byte(data), &rs); err != nil {
		return bot.ReviewSettings{}, fmt.Errorf("decode review settings %s: %w", teamID, err)
	}
	return rs, nil
}

// SaveReviewSettings replaces the team's settings.
func (s *Store) SaveReviewSettings(ctx context.Context, teamID string, rs bot.ReviewSettings, a bot.AuditEntry) error {
	data, err := encode("review settings", rs)
	if err != nil {
		return fmt.Errorf("save review settings %s: %w", teamID, err)
	}
	if err := s.reviewBatch(ctx, teamID, a, hset(s.rvKey(teamID, "settings"), "settings", data)); err != nil {
		return fmt.Errorf("save review settings %s: %w", teamID, err)
	}
	return nil
}

// SaveFeedback stores new feedback with its time index; an answer to a
// request also claims the answerer's slot of that request.
func (s *Store) SaveFeedback(ctx context.Context, f bot.Feedback, a bot.AuditEntry) (bot.Feedback, error) {
	if f.TeamID == "" || f.From == "" || f.To == "" {
		return bot.Feedback{}, fmt.Errorf("save feedback: team, giver and recipient are required")
	}
	t := f.TeamID
	id, err := s.nextID(ctx, s.rvKey(t, "fb", "seq"), "F")
	if err != nil {
		return bot.Feedback{}, fmt.Errorf("save feedback: %w", err)
	}
	f.ID = id
	if a.Subject == "" {
		a.Subject = id
	}
	data, err := encode("feedback", f)
	if err != nil {
		return bot.Feedback{}, fmt.Errorf("save feedback %s: %w", id, err)
	}
	var ops []batchOp
	if f.RequestID != "" {
		ops = append(ops, hnew(s.rvKey(t, "req", f.RequestID, "answers"), string(f.From), id))
	}
	ops = append(ops, hset(s.rvKey(t, "fb"), id, data), zadd(s.rvKey(t, "fb", "by-time"), f.At.UnixMilli(), id))
	if err := s.reviewBatch(ctx, t, a, ops...); err != nil {
		return bot.Feedback{}, fmt.Errorf("save feedback %s: %w", id, err)
	}
	return f, nil
}

// TeamFeedback returns feedback with from <= At < to, oldest first.
func (s *Store) TeamFeedback(ctx context.Context, teamID string, from, to time.Time) ([]bot.Feedback, error) {
	recs, err := s.window(ctx, s.rvKey(teamID, "fb", "by-time"), s.rvKey(teamID, "fb"), from, to)
	if err != nil {
		return nil, fmt.Errorf("team feedback %s: %w", teamID, err)
	}
	return recordsWindow[bot.Feedback]{decode: decodeFeedback, at: func(f bot.Feedback) time.Time { return f.At }, byID: byNumber}.
		keep(recs, from, to)
}

func decodeFeedback(r windowRec) (bot.Feedback, error) {
	var f bot.Feedback
	if err := json.Unmarshal([]byte(r.data), &f); err != nil {
		return bot.Feedback{}, fmt.Errorf("decode feedback %s: %w", r.id, err)
	}
	return f, nil
}

// CreateFeedbackRequest stores a request under a new global id.
func (s *Store) CreateFeedbackRequest(ctx context.Context, q bot.FeedbackRequest, a bot.AuditEntry) (bot.FeedbackRequest, error) {
	if q.TeamID == "" || q.From == "" || len(q.Asked) == 0 {
		return bot.FeedbackRequest{}, fmt.Errorf("create feedback request: team, requester and colleagues are required")
	}
	id, err := s.nextID(ctx, s.globalKey("rv", "req", "seq"), "FR")
	if err != nil {
		return bot.FeedbackRequest{}, fmt.Errorf("create feedback request: %w", err)
	}
	q.ID = id
	if a.Subject == "" {
		a.Subject = id
	}
	data, err := encode("feedback request", q)
	if err != nil {
		return bot.FeedbackRequest{}, fmt.Errorf("create feedback request %s: %w", id, err)
	}
	if err := s.reviewBatch(ctx, q.TeamID, a, hset(s.rvKey(q.TeamID, "req"), id, data)); err != nil {
		return bot.FeedbackRequest{}, fmt.Errorf("create feedback request %s: %w", id, err)
	}
	if err := s.rdb.HSet(ctx, s.globalKey("rv", "req", "team"), id, q.TeamID).Err(); err != nil {
		return bot.FeedbackRequest{}, fmt.Errorf("index feedback request %s: %w", id, err)
	}
	return q, nil
}

// GetFeedbackRequest finds a request by its global id.
func (s *Store) GetFeedbackRequest(ctx context.Context, id string) (bot.FeedbackRequest, error) {
	teamID, err := s.rdb.HGet(ctx, s.globalKey("rv", "req", "team"), id).Result()
	if isNil(err) {
		return bot.FeedbackRequest{}, fmt.Errorf("feedback request %s: %w", id, bot.ErrNotFound)
	}
	if err != nil {
		return bot.FeedbackRequest{}, fmt.Errorf("feedback request %s: %w", id, err)
	}
	data, err := s.rdb.HGet(ctx, s.rvKey(teamID, "req"), id).Result()
	if isNil(err) {
		return bot.FeedbackRequest{}, fmt.Errorf("feedback request %s: %w", id, bot.ErrNotFound)
	}
	if err != nil {
		return bot.FeedbackRequest{}, fmt.Errorf("feedback request %s: %w", id, err)
	}
	var q bot.FeedbackRequest
	if err := json.Unmarshal([]byte(data), &q); err != nil {
		return bot.FeedbackRequest{}, fmt.Errorf("decode feedback request %s: %w", id, err)
	}
	return q, nil
}

// TeamFeedbackRequests returns the team's requests, oldest first.
func (s *Store) TeamFeedbackRequests(ctx context.Context, teamID string) ([]bot.FeedbackRequest, error) {
	out, err := hashValues[bot.FeedbackRequest](ctx, s, s.rvKey(teamID, "req"), "feedback requests of "+teamID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b bot.FeedbackRequest) int { return byNumber(a.ID, b.ID) })
	return out, nil
}

// RequestAnswers returns the answers to one request, oldest first.
func (s *Store) RequestAnswers(ctx context.Context, teamID, requestID string) ([]bot.Feedback, error) {
	ids, err := s.rdb.HVals(ctx, s.rvKey(teamID, "req", requestID, "answers")).Result()
	if err != nil {
		return nil, fmt.Errorf("answers to %s: %w", requestID, err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	recs, err := s.rdb.HMGet(ctx, s.rvKey(teamID, "fb"), ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("answers to %s: %w", requestID, err)
	}
	out := make([]bot.Feedback, 0, len(recs))
	for i, r := range recs {
		data, ok := r.(string)
		if !ok {
			continue
		}
		var f bot.Feedback
		if err := json.Unmarshal([]byte(data), &f); err != nil {
			return nil, fmt.Errorf("decode feedback %s: %w", ids[i], err)
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b bot.Feedback) int { return byNumber(a.ID, b.ID) })
	return out, nil
}

// CreateReviewCycle stores the cycle and an empty sheet for each person.
func (s *Store) CreateReviewCycle(ctx context.Context, c bot.ReviewCycle, people []bot.UserID, a bot.AuditEntry) (bot.ReviewCycle, error) {
	if c.TeamID == "" {
		return bot.ReviewCycle{}, fmt.Errorf("create review cycle: team is required")
	}
	t := c.TeamID
	id, err := s.nextID(ctx, s.rvKey(t, "cycle", "seq"), "C")
	if err != nil {
		return bot.ReviewCycle{}, fmt.Errorf("create review cycle: %w", err)
	}
	c.ID = id
	if a.Subject == "" {
		a.Subject = id
	}
	data, err := encode("review cycle", c)
	if err != nil {
		return bot.ReviewCycle{}, fmt.Errorf("create review cycle %s: %w", id, err)
	}
	ops := []batchOp{hset(s.rvKey(t, "cycles"), id, data)}
	for _, p := range people {
		sh, err := encode("review sheet", bot.ReviewSheet{CycleID: id, TeamID: t, Person: p, Version: 1})
		if err != nil {
			return bot.ReviewCycle{}, fmt.Errorf("create review cycle %s: %w", id, err)
		}
		ops = append(ops, hset(s.rvKey(t, "sheets", id), string(p), sh), hset(s.rvKey(t, "sheetv", id), string(p), "1"))
	}
	if err := s.reviewBatch(ctx, t, a, ops...); err != nil {
		return bot.ReviewCycle{}, fmt.Errorf("create review cycle %s: %w", id, err)
	}
	return c, nil
}

// SaveReviewCycle replaces an existing cycle's record.
func (s *Store) SaveReviewCycle(ctx context.Context, c bot.ReviewCycle, a bot.AuditEntry) error {
	data, err := encode("review cycle", c)
	if err != nil {
		return fmt.Errorf("save review cycle %s: %w", c.ID, err)
	}
	if err := s.reviewBatch(ctx, c.TeamID, a, hset(s.rvKey(c.TeamID, "cycles"), c.ID, data)); err != nil {
		return fmt.Errorf("save review cycle %s: %w", c.ID, err)
	}
	return nil
}

// ReviewCycles returns the team's cycles, oldest first.
func (s *Store) ReviewCycles(ctx context.Context, teamID string) ([]bot.ReviewCycle, error) {
	out, err := hashValues[bot.ReviewCycle](ctx, s, s.rvKey(teamID, "cycles"), "review cycles of "+teamID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b bot.ReviewCycle) int { return byNumber(a.ID, b.ID) })
	return out, nil
}

// ReviewSheets returns the cycle's sheets ordered by person.
func (s *Store) ReviewSheets(ctx context.Context, teamID, cycleID string) ([]bot.ReviewSheet, error) {
	out, err := hashValues[bot.ReviewSheet](ctx, s, s.rvKey(teamID, "sheets", cycleID), "review sheets of "+cycleID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b bot.ReviewSheet) int { return strings.Compare(string(a.Person), string(b.Person)) })
	return out, nil
}

// GetReviewSheet returns one person's sheet, or bot.ErrNotFound.
func (s *Store) GetReviewSheet(ctx context.Context, teamID, cycleID string, person bot.UserID) (bot.ReviewSheet, error) {
	data, err := s.rdb.HGet(ctx, s.rvKey(teamID, "sheets", cycleID), string(person)).Result()
	if isNil(err) {
		return bot.ReviewSheet{}, fmt.Errorf("review sheet %s %s: %w", cycleID, person, bot.ErrNotFound)
	}
	if err != nil {
		return bot.ReviewSheet{}, fmt.Errorf("review sheet %s %s: %w", cycleID, person, err)
	}
	var sh bot.ReviewSheet
	if err := json.Unmarshal([]byte(data), &sh); err != nil {
		return bot.ReviewSheet{}, fmt.Errorf("decode review sheet %s %s: %w", cycleID, person, err)
	}
	return sh, nil
}

// SaveReviewSheet stores the sheet if nobody saved it since it was read.
func (s *Store) SaveReviewSheet(ctx context.Context, sh bot.ReviewSheet, a bot.AuditEntry) (bot.ReviewSheet, error) {
	prev := strconv.Itoa(sh.Version)
	sh.Version++
	data, err := encode("review sheet", sh)
	if err != nil {
		return bot.ReviewSheet{}, fmt.Errorf("save review sheet %s %s: %w", sh.CycleID, sh.Person, err)
	}
	t, p := sh.TeamID, string(sh.Person)
	err = s.reviewBatch(ctx, t, a,
		hmatch(s.rvKey(t, "sheetv", sh.CycleID), p, prev),
		hset(s.rvKey(t, "sheets", sh.CycleID), p, data),
		hset(s.rvKey(t, "sheetv", sh.CycleID), p, strconv.Itoa(sh.Version)))
	if err != nil {
		return bot.ReviewSheet{}, fmt.Errorf("save review sheet %s %s: %w", sh.CycleID, sh.Person, err)
	}
	return sh, nil
}

// CycleAnswers returns every answer sheet of a cycle, by subject, role and author.
func (s *Store) CycleAnswers(ctx context.Context, teamID, cycleID string) ([]bot.ReviewAnswers, error) {
	out, err := hashValues[bot.ReviewAnswers](ctx, s, s.rvKey(teamID, "answers", cycleID), "review answers of "+cycleID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b bot.ReviewAnswers) int {
		return strings.Compare(answersField(a), answersField(b))
	})
	return out, nil
}

func answersField(x bot.ReviewAnswers) string {
	return string(x.Subject) + "|" + x.Role + "|" + string(x.Author)
}

// SaveReviewAnswers stores one author's answers about one subject.
func (s *Store) SaveReviewAnswers(ctx context.Context, ans bot.ReviewAnswers, a bot.AuditEntry) error {
	data, err := encode("review answers", ans)
	if err != nil {
		return fmt.Errorf("save review answers %s: %w", answersField(ans), err)
	}
	if err := s.reviewBatch(ctx, ans.TeamID, a, hset(s.rvKey(ans.TeamID, "answers", ans.CycleID), answersField(ans), data)); err != nil {
		return fmt.Errorf("save review answers %s: %w", answersField(ans), err)
	}
	return nil
}

// SaveDevAction stores an action, numbering a new one.
func (s *Store) SaveDevAction(ctx context.Context, x bot.DevAction, a bot.AuditEntry) (bot.DevAction, error) {
	if x.TeamID == "" || x.Person == "" {
		return bot.DevAction{}, fmt.Errorf("save action: team and person are required")
	}
	if x.ID == "" {
		id, err := s.nextID(ctx, s.rvKey(x.TeamID, "action", "seq"), "A")
		if err != nil {
			return bot.DevAction{}, fmt.Errorf("save action: %w", err)
		}
		x.ID = id
	}
	if a.Subject == "" {
		a.Subject = x.ID
	}
	data, err := encode("action", x)
	if err != nil {
		return bot.DevAction{}, fmt.Errorf("save action %s: %w", x.ID, err)
	}
	if err := s.reviewBatch(ctx, x.TeamID, a, hset(s.rvKey(x.TeamID, "actions"), x.ID, data)); err != nil {
		return bot.DevAction{}, fmt.Errorf("save action %s: %w", x.ID, err)
	}
	return x, nil
}

// DevActions returns the team's actions by id.
func (s *Store) DevActions(ctx context.Context, teamID string) ([]bot.DevAction, error) {
	out, err := hashValues[bot.DevAction](ctx, s, s.rvKey(teamID, "actions"), "actions of "+teamID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b bot.DevAction) int { return byNumber(a.ID, b.ID) })
	return out, nil
}

// SaveReviewFlag stores (or replaces) the flag on a person's week.
func (s *Store) SaveReviewFlag(ctx context.Context, f bot.ReviewFlag, a bot.AuditEntry) error {
	data, err := encode("review flag", f)
	if err != nil {
		return fmt.Errorf("save flag %s %s: %w", f.Person, f.Period, err)
	}
	if err := s.reviewBatch(ctx, f.TeamID, a, hset(s.rvKey(f.TeamID, "flags"), string(f.Person)+"|"+f.Period, data)); err != nil {
		return fmt.Errorf("save flag %s %s: %w", f.Person, f.Period, err)
	}
	return nil
}

// ReviewFlags returns the team's flags by person and period.
func (s *Store) ReviewFlags(ctx context.Context, teamID string) ([]bot.ReviewFlag, error) {
	out, err := hashValues[bot.ReviewFlag](ctx, s, s.rvKey(teamID, "flags"), "flags of "+teamID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b bot.ReviewFlag) int {
		if c := strings.Compare(string(a.Person), string(b.Person)); c != 0 {
			return c
		}
		return strings.Compare(a.Period, b.Period)
	})
	return out, nil
}
