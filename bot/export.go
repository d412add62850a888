package bot

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ExportRequest selects what `pulse export` and `/scorecard export` write.
type ExportRequest struct {
	// Format is "csv" or "json".
	Format string
	// TeamID limits the export to one team; empty means every team.
	TeamID string
	// From and To bound updates, kudos and check-ins by time; zero means open.
	From, To time.Time
}

// Export is the JSON document of an export.
type Export struct {
	Teams    []Team    `json:"teams"`
	Goals    []Goal    `json:"goals"`
	Updates  []Update  `json:"updates"`
	Kudos    []Kudos   `json:"kudos"`
	CheckIns []CheckIn `json:"checkins"`
}

// ExportColumns are the CSV columns, stable across releases: one row per
// record, its kind in "record".
var ExportColumns = []string{"record", "team", "id", "person", "time", "goal", "value", "status", "text", "extra"}

// Export writes a team's (or every team's) records. CSV starts with a UTF-8
// byte-order mark so spreadsheet programs read Chinese text correctly.
func (s *Service) Export(ctx context.Context, w io.Writer, req ExportRequest) error {
	data, err := s.collectExport(ctx, req)
	if err != nil {
		return err
	}
	switch req.Format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(data)
	case "csv":
		return writeExportCSV(w, data)
	}
	return fmt.Errorf("export: unknown format %q (want csv or json)", req.Format)
}

func (s *Service) collectExport(ctx context.Context, req ExportRequest) (Export, error) {
	var teams []Team
	if req.TeamID != "" {
		t, err := s.store.GetTeam(ctx, req.TeamID)
		if err != nil {
			return Export{}, fmt.Errorf("export team %s: %w", req.TeamID, err)
		}
		teams = []Team{t}
	} else {
		all, err := s.store.ListTeams(ctx)
		if err != nil {
			return Export{}, fmt.Errorf("export teams: %w", err)
		}
		teams = all
	}
	from, to := req.From, req.To
	if to.IsZero() {
		to = s.clock.Now().Add(time.Second)
	}
	out := Export{Teams: teams, Goals: []Goal{}, Updates: []Update{}, Kudos: []Kudos{}, CheckIns: []CheckIn{}}
	for _, t := range teams {
		if err := s.exportTeam(ctx, &out, t, from, to); err != nil {
			return Export{}, err
		}
	}
	return out, nil
}

func (s *Service) exportTeam(ctx context.Context, out *Export, t Team, from, to time.Time) error {
	goals, err := s.store.TeamGoals(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("export goals of %s: %w", t.ID, err)
	}
	out.Goals = append(out.Goals, goals...)
	updates, err := s.store.TeamUpdates(ctx, t.ID, from, to)
	if err != nil {
		return fmt.Errorf("export updates of %s: %w", t.ID, err)
	}
	out.Updates = append(out.Updates, updates...)
	kudos, err := s.store.TeamKudos(ctx, t.ID, from, to)
	if err != nil {
		return fmt.Errorf("export kudos of %s: %w", t.ID, err)
	}
	out.Kudos = append(out.Kudos, kudos...)
	start := from
	if start.IsZero() {
		start = t.CreatedAt
	}
	for week := start; week.Before(to); week = week.AddDate(0, 0, 7) {
		list, err := s.store.TeamCheckIns(ctx, t.ID, ISOWeek(week, t.Location()))
		if err != nil {
			return fmt.Errorf("export check-ins of %s: %w", t.ID, err)
		}
		out.CheckIns = append(out.CheckIns, list...)
	}
	return nil
}

func writeExportCSV(w io.Writer, data Export) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	rows := [][]string{ExportColumns}
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, g := range data.Goals {
		rows = append(rows, []string{"goal", g.TeamID, g.ID, string(g.Owner), ts(g.Start), g.Parent, num(g.Current), string(g.State), g.Title,
			fmt.Sprintf("baseline=%s target=%s unit=%s due=%s", num(g.Metric.Baseline), num(g.Metric.Target), g.Metric.Unit, dateOrEmpty(g.Due))})
	}
	for _, u := range data.Updates {
		rows = append(rows, []string{"update", u.TeamID, u.Key, string(u.Author), ts(u.At), u.GoalID, num(u.Value), string(u.Stated), u.Note, "previous=" + num(u.Previous)})
	}
	for _, k := range data.Kudos {
		rows = append(rows, []string{"kudos", k.TeamID, k.ID, string(k.From), ts(k.At), "", strconv.Itoa(len(k.To)), "", k.Message,
			"to=" + kudosDetail(k) + " values=" + strings.Join(k.Values, ",")})
	}
	for _, c := range data.CheckIns {
		status := "open"
		if c.Done() {
			status = "answered"
		} else if c.Skipped {
			status = "skipped"
		}
		rows = append(rows, []string{"checkin", c.TeamID, c.Period, string(c.Person), ts(c.UpdatedAt), "", strconv.Itoa(c.Mood), status, strings.Join(c.Answers, " | "), c.SkipReason})
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func dateOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

// exportCommand answers "/scorecard export [csv|json] [team <name>] [from <date>] [to <date>]" with a file.
func (s *Service) exportCommand(ctx context.Context, r *request, args string) (Response, error) {
	toks := Tokens(args)
	format := "csv"
	if len(toks) > 0 && (toks[0] == "csv" || toks[0] == "json") {
		format, toks = toks[0], toks[1:]
	}
	var teamName string
	var from, to time.Time
	for len(toks) > 0 {
		switch {
		case len(toks) >= 2 && (toks[0] == "team" || toks[0] == "团队"):
			teamName, toks = toks[1], toks[2:]
		case len(toks) >= 2 && (toks[0] == "from" || toks[0] == "从" || toks[0] == "to" || toks[0] == "到"):
			d, used, err := ParseDate(toks[1:], r.now, time.UTC)
			if err != nil {
				return Response{}, err
			}
			if toks[0] == "from" || toks[0] == "从" {
				from = d
			} else {
				to = d.AddDate(0, 0, 1)
			}
			toks = toks[1+used:]
		default:
			return Response{}, refuse("export_usage", nil)
		}
	}
	team, err := s.resolveTeam(ctx, r, teamName)
	if err != nil {
		return Response{}, err
	}
	if !s.canManage(team, r.actor.ID) {
		return Response{}, refuse("scorecard_forbidden", map[string]any{"Team": team.Name})
	}
	var buf bytes.Buffer
	if err := s.Export(ctx, &buf, ExportRequest{Format: format, TeamID: team.ID, From: from, To: to}); err != nil {
		return Response{}, err
	}
	mime := "text/csv; charset=utf-8"
	if format == "json" {
		mime = "application/json"
	}
	name := fmt.Sprintf("pulse-%s-%s.%s", team.ID, r.now.Format("2006-01-02"), format)
	resp := s.say(r, "export_ready", map[string]any{"Name": name})
	resp.File = &File{Name: name, MIME: mime, Data: buf.Bytes()}
	return resp, nil
}
