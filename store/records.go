package store

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// Stored records are JSON with short field names and zero values left out
// (omitzero), so a record costs tens of bytes instead of hundreds. Fields
// that the key already names (team id, goal id, kudos id, check-in person
// and period) are not repeated inside the record. Times are RFC 3339 with
// nanoseconds, so instants round-trip exactly.

type refRec struct {
	Platform bot.Platform `json:"pf,omitzero"`
	Channel  string       `json:"ch,omitzero"`
	ID       string       `json:"id,omitzero"`
}

func toRef(m bot.MessageRef) refRec  { return refRec(m) }
func (r refRec) ref() bot.MessageRef { return bot.MessageRef(r) }

type teamRec struct {
	Name            string       `json:"n,omitzero"`
	Platform        bot.Platform `json:"pf,omitzero"`
	Channel         string       `json:"ch,omitzero"`
	Members         []bot.UserID `json:"mem,omitzero"`
	Managers        []bot.UserID `json:"mgr,omitzero"`
	TimeZone        string       `json:"tz,omitzero"`
	Locale          bot.Locale   `json:"loc,omitzero"`
	CheckInSchedule string       `json:"cis,omitzero"`
	DigestSchedule  string       `json:"dgs,omitzero"`
	Questions       []string     `json:"q,omitzero"`
	Highlight       int          `json:"qh,omitzero"`
	Blockers        int          `json:"qb,omitzero"`
	QuestionsSince  time.Time    `json:"qs,omitzero"`
	KudosAllowance  int          `json:"ka,omitzero"`
	Values          []string     `json:"val,omitzero"`
	Holidays        string       `json:"hol,omitzero"`
	Leaderboard     bool         `json:"lb,omitzero"`
	AnnounceKudos   bool         `json:"ak,omitzero"`
	CreatedAt       time.Time    `json:"at,omitzero"`
}

func encodeTeam(t bot.Team) (string, error) {
	return encode("team "+t.ID, teamRec{
		Name: t.Name, Platform: t.Platform, Channel: t.Channel, Members: t.Members,
		Managers: t.Managers, TimeZone: t.TimeZone, Locale: t.Locale,
		CheckInSchedule: t.CheckInSchedule, DigestSchedule: t.DigestSchedule,
		Questions: t.Questions, Highlight: t.HighlightQuestion, Blockers: t.BlockersQuestion,
		QuestionsSince: t.QuestionsSince, KudosAllowance: t.KudosAllowance, Values: t.Values,
		Holidays: t.Holidays, Leaderboard: t.Leaderboard, AnnounceKudos: t.AnnounceKudos,
		CreatedAt: t.CreatedAt,
	})
}

func decodeTeam(id, data string) (bot.Team, error) {
	var r teamRec
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return bot.Team{}, fmt.Errorf("decode team %s: %w", id, err)
	}
	return bot.Team{
		ID: id, Name: r.Name, Platform: r.Platform, Channel: r.Channel, Members: r.Members,
		Managers: r.Managers, TimeZone: r.TimeZone, Locale: r.Locale,
		CheckInSchedule: r.CheckInSchedule, DigestSchedule: r.DigestSchedule,
		Questions: r.Questions, HighlightQuestion: r.Highlight, BlockersQuestion: r.Blockers,
		QuestionsSince: r.QuestionsSince, KudosAllowance: r.KudosAllowance, Values: r.Values,
		Holidays: r.Holidays, Leaderboard: r.Leaderboard, AnnounceKudos: r.AnnounceKudos,
		CreatedAt: r.CreatedAt,
	}, nil
}

type personRec struct {
	Name      string     `json:"n,omitzero"`
	TimeZone  string     `json:"tz,omitzero"`
	Locale    bot.Locale `json:"loc,omitzero"`
	AwayUntil time.Time  `json:"away,omitzero"`
	Primary   string     `json:"pt,omitzero"`
}

func encodePerson(p bot.Person) (string, error) {
	return encode("person "+string(p.ID), personRec{Name: p.Name, TimeZone: p.TimeZone, Locale: p.Locale, AwayUntil: p.AwayUntil, Primary: p.PrimaryTeam})
}

func decodePerson(id bot.UserID, data string) (bot.Person, error) {
	var r personRec
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return bot.Person{}, fmt.Errorf("decode person %s: %w", id, err)
	}
	return bot.Person{ID: id, Name: r.Name, TimeZone: r.TimeZone, Locale: r.Locale, AwayUntil: r.AwayUntil, PrimaryTeam: r.Primary}, nil
}

type convRec struct {
	TeamID    string        `json:"t,omitzero"`
	Period    string        `json:"p,omitzero"`
	Questions []questionRec `json:"q,omitzero"`
	OpenedBy  string        `json:"o,omitzero"`
}

// questionRec is a question as asked, kept with a check-in's answers.
type questionRec struct {
	Text string           `json:"t,omitzero"`
	Key  string           `json:"k,omitzero"`
	Role bot.QuestionRole `json:"r,omitzero"`
}

func toQuestionRecs(qs []bot.Question) []questionRec {
	if len(qs) == 0 {
		return nil
	}
	out := make([]questionRec, len(qs))
	for i, q := range qs {
		out[i] = questionRec(q)
	}
	return out
}

func fromQuestionRecs(rs []questionRec) []bot.Question {
	if len(rs) == 0 {
		return nil
	}
	out := make([]bot.Question, len(rs))
	for i, r := range rs {
		out[i] = bot.Question(r)
	}
	return out
}

// goalRec is the static part of a goal, kept in the goal hash's "rec"
// field. Current, Stated and UpdatedAt live in their own fields ("cur",
// "st", "upd") so RecordUpdate's script moves them in one step and
// SaveGoal leaves them alone.
type goalRec struct {
	Title     string        `json:"ti,omitzero"`
	Owner     bot.UserID    `json:"o,omitzero"`
	OwnerTeam string        `json:"ot,omitzero"`
	CreatedBy bot.UserID    `json:"by,omitzero"`
	Milestone bool          `json:"ms,omitzero"`
	Baseline  float64       `json:"b,omitzero"`
	Target    float64       `json:"tg,omitzero"`
	Unit      string        `json:"u,omitzero"`
	Start     time.Time     `json:"s,omitzero"`
	Due       time.Time     `json:"d,omitzero"`
	Parent    string        `json:"par,omitzero"`
	State     bot.GoalState `json:"state,omitzero"`
	CloseNote string        `json:"cn,omitzero"`
	Measures  []measureRec  `json:"pm,omitzero"`
	Private   bool          `json:"pv,omitzero"`
	Source    string        `json:"src,omitzero"`
}

// measureRec is one of a goal's earlier measures.
type measureRec struct {
	Milestone bool      `json:"ms,omitzero"`
	Baseline  float64   `json:"b,omitzero"`
	Target    float64   `json:"tg,omitzero"`
	Unit      string    `json:"u,omitzero"`
	Until     time.Time `json:"until"`
}

func toMeasureRecs(ms []bot.PastMeasure) []measureRec {
	out := make([]measureRec, 0, len(ms))
	for _, m := range ms {
		out = append(out, measureRec{Milestone: m.Metric.Milestone, Baseline: m.Metric.Baseline,
			Target: m.Metric.Target, Unit: m.Metric.Unit, Until: m.Until})
	}
	return out
}

func fromMeasureRecs(rs []measureRec) []bot.PastMeasure {
	if len(rs) == 0 {
		return nil
	}
	out := make([]bot.PastMeasure, 0, len(rs))
	for _, r := range rs {
		out = append(out, bot.PastMeasure{Until: r.Until,
			Metric: bot.Metric{Milestone: r.Milestone, Baseline: r.Baseline, Target: r.Target, Unit: r.Unit}})
	}
	return out
}

// goalFields are the goal hash's fields as HSET arguments.
func goalFields(g bot.Goal) ([]any, error) {
	if math.IsNaN(g.Current) || math.IsInf(g.Current, 0) {
		return nil, fmt.Errorf("encode goal %s: current value %v is not a number", g.ID, g.Current)
	}
	rec, err := encode("goal "+g.ID, goalRec{
		Title: g.Title, Owner: g.Owner, OwnerTeam: g.OwnerTeam, CreatedBy: g.CreatedBy,
		Milestone: g.Metric.Milestone, Baseline: g.Metric.Baseline, Target: g.Metric.Target,
		Unit: g.Metric.Unit, Start: g.Start, Due: g.Due, Parent: g.Parent, State: g.State,
		CloseNote: g.CloseNote, Private: g.Private, Measures: toMeasureRecs(g.Measures), Source: g.Source,
	})
	if err != nil {
		return nil, err
	}
	return []any{rec, formatFloat(g.Current), string(g.Stated), formatTime(g.UpdatedAt)}, nil
}

func decodeGoal(teamID, id string, h map[string]string) (bot.Goal, error) {
	var r goalRec
	if err := json.Unmarshal([]byte(h["rec"]), &r); err != nil {
		return bot.Goal{}, fmt.Errorf("decode goal %s: %w", id, err)
	}
	cur, err := strconv.ParseFloat(h["cur"], 64)
	if err != nil {
		return bot.Goal{}, fmt.Errorf("decode goal %s current value: %w", id, err)
	}
	upd, err := parseTime(h["upd"])
	if err != nil {
		return bot.Goal{}, fmt.Errorf("decode goal %s updated time: %w", id, err)
	}
	var ver int64
	if v := h["ver"]; v != "" {
		if ver, err = strconv.ParseInt(v, 10, 64); err != nil {
			return bot.Goal{}, fmt.Errorf("decode goal %s version: %w", id, err)
		}
	}
	return bot.Goal{
		ID: id, TeamID: teamID, Title: r.Title, Owner: r.Owner, OwnerTeam: r.OwnerTeam,
		CreatedBy: r.CreatedBy,
		Metric:    bot.Metric{Milestone: r.Milestone, Baseline: r.Baseline, Target: r.Target, Unit: r.Unit},
		Current:   cur, Start: r.Start, Due: r.Due, Parent: r.Parent, Measures: fromMeasureRecs(r.Measures), State: r.State,
		Stated: bot.Status(h["st"]), CloseNote: r.CloseNote, UpdatedAt: upd, Private: r.Private, Source: r.Source,
		Version: ver,
	}, nil
}

type updateRec struct {
	GoalID   string     `json:"g"`
	Value    float64    `json:"v,omitzero"`
	Previous float64    `json:"p,omitzero"`
	Stated   bot.Status `json:"st,omitzero"`
	Note     string     `json:"n,omitzero"`
	Author   bot.UserID `json:"a,omitzero"`
	At       time.Time  `json:"at,omitzero"`
	Source   refRec     `json:"src,omitzero"`
	Key      string     `json:"k,omitzero"`
	Via      string     `json:"via,omitzero"`
}

func encodeUpdate(u bot.Update) (string, error) {
	return encode("update of goal "+u.GoalID, updateRec{
		GoalID: u.GoalID, Value: u.Value, Previous: u.Previous, Stated: u.Stated, Note: u.Note,
		Author: u.Author, At: u.At, Source: toRef(u.Source), Key: u.Key, Via: u.Via,
	})
}

func decodeUpdate(teamID, data string) (bot.Update, error) {
	var r updateRec
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return bot.Update{}, fmt.Errorf("decode update: %w", err)
	}
	return bot.Update{
		GoalID: r.GoalID, TeamID: teamID, Value: r.Value, Previous: r.Previous, Stated: r.Stated,
		Note: r.Note, Author: r.Author, At: r.At, Source: r.Source.ref(), Key: r.Key, Via: r.Via,
	}, nil
}

type kudosRec struct {
	From    bot.UserID   `json:"f,omitzero"`
	To      []bot.UserID `json:"to,omitzero"`
	Message string       `json:"m,omitzero"`
	Values  []string     `json:"val,omitzero"`
	Tags    []string     `json:"tag,omitzero"`
	At      time.Time    `json:"at,omitzero"`
	Source  refRec       `json:"src,omitzero"`
	Key     string       `json:"k,omitzero"`
}

func encodeKudos(k bot.Kudos) (string, error) {
	return encode("kudos "+k.ID, kudosRec{
		From: k.From, To: k.To, Message: k.Message, Values: k.Values, Tags: k.Tags,
		At: k.At, Source: toRef(k.Source), Key: k.Key,
	})
}

func decodeKudos(teamID, id, data string) (bot.Kudos, error) {
	var r kudosRec
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return bot.Kudos{}, fmt.Errorf("decode kudos %s: %w", id, err)
	}
	return bot.Kudos{
		ID: id, TeamID: teamID, From: r.From, To: r.To, Message: r.Message, Values: r.Values,
		Tags: r.Tags, At: r.At, Source: r.Source.ref(), Key: r.Key,
	}, nil
}

type checkInRec struct {
	Answers []string `json:"ans,omitzero"`
	// Questions are absent in check-ins stored before questions were kept.
	Questions  []questionRec `json:"qs,omitzero"`
	Mood       int           `json:"mood,omitzero"`
	Skipped    bool          `json:"skip,omitzero"`
	SkipReason string        `json:"why,omitzero"`
	Next       int           `json:"next,omitzero"`
	Completed  time.Time     `json:"done,omitzero"`
	UpdatedAt  time.Time     `json:"upd,omitzero"`
	// LastKey is the event whose answer was saved last (bot.CheckIn.LastKey).
	LastKey string `json:"lk,omitzero"`
}

func encodeCheckIn(c bot.CheckIn) (string, error) {
	return encode("check-in", checkInRec{
		Answers: c.Answers, Questions: toQuestionRecs(c.Questions), Mood: c.Mood, Skipped: c.Skipped,
		SkipReason: c.SkipReason, Next: c.Next, Completed: c.Completed, UpdatedAt: c.UpdatedAt, LastKey: c.LastKey,
	})
}

func decodeCheckIn(teamID, period string, person bot.UserID, data string) (bot.CheckIn, error) {
	var r checkInRec
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return bot.CheckIn{}, fmt.Errorf("decode check-in %s %s %s: %w", teamID, period, person, err)
	}
	return bot.CheckIn{
		TeamID: teamID, Person: person, Period: period, Answers: r.Answers,
		Questions: fromQuestionRecs(r.Questions), Mood: r.Mood,
		Skipped: r.Skipped, SkipReason: r.SkipReason, Next: r.Next, Completed: r.Completed,
		UpdatedAt: r.UpdatedAt, LastKey: r.LastKey,
	}, nil
}

type auditRec struct {
	At      time.Time  `json:"at,omitzero"`
	Actor   bot.UserID `json:"by,omitzero"`
	Action  string     `json:"act,omitzero"`
	Subject string     `json:"sub,omitzero"`
	Detail  string     `json:"det,omitzero"`
	Key     string     `json:"k,omitzero"`
}

// encodeAudit returns "" for a zero entry: writes without an entry append nothing.
func encodeAudit(a bot.AuditEntry) (string, error) {
	if a == (bot.AuditEntry{}) {
		return "", nil
	}
	return encode("audit entry", auditRec(a))
}

func decodeAudit(data string) (bot.AuditEntry, error) {
	var r auditRec
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return bot.AuditEntry{}, fmt.Errorf("decode audit entry: %w", err)
	}
	return bot.AuditEntry(r), nil
}

// encode marshals a record; it fails only on NaN or infinite numbers and
// years outside 0–9999, which JSON cannot carry.
func encode(what string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", what, err)
	}
	return string(b), nil
}

// formatFloat writes the shortest text that parses back to exactly f, so the
// script's comparison of current values is exact.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}
