package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/parse"
)

// progress is `pulse progress G7 2.6 [--note …]` and `pulse progress --csv
// FILE`: progress fed from the command line through the same core path as
// the API (bot.Service.FeedProgress), keyed so a repeated run records once.
func (e *environment) progress(ctx context.Context, args []string) error {
	fs := newFlagSet("progress", e.stderr)
	note := fs.String("note", "", "a note for the update")
	status := fs.String("status", "", "the status you state: on_track, at_risk or off_track")
	source := fs.String("source", "cli", "where the value comes from, recorded with the update")
	atFlag := fs.String("at", "", "when the value was measured, RFC3339 (default: now)")
	key := fs.String("key", "", "idempotency key: the same key again records nothing (default: a new one)")
	csvFile := fs.String("csv", "", "back-fill from a CSV file of goal,value,time rows")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if !parse.ValidName(*source) {
		return fmt.Errorf("--source %q: use up to 40 lower-case letters, digits, - . or _", *source)
	}
	if *csvFile == "" && len(positional) != 2 {
		return errors.New("usage: pulse progress <goal> <value> [--note TEXT] [--status S] [--at RFC3339] [--key K] | pulse progress --csv FILE")
	}
	if *csvFile != "" && (len(positional) > 0 || *note != "" || *status != "" || *atFlag != "" || *key != "") {
		return errors.New("usage: pulse progress --csv FILE [--source NAME]; the file carries goal, value and time")
	}
	b, err := e.openBackend(ctx, false)
	if err != nil {
		return err
	}
	defer b.close()
	// A live update is announced in its team's channel like one from the API.
	c, err := e.sendingCore(b, bot.SystemClock{})
	if err != nil {
		return err
	}
	feeder := bot.Feeder{Name: *source}
	if *csvFile != "" {
		return e.progressCSV(ctx, c.svc, feeder, *csvFile)
	}
	in := bot.FeedUpdate{GoalID: positional[0], Note: *note, Status: *status, Source: *source, Key: *key}
	v, err := parse.ParseValue(positional[1])
	if err != nil || v.Relative {
		return fmt.Errorf("value %q: give the goal's new value as a number, such as 2.6 or 2.6%%", positional[1])
	}
	in.Value = v.Number
	if *atFlag != "" {
		if in.At, err = time.Parse(time.RFC3339, *atFlag); err != nil {
			return fmt.Errorf("--at %q is not an RFC3339 time such as 2026-12-06T09:30:00Z", *atFlag)
		}
	}
	if in.Key == "" {
		if in.Key, err = randomKey(); err != nil {
			return err
		}
	}
	in.Key = "cli:" + in.Key
	in.Unit = v.Unit
	res, err := c.svc.FeedProgress(ctx, feeder, in)
	if err != nil {
		return refusalError(c.svc, err)
	}
	c.svc.Announce(ctx, res.Announcement)
	e.printFed(res)
	return nil
}

func (e *environment) printFed(res bot.FeedResult) {
	g, u := res.Goal, res.Update
	line := fmt.Sprintf("%s %s → %s (target %s)", g.ID, bot.FormatValue(u.Previous, g.Metric.Unit),
		bot.FormatValue(u.Value, g.Metric.Unit), bot.FormatValue(g.Metric.Target, g.Metric.Unit))
	if res.Replayed {
		line += " — already recorded with this key; nothing changed"
	}
	fmt.Fprintln(e.stdout, line)
}

// refusalError turns a refusal into the sentence chat and the API say.
func refusalError(svc *bot.Service, err error) error {
	if s, ok := svc.Refusal(bot.English, err); ok {
		return errors.New(s)
	}
	return err
}

func randomKey() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random idempotency key: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// csvRow is one back-filled value.
type csvRow struct {
	line int
	in   bot.FeedUpdate
}

// progressCSV back-fills history from goal,value,time rows (a header row
// is allowed). Every row is checked first, against the file and against
// the goals as stored; with any problem it prints one line per problem
// and records nothing. Each row's key is its content, so running the same
// file again records nothing twice.
func (e *environment) progressCSV(ctx context.Context, svc *bot.Service, f bot.Feeder, path string) error {
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--csv: %w", unwrapPathError(err))
	}
	defer file.Close()
	rows, problems := readProgressCSV(file)
	problems = append(problems, validateRows(ctx, svc, f, rows)...)
	sortByLine(problems)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(e.stderr, p)
		}
		return fmt.Errorf("%s: %d problems; nothing was imported", path, len(problems))
	}
	recorded, replayed := 0, 0
	for _, row := range rows {
		res, err := svc.FeedProgress(ctx, f, row.in)
		if err != nil {
			return fmt.Errorf("line %d: %w (rows before it were recorded; run the same file again to finish)", row.line, refusalError(svc, err))
		}
		if res.Replayed {
			replayed++
		} else {
			recorded++
		}
	}
	fmt.Fprintf(e.stdout, "%d updates recorded, %d already there\n", recorded, replayed)
	return nil
}

// readProgressCSV reads rows and reports every malformed one; rows come
// back ordered by goal and time, the order they must be recorded in.
func readProgressCSV(r io.Reader) ([]csvRow, []string) {
	// Excel's "CSV UTF-8" and `pulse export` start with a byte-order mark.
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = false
	var rows []csvRow
	var problems []string
	seen := map[string]int{}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("line %d: not CSV: %v", line, err))
			break
		}
		if line == 1 && len(rec) > 0 && strings.EqualFold(strings.TrimSpace(rec[0]), "goal") {
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		row, problem := parseCSVRow(line, rec)
		if problem != "" {
			problems = append(problems, problem)
			continue
		}
		id := row.in.GoalID + "@" + row.in.At.UTC().Format(time.RFC3339Nano)
		if first, ok := seen[id]; ok {
			problems = append(problems, fmt.Sprintf("line %d: %s has a value at %s already on line %d; keep one", line, row.in.GoalID, row.in.At.UTC().Format(time.RFC3339), first))
			continue
		}
		seen[id] = line
		rows = append(rows, row)
	}
	if len(rows) == 0 && len(problems) == 0 {
		problems = append(problems, "the file has no rows; write one goal,value,time row per line, such as G7,2.6,2026-11-30")
	}
	slices.SortStableFunc(rows, func(a, b csvRow) int {
		if c := strings.Compare(a.in.GoalID, b.in.GoalID); c != 0 {
			return c
		}
		return a.in.At.Compare(b.in.At)
	})
	return rows, problems
}

// parseCSVRow reads goal,value,time; the problem names the line.
func parseCSVRow(line int, rec []string) (csvRow, string) {
	if len(rec) != 3 {
		return csvRow{}, fmt.Sprintf("line %d: has %d fields; write goal,value,time such as G7,2.6,2026-11-30", line, len(rec))
	}
	id, ok := parse.GoalID(strings.TrimSpace(rec[0]))
	if !ok {
		return csvRow{}, fmt.Sprintf("line %d: %q is not a goal id such as G7", line, clipText(rec[0]))
	}
	v, err := parse.ParseValue(strings.TrimSpace(rec[1]))
	if err != nil || v.Relative {
		return csvRow{}, fmt.Sprintf("line %d: %q is not a value such as 2.6", line, clipText(rec[1]))
	}
	at, err := parseRowTime(strings.TrimSpace(rec[2]))
	if err != nil {
		return csvRow{}, fmt.Sprintf("line %d: %q is not a time such as 2026-11-30 or 2026-11-30T09:00:00Z", line, clipText(rec[2]))
	}
	sum := sha256.Sum256([]byte(id + "\x00" + strings.TrimSpace(rec[1]) + "\x00" + at.UTC().Format(time.RFC3339Nano)))
	return csvRow{line: line, in: bot.FeedUpdate{GoalID: id, Value: v.Number, At: at, Unit: v.Unit, Key: "csv:" + hex.EncodeToString(sum[:16])}}, ""
}

// parseRowTime reads RFC3339 or a date (midnight UTC).
func parseRowTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

func clipText(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// sortByLine orders "line N: …" problems by N.
func sortByLine(problems []string) {
	lineOf := func(p string) int {
		var n int
		_, _ = fmt.Sscanf(p, "line %d:", &n)
		return n
	}
	slices.SortStableFunc(problems, func(a, b string) int { return lineOf(a) - lineOf(b) })
}

// validateRows checks each row against its goal as stored: a row that is
// after the goal's stored history is after it once the earlier rows of
// the file (older, since rows are sorted) have landed too.
func validateRows(ctx context.Context, svc *bot.Service, f bot.Feeder, rows []csvRow) []string {
	var problems []string
	byLine := slices.Clone(rows)
	slices.SortFunc(byLine, func(a, b csvRow) int { return a.line - b.line })
	for _, row := range byLine {
		if err := svc.ValidateFeed(ctx, f, row.in); err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %v", row.line, refusalError(svc, err)))
		}
	}
	return problems
}
