package bot

import (
	"slices"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot/parse"
)

// Platform names a chat platform. It is the first part of every UserID.
type Platform string

// The platforms Pulse speaks to.
const (
	PlatformSlack   Platform = "slack"
	PlatformFeishu  Platform = "feishu"
	PlatformConsole Platform = "console"
)

// UserID is a platform-qualified person id: "slack:<team_id>:<user_id>",
// "feishu:<tenant_key>:<open_id>" or "console:<workspace>:<name>". Qualifying
// ids keeps two platforms' people apart in one Redis.
type UserID string

// NewUserID builds a platform-qualified id from its parts.
func NewUserID(p Platform, workspace, user string) UserID {
	return UserID(string(p) + ":" + workspace + ":" + user)
}

// Platform returns the platform part of the id.
func (u UserID) Platform() Platform {
	p, _, _ := strings.Cut(string(u), ":")
	return Platform(p)
}

// Local returns the platform's own id for the person (the last part).
func (u UserID) Local() string {
	i := strings.LastIndex(string(u), ":")
	return string(u)[i+1:]
}

// Workspace returns the middle part: the Slack team id or Feishu tenant key.
func (u UserID) Workspace() string {
	parts := strings.SplitN(string(u), ":", 3)
	if len(parts) < 3 {
		return ""
	}
	return parts[1]
}

// Valid reports whether the id has its three parts.
func (u UserID) Valid() bool { return parse.ValidPersonID(string(u)) }

// Locale is a reply language.
type Locale string

// The languages Pulse speaks.
const (
	English Locale = "en"
	Chinese Locale = "zh"
)

// ParseLocale accepts en/zh and common spellings (english, 中文, zh-CN).
func ParseLocale(s string) (Locale, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "en", "en-us", "en-gb", "english", "英文", "英语":
		return English, true
	case "zh", "zh-cn", "zh-hans", "chinese", "中文", "汉语", "简体中文":
		return Chinese, true
	}
	return "", false
}

// Person is what Pulse knows of one human across teams.
type Person struct {
	ID UserID `json:"id"`
	// Name is the display name people see.
	Name string `json:"name"`
	// TimeZone is an IANA zone; empty means "use my team's".
	TimeZone string `json:"time_zone"`
	// Locale is the person's chosen language; empty means "use my team's".
	Locale Locale `json:"locale"`
	// AwayUntil is the last day the person is away (inclusive); zero when present.
	AwayUntil time.Time `json:"away_until"`
	// PrimaryTeam is the team id a command goes to when the person is in
	// several teams and names none (`/pulse me team`); it counts only while
	// they are a member of it.
	PrimaryTeam string `json:"primary_team,omitempty"`
}

// Team is a group of people who share a channel, goals, check-ins and a scorecard.
type Team struct {
	// ID is the lower-case name; teams are addressed by name in commands.
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Platform Platform `json:"platform"`
	// Channel is the platform's channel id where digests and summaries go.
	Channel  string   `json:"channel"`
	Members  []UserID `json:"members"`
	Managers []UserID `json:"managers"`
	// TimeZone is an IANA zone name.
	TimeZone string `json:"time_zone"`
	Locale   Locale `json:"locale"`
	// CheckInSchedule and DigestSchedule are five-field cron expressions in TimeZone.
	CheckInSchedule string `json:"check_in_schedule"`
	DigestSchedule  string `json:"digest_schedule"`
	// Questions replace the default written check-in questions when not
	// empty; the 1–5 mood question is always asked after them. Which answer
	// is the highlight and which the blockers is HighlightQuestion and
	// BlockersQuestion (see CheckInQuestions).
	Questions []string `json:"questions"`
	// HighlightQuestion and BlockersQuestion mark the question (1-based)
	// whose answer is the highlight and the blockers: 0 leaves the default
	// (the first, and the third when there are three or more), NoQuestion
	// marks that there is none.
	HighlightQuestion int `json:"highlight_question,omitempty"`
	BlockersQuestion  int `json:"blockers_question,omitempty"`
	// QuestionsSince is when the questions and their roles were last
	// set; a check-in stored without its questions (before they were kept
	// with the answers) and written since then was asked these.
	QuestionsSince time.Time `json:"questions_since,omitzero"`
	KudosAllowance int       `json:"kudos_allowance"`
	Values         []string  `json:"values"`
	// Holidays names the holiday calendar: "none", "cn" or a file path.
	Holidays      string    `json:"holidays"`
	Leaderboard   bool      `json:"leaderboard"`
	AnnounceKudos bool      `json:"announce_kudos"`
	CreatedAt     time.Time `json:"created_at"`
}

// Team defaults, from SPEC.md.
const (
	DefaultCheckInSchedule = "0 10 * * MON"
	DefaultDigestSchedule  = "0 16 * * FRI"
	DefaultKudosAllowance  = 5
	DefaultTimeZone        = "UTC"
)

// NewTeam returns a team with SPEC.md's defaults.
func NewTeam(name string, p Platform, channel string, now time.Time) Team {
	return Team{
		ID:              TeamID(name),
		Name:            name,
		Platform:        p,
		Channel:         channel,
		TimeZone:        DefaultTimeZone,
		Locale:          DefaultLocale(p),
		CheckInSchedule: DefaultCheckInSchedule,
		DigestSchedule:  DefaultDigestSchedule,
		KudosAllowance:  DefaultKudosAllowance,
		Holidays:        "none",
		AnnounceKudos:   true,
		CreatedAt:       now,
	}
}

// TeamID turns a team name into its id: lower-case, trimmed.
func TeamID(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// DefaultLocale is the language Pulse speaks on a platform to someone whose
// language it does not know yet: Chinese on Feishu, English elsewhere.
// Adapters use it for the few words they say before the core has answered.
func DefaultLocale(p Platform) Locale {
	if p == PlatformFeishu {
		return Chinese
	}
	return English
}

// Location returns the team's time zone, UTC when unset or unknown.
func (t Team) Location() *time.Location {
	return loadLocation(t.TimeZone)
}

// HasMember reports whether id is a member of the team.
func (t Team) HasMember(id UserID) bool { return slices.Contains(t.Members, id) }

// HasManager reports whether id manages the team.
func (t Team) HasManager(id UserID) bool { return slices.Contains(t.Managers, id) }

// People returns members and managers without repeats, members first.
func (t Team) People() []UserID {
	out := append([]UserID(nil), t.Members...)
	for _, m := range t.Managers {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

func loadLocation(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// GoalState is where a goal is in its life.
type GoalState string

// Goal states.
const (
	GoalOpen    GoalState = "open"
	GoalDone    GoalState = "done"
	GoalDropped GoalState = "dropped"
)

// Status is a goal's health. Computed from pace for open goals; stated by the owner
// in updates; done/dropped for closed goals.
type Status string

// Statuses.
const (
	OnTrack  Status = "on_track"
	AtRisk   Status = "at_risk"
	OffTrack Status = "off_track"
	Done     Status = "done"
	Dropped  Status = "dropped"
)

// Metric is how a goal is measured: from Baseline to Target in Unit, or, when
// Milestone is set, as percent complete from 0 to 100.
type Metric struct {
	Milestone bool    `json:"milestone"`
	Baseline  float64 `json:"baseline"`
	Target    float64 `json:"target"`
	Unit      string  `json:"unit"`
}

// Goal is a SMART goal owned by a person or a team.
type Goal struct {
	// ID is the short id people type, "G7".
	ID     string `json:"id"`
	TeamID string `json:"team"`
	Title  string `json:"title"`
	// Owner is the person who owns the goal; empty for a team goal.
	Owner UserID `json:"owner"`
	// OwnerTeam is set for a team goal (owned by the team, not a person).
	OwnerTeam string    `json:"owner_team"`
	CreatedBy UserID    `json:"created_by"`
	Metric    Metric    `json:"metric"`
	Current   float64   `json:"current"`
	Start     time.Time `json:"start"`
	Due       time.Time `json:"due"`
	// Parent is the id of the goal this one aligns under; empty at the top.
	Parent string `json:"parent"`
	// Measures are the goal's earlier measures, oldest first: a change of
	// unit, baseline or target starts a new one, so history keeps the
	// units it was recorded in.
	Measures []PastMeasure `json:"measures"`
	State    GoalState     `json:"state"`
	// Private goals are seen only by their owner, the managers of their
	// team and admins (and, for a team goal, the team); see CanSeeGoal.
	Private bool `json:"private"`
	// Source names the metric source (declared in the team file) whose
	// scheduled pull feeds the goal; empty when nothing pulls it.
	Source string `json:"source"`
	// Stated is the status the owner last stated in an update, if any.
	Stated    Status `json:"stated"`
	CloseNote string `json:"close_note"`
	// UpdatedAt is when the goal last changed while open (an update, an
	// edit, its closing); a closed goal keeps its closing time, which the
	// views of past periods read as such.
	UpdatedAt time.Time `json:"updated_at"`
	// Version counts the saves of the goal's record (edits, closes; not
	// progress, which the store computes itself). SaveGoal refuses a stale
	// one with ErrConflict, so an edit is applied to the goal as it is and
	// never writes back fields another edit changed meanwhile. It is a
	// concurrency token, not data: exports leave it out.
	Version int64 `json:"-"`
}

// PastMeasure is a measure a goal had until a change of unit, baseline or
// target replaced it at Until.
type PastMeasure struct {
	Metric Metric    `json:"metric"`
	Until  time.Time `json:"until"`
}

// Update is one progress record on a goal.
type Update struct {
	GoalID string `json:"goal"`
	TeamID string `json:"team"`
	// Value is the goal's value after this update.
	Value float64 `json:"value"`
	// Previous is the value before it, so history shows the change.
	Previous float64   `json:"previous"`
	Stated   Status    `json:"stated"`
	Note     string    `json:"note"`
	Author   UserID    `json:"author"`
	At       time.Time `json:"at"`
	// Source is the chat message the update came from, if any.
	Source MessageRef `json:"source"`
	// Key is the idempotency key of the event that produced it.
	Key string `json:"key"`
	// Via names the system a fed update came from (an API token's or a
	// metric source's name, or one the caller gave); empty when typed.
	Via string `json:"via"`
}

// Kudos is recognition from one person to others.
type Kudos struct {
	ID      string   `json:"id"`
	TeamID  string   `json:"team"`
	From    UserID   `json:"from"`
	To      []UserID `json:"to"`
	Message string   `json:"message"`
	// Values are hashtags that match the team's company values; Tags the rest.
	Values []string   `json:"values"`
	Tags   []string   `json:"tags"`
	At     time.Time  `json:"at"`
	Source MessageRef `json:"source"`
	Key    string     `json:"key"`
}

// CheckIn is one person's answers for one period of one team.
type CheckIn struct {
	TeamID string `json:"team"`
	Person UserID `json:"person"`
	// Period is an ISO week, "2026-W48", in the team's time zone.
	Period string `json:"period"`
	// Answers holds one answer per question, in order; the mood answer is kept in Mood.
	Answers []string `json:"answers"`
	// Questions are the written questions the answers were given to, with
	// their roles, kept from when the check-in was first asked so that a
	// later change of the team's questions never relabels them. Empty in
	// check-ins stored before they were kept (see AskedQuestions).
	Questions  []Question `json:"questions,omitempty"`
	Mood       int        `json:"mood"`
	Skipped    bool       `json:"skipped"`
	SkipReason string     `json:"skip_reason"`
	// Next is the index of the question to ask next in the conversation.
	Next      int       `json:"next"`
	Completed time.Time `json:"completed"`
	UpdatedAt time.Time `json:"updated_at"`
	// LastKey is the event whose answer was saved last. A worker that dies
	// after saving it leaves the event to be delivered again; this is how
	// that delivery knows it was done, instead of reading the same text as
	// the answer to the next question. Not exported.
	LastKey string `json:"-"`
}

// Done reports whether all questions were answered.
func (c CheckIn) Done() bool { return !c.Completed.IsZero() }

// Conversation is the check-in a person is answering in their direct chat.
type Conversation struct {
	TeamID string
	Period string
	// Questions are the questions the conversation was opened with, so the
	// answers pair with the questions shown even if the team changes them
	// meanwhile; empty in conversations opened before they were kept.
	Questions []Question
	// OpenedBy is the event whose answer finished another check-in and
	// opened this held one, so that event delivered again (its worker died
	// before replying) is known as done, not read as this one's first answer.
	OpenedBy string
}

// AuditEntry records one change for a team's audit log.
type AuditEntry struct {
	At     time.Time
	Actor  UserID
	Action string
	// Subject is what changed: a goal id, a kudos id, a person, a setting name.
	Subject string
	Detail  string
	// Key is the idempotency key of the source event.
	Key string
}

// MessageRef points at one chat message, so Pulse can react to it or reply in its thread.
type MessageRef struct {
	Platform Platform `json:"platform"`
	Channel  string   `json:"channel"`
	ID       string   `json:"id"`
}

// IsZero reports whether the reference is empty.
func (m MessageRef) IsZero() bool { return m.ID == "" }

// ISOWeek returns the ISO week ("2026-W48") that t falls in, in loc.
func ISOWeek(t time.Time, loc *time.Location) string { return parse.ISOWeek(t, loc) }

// WeekBounds returns the start (Monday 00:00) and end (next Monday 00:00) of
// the ISO week "YYYY-Www" in loc.
func WeekBounds(period string, loc *time.Location) (time.Time, time.Time, error) {
	return parse.WeekBounds(period, loc)
}
