package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// jobsRun runs one scheduled job now for one team or every team. The
// scheduler claims the run per team and period, so running it twice (or
// while `serve` runs it) sends nothing twice.
func (e *environment) jobsRun(ctx context.Context, args []string) error {
	fs := newFlagSet("jobs run", e.stderr)
	team := fs.String("team", "", "run for this team only (default: every team)")
	atFlag := fs.String("at", "", "run as of this instant, RFC3339 (default: now)")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return fmt.Errorf("usage: pulse jobs run <job> [--team T] [--at RFC3339]; job is one of %s", jobList())
	}
	job, ok := bot.ParseJob(positional[0])
	if !ok {
		return fmt.Errorf("job %q is not one of %s", positional[0], jobList())
	}
	var clock bot.Clock = bot.SystemClock{}
	if *atFlag != "" {
		at, err := time.Parse(time.RFC3339, *atFlag)
		if err != nil {
			return fmt.Errorf("--at %q is not an RFC3339 time such as 2026-03-02T10:00:00+01:00", *atFlag)
		}
		clock = bot.NewManualClock(at)
	}
	b, err := e.openBackend(ctx, false)
	if err != nil {
		return err
	}
	defer b.close()
	c, err := e.sendingCore(b, clock)
	if err != nil {
		return err
	}
	teamIDs, err := e.jobTeams(ctx, b, *team)
	if err != nil {
		return err
	}
	var failed, undelivered []string
	for _, id := range teamIDs {
		rec, err := c.sched.RunNow(ctx, job, id, clock.Now())
		if err != nil {
			e.log.Error().Err(err).Str("job", string(job)).Str("team", id).Msg("job run failed")
			failed = append(failed, id)
			continue
		}
		fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", job, id, describeRun(rec))
		if rec.Failed > 0 {
			undelivered = append(undelivered, fmt.Sprintf("%d of %d deliveries failed for team %s", rec.Failed, rec.Planned, id))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("job %s failed for team %s", job, strings.Join(failed, ", "))
	}
	if len(undelivered) > 0 {
		return fmt.Errorf("job %s: %s (the log says why)", job, strings.Join(undelivered, "; "))
	}
	return nil
}

// jobTeams is the team asked for, or every stored team.
func (e *environment) jobTeams(ctx context.Context, b *backend, team string) ([]string, error) {
	if team != "" {
		t, err := b.store.GetTeam(ctx, bot.TeamID(team))
		if err != nil {
			return nil, fmt.Errorf("--team %s: %w", team, err)
		}
		return []string{t.ID}, nil
	}
	teams, err := b.store.ListTeams(ctx)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	if len(teams) == 0 {
		return nil, fmt.Errorf("no teams yet: declare them in PULSE_CONFIG and start `pulse serve`, or create one with /pulse team create")
	}
	ids := make([]string, len(teams))
	for i, t := range teams {
		ids[i] = t.ID
	}
	return ids, nil
}
