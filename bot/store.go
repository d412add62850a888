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
	AuditStore
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

// PersonStore keeps people's profiles and their check-in conversation.
type PersonStore interface {
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
	// SaveGoal replaces a goal's fields (edit, done, drop).
	SaveGoal(ctx context.Context, g Goal, a AuditEntry) error
	// RecordUpdate moves the goal's current value to u.Value and appends u to
	// its history and the team's update index, atomically. With a key that
	// was seen before it returns ErrDuplicate and changes nothing. When the
	// goal's value is no longer u.Previous it returns ErrConflict.
	RecordUpdate(ctx context.Context, u Update, a AuditEntry) error
	// TeamGoals returns the team's goals, open and closed.
	TeamGoals(ctx context.Context, teamID string) ([]Goal, error)
	// GoalUpdates returns a goal's updates with from <= At < to, oldest first.
	GoalUpdates(ctx context.Context, goalID string, from, to time.Time) ([]Update, error)
	// TeamUpdates returns a team's updates with from <= At < to, oldest first.
	TeamUpdates(ctx context.Context, teamID string, from, to time.Time) ([]Update, error)
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
	// day; ErrNotFound when it is already gone.
	UndoKudos(ctx context.Context, k Kudos, day string, a AuditEntry) error
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

// Deduper remembers keys for a while. Adapters use it to drop platform
// retries of an event; the scheduler to claim a run once.
type Deduper interface {
	// FirstSeen records key for ttl and reports whether it is new.
	FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Cache keeps small strings for a while, such as a platform's user profile.
type Cache interface {
	CacheGet(ctx context.Context, key string) (string, bool, error)
	CacheSet(ctx context.Context, key, value string, ttl time.Duration) error
}
