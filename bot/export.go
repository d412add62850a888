package bot

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot/parse"
)

// ExportRequest selects what `pulse export` and `/scorecard export` write.
type ExportRequest struct {
	// Format is "csv" or "json".
	Format string
	// TeamID limits the export to one team; empty means every team.
	TeamID string
	// From and To bound updates, kudos and check-ins by time; zero means open.
	From, To time.Time
	// Figures adds each goal's figures and the last week's check-in states
	// (JSON), as "/scorecard export" shows them. A backup leaves them out:
	// they are read from the records, and change with the time of reading.
	Figures bool
	// Viewer, when set, is who will read the export in chat: it then holds
	// only what CanSee… lets them read. The CLI export (nil) holds
	// everything stored, for backups — and anonymous answers are stored
	// with no author, so it cannot name one either.
	Viewer *Viewer
}

// ExportVersion is the version of the JSON export's format that Export
// writes, in its "version" field. Version 1 (no "version" field) named
// teams, people, goals, updates, kudos and check-ins with Go's field names
// ("TeamID"); version 2 names every field in snake_case. The schema is
// docs/export.schema.json; `pulse import` reads both versions.
const ExportVersion = 2

// Export is the JSON document of an export.
type Export struct {
	// Version is ExportVersion.
	Version int    `json:"version"`
	Teams   []Team `json:"teams"`
	// People are the profiles (name, time zone, language, away) of the
	// exported teams' members and managers, ordered by id, so a restore
	// keeps how each person is greeted and when they are asked.
	People   []Person  `json:"people"`
	Goals    []Goal    `json:"goals"`
	Updates  []Update  `json:"updates"`
	Kudos    []Kudos   `json:"kudos"`
	CheckIns []CheckIn `json:"checkins"`
	// Reviews holds feedback, review cycles and development actions; JSON only.
	Reviews []ReviewExport `json:"reviews"`
	// Figures are each exported goal's figures (GoalFigures) at the
	// export's end, by goal id: the numbers every chat view shows. JSON only;
	// an import ignores them.
	Figures map[string]GoalFigures `json:"figures,omitempty"`
	// Participation is each team's check-in states and kudos counts in the
	// week the export ends, counted as the scorecard and the summary count them.
	Participation []PeriodParticipation `json:"participation,omitempty"`
}

// PeriodParticipation is who answered, skipped, was away or is missing in
// one team's check-in week, and the week's kudos by giver and recipient
// (KudosCounts), as the scorecard of that week counts them.
type PeriodParticipation struct {
	TeamID   string      `json:"team"`
	Period   string      `json:"period"`
	Answered []UserID    `json:"answered"`
	Skipped  []UserID    `json:"skipped"`
	Away     []UserID    `json:"away"`
	Missing  []UserID    `json:"missing"`
	Kudos    KudosCounts `json:"kudos"`
}

// ExportColumns are the CSV columns, stable across releases: one row per
// record, its kind in "record". New columns are only ever added at the end.
// Times are RFC 3339 in UTC; numbers are plain decimals.
//
//	column  goal                 update              kudos                  checkin
//	record  "goal"               "update"            "kudos"                "checkin"
//	team    team id              team id             team id                team id
//	id      goal id "G7"         update key          kudos id               period "2026-W48"
//	person  owner                author              giver                  person
//	time    start                when posted         when given             last change
//	goal    parent goal id       goal id             —                      —
//	value   current value        new value           number of recipients   mood 1–5 (0: none)
//	status  open|done|dropped    stated status       —                      answered|skipped|open
//	text    title                note                message                answers joined by " | "
//	extra   baseline= target=    previous=           to=<ids> values=<v,…>  skip reason
//	        unit= due=
//	questions —                  —                   —                      the answers' questions joined by " | ",
//	                                                                        roles tagged "[highlight]" "[blockers]"
var ExportColumns = []string{"record", "team", "id", "person", "time", "goal", "value", "status", "text", "extra", "questions"}

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
	out := Export{Version: ExportVersion, Teams: teams, Goals: []Goal{}, Updates: []Update{}, Kudos: []Kudos{}, CheckIns: []CheckIn{}}
	for _, t := range teams {
		if err := s.exportTeam(ctx, &out, t, from, to, req); err != nil {
			return Export{}, err
		}
	}
	people, err := s.exportPeople(ctx, teams)
	if err != nil {
		return Export{}, err
	}
	out.People = people
	reviews, err := s.ExportReviews(ctx, req.TeamID)
	if err != nil {
		return Export{}, fmt.Errorf("export reviews: %w", err)
	}
	out.Reviews = reviews
	if req.Viewer != nil {
		out = filterExport(*req.Viewer, out)
	}
	return out, nil
}

// exportPeople returns the stored profiles of the teams' members and
// managers, each once, ordered by id; people without a profile are left out.
func (s *Service) exportPeople(ctx context.Context, teams []Team) ([]Person, error) {
	var ids []UserID
	seen := map[UserID]bool{}
	for _, t := range teams {
		for _, id := range t.People() {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	found, err := s.store.People(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("export people: %w", err)
	}
	out := make([]Person, 0, len(found))
	for _, id := range ids {
		if p, ok := found[id]; ok {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *Service) exportTeam(ctx context.Context, out *Export, t Team, from, to time.Time, req ExportRequest) error {
	goals, err := s.store.TeamGoals(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("export goals of %s: %w", t.ID, err)
	}
	out.Goals = append(out.Goals, goals...)
	if req.Figures {
		if err := s.exportFigures(ctx, out, t, goals, to, req.Viewer); err != nil {
			return err
		}
	}
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
	// Every week from start to the one to falls in (stepping from a
	// mid-week start could miss the last), and the week after, which a
	// member east of the team's zone may already be answering.
	seen := map[string]bool{}
	loc := t.Location()
	for week := start; !week.After(to.AddDate(0, 0, 7)); week = week.AddDate(0, 0, 1) {
		period := ISOWeek(week, loc)
		if seen[period] {
			continue
		}
		seen[period] = true
		list, err := s.store.TeamCheckIns(ctx, t.ID, period)
		if err != nil {
			return fmt.Errorf("export check-ins of %s: %w", t.ID, err)
		}
		for _, c := range list {
			out.CheckIns = append(out.CheckIns, s.exportedCheckIn(t, c))
		}
	}
	return nil
}

// exportedCheckIn is the check-in as stored, its kept questions' default
// ones also written out in the team's language so the export reads on its
// own. One stored before questions were kept is exported without them, as
// stored: a backup holds records, and a reader applies AskedQuestions' rule.
func (s *Service) exportedCheckIn(t Team, c CheckIn) CheckIn {
	if len(c.Questions) == 0 {
		return c
	}
	qs := slices.Clone(c.Questions)
	for i, q := range qs {
		if q.Key != "" && q.Text == "" {
			qs[i].Text = s.catalog.T(t.Locale, q.Key, nil)
		}
	}
	c.Questions = qs
	return c
}

// exportFigures adds the team's goal figures, check-in states and kudos
// counts as they stand at to (or now, when to is later); with viewer set,
// only the kudos they may read count, as in their scorecard.
func (s *Service) exportFigures(ctx context.Context, out *Export, t Team, goals []Goal, to time.Time, viewer *Viewer) error {
	if out.Figures == nil {
		out.Figures = map[string]GoalFigures{}
	}
	at := to
	if now := s.clock.Now(); now.Before(at) {
		at = now
	}
	goals, err := s.goalsAtExportEnd(ctx, t, goals, to)
	if err != nil {
		return err
	}
	tree := newGoalTree(liveGoals(goals))
	for _, g := range goals {
		out.Figures[g.ID] = tree.figures(g, at)
	}
	// to is exclusive: an export to a week's end is that week's.
	last := at
	if !at.Before(to) {
		last = to.Add(-time.Nanosecond)
	}
	period := ISOWeek(last, t.Location())
	p, err := s.participation(ctx, t, period, at)
	if err != nil {
		return fmt.Errorf("export participation of %s: %w", t.ID, err)
	}
	from, end, err := WeekBounds(period, t.Location())
	if err != nil {
		return fmt.Errorf("export week of %s: %w", t.ID, err)
	}
	kudos, err := s.store.TeamKudos(ctx, t.ID, from, end)
	if err != nil {
		return fmt.Errorf("export kudos counts of %s: %w", t.ID, err)
	}
	if viewer != nil {
		kudos = keep(kudos, func(k Kudos) bool { return CanSeeKudos(*viewer, k) })
	}
	out.Participation = append(out.Participation, PeriodParticipation{TeamID: t.ID, Period: period,
		Answered: p.answered, Skipped: p.skipped, Away: p.away, Missing: p.missing, Kudos: CountKudos(kudos, "")})
	return nil
}

// goalsAtExportEnd is the team's goals as they stood at an export's end
// in the past (goalsStoodAt), as the scorecard of a week ending then shows
// them, read with their values then in one batched store read; goals, as
// stored, for an export that ends now or later.
func (s *Service) goalsAtExportEnd(ctx context.Context, t Team, goals []Goal, end time.Time) ([]Goal, error) {
	now := s.clock.Now()
	if !end.Before(now) {
		return goals, nil
	}
	data, err := s.store.ScorecardData(ctx, ScorecardQuery{TeamID: t.ID, From: end, To: end, ValuesAt: []time.Time{end}})
	if err != nil {
		return nil, fmt.Errorf("export goal values of %s at %s: %w", t.ID, end.Format(time.RFC3339), err)
	}
	return goalsStoodAt(data.Goals, data.ValuesAt, 0, end, now), nil
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
			fmt.Sprintf("baseline=%s target=%s unit=%s due=%s", num(g.Metric.Baseline), num(g.Metric.Target), g.Metric.Unit, dateOrEmpty(g.Due)), ""})
	}
	for _, u := range data.Updates {
		rows = append(rows, []string{"update", u.TeamID, u.Key, string(u.Author), ts(u.At), u.GoalID, num(u.Value), string(u.Stated), u.Note, "previous=" + num(u.Previous), ""})
	}
	for _, k := range data.Kudos {
		rows = append(rows, []string{"kudos", k.TeamID, k.ID, string(k.From), ts(k.At), "", strconv.Itoa(len(k.To)), "", k.Message,
			"to=" + kudosDetail(k) + " values=" + strings.Join(k.Values, ","), ""})
	}
	for _, c := range data.CheckIns {
		status := "open"
		if c.Done() {
			status = "answered"
		} else if c.Skipped {
			status = "skipped"
		}
		rows = append(rows, []string{"checkin", c.TeamID, c.Period, string(c.Person), ts(c.UpdatedAt), "", strconv.Itoa(c.Mood), status, strings.Join(c.Answers, " | "), c.SkipReason,
			csvQuestions(c.Questions)})
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// csvQuestions writes exported questions (text filled in) as the CSV's
// questions column reads them.
func csvQuestions(qs []Question) string {
	parts := make([]string, len(qs))
	for i, q := range qs {
		parts[i] = q.Text
		if q.Role != "" {
			parts[i] += " [" + string(q.Role) + "]"
		}
	}
	return strings.Join(parts, " | ")
}

func dateOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

// exportCommand answers "/scorecard export [csv|json] [team <name>] [from <date>] [to <date>]" with a file.
func (s *Service) exportCommand(ctx context.Context, r *request, args string) (Response, error) {
	spec, err := parse.ParseExport(args, r.now, time.UTC) // for the team's name
	if err != nil {
		return Response{}, err
	}
	team, err := s.resolveTeam(ctx, r, spec.Team, needManager)
	if err != nil {
		return Response{}, err
	}
	if !CanSeeScorecard(r.viewer, team.ID, "") {
		return Response{}, refuse("scorecard_forbidden", map[string]any{"Team": team.Name})
	}
	// The dates are the team's days, as its weeks, months and quarters are.
	if spec, err = parse.ParseExport(args, r.now, team.Location()); err != nil {
		return Response{}, err
	}
	format, period, from, to := spec.Format, spec.Period, spec.From, spec.To
	if parse.RangeBackwards(from, to) {
		// The same rule as pulse export's --from and --to.
		return Response{}, refuse("export_range_backwards", map[string]any{"From": from.Format("2006-01-02"), "To": to.AddDate(0, 0, -1).Format("2006-01-02")})
	}
	if period != "" {
		if from, to, err = parse.ExportPeriod(period, team.Location()); err != nil {
			return Response{}, refuse("sc_export_period_invalid", map[string]any{"Period": period})
		}
	}
	// Figures and participation are JSON only: a CSV export reads none.
	var buf bytes.Buffer
	if err := s.Export(ctx, &buf, ExportRequest{Format: format, TeamID: team.ID, From: from, To: to, Viewer: &r.viewer, Figures: format == "json"}); err != nil {
		return Response{}, err
	}
	mime := "text/csv; charset=utf-8"
	if format == "json" {
		mime = "application/json"
	}
	stamp := r.now.Format("2006-01-02")
	if period != "" {
		stamp = strings.ToUpper(period)
	}
	name := fmt.Sprintf("pulse-%s-%s.%s", team.ID, stamp, format)
	resp := s.say(r, "export_ready", map[string]any{"Name": name})
	resp.File = &File{Name: name, MIME: mime, Data: buf.Bytes()}
	return resp, nil
}
