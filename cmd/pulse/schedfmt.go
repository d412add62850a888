package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/scheduler"
)

// describeRun is one line about a job run, for `jobs run` and `/run`. A
// repeat of a fire that already ran to the end says so instead of
// repeating the earlier run's "1 sent".
func describeRun(rec scheduler.RunRecord) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", rec.Period, rec.Status)
	if !rec.FireAt.IsZero() {
		fmt.Fprintf(&b, " (fire %s %s)", rec.FireAt.In(zoneOf(rec.Zone)).Format("Mon 2006-01-02 15:04"), rec.Zone)
	}
	if rec.Repeat {
		// The counts are the earlier run's: this call sent nothing.
		fmt.Fprintf(&b, ": already run before, nothing sent now (then %d sent, %d failed)", rec.Sent, rec.Failed)
		return b.String()
	}
	fmt.Fprintf(&b, ": %d planned, %d sent, %d failed", rec.Planned, rec.Sent, rec.Failed)
	if rec.Deduped > 0 {
		fmt.Fprintf(&b, ", %d already sent before", rec.Deduped)
	}
	if rec.Error != "" {
		b.WriteString("; " + rec.Error)
	}
	return b.String()
}

func zoneOf(name string) *time.Location {
	return bot.Team{TimeZone: name}.Location()
}

// describeNextRuns lists upcoming runs, one line each, in the team's zone.
func describeNextRuns(runs []scheduler.NextRun, t bot.Team) []string {
	loc := t.Location()
	lines := make([]string, 0, len(runs))
	for _, r := range runs {
		lines = append(lines, fmt.Sprintf("%-17s %s", r.Job, r.At.In(loc).Format("Mon 2006-01-02 15:04 MST")))
	}
	return lines
}
