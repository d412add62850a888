package main

import (
	"fmt"
	"strings"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/scheduler"
)

// nextRunsShown is how many upcoming runs `config check` prints per team.
const nextRunsShown = 3

// configCheck prints what Pulse would run with: platforms, Redis, and each
// team of the PULSE_CONFIG file with its next scheduled runs. run has
// already refused an invalid configuration, listing every problem.
func (e *environment) configCheck() error {
	w := e.stdout
	fmt.Fprintln(w, "configuration ok")
	fmt.Fprintln(w, "platforms: "+e.platformSummary())
	if e.cfg.RedisURL == "" {
		fmt.Fprintln(w, "redis: REDIS_URL not set (pulse try and serve --embedded-store use an in-memory store)")
	} else {
		fmt.Fprintf(w, "redis: %s (key prefix %q)\n", redactURL(e.cfg.RedisURL), e.cfg.RedisPrefix)
	}
	fmt.Fprintf(w, "http: %s\n", e.cfg.HTTPAddr)
	if len(e.cfg.Admins) > 0 {
		admins := make([]string, len(e.cfg.Admins))
		for i, a := range e.cfg.Admins {
			admins[i] = string(a)
		}
		fmt.Fprintf(w, "admins: %s\n", strings.Join(admins, ", "))
	}
	if e.cfg.ConfigFile == "" {
		fmt.Fprintln(w, "teams: PULSE_CONFIG not set; teams are created in chat with /pulse team create")
		return nil
	}
	fmt.Fprintf(w, "teams in %s: %d\n", e.cfg.ConfigFile, len(e.cfg.Teams))
	now := bot.SystemClock{}.Now()
	for _, t := range e.cfg.Teams {
		fmt.Fprintf(w, "\nteam %s (id %s) on %s, channel %s\n", t.Name, t.ID, t.Platform, t.Channel)
		fmt.Fprintf(w, "  members %d, managers %d, time zone %s, language %s, kudos allowance %d a day\n",
			len(t.Members), len(t.Managers), t.TimeZone, t.Locale, t.KudosAllowance)
		fmt.Fprintf(w, "  check-in %q, digest %q\n", t.CheckInSchedule, t.DigestSchedule)
		runs, err := scheduler.NextRuns(t, now, nextRunsShown)
		if err != nil {
			return fmt.Errorf("PULSE_CONFIG team %s: %w", t.Name, err)
		}
		for _, line := range describeNextRuns(runs, t) {
			fmt.Fprintln(w, "  "+line)
		}
		for _, src := range e.cfg.Sources {
			if src.Team == t.ID {
				fmt.Fprintf(w, "  metric source %s (%s) %q, goals %s\n", src.Name, src.Kind, src.Schedule, strings.Join(src.Goals, " "))
			}
		}
	}
	return nil
}

// platformSummary names the platforms serve would connect.
func (e *environment) platformSummary() string {
	var on []string
	if e.cfg.Slack.enabled() {
		mode := "HTTP"
		if e.cfg.Slack.AppToken != "" {
			mode = "Socket Mode"
		}
		on = append(on, "slack ("+mode+")")
	}
	if e.cfg.Feishu.enabled() {
		on = append(on, "feishu ("+e.cfg.Feishu.Mode+")")
	}
	if len(on) == 0 {
		return "none (pulse serve would refuse to start)"
	}
	return strings.Join(on, ", ")
}
