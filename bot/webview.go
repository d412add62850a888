package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/pulse-bot/pulse/bot/parse"
)

// The web view (package bot/web) reads through the methods in this file.
// Each one acts as the signed-in person, as the visibility model's Viewer
// (visibility.go), and every record it hands out passed the model's CanSee
// function for its kind — the same calls chat makes: CanSeeScorecard for a
// team page, CanSeeGoal for the goals of the trees, CanSeeKudos and
// CanSeeCheckIn for "mine"; feedback and reviews come from the chat
// handlers themselves. People outside the organisation get the chat's one
// sentence. The web view keeps no permission rules of its own.

// WebSignIn issues and revokes the web view's sign-in links. The web
// package implements it; the core only asks for a link when someone types
// `/pulse web`, so it needs no web code.
type WebSignIn interface {
	// NewLink stores a one-time sign-in token for person and returns the
	// link that redeems it, and how long it stays valid.
	NewLink(ctx context.Context, person UserID) (link string, valid time.Duration, err error)
	// SignOut ends every web session of person and returns how many ended.
	SignOut(ctx context.Context, person UserID) (int, error)
}

// SetWebSignIn turns on `/pulse web`. Without it the command says the web
// view is not set up.
func (s *Service) SetWebSignIn(w WebSignIn) { s.web = w }

// webCommand is `/pulse web` (a sign-in link, sent to the person's direct
// chat) and `/pulse web signout` (ends every web session).
func (s *Service) webCommand(ctx context.Context, r *request, signOut bool) (Response, error) {
	if s.web == nil {
		return Response{}, refuse("web_not_set_up", nil)
	}
	if signOut {
		n, err := s.web.SignOut(ctx, r.actor.ID)
		if err != nil {
			return Response{}, fmt.Errorf("web sign out %s: %w", r.actor.ID, err)
		}
		return s.say(r, "web_signed_out", map[string]any{"Count": n}), nil
	}
	link, valid, err := s.web.NewLink(ctx, r.actor.ID)
	if err != nil {
		return Response{}, fmt.Errorf("web link for %s: %w", r.actor.ID, err)
	}
	msg := Message{Blocks: []Block{Text{Text: s.t(r, "web_link", map[string]any{"URL": link, "Minutes": int(valid.Minutes())})}}}
	if r.ev.Direct {
		return Response{Reply: msg, Visibility: Private}, nil
	}
	// A link in a channel, even an ephemeral reply, is one screenshot away
	// from someone else: it goes to the direct chat.
	to := Address{Platform: r.actor.ID.Platform(), User: r.actor.ID}
	if _, err := s.messenger.Send(ctx, to, msg.In(r.locale), r.ev.Key+":web"); err != nil {
		return Response{}, fmt.Errorf("send web link to %s: %w", r.actor.ID, err)
	}
	return s.say(r, "web_link_sent", nil), nil
}

// AuditWebSignIn records a web sign-in in the audit log of each of the
// person's teams (the log is kept per team).
func (s *Service) AuditWebSignIn(ctx context.Context, person UserID, detail string) error {
	teams, err := s.store.TeamsOf(ctx, person)
	if err != nil {
		return fmt.Errorf("teams of %s: %w", person, err)
	}
	a := AuditEntry{At: s.clock.Now(), Actor: person, Action: "web.signin", Subject: string(person), Detail: detail}
	for _, t := range teams {
		if err := s.store.Audit(ctx, t.ID, a); err != nil {
			return fmt.Errorf("audit web sign-in of %s: %w", person, err)
		}
	}
	return nil
}

// WebUser is a signed-in person as the web view needs them: their language
// and zone (as chat uses them), and the teams whose team page they may open.
type WebUser struct {
	Person Person
	Locale Locale
	Zone   *time.Location
	Admin  bool
	// Teams are the teams the person is in or manages.
	Teams []Team
	// Managed are the teams whose scorecards and review status the person
	// may read (CanSeeScorecard): the teams they manage, every team for an admin.
	Managed []Team
}

// Refusal returns the sentence for a refusal (a permission or input error)
// in the viewer's language, and false for any other error.
func (s *Service) Refusal(l Locale, err error) (string, bool) {
	var ue *userError
	if errors.As(err, &ue) {
		return s.catalog.T(l, ue.Key, ue.Data), true
	}
	var pe *parse.Error
	if errors.As(err, &pe) {
		return s.catalog.T(l, pe.Key, pe.Data), true
	}
	return "", false
}

// viewRequest is a read-only request made by a signed-in person, so the
// chat handlers can answer it with their own permission checks.
func (s *Service) viewRequest(ctx context.Context, id UserID) (*request, error) {
	teams, err := s.store.TeamsOf(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("teams of %s: %w", id, err)
	}
	viewer := s.viewerFrom(id, teams)
	if !viewer.Inside {
		return nil, refuse("outsider", nil)
	}
	p, err := s.store.GetPerson(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, refuse("web_unknown_person", nil)
	}
	if err != nil {
		return nil, fmt.Errorf("load person %s: %w", id, err)
	}
	r := &request{ev: Event{User: id, Platform: id.Platform(), Direct: true}, now: s.clock.Now(), actor: p,
		teams: teams, loaded: true, viewer: viewer}
	r.locale = s.localeFor(ctx, r)
	return r, nil
}

// WebUser loads the signed-in person.
func (s *Service) WebUser(ctx context.Context, id UserID) (WebUser, error) {
	r, err := s.viewRequest(ctx, id)
	if err != nil {
		return WebUser{}, err
	}
	return s.webUserOf(ctx, r)
}

func (s *Service) webUserOf(ctx context.Context, r *request) (WebUser, error) {
	teams, err := s.teamsOf(ctx, r)
	if err != nil {
		return WebUser{}, err
	}
	v := WebUser{Person: r.actor, Locale: r.locale, Admin: s.isAdmin(r.actor.ID), Teams: teams, Zone: time.UTC}
	if len(teams) > 0 {
		v.Zone = personLocation(r.actor, teams[0])
	} else if r.actor.TimeZone != "" {
		v.Zone = loadLocation(r.actor.TimeZone)
	}
	candidates := teams
	if v.Admin {
		if candidates, err = s.store.ListTeams(ctx); err != nil {
			return WebUser{}, fmt.Errorf("list teams: %w", err)
		}
	}
	for _, t := range candidates {
		if CanSeeScorecard(r.viewer, t.ID, "") {
			v.Managed = append(v.Managed, t)
		}
	}
	return v, nil
}

// GoalView is one goal with its figures as the scorecard computes them
// (cardOf) and its history, for a chart.
type GoalView struct {
	Card    GoalCard
	Team    string
	Updates []Update
}

// MyPage is what the person's own page shows.
type MyPage struct {
	User  WebUser
	Goals []GoalView
	// KudosReceived and KudosGiven are the last weeks' kudos, newest first.
	KudosReceived, KudosGiven []Kudos
	// CheckIns are the person's check-ins of the last weeks, newest first.
	CheckIns []CheckInView
	// Feedback and Reviews are what `/feedback mine` and `/review mine` show.
	Feedback, Reviews Message
	Names             map[UserID]string
}

// CheckInView is a check-in with each answer labelled by the question it
// was given to, as a page shows it.
type CheckInView struct {
	CheckIn
	Labelled Fields
}

// WebMyPage gathers the person's goals with history, kudos and check-ins of
// the last weeks, and their feedback and reviews as far as released to them.
func (s *Service) WebMyPage(ctx context.Context, id UserID, weeks int) (MyPage, error) {
	r, err := s.viewRequest(ctx, id)
	if err != nil {
		return MyPage{}, err
	}
	v, err := s.webUserOf(ctx, r)
	if err != nil {
		return MyPage{}, err
	}
	page := MyPage{User: v}
	from := r.now.AddDate(0, 0, -7*weeks)
	people := []UserID{id}
	for _, t := range v.Teams {
		goals, err := s.store.TeamGoals(ctx, t.ID)
		if err != nil {
			return MyPage{}, fmt.Errorf("list goals of %s: %w", t.ID, err)
		}
		open := visibleGoals(r.viewer, openGoals(goals))
		tree := newGoalTree(open)
		for _, g := range open {
			if g.Owner != id {
				continue
			}
			ups, err := s.store.GoalUpdates(ctx, g.ID, time.Time{}, r.now.Add(time.Second))
			if err != nil {
				return MyPage{}, fmt.Errorf("history of %s: %w", g.ID, err)
			}
			page.Goals = append(page.Goals, GoalView{Card: cardOf(g, tree, r.now), Team: t.Name, Updates: ups})
		}
		kudos, err := s.store.TeamKudos(ctx, t.ID, from, r.now.Add(time.Second))
		if err != nil {
			return MyPage{}, fmt.Errorf("kudos of %s: %w", t.ID, err)
		}
		for _, k := range slices.Backward(kudos) {
			if !CanSeeKudos(r.viewer, k) {
				continue
			}
			if slices.Contains(k.To, id) {
				page.KudosReceived = append(page.KudosReceived, k)
				people = append(people, k.From)
			}
			if k.From == id {
				page.KudosGiven = append(page.KudosGiven, k)
				people = append(people, k.To...)
			}
		}
		for i := range weeks {
			period := ISOWeek(r.now.AddDate(0, 0, -7*i), personLocation(r.actor, t))
			c, err := s.store.GetCheckIn(ctx, t.ID, period, id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return MyPage{}, fmt.Errorf("check-in %s %s: %w", t.ID, period, err)
			}
			if CanSeeCheckIn(r.viewer, c) {
				page.CheckIns = append(page.CheckIns, CheckInView{CheckIn: c, Labelled: s.checkInAnswerFields(r.locale, t, c)})
			}
		}
	}
	sort.SliceStable(page.Goals, func(i, j int) bool { return goalNumber(page.Goals[i].Card.ID) < goalNumber(page.Goals[j].Card.ID) })
	sort.SliceStable(page.CheckIns, func(i, j int) bool { return page.CheckIns[i].Period > page.CheckIns[j].Period })
	if page.Names, err = s.names(ctx, r, people); err != nil {
		return MyPage{}, err
	}
	fb, err := s.myFeedback(ctx, r)
	if err != nil {
		return MyPage{}, err
	}
	rv, err := s.reviewMine(ctx, r)
	if err != nil {
		return MyPage{}, err
	}
	page.Feedback, page.Reviews = fb.Reply, rv.Reply
	return page, nil
}

// TeamPage is what a team's page shows: the scorecard of one week as chat
// renders it, the figures it is built from, and one scorecard per week of
// the trend, oldest first.
type TeamPage struct {
	User      WebUser
	Team      Team
	Scorecard Scorecard
	Message   Message
	Trend     []Scorecard
	// Reviews is what `/review status` shows, when a cycle is open.
	Reviews Message
}

// MaxTrendWeeks bounds a team page's trend: a year.
const MaxTrendWeeks = 53

// WebTeamPage builds a team's page for period (any form ParsePeriod
// reads; empty is this week) with weeks of trend. Only the team's managers
// and admins may read it, as `/scorecard team <name>`.
func (s *Service) WebTeamPage(ctx context.Context, id UserID, teamID, period string, weeks int) (TeamPage, error) {
	r, err := s.viewRequest(ctx, id)
	if err != nil {
		return TeamPage{}, err
	}
	team, err := s.managedTeam(ctx, r, teamID)
	if err != nil {
		return TeamPage{}, err
	}
	v, err := s.webUserOf(ctx, r)
	if err != nil {
		return TeamPage{}, err
	}
	loc := team.Location()
	p, err := parse.ParsePeriod(period, r.now, loc)
	if err != nil {
		return TeamPage{}, err
	}
	page := TeamPage{User: v, Team: team}
	sc, _, err := s.buildScorecard(ctx, r.viewer, team, p, "", r.now)
	if err != nil {
		return TeamPage{}, err
	}
	page.Scorecard = sc
	page.Message = s.renderScorecard(r, sc, scorecardView{moods: CanSeeMood(r.viewer, CheckIn{TeamID: team.ID})})
	weeks = min(max(weeks, 1), MaxTrendWeeks)
	start, _, err := WeekBounds(p, loc)
	if err != nil {
		return TeamPage{}, err
	}
	for i := weeks - 1; i >= 0; i-- {
		wp := ISOWeek(start.AddDate(0, 0, -7*i), loc)
		if i == 0 {
			page.Trend = append(page.Trend, sc)
			continue
		}
		if ws, _, err := WeekBounds(wp, loc); err == nil && !team.CreatedAt.IsZero() && ws.AddDate(0, 0, 7).Before(team.CreatedAt) {
			continue // the team did not exist yet
		}
		w, _, err := s.buildScorecard(ctx, r.viewer, team, wp, "", r.now)
		if err != nil {
			return TeamPage{}, err
		}
		page.Trend = append(page.Trend, w)
	}
	if _, open, err := s.activeCycle(ctx, team.ID); err != nil {
		return TeamPage{}, err
	} else if open {
		resp, err := s.reviewStatus(ctx, r, "team "+team.ID)
		if err != nil {
			return TeamPage{}, err
		}
		page.Reviews = resp.Reply
	}
	return page, nil
}

// managedTeam loads a team the request's person may read the figures of.
func (s *Service) managedTeam(ctx context.Context, r *request, teamID string) (Team, error) {
	team, err := s.store.GetTeam(ctx, TeamID(teamID))
	if errors.Is(err, ErrNotFound) {
		return Team{}, refuse("error_team_unknown", map[string]any{"Team": teamID})
	}
	if err != nil {
		return Team{}, fmt.Errorf("load team %s: %w", teamID, err)
	}
	if !CanSeeScorecard(r.viewer, team.ID, "") {
		return Team{}, refuse("scorecard_forbidden", map[string]any{"Team": team.Name})
	}
	return team, nil
}

// CompanyNode is one goal in the company tree with its figures and the
// goals aligned under it.
type CompanyNode struct {
	Card     GoalCard
	Team     string
	Owner    string
	Children []*CompanyNode
}

// Company is the alignment tree of every team's open goals, as `/goal tree` shows it.
type Company struct {
	User  WebUser
	Teams []Team
	Roots []*CompanyNode
}

// CompanyGoalStore is the optional batched read the company page uses: every
// team with its goals in a few round trips, whatever the number of teams.
type CompanyGoalStore interface {
	TeamsWithGoals(ctx context.Context) ([]Team, map[string][]Goal, error)
}

// WebCompany builds the alignment tree of all teams with roll-ups, for
// everyone who may see `/goal tree`. The reads are batched: the teams and
// their goals, then the names of the owners and of the viewer.
func (s *Service) WebCompany(ctx context.Context, id UserID) (Company, error) {
	teams, goals, err := s.teamsWithGoals(ctx)
	if err != nil {
		return Company{}, err
	}
	var mine []Team
	for _, t := range teams {
		if t.HasMember(id) || t.HasManager(id) {
			mine = append(mine, t)
		}
	}
	viewer := s.viewerFrom(id, mine)
	if !viewer.Inside {
		return Company{}, refuse("outsider", nil)
	}
	var all []Goal
	owners := []UserID{id}
	for _, t := range teams {
		for _, g := range visibleGoals(viewer, openGoals(goals[t.ID])) {
			all = append(all, g)
			if g.Owner != "" {
				owners = append(owners, g.Owner)
			}
		}
	}
	people, err := s.store.People(ctx, owners)
	if err != nil {
		return Company{}, fmt.Errorf("load names: %w", err)
	}
	me, ok := people[id]
	if !ok {
		return Company{}, refuse("web_unknown_person", nil)
	}
	r := &request{ev: Event{User: id, Platform: id.Platform(), Direct: true}, now: s.clock.Now(), actor: me,
		teams: mine, loaded: true, viewer: viewer}
	r.locale = s.localeFor(ctx, r)
	v := WebUser{Person: me, Locale: r.locale, Admin: s.isAdmin(id), Teams: mine, Zone: time.UTC}
	if len(mine) > 0 {
		v.Zone = personLocation(me, mine[0])
	}
	teamNames := map[string]string{}
	var named []Team
	for _, t := range teams {
		if !CanSeeTeamName(viewer, t) {
			continue
		}
		named = append(named, t)
		teamNames[t.ID] = t.Name
		if CanSeeScorecard(viewer, t.ID, "") {
			v.Managed = append(v.Managed, t)
		}
	}
	tree := newGoalTree(all)
	var build func(g Goal) *CompanyNode
	build = func(g Goal) *CompanyNode {
		n := &CompanyNode{Card: cardOf(g, tree, r.now), Team: teamNames[g.TeamID], Owner: people[g.Owner].Name}
		if n.Owner == "" {
			n.Owner = g.Owner.Local()
		}
		if g.OwnerTeam != "" {
			n.Owner = g.OwnerTeam
		}
		for _, k := range tree.children[g.ID] {
			n.Children = append(n.Children, build(k))
		}
		return n
	}
	c := Company{User: v, Teams: named}
	for _, g := range tree.roots {
		c.Roots = append(c.Roots, build(g))
	}
	return c, nil
}

func (s *Service) teamsWithGoals(ctx context.Context) ([]Team, map[string][]Goal, error) {
	if b, ok := s.store.(CompanyGoalStore); ok {
		teams, goals, err := b.TeamsWithGoals(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("teams with goals: %w", err)
		}
		return teams, goals, nil
	}
	teams, err := s.store.ListTeams(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list teams: %w", err)
	}
	goals := make(map[string][]Goal, len(teams))
	for _, t := range teams {
		if goals[t.ID], err = s.store.TeamGoals(ctx, t.ID); err != nil {
			return nil, nil, fmt.Errorf("list goals of %s: %w", t.ID, err)
		}
	}
	return teams, goals, nil
}

// TeamReviews is one team's open review cycle as `/review status` shows it.
type TeamReviews struct {
	Team    Team
	Message Message
}

// WebReviews lists the open review cycles, with their progress, of every
// team whose status the person may read (`/review status`: managers, admins).
func (s *Service) WebReviews(ctx context.Context, id UserID) (WebUser, []TeamReviews, error) {
	r, err := s.viewRequest(ctx, id)
	if err != nil {
		return WebUser{}, nil, err
	}
	v, err := s.webUserOf(ctx, r)
	if err != nil {
		return WebUser{}, nil, err
	}
	var out []TeamReviews
	for _, t := range v.Managed {
		if _, open, err := s.activeCycle(ctx, t.ID); err != nil {
			return WebUser{}, nil, err
		} else if !open {
			continue
		}
		resp, err := s.reviewStatus(ctx, r, "team "+t.ID)
		if err != nil {
			return WebUser{}, nil, err
		}
		out = append(out, TeamReviews{Team: t, Message: resp.Reply})
	}
	return v, out, nil
}
