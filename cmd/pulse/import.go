package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
)

// importData restores what `pulse export --format json` wrote: teams,
// people, goals (with their ids), updates, kudos, check-ins and the
// feedback and review records, from a file or
// stdin, into the Redis of REDIS_URL under PULSE_REDIS_PREFIX. It is
// idempotent: running it again after an interruption changes nothing that
// is already there. It is an operator command: whoever can run it can write
// Redis anyway.
func (e *environment) importData(ctx context.Context, args []string) error {
	fs := newFlagSet("import", e.stderr)
	file := fs.String("file", "", "read the export from this file (default: standard input)")
	team := fs.String("team", "", "import this team only (default: every team in the file)")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := mustBeEmpty("import", positional); err != nil {
		return err
	}
	in := e.stdin
	name := "standard input"
	if *file != "" {
		f, err := os.Open(*file)
		if err != nil {
			return fmt.Errorf("--file: %w", err)
		}
		defer f.Close()
		in, name = f, *file
	}
	data, err := decodeExport(in)
	if err != nil {
		return fmt.Errorf("import %s: %w", name, err)
	}
	// Every record is checked before the first is written: a file with a
	// problem imports nothing.
	if err := validateExport(data); err != nil {
		return fmt.Errorf("import %s: %w", name, err)
	}
	b, err := e.openBackend(ctx, false)
	if err != nil {
		return err
	}
	defer b.close()
	counts, err := importExport(ctx, b.store, data, *team, bot.SystemClock{}.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %d teams, %d people, %d goals, %d updates, %d kudos, %d check-ins, %d feedback and review records\n",
		counts.teams, counts.people, counts.goals, counts.updates, counts.kudos, counts.checkIns, counts.reviews)
	return nil
}

// importCounts says what an import wrote.
type importCounts struct {
	teams, people, goals, updates, kudos, checkIns, reviews int
}

// importExport writes data (only team teamID's records when it is set).
// Teams go first (with an audit entry saying they were imported), then the
// profiles of their people, then goals, then the records that point at
// them, and last each team's feedback and review records in one step per
// team. The audit log itself is not part of an export and is not restored.
func importExport(ctx context.Context, st *store.Store, data bot.Export, teamID string, now time.Time) (importCounts, error) {
	var c importCounts
	keep := func(t string) bool { return teamID == "" || t == teamID }
	for _, t := range data.Teams {
		if !keep(t.ID) {
			continue
		}
		a := bot.AuditEntry{At: now, Action: "team.imported", Subject: t.ID, Detail: "pulse import"}
		if err := st.SaveTeam(ctx, t, a); err != nil {
			return c, fmt.Errorf("import team %s: %w", t.ID, err)
		}
		c.teams++
	}
	if teamID != "" && c.teams == 0 {
		return c, fmt.Errorf("--team %s: the export holds no such team", teamID)
	}
	kept := map[bot.UserID]bool{}
	for _, t := range data.Teams {
		if keep(t.ID) {
			for _, id := range t.People() {
				kept[id] = true
			}
		}
	}
	for _, p := range data.People {
		// With --team, only the profiles of that team's people.
		if teamID != "" && !kept[p.ID] {
			continue
		}
		if err := st.SavePerson(ctx, p); err != nil {
			return c, fmt.Errorf("import person: %w", err)
		}
		c.people++
	}
	for _, g := range data.Goals {
		if keep(g.TeamID) {
			if err := st.ImportGoal(ctx, g); err != nil {
				return c, err
			}
			c.goals++
		}
	}
	for _, u := range data.Updates {
		if keep(u.TeamID) {
			if err := st.ImportUpdate(ctx, u); err != nil {
				return c, err
			}
			c.updates++
		}
	}
	for _, k := range data.Kudos {
		if keep(k.TeamID) {
			if err := st.ImportKudos(ctx, k); err != nil {
				return c, err
			}
			c.kudos++
		}
	}
	for _, ci := range data.CheckIns {
		if keep(ci.TeamID) {
			if err := st.ImportCheckIn(ctx, ci); err != nil {
				return c, err
			}
			c.checkIns++
		}
	}
	for _, r := range data.Reviews {
		if keep(r.TeamID) {
			if err := st.ImportReviews(ctx, r); err != nil {
				return c, err
			}
			c.reviews += len(r.Feedback) + len(r.Requests) + len(r.Cycles) + len(r.Sheets) +
				len(r.Answers) + len(r.Actions) + len(r.Flags)
		}
	}
	return c, nil
}
