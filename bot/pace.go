package bot

import "time"

// Pace thresholds from SPEC.md: progress trailing the expected pace by more
// than AtRiskGap points is at risk, by more than OffTrackGap off track.
const (
	AtRiskGap   = 10.0
	OffTrackGap = 25.0
)

// Progress returns how far the goal has come, in percent of the way from
// baseline to target (a milestone's value already is a percent).
func (g Goal) Progress() float64 {
	return g.progressAt(g.Current)
}

func (g Goal) progressAt(value float64) float64 {
	if g.Metric.Milestone {
		return value
	}
	span := g.Metric.Target - g.Metric.Baseline
	if span == 0 {
		if value >= g.Metric.Target {
			return 100
		}
		return 0
	}
	return (value - g.Metric.Baseline) / span * 100
}

// ExpectedProgress is the percent of the planned time that has passed at now:
// the pace the goal should keep. ok is false when the goal has no due date.
func (g Goal) ExpectedProgress(now time.Time) (float64, bool) {
	if g.Due.IsZero() || g.Start.IsZero() {
		return 0, false
	}
	end := g.Due.AddDate(0, 0, 1) // due at the end of the due day
	planned := end.Sub(g.Start)
	if planned <= 0 {
		return 100, true
	}
	p := float64(now.Sub(g.Start)) / float64(planned) * 100
	if p < 0 {
		p = 0
	}
	if p > 100 {
		p = 100
	}
	return p, true
}

// ComputedStatus is the status the numbers give: done/dropped for closed
// goals, otherwise how far progress trails pace.
func (g Goal) ComputedStatus(now time.Time) Status {
	switch g.State {
	case GoalDone:
		return Done
	case GoalDropped:
		return Dropped
	}
	expected, ok := g.ExpectedProgress(now)
	if !ok {
		return OnTrack
	}
	return statusFromGap(expected - g.Progress())
}

// IsSMART reports whether the goal has a measurable target and a due date.
func (g Goal) IsSMART() bool { return !g.Metric.Milestone && !g.Due.IsZero() }

// riskRank orders statuses from most to least worrying, for sorting.
func riskRank(s Status) int {
	switch s {
	case OffTrack:
		return 0
	case AtRisk:
		return 1
	case OnTrack:
		return 2
	case Done:
		return 3
	}
	return 4
}
