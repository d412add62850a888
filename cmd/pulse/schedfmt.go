package main

import (
	"fmt"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/scheduler"
)

// describeRun is one line about a job run, for `jobs run` and `/run`.
func describeRun(rec scheduler.RunRecord) string {
	return fmt.Sprintf("%+v", rec)
}

// describeNextRuns lists upcoming runs, at most perJob of each job.
func describeNextRuns(runs []scheduler.NextRun, t bot.Team, perJob int) []string {
	count := map[bot.Job]int{}
	var lines []string
	loc := t.Location()
	for _, r := range runs {
		if count[r.Job] >= perJob {
			continue
		}
		count[r.Job]++
		lines = append(lines, fmt.Sprintf("%-17s %s", r.Job, r.At.In(loc).Format("Mon 2006-01-02 15:04 MST")))
	}
	return lines
}
