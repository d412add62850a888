package main

import (
	"context"
	"fmt"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/parse"
)

// export writes goals, updates, kudos and check-ins to stdout. --period
// is read by parse.ExportPeriod and a backwards range refused by
// parse.RangeBackwards, as in /scorecard export. It is an
// operator command: whoever can run it can read Redis anyway.
func (e *environment) export(ctx context.Context, args []string) error {
	fs := newFlagSet("export", e.stderr)
	format := fs.String("format", "", "csv or json")
	team := fs.String("team", "", "export this team only (default: every team)")
	fromFlag := fs.String("from", "", "first day, YYYY-MM-DD (or an RFC3339 instant)")
	toFlag := fs.String("to", "", "last day, inclusive, YYYY-MM-DD (or an RFC3339 instant, exclusive)")
	periodFlag := fs.String("period", "", "a month 2026-11, a quarter 2026-Q4 or an ISO week 2026-W48, in the team's time zone (UTC without --team)")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := mustBeEmpty("export", positional); err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return fmt.Errorf("--format %q: use --format csv or --format json", *format)
	}
	from, err := parseDateFlag("--from", *fromFlag, false)
	if err != nil {
		return err
	}
	to, err := parseDateFlag("--to", *toFlag, true)
	if err != nil {
		return err
	}
	if parse.RangeBackwards(from, to) {
		return fmt.Errorf("--from %s to --to %s ends before it starts; put the earlier date in --from, e.g. --from %s --to %s", *fromFlag, *toFlag, *toFlag, *fromFlag)
	}
	if *periodFlag != "" && (*fromFlag != "" || *toFlag != "") {
		return fmt.Errorf("--period %s: give either --period or --from/--to, not both", *periodFlag)
	}
	b, err := e.openBackend(ctx, false)
	if err != nil {
		return err
	}
	defer b.close()
	if *periodFlag != "" {
		// The period is read as /scorecard export reads it: whole calendar
		// periods of the team's time zone.
		loc := time.UTC
		if *team != "" {
			t, err := b.store.GetTeam(ctx, bot.TeamID(*team))
			if err != nil {
				return fmt.Errorf("--team %s: %w", *team, err)
			}
			loc = t.Location()
		}
		if from, to, err = parse.ExportPeriod(*periodFlag, loc); err != nil {
			return fmt.Errorf("--period: %w", err)
		}
	}
	c, err := e.newCore(b, bot.Router{}, bot.SystemClock{})
	if err != nil {
		return err
	}
	req := bot.ExportRequest{Format: *format, TeamID: bot.TeamID(*team), From: from, To: to}
	if err := c.svc.Export(ctx, e.stdout, req); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// parseDateFlag reads YYYY-MM-DD (UTC midnight; the day after for an
// inclusive end) or an RFC3339 instant. Empty is the zero time: open.
func parseDateFlag(name, v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s %q is not a date such as 2026-03-31 (or an RFC3339 time)", name, v)
}
