package web

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// Page defaults.
const (
	// myWeeks is how far back the person's page lists kudos and check-ins.
	myWeeks = 12
	// teamWeeks is the team page's default trend: a quarter.
	teamWeeks = 13
	// navTeams is how many managed teams the menu lists; the company page lists all.
	navTeams = 6
)

// frame is the part of every signed-in page: language, zone, menu, CSRF token.
func (s *Server) frame(v bot.WebUser, sess viewer, current, title string) pageData {
	d := pageData{cat: s.svc.Catalog(), zone: v.Zone, Locale: v.Locale, Title: title, CSRF: csrfToken(sess.session)}
	d.Nav = append(d.Nav, navLink{Href: "/app/", Label: d.T("web_nav_my"), Current: current == "my"})
	if len(v.Managed) <= navTeams {
		for _, t := range v.Managed {
			d.Nav = append(d.Nav, navLink{Href: teamHref(t.ID), Label: t.Name, Current: current == "team:"+t.ID})
		}
	}
	d.Nav = append(d.Nav, navLink{Href: "/app/company", Label: d.T("web_nav_company"), Current: current == "company"})
	if len(v.Managed) > 0 {
		d.Nav = append(d.Nav, navLink{Href: "/app/reviews", Label: d.T("web_nav_reviews"), Current: current == "reviews"})
	}
	return d
}

func teamHref(id string) string { return "/app/team/" + url.PathEscape(id) }

// myView is the person's page.
type myView struct {
	bot.MyPage
	Goals []goalRow
}

type goalRow struct {
	bot.GoalView
	Value, Target, Status string
	Chart                 chart
}

func (s *Server) myPage(w http.ResponseWriter, r *http.Request, sess viewer) {
	page, err := s.svc.WebMyPage(r.Context(), sess.id, myWeeks)
	if err != nil {
		s.fail(w, requestLocale(r), err)
		return
	}
	d := s.frame(page.User, sess, "my", "")
	d.Title = d.T("web_my_title", "Name", page.User.Person.Name)
	view := myView{MyPage: page}
	for _, g := range page.Goals {
		view.Goals = append(view.Goals, s.goalRow(d, g))
	}
	d.Page = view
	s.render(w, "my", http.StatusOK, d)
}

// goalRow is a goal with its history drawn: the value after each update,
// starting from where the goal started.
func (s *Server) goalRow(d pageData, g bot.GoalView) goalRow {
	c := g.Card
	pts := []point{{Label: d.Date(c.Start), Value: c.Metric.Baseline, OK: true}}
	if c.Metric.Milestone {
		pts[0].Value = 0
	}
	for _, u := range g.Updates {
		pts = append(pts, point{Label: d.Date(u.At), Value: u.Value, OK: true})
	}
	unit := strings.TrimSpace(c.Metric.Unit)
	if c.Metric.Milestone {
		unit = "%"
	}
	title := d.T("web_goal_chart", "ID", c.ID, "Title", c.Title, "Unit", unit)
	summary := d.T("web_goal_chart_summary", "Count", len(g.Updates), "Value", bot.FormatValue(c.Value, c.Metric.Unit))
	return goalRow{GoalView: g, Value: bot.FormatValue(c.Value, c.Metric.Unit), Target: bot.FormatValue(c.Metric.Target, c.Metric.Unit),
		Status: d.T("status_" + string(c.Computed)), Chart: lineChart(title, summary, pts, 0)}
}

// teamView is a team's page.
type teamView struct {
	bot.TeamPage
	Period, Weeks string
	WeekOptions   []int
	Scorecard     messageView
	Reviews       messageView
	Rows          []figureRow
	Values        []valueCount
	Charts        []chart
}

type valueCount struct {
	Value string
	Count int
}

// figureRow is one week of a team's trend, as the table and the downloads show it.
type figureRow struct {
	Period   string  `json:"period"`
	Answered int     `json:"answered"`
	Expected int     `json:"expected"`
	Mood     *string `json:"mood"`
	Progress string  `json:"progress"`
	OnTrack  int     `json:"on_track"`
	AtRisk   int     `json:"at_risk"`
	OffTrack int     `json:"off_track"`
	Done     int     `json:"done"`
	Updates  int     `json:"updates"`
	Kudos    int     `json:"kudos"`
}

func (s *Server) loadTeam(w http.ResponseWriter, r *http.Request, sess viewer) (bot.TeamPage, int, bool) {
	weeks := teamWeeks
	if n, err := strconv.Atoi(r.URL.Query().Get("weeks")); err == nil {
		weeks = min(max(n, 1), bot.MaxTrendWeeks)
	}
	page, err := s.svc.WebTeamPage(r.Context(), sess.id, r.PathValue("team"), r.URL.Query().Get("week"), weeks)
	if err != nil {
		l := requestLocale(r)
		if v, verr := s.svc.WebUser(r.Context(), sess.id); verr == nil {
			l = v.Locale
		}
		s.fail(w, l, err)
		return bot.TeamPage{}, 0, false
	}
	return page, weeks, true
}

func (s *Server) teamPage(w http.ResponseWriter, r *http.Request, sess viewer) {
	page, weeks, ok := s.loadTeam(w, r, sess)
	if !ok {
		return
	}
	d := s.frame(page.User, sess, "team:"+page.Team.ID, "")
	d.Title = d.T("web_team_title", "Team", page.Team.Name, "Period", page.Scorecard.Period)
	view := teamView{TeamPage: page, Period: page.Scorecard.Period, Weeks: strconv.Itoa(weeks), WeekOptions: []int{4, 13, 26, 52},
		Scorecard: viewOf(page.Message), Reviews: viewOf(page.Reviews), Rows: figureRows(page.Trend)}
	values := map[string]int{}
	var partic, mood, progress, kudos []point
	for _, sc := range page.Trend {
		h := sc.Headline
		partic = append(partic, point{Label: sc.Period, Value: participation(h), OK: h.Expected > 0})
		mood = append(mood, point{Label: sc.Period, Value: h.Mood, OK: h.MoodShown()})
		progress = append(progress, point{Label: sc.Period, Value: h.Progress, OK: true})
		kudos = append(kudos, point{Label: sc.Period, Value: float64(h.KudosGiven), OK: true})
		for v, n := range sc.Values {
			values[v] += n
		}
	}
	view.Charts = []chart{
		lineChart(d.T("web_chart_participation"), d.T("web_chart_weeks", "Count", len(partic)), partic, 100),
		lineChart(d.T("web_chart_mood", "Min", bot.MinMoodAnswers), d.T("web_chart_weeks", "Count", len(mood)), mood, 5),
		lineChart(d.T("web_chart_progress"), d.T("web_chart_weeks", "Count", len(progress)), progress, 100),
		lineChart(d.T("web_chart_kudos"), d.T("web_chart_weeks", "Count", len(kudos)), kudos, 0),
	}
	for v, n := range values {
		view.Values = append(view.Values, valueCount{Value: v, Count: n})
	}
	sort.Slice(view.Values, func(i, j int) bool {
		if view.Values[i].Count != view.Values[j].Count {
			return view.Values[i].Count > view.Values[j].Count
		}
		return view.Values[i].Value < view.Values[j].Value
	})
	d.Page = view
	s.render(w, "team", http.StatusOK, d)
}

// participation is the share of expected check-ins answered (the core's
// WeekFigures definition, applied to a headline).
func participation(h bot.Headline) float64 {
	return bot.WeekFigures{Answered: h.Answered, Expected: h.Expected}.Participation()
}

// figureRows are the trend's weekly figures; a mood under the answer floor stays empty.
func figureRows(trend []bot.Scorecard) []figureRow {
	rows := make([]figureRow, 0, len(trend))
	for _, sc := range trend {
		h := sc.Headline
		row := figureRow{Period: sc.Period, Answered: h.Answered, Expected: h.Expected, Progress: fmt.Sprintf("%.0f", h.Progress),
			OnTrack: h.OnTrack, AtRisk: h.AtRisk, OffTrack: h.OffTrack, Done: h.Done, Updates: h.Updates, Kudos: h.KudosGiven}
		if h.MoodShown() {
			m := fmt.Sprintf("%.1f", h.Mood)
			row.Mood = &m
		}
		rows = append(rows, row)
	}
	return rows
}

// teamFigures downloads the trend's weekly figures as CSV or JSON.
func (s *Server) teamFigures(w http.ResponseWriter, r *http.Request, sess viewer) {
	page, _, ok := s.loadTeam(w, r, sess)
	if !ok {
		return
	}
	rows := figureRows(page.Trend)
	name := "pulse-" + page.Team.ID + "-" + page.Scorecard.Period
	if r.URL.Query().Get("format") == "json" {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", attachment(name+".json"))
		_ = json.NewEncoder(w).Encode(map[string]any{"team": page.Team.ID, "weeks": rows})
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", attachment(name+".csv"))
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"period", "answered", "expected", "mood", "progress", "on_track", "at_risk", "off_track", "done", "updates", "kudos"})
	for _, row := range rows {
		mood := ""
		if row.Mood != nil {
			mood = *row.Mood
		}
		_ = cw.Write([]string{row.Period, strconv.Itoa(row.Answered), strconv.Itoa(row.Expected), mood, row.Progress,
			strconv.Itoa(row.OnTrack), strconv.Itoa(row.AtRisk), strconv.Itoa(row.OffTrack), strconv.Itoa(row.Done),
			strconv.Itoa(row.Updates), strconv.Itoa(row.Kudos)})
	}
	cw.Flush()
}

// attachment is a Content-Disposition for a download named filename,
// quoted by the mime package: a team id may hold quotes or semicolons, which
// pasted raw would add parameters of their own.
func attachment(filename string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": filename})
}

// companyFilter narrows the tree; a goal shows when it or a goal under it matches.
type companyFilter struct {
	Team, Owner, Status, Due string
	due                      time.Time
}

func (f companyFilter) empty() bool {
	return f.Team == "" && f.Owner == "" && f.Status == "" && f.Due == ""
}

func (f companyFilter) matches(n *bot.CompanyNode) bool {
	c := n.Card
	if f.Team != "" && c.TeamID != f.Team {
		return false
	}
	if f.Owner != "" && !strings.Contains(strings.ToLower(n.Owner), strings.ToLower(f.Owner)) {
		return false
	}
	if f.Status != "" && string(c.Computed) != f.Status {
		return false
	}
	if !f.due.IsZero() && (c.Due.IsZero() || c.Due.After(f.due)) {
		return false
	}
	return true
}

// nodeView is a goal of the tree as the page shows it.
type nodeView struct {
	bot.CompanyNode
	Status, Due, Figures string
	Match                bool
	Kids                 []nodeView
}

type companyView struct {
	Filter   companyFilter
	Teams    []bot.Team
	Managed  map[string]bool
	Statuses []bot.Status
	Roots    []nodeView
	Shown    int
	Bad      string
}

func (s *Server) companyPage(w http.ResponseWriter, r *http.Request, sess viewer) {
	c, err := s.svc.WebCompany(r.Context(), sess.id)
	if err != nil {
		s.fail(w, requestLocale(r), err)
		return
	}
	d := s.frame(c.User, sess, "company", "")
	d.Title = d.T("web_company_title")
	q := r.URL.Query()
	view := companyView{Filter: companyFilter{Team: q.Get("team"), Owner: strings.TrimSpace(q.Get("owner")), Status: q.Get("status"), Due: q.Get("due")},
		Teams: c.Teams, Managed: map[string]bool{}, Statuses: []bot.Status{bot.OnTrack, bot.AtRisk, bot.OffTrack}}
	if view.Filter.Due != "" {
		due, err := time.ParseInLocation("2006-01-02", view.Filter.Due, c.User.Zone)
		if err != nil {
			view.Bad = d.T("web_filter_due_bad")
			view.Filter.Due = ""
		} else {
			view.Filter.due = due.AddDate(0, 0, 1)
		}
	}
	for _, t := range c.User.Managed {
		view.Managed[t.ID] = true
	}
	var build func(n *bot.CompanyNode) (nodeView, bool)
	build = func(n *bot.CompanyNode) (nodeView, bool) {
		v := nodeView{CompanyNode: *n, Status: d.T("status_" + string(n.Card.Computed)), Due: d.Date(n.Card.Due), Figures: cardFigures(d, n.Card)}
		v.Match = view.Filter.empty() || view.Filter.matches(n)
		keep := v.Match
		for _, k := range n.Children {
			if kv, ok := build(k); ok {
				v.Kids = append(v.Kids, kv)
				keep = true
			}
		}
		if v.Match {
			view.Shown++
		}
		return v, keep
	}
	for _, root := range c.Roots {
		if v, ok := build(root); ok {
			view.Roots = append(view.Roots, v)
		}
	}
	d.Page = view
	s.render(w, "company", http.StatusOK, d)
}

type reviewsView struct {
	Teams []reviewTeam
}

type reviewTeam struct {
	Team    bot.Team
	Message messageView
}

func (s *Server) reviewsPage(w http.ResponseWriter, r *http.Request, sess viewer) {
	v, list, err := s.svc.WebReviews(r.Context(), sess.id)
	if err != nil {
		s.fail(w, requestLocale(r), err)
		return
	}
	d := s.frame(v, sess, "reviews", "")
	d.Title = d.T("web_reviews_title")
	var view reviewsView
	for _, t := range list {
		view.Teams = append(view.Teams, reviewTeam{Team: t.Team, Message: viewOf(t.Message)})
	}
	d.Page = view
	s.render(w, "reviews", http.StatusOK, d)
}

// cardFigures is a goal's own progress, with the roll-up of the goals
// aligned under it beside it (labelled, never in its place), and its pace.
func cardFigures(d pageData, c bot.GoalCard) string {
	parts := []string{d.T("web_progress_own", "Pct", fmt.Sprintf("%.0f", c.Progress))}
	if c.Children > 0 {
		parts = append(parts, d.T("web_progress_rolled", "Pct", fmt.Sprintf("%.0f", c.Rolled), "Count", c.Children))
	}
	if c.HasPace {
		parts = append(parts, d.T("web_progress_pace", "Pct", fmt.Sprintf("%.0f", c.Pace)))
	}
	return strings.Join(parts, " · ")
}
