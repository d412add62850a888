package bot

// PersonWeeks is how many weeks of check-ins a person's scorecard lists:
// a month, enough for a one-to-one to see a direction.
const PersonWeeks = 4

// PersonWeek is one week of a person's check-ins as their scorecard lists it.
type PersonWeek struct {
	Period string
	State  CheckInState
	// Highlight and Blockers are the answers to the questions with those
	// roles, when State is StateAnswered.
	Highlight, Blockers string
	// Mood is set only when the scorecard's viewer may see it (CanSeeMood).
	Mood int
}

// FlagKind names what a person's scorecard flags for their manager.
type FlagKind string

// The flags, each computed from the same figures the scorecard shows.
const (
	// FlagOffTrack: one of their goals is off track.
	FlagOffTrack FlagKind = "off_track"
	// FlagBlocked: they reported a blocker two weeks in a row or more.
	FlagBlocked FlagKind = "blocked"
	// FlagMissed: no check-in (neither skipped nor away) two weeks in a row or more.
	FlagMissed FlagKind = "missed"
)

// Flag is something in a person's scorecard a manager should ask about.
type Flag struct {
	Kind FlagKind
	// Goal is the goal's id, for FlagOffTrack.
	Goal string
	// Weeks is how many weeks in a row, for FlagBlocked and FlagMissed.
	Weeks int
}

// personDetails fills what only a person's scorecard shows: their last
// PersonWeeks weeks of check-ins, newest first, and the flags.
func (b scorecardBuilder) personDetails(sc *Scorecard) {
	last := len(b.weeks) - 1
	for i := last; b.inTeamLife(i) && i > last-PersonWeeks; i-- {
		w := PersonWeek{Period: b.weeks[i].period, State: b.state(b.person, i)}
		if w.State == StateAnswered {
			c := b.checkIn(i, b.person)
			w.Highlight, w.Blockers = c.Highlight(b.team), c.Blockers(b.team)
			if CanSeeMood(b.viewer, c) {
				w.Mood = c.Mood
			}
		}
		sc.Recent = append(sc.Recent, w)
	}
	for _, g := range sc.Goals {
		if g.Computed == OffTrack {
			sc.Flags = append(sc.Flags, Flag{Kind: FlagOffTrack, Goal: g.ID})
		}
	}
	for _, bl := range sc.Blockers {
		if bl.Person == b.person && bl.Weeks >= 2 {
			sc.Flags = append(sc.Flags, Flag{Kind: FlagBlocked, Weeks: bl.Weeks})
		}
	}
	// Weeks in a row without a check-in, counted over ended weeks: the
	// running week can still be answered.
	missed := 0
	for i := last; b.inTeamLife(i) && (b.weeks[i].to.After(b.now) || b.state(b.person, i) == StateMissing); i-- {
		if !b.weeks[i].to.After(b.now) {
			missed++
		}
	}
	if missed >= 2 {
		sc.Flags = append(sc.Flags, Flag{Kind: FlagMissed, Weeks: missed})
	}
}

// inTeamLife reports whether weeks[i] exists and ends after the team was
// created: earlier weeks owe no check-in.
func (b scorecardBuilder) inTeamLife(i int) bool {
	return i >= 0 && (b.team.CreatedAt.IsZero() || b.weeks[i].to.After(b.team.CreatedAt))
}
