package bot

import (
	"strings"
	"time"
)

// CheckInState is where one member stands with one period's check-in.
type CheckInState string

// Check-in states. Expected check-ins are answered, skipped and missing
// ones; away members owe none.
const (
	StateAnswered CheckInState = "answered"
	StateSkipped  CheckInState = "skipped"
	StateAway     CheckInState = "away"
	StateMissing  CheckInState = "missing"
)

// checkInState is the one rule every view (scorecard, summary, status,
// App Home) counts check-ins by: a finished check-in is answered, a skipped
// one skipped; otherwise a member away in the week [from, to) is away and
// anyone else missing. now is when the figures are read.
func checkInState(c CheckIn, p Person, team Team, from, to, now time.Time) CheckInState {
	switch {
	case c.Done():
		return StateAnswered
	case c.Skipped:
		return StateSkipped
	case awayInWeek(p, team, from, to, now):
		return StateAway
	}
	return StateMissing
}

// awayInWeek reports whether the person counts as away in the week
// [from, to). Pulse keeps only the last day of an absence, not its first,
// so a week that has ended counts as away only when the absence ended in
// it; the running week when the absence reaches into it.
func awayInWeek(p Person, team Team, from, to, now time.Time) bool {
	if p.AwayUntil.IsZero() {
		return false
	}
	loc := personLocation(p, team)
	if !p.IsAway(from, loc) {
		return false // the absence ended before the week
	}
	return to.After(now) || !p.IsAway(to, loc)
}

// personPeriod is the person's check-in week at now: the ISO week of their
// own local date (their zone, else the team's).
func personPeriod(p Person, team Team, now time.Time) string {
	return ISOWeek(now, personLocation(p, team))
}

// confirmSkip asks before a skip drops answers already given.
func (s *Service) confirmSkip(r *request, team Team, period, reason string) Response {
	// The team goes with the confirmation, so it skips where it asked.
	withTeam := strings.TrimSpace(reason + " team " + team.ID)
	msg := Message{Blocks: []Block{
		Text{Text: s.t(r, "checkin_skip_answered", map[string]any{"Period": period})},
		Buttons{{ID: ActionCheckInSkipConfirm, Label: s.t(r, "button_skip_anyway", nil), Value: withTeam,
			Command: "/checkin skip confirm " + withTeam, Danger: true}},
	}}
	return Response{Reply: msg, Visibility: Private}
}
