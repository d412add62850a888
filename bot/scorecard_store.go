package bot

import (
	"context"
	"time"
)

// ScorecardStore reads everything one scorecard needs in one batched call,
// so building a scorecard costs a fixed number of round trips (at most 3)
// whatever the team's size or history. Reading goals, updates, kudos,
// check-ins and people one by one would cost a round trip per week and per
// goal.
type ScorecardStore interface {
	ScorecardData(ctx context.Context, q ScorecardQuery) (ScorecardData, error)
}

// ScorecardQuery says what a scorecard reads. The windows are bounded by
// the period asked for, never by the team's history.
type ScorecardQuery struct {
	TeamID string
	// From and To bound the updates and kudos read (From <= At < To).
	From, To time.Time
	// CountFrom, when before From, asks only how many updates and kudos
	// the team has in [CountFrom, From): the previous period's counts,
	// without reading its records. Counted on millisecond index scores.
	CountFrom time.Time
	// Periods are the ISO weeks whose check-ins are read.
	Periods []string
	// ValuesAt are instants at which each goal's value is wanted: the
	// value of its last update strictly before the instant. Ascending.
	ValuesAt []time.Time
	// People are the profiles to read, besides the givers and recipients of
	// the kudos read, which the store adds itself.
	People []UserID
}

// ScorecardData is what ScorecardStore.ScorecardData returns.
type ScorecardData struct {
	// Goals are the team's goals, open and closed, ordered by number.
	Goals []Goal
	// Updates and Kudos are those in [From, To), oldest first.
	Updates []Update
	Kudos   []Kudos
	// UpdatesBefore and KudosBefore count those in [CountFrom, From).
	UpdatesBefore, KudosBefore int
	// CheckIns holds the stored check-ins of each period asked for.
	CheckIns map[string][]CheckIn
	// ValuesAt maps a goal id to one entry per ScorecardQuery.ValuesAt: the
	// value then, and whether any update came before that instant.
	ValuesAt map[string][]GoalValue
	// People are the known profiles among those asked for and the kudos'
	// givers and recipients.
	People map[UserID]Person
}

// GoalValue is a goal's value at one instant; OK is false when the goal had
// no update before it (its value was then the baseline, if it existed).
type GoalValue struct {
	Value float64
	OK    bool
	// At is when the update that set Value was recorded: a measure begun
	// after it starts from its own baseline, not from Value.
	At time.Time
}
