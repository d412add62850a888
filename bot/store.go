package bot

import (
	"context"
	"errors"
	"time"
)

// Errors the store returns that the service turns into replies.
var (
	// ErrNotFound means the record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate means a write with the same idempotency key was already
	// stored; the earlier write stands and nothing changed.
	ErrDuplicate = errors.New("duplicate event")
	// ErrAllowanceExceeded means a kudos would take the giver past today's allowance.
	ErrAllowanceExceeded = errors.New("kudos allowance exceeded")
	// ErrConflict means the record changed or vanished between read and write.
	ErrConflict = errors.New("conflict")
	// ErrGoalClosed means the goal was done or dropped before the write.
	ErrGoalClosed = errors.New("goal closed")
	// ErrOutOfRange means a milestone's new value would leave 0–100.
	ErrOutOfRange = errors.New("value out of range")
)

// Store is everything the service keeps. The store package implements it on
// Redis; there is no other implementation (the embedded Redis server is the
// in-memory one). Writes that carry an AuditEntry append it in the same
// atomic step; writes that carry a key store once per key.
type Store interface {
	TeamStore
	PersonStore
	GoalStore
	KudosStore
	CheckInStore
	ScorecardStore
	ReviewStore
	AnonymousStore
	AnonymousReviewStore
	AuditStore
	APITokenStore
	Deduper
	Cache
}

// TeamStore keeps teams and who belongs to them.
type TeamStore interface {
	// SaveTeam creates or replaces a team and its membership index.
	SaveTeam(ctx context.Context, t Team, a AuditEntry) error
	GetTeam(ctx context.Context, id string) (Team, error)
	ListTeams(ctx context.Context) ([]Team, error)
	// TeamsOf returns the teams the person is a member or a manager of.
	TeamsOf(ctx context.Context, id UserID) ([]Team, error)
	// TeamByChannel finds the team whose channel this is.
	TeamByChannel(ctx context.Context, p Platform, channel string) (Team, error)
}

// Membership is the sender of an event as the store knows them.
type Membership struct {
	Person Person
	// Known is false for someone Pulse has never seen (Person is then zero).
	Known bool
	// Teams are the teams they are a member or a manager of.
	Teams []Team
}

// MembershipGoalReader is a store that can read a goal in the same round
// trip as an event's Membership. A chat update names its goal in text the
// service parses before it reads the person, and without this the goal
// costs a round trip of its own after that read. The service uses it when
// the store has it and reads the goal on its own otherwise.
type MembershipGoalReader interface {
	// MembershipWithGoal is Membership plus a read of the goal goalID, when
	// the store can make it in the same round trip (GoalRead.Done). The
	// error is Membership's; the goal's own outcome is in GoalRead.Err.
	MembershipWithGoal(ctx context.Context, id UserID, goalID string) (Membership, GoalRead, error)
}

// GoalRead is one read of a goal made ahead of the handler that needs it.
// It is what GetGoal would have returned at that moment, kept for one
// request only, never between requests.
type GoalRead struct {
	// Done is false when the goal was not read (the store could not fold
	// it into the round trip); Goal and Err are then zero.
	Done bool
	Goal Goal
	// Err is GetGoal's error: ErrNotFound for a goal that does not exist.
	Err error
}

// PersonStore keeps people's profiles and their check-in conversation.
type PersonStore interface {
	// Membership reads the person and their teams together: every event
	// begins with both, and the store fetches them in fewer round trips
	// than GetPerson and TeamsOf one after the other.
	Membership(ctx context.Context, id UserID) (Membership, error)
	// GetPerson returns ErrNotFound for someone Pulse has never seen.
	GetPerson(ctx context.Context, id UserID) (Person, error)
	// People returns the known people among ids; unknown ids are left out.
	People(ctx context.Context, ids []UserID) (map[UserID]Person, error)
	SavePerson(ctx context.Context, p Person) error
	// Conversation returns the check-in the person is answering, or ErrNotFound.
	Conversation(ctx context.Context, id UserID) (Conversation, error)
	SetConversation(ctx context.Context, id UserID, c Conversation) error
	ClearConversation(ctx context.Context, id UserID) error
	// ForgetPerson deletes the person's profile, check-ins, kudos they gave
	// and goals they own, and removes them from every team, auditing each team.
	ForgetPerson(ctx context.Context, id UserID, a AuditEntry) error
}

// GoalStore keeps goals and their update history.
type GoalStore interface {
	// CreateGoal assigns the next id ("G<n>") and stores the goal.
	CreateGoal(ctx context.Context, g Goal, a AuditEntry) (Goal, error)
	GetGoal(ctx context.Context, id string) (Goal, error)
	// SaveGoal replaces a goal's fields (edit, done, drop) if the goal is
	// still at g.Version; ErrConflict when another save came first;
	// ErrDuplicate, writing nothing (no second audit entry), when a.Key's
	// event saved this goal before (a redelivery).
	SaveGoal(ctx context.Context, g Goal, a AuditEntry) error
	// RecordUpdate applies c to the goal's current value and appends u to its
	// history and the team's update index in one atomic step that reads the
	// value itself, so concurrent updates never conflict and relative ones
	// add up exactly. u.Value and u.Previous are ignored: the update returned
	// carries the values it really moved between. It refuses a closed goal
	// (ErrGoalClosed), a milestone leaving 0–100 (ErrOutOfRange) and a goal
	// whose metric is no longer c's (ErrConflict). With a key seen before it
	// returns the earlier update and ErrDuplicate, changing nothing.
	RecordUpdate(ctx context.Context, u Update, c ProgressChange, a AuditEntry) (Update, error)
	// TeamGoals returns the team's goals, open and closed.
	TeamGoals(ctx context.Context, teamID string) ([]Goal, error)
	// GoalUpdates returns a goal's updates with from <= At < to, oldest first.
	GoalUpdates(ctx context.Context, goalID string, from, to time.Time) ([]Update, error)
	// TeamUpdates returns a team's updates with from <= At < to, oldest first.
	TeamUpdates(ctx context.Context, teamID string, from, to time.Time) ([]Update, error)
}

// ProgressChange is what one progress update asks of a goal's value. The
// store applies it to the value it finds, inside the write, instead of the
// caller computing the new value from a read that may be stale.
type ProgressChange struct {
	// Number is the new value, or the amount to add when Relative.
	Number   float64
	Relative bool
	// Unit and Milestone are the goal's metric the caller checked the typed
	// unit against.
	Unit      string
	Milestone bool
}

// KudosStore keeps kudos and each giver's daily allowance.
type KudosStore interface {
	// GiveKudos stores k if the giver has room for len(k.To) more recipients
	// on day (YYYY-MM-DD in the giver's zone) under allowance, and returns how
	// many remain. It returns ErrAllowanceExceeded (with the remaining count)
	// or ErrDuplicate without storing anything.
	GiveKudos(ctx context.Context, k Kudos, day string, allowance int, a AuditEntry) (remaining int, err error)
	// KudosUsed returns how many recipients the giver has used on day.
	KudosUsed(ctx context.Context, teamID string, giver UserID, day string) (int, error)
	// LastKudosBy returns the newest kudos the giver gave in the team.
	LastKudosBy(ctx context.Context, teamID string, giver UserID) (Kudos, error)
	// UndoKudos deletes k and gives its recipients back to the allowance of
	// day, and returns the kudos it took back; ErrNotFound when k is already
	// gone. It is keyed by a.Key: when that event already took a kudos back
	// (a redelivery), nothing changes and that kudos is returned.
	UndoKudos(ctx context.Context, k Kudos, day string, a AuditEntry) (Kudos, error)
	// KudosUndoneBy returns the kudos the event key took back in the team,
	// or ErrNotFound.
	KudosUndoneBy(ctx context.Context, teamID, key string) (Kudos, error)
	// TeamKudos returns kudos given in the team with from <= At < to, oldest first.
	TeamKudos(ctx context.Context, teamID string, from, to time.Time) ([]Kudos, error)
}

// CheckInStore keeps check-in answers.
type CheckInStore interface {
	GetCheckIn(ctx context.Context, teamID, period string, person UserID) (CheckIn, error)
	// SaveCheckIn stores the check-in; with a key seen before it returns
	// ErrDuplicate and changes nothing.
	SaveCheckIn(ctx context.Context, c CheckIn, key string, a AuditEntry) error
	// TeamCheckIns returns every stored check-in of the team for the period.
	TeamCheckIns(ctx context.Context, teamID, period string) ([]CheckIn, error)
}

// AuditStore reads the audit log that writes append to.
type AuditStore interface {
	// AuditLog returns the team's newest entries, newest first.
	AuditLog(ctx context.Context, teamID string, limit int) ([]AuditEntry, error)
	// Audit appends an entry on its own, for changes that have no other write.
	Audit(ctx context.Context, teamID string, a AuditEntry) error
}

// Deduper remembers keys for a while, to do side work once: a metric pull
// claims its run, Feishu's welcome goes once a day. Events never go
// through it: an event is claimed and queued in one step by the Inbox.
type Deduper interface {
	// FirstSeen records key for ttl and reports whether it is new.
	FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Cache keeps small strings for a while, such as a platform's user profile.
type Cache interface {
	CacheGet(ctx context.Context, key string) (string, bool, error)
	CacheSet(ctx context.Context, key, value string, ttl time.Duration) error
}
