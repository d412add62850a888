package store

// ForgetPerson's part for feedback and reviews (review.go's keys). What
// `/pulse forget me` does to a person's feedback and review data in a team:
//
//   - Feedback they gave or received is deleted, whether direct or an
//     answer to a request: it is by them or about them, and half of it
//     (text without its giver, or without its subject) means nothing.
//   - Feedback requests they made are deleted with every answer to them;
//     their place among the colleagues asked by others' requests is
//     removed, and so is their answer (the request stays for the others,
//     re-counted; an anonymous one left with too few colleagues closes:
//     bot.RequestWithout).
//   - Review cycles stay (they are the team's); a cycle they started
//     forgets who started it. Their sheet in each cycle (the reviews about
//     them) is deleted with every answer sheet about them, and every answer
//     sheet they wrote about someone else (self, peer or manager) is
//     deleted. On the other sheets they are removed from the nominated and
//     approved peers and as approver or releaser (bot.SheetWithout, which
//     reopens an anonymous sheet's approval left with too few peers); those
//     sheets get a new version, so an edit read before the forget is
//     refused as stale. An open cycle whose remaining sheets are all
//     released closes (bot.CycleAfterForget).
//   - Development actions they own, and check-in flags on their weeks, are
//     deleted; on the others they are removed as the one who recorded them.
//
// The keys read here are watched by the team's transaction (forget.go), so
// a concurrent review write makes the transaction retry instead of being
// overwritten. Reading costs in proportion to the team's feedback, requests,
// cycles and actions, which is fine for a rare request.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
)

// reviewTraces is what one team's feedback and reviews hold of a person.
type reviewTraces struct {
	// feedback to delete, by id.
	feedback map[string]bot.Feedback
	// ownRequests are the ids of the requests the person made.
	ownRequests []string
	// askedIn are the requests of others that asked the person, with the
	// person already taken off Asked.
	askedIn map[string]bot.FeedbackRequest
	// answered are the ids of others' requests the person answered.
	answered []string
	// cycles the person started, with StartedBy cleared.
	cycles map[string]bot.ReviewCycle
	// subjectOf are the cycles in which the person has a sheet.
	subjectOf []string
	// sheets to rewrite, by cycle then person, already without the person.
	sheets map[string]map[bot.UserID]bot.ReviewSheet
	// answers are the answer-sheet fields to delete, by cycle.
	answers map[string][]string
	// anonAnswered and anonReviews are the members of an anonymous cycle's
	// sets to delete, by cycle: who reviewed whom where the person is
	// either, and the reviews about them. The reviews they wrote name no
	// one, so nothing can find them: they stay, as anonymous feedback does.
	anonAnswered, anonReviews map[string][]string
	// actions and flags to delete (ids, fields) and to rewrite.
	dropActions []string
	keepActions map[string]bot.DevAction
	dropFlags   []string
	keepFlags   map[string]bot.ReviewFlag
}

// empty reports whether the person left no feedback or review trace.
func (rt reviewTraces) empty() bool {
	return len(rt.feedback)+len(rt.ownRequests)+len(rt.askedIn)+len(rt.answered)+len(rt.cycles)+
		len(rt.subjectOf)+len(rt.sheets)+len(rt.answers)+len(rt.anonAnswered)+len(rt.anonReviews)+len(rt.dropActions)+len(rt.keepActions)+
		len(rt.dropFlags)+len(rt.keepFlags) == 0
}

// reviewWatchKeys are the team's review keys whose every change must abort
// the forget transaction; the per-cycle keys are watched once the cycles
// are known (readReviewTraces).
func (s *Store) reviewWatchKeys(teamID string) []string {
	return []string{
		s.rvKey(teamID, "fb"), s.rvKey(teamID, "req"), s.rvKey(teamID, "cycles"),
		s.rvKey(teamID, "actions"), s.rvKey(teamID, "flags"),
	}
}

// readReviewTraces reads, under WATCH, the team's review records that name
// the person.
func (s *Store) readReviewTraces(ctx context.Context, tx *redis.Tx, teamID string, id bot.UserID, at time.Time) (reviewTraces, error) {
	rt := reviewTraces{
		feedback: map[string]bot.Feedback{}, askedIn: map[string]bot.FeedbackRequest{},
		cycles: map[string]bot.ReviewCycle{}, sheets: map[string]map[bot.UserID]bot.ReviewSheet{},
		answers: map[string][]string{}, anonAnswered: map[string][]string{}, anonReviews: map[string][]string{}, keepActions: map[string]bot.DevAction{}, keepFlags: map[string]bot.ReviewFlag{},
	}
	var fb, reqs, cycles, actions, flags *redis.MapStringStringCmd
	_, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
		fb = p.HGetAll(ctx, s.rvKey(teamID, "fb"))
		reqs = p.HGetAll(ctx, s.rvKey(teamID, "req"))
		cycles = p.HGetAll(ctx, s.rvKey(teamID, "cycles"))
		actions = p.HGetAll(ctx, s.rvKey(teamID, "actions"))
		flags = p.HGetAll(ctx, s.rvKey(teamID, "flags"))
		return nil
	})
	if err != nil {
		return reviewTraces{}, fmt.Errorf("read review traces: %w", err)
	}

	own := map[string]bool{}
	for rid, data := range reqs.Val() {
		var q bot.FeedbackRequest
		if err := json.Unmarshal([]byte(data), &q); err != nil {
			return reviewTraces{}, fmt.Errorf("decode feedback request %s: %w", rid, err)
		}
		switch {
		case q.From == id:
			own[rid] = true
			rt.ownRequests = append(rt.ownRequests, rid)
		case slices.Contains(q.Asked, id):
			rt.askedIn[rid] = bot.RequestWithout(q, id, at)
		}
	}
	answered := map[string]bool{}
	for fid, data := range fb.Val() {
		var f bot.Feedback
		if err := json.Unmarshal([]byte(data), &f); err != nil {
			return reviewTraces{}, fmt.Errorf("decode feedback %s: %w", fid, err)
		}
		if f.From != id && f.To != id && !own[f.RequestID] {
			continue
		}
		rt.feedback[fid] = f
		if f.From == id && f.RequestID != "" && !own[f.RequestID] {
			answered[f.RequestID] = true
		}
	}
	// An answer slot may outlive its record: clear the person's slot in
	// every request that asked them, too.
	for rid := range rt.askedIn {
		answered[rid] = true
	}
	for rid := range answered {
		rt.answered = append(rt.answered, rid)
	}

	var cycleIDs []string
	all := map[string]bot.ReviewCycle{}
	for cid, data := range cycles.Val() {
		cycleIDs = append(cycleIDs, cid)
		var c bot.ReviewCycle
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return reviewTraces{}, fmt.Errorf("decode review cycle %s: %w", cid, err)
		}
		if c.StartedBy == id {
			c.StartedBy = ""
			rt.cycles[cid] = c
		}
		all[cid] = c
	}
	if err := s.readCycleTraces(ctx, tx, teamID, id, all, cycleIDs, at, &rt); err != nil {
		return reviewTraces{}, err
	}

	for aid, data := range actions.Val() {
		var x bot.DevAction
		if err := json.Unmarshal([]byte(data), &x); err != nil {
			return reviewTraces{}, fmt.Errorf("decode action %s: %w", aid, err)
		}
		switch {
		case x.Person == id:
			rt.dropActions = append(rt.dropActions, aid)
		case x.By == id:
			x.By = ""
			rt.keepActions[aid] = x
		}
	}
	for field, data := range flags.Val() {
		var f bot.ReviewFlag
		if err := json.Unmarshal([]byte(data), &f); err != nil {
			return reviewTraces{}, fmt.Errorf("decode flag %s: %w", field, err)
		}
		switch {
		case f.Person == id || strings.HasPrefix(field, string(id)+"|"):
			rt.dropFlags = append(rt.dropFlags, field)
		case f.By == id:
			f.By = ""
			rt.keepFlags[field] = f
		}
	}
	return rt, nil
}

// readCycleTraces watches and reads each cycle's sheets and answer fields.
func (s *Store) readCycleTraces(ctx context.Context, tx *redis.Tx, teamID string, id bot.UserID, cycles map[string]bot.ReviewCycle, cycleIDs []string, at time.Time, rt *reviewTraces) error {
	if len(cycleIDs) == 0 {
		return nil
	}
	var keys []string
	for _, cid := range cycleIDs {
		keys = append(keys, s.rvKey(teamID, "sheets", cid), s.rvKey(teamID, "sheetv", cid), s.rvKey(teamID, "answers", cid),
			s.rvKey(teamID, "anon", cid, "answered"), s.rvKey(teamID, "anon", cid, "reviews"))
	}
	if err := tx.Watch(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("watch review cycles: %w", err)
	}
	sheets := make([]*redis.MapStringStringCmd, len(cycleIDs))
	fields := make([]*redis.StringSliceCmd, len(cycleIDs))
	anonAnswered := make([]*redis.StringSliceCmd, len(cycleIDs))
	anonReviews := make([]*redis.StringSliceCmd, len(cycleIDs))
	_, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, cid := range cycleIDs {
			anonAnswered[i] = p.ZRange(ctx, s.rvKey(teamID, "anon", cid, "answered"), 0, -1)
			anonReviews[i] = p.ZRange(ctx, s.rvKey(teamID, "anon", cid, "reviews"), 0, -1)
			sheets[i] = p.HGetAll(ctx, s.rvKey(teamID, "sheets", cid))
			// The field names who wrote about whom; the answers are not needed.
			fields[i] = p.HKeys(ctx, s.rvKey(teamID, "answers", cid))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read review cycles: %w", err)
	}
	for i, cid := range cycleIDs {
		var left []bot.ReviewSheet
		touched := false
		for person, data := range sheets[i].Val() {
			if bot.UserID(person) == id {
				rt.subjectOf = append(rt.subjectOf, cid)
				touched = true
				continue
			}
			var sh bot.ReviewSheet
			if err := json.Unmarshal([]byte(data), &sh); err != nil {
				return fmt.Errorf("decode review sheet %s %s: %w", cid, person, err)
			}
			left = append(left, sh)
			if !slices.Contains(sh.Nominated, id) && !slices.Contains(sh.Peers, id) && sh.ApprovedBy != id && sh.ReleasedBy != id {
				continue
			}
			sh = bot.SheetWithout(cycles[cid], sh, id)
			touched = true
			if rt.sheets[cid] == nil {
				rt.sheets[cid] = map[bot.UserID]bot.ReviewSheet{}
			}
			rt.sheets[cid][bot.UserID(person)] = sh
		}
		if c, closed := bot.CycleAfterForget(cycles[cid], left, at); touched && closed {
			rt.cycles[cid] = c
		}
		for _, f := range fields[i].Val() {
			if answerAbout(f, id) {
				rt.answers[cid] = append(rt.answers[cid], f)
			}
		}
		for _, m := range anonAnswered[i].Val() {
			if subject, author, _ := strings.Cut(m, "|"); bot.UserID(subject) == id || bot.UserID(author) == id {
				rt.anonAnswered[cid] = append(rt.anonAnswered[cid], m)
			}
		}
		for _, m := range anonReviews[i].Val() {
			var rm anonymousReviewMember
			if err := json.Unmarshal([]byte(m), &rm); err != nil {
				return fmt.Errorf("decode anonymous review in %s: %w", cid, err)
			}
			if rm.Subject == id {
				rt.anonReviews[cid] = append(rt.anonReviews[cid], m)
			}
		}
	}
	return nil
}

// answerAbout reports whether an answer-sheet field
// ("<subject>|<role>|<author>") has the person as subject or author.
func answerAbout(field string, id bot.UserID) bool {
	for _, role := range []string{bot.RoleSelf, bot.RolePeer, bot.RoleManager} {
		if strings.HasPrefix(field, string(id)+"|"+role+"|") || strings.HasSuffix(field, "|"+role+"|"+string(id)) {
			return true
		}
	}
	return false
}

// forgetReviews queues the deletes and rewrites in the team's transaction
// and returns the ids of the requests it deletes, for the global index.
func (s *Store) forgetReviews(ctx context.Context, p redis.Pipeliner, teamID string, id bot.UserID, rt reviewTraces) ([]string, error) {
	for fid := range rt.feedback {
		p.HDel(ctx, s.rvKey(teamID, "fb"), fid)
		p.ZRem(ctx, s.rvKey(teamID, "fb", "by-time"), fid)
	}
	for _, rid := range rt.ownRequests {
		p.HDel(ctx, s.rvKey(teamID, "req"), rid)
		p.Del(ctx, s.rvKey(teamID, "req", rid, "answers"), s.rvKey(teamID, "req", rid, "answered"),
			s.rvKey(teamID, "req", rid, "held"), s.rvKey(teamID, "req", rid, "released"))
	}
	for rid := range rt.askedIn {
		p.ZRem(ctx, s.rvKey(teamID, "req", rid, "answered"), string(id))
	}
	for rid, q := range rt.askedIn {
		data, err := encode("feedback request", q)
		if err != nil {
			return nil, err
		}
		p.HSet(ctx, s.rvKey(teamID, "req"), rid, data)
	}
	for _, rid := range rt.answered {
		p.HDel(ctx, s.rvKey(teamID, "req", rid, "answers"), string(id))
	}
	for cid, c := range rt.cycles {
		data, err := encode("review cycle", c)
		if err != nil {
			return nil, err
		}
		p.HSet(ctx, s.rvKey(teamID, "cycles"), cid, data)
	}
	for _, cid := range rt.subjectOf {
		p.HDel(ctx, s.rvKey(teamID, "sheets", cid), string(id))
		p.HDel(ctx, s.rvKey(teamID, "sheetv", cid), string(id))
	}
	for cid, sheets := range rt.sheets {
		for person, sh := range sheets {
			data, err := encode("review sheet", sh)
			if err != nil {
				return nil, err
			}
			p.HSet(ctx, s.rvKey(teamID, "sheets", cid), string(person), data)
			p.HSet(ctx, s.rvKey(teamID, "sheetv", cid), string(person), strconv.Itoa(sh.Version))
		}
	}
	for cid, fields := range rt.answers {
		p.HDel(ctx, s.rvKey(teamID, "answers", cid), fields...)
	}
	for cid, members := range rt.anonAnswered {
		p.ZRem(ctx, s.rvKey(teamID, "anon", cid, "answered"), members)
	}
	for cid, members := range rt.anonReviews {
		p.ZRem(ctx, s.rvKey(teamID, "anon", cid, "reviews"), members)
	}
	if len(rt.dropActions) > 0 {
		p.HDel(ctx, s.rvKey(teamID, "actions"), rt.dropActions...)
	}
	for aid, x := range rt.keepActions {
		data, err := encode("action", x)
		if err != nil {
			return nil, err
		}
		p.HSet(ctx, s.rvKey(teamID, "actions"), aid, data)
	}
	if len(rt.dropFlags) > 0 {
		p.HDel(ctx, s.rvKey(teamID, "flags"), rt.dropFlags...)
	}
	for field, f := range rt.keepFlags {
		data, err := encode("review flag", f)
		if err != nil {
			return nil, err
		}
		p.HSet(ctx, s.rvKey(teamID, "flags"), field, data)
	}
	return slices.Clone(rt.ownRequests), nil
}

// unindexRequests takes deleted requests off the global request index
// (another slot, so after the team's transaction, as CreateFeedbackRequest
// writes it after the request). An interrupted run can leave an entry
// whose request is gone; it holds no person's data and reads as not found.
func (s *Store) unindexRequests(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.rdb.HDel(ctx, s.globalKey("rv", "req", "team"), ids...).Err(); err != nil {
		return fmt.Errorf("unindex feedback requests: %w", err)
	}
	return nil
}
