package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot/parse"
)

func (s *Service) goalCommand(ctx context.Context, r *request, cmd Command) (Response, error) {
	switch cmd.Sub {
	case "new":
		return s.goalNew(ctx, r, cmd.Args)
	case "update":
		return s.goalUpdate(ctx, r, cmd.Args)
	case "list":
		return s.goalList(ctx, r, cmd.Args)
	case "show":
		return s.goalShow(ctx, r, cmd.Args)
	case "done":
		return s.goalClose(ctx, r, cmd.Args, GoalDone)
	case "drop":
		return s.goalClose(ctx, r, cmd.Args, GoalDropped)
	case "edit":
		return s.goalEdit(ctx, r, cmd.Args)
	case "tree":
		return s.goalTree(ctx, r, cmd.Args)
	}
	return Response{}, refuse("goal_usage", nil)
}

func (s *Service) goalNew(ctx context.Context, r *request, args string) (Response, error) {
	args, name := parse.TrailingTeam(args, s.isTeamName(ctx), true)
	team, err := s.newGoalTeam(ctx, r, args, name)
	if err != nil {
		return Response{}, err
	}
	g, err := s.newGoalFrom(ctx, r, team, args)
	if err != nil {
		return Response{}, err
	}
	g, err = s.store.CreateGoal(ctx, g, r.audit("goal.created", "", g.Title))
	if errors.Is(err, ErrDuplicate) {
		// Created by this event's earlier delivery: answer with that goal.
		err = nil
	}
	if err != nil {
		return Response{}, fmt.Errorf("create goal %q: %w", g.Title, err)
	}
	msg := s.goalCard(ctx, r, g, "goal_created")
	if !g.IsSMART() {
		key := "goal_make_smart"
		if !g.Due.IsZero() {
			key = "goal_make_smart_target"
		}
		msg.Blocks = append(msg.Blocks, Context{Text: s.t(r, key, map[string]any{"ID": g.ID})})
	}
	return Response{Reply: msg, Visibility: Private}, nil
}

// newGoalFrom reads "/goal new" (from a template or not) and builds the goal.
func (s *Service) newGoalFrom(ctx context.Context, r *request, team Team, args string) (Goal, error) {
	ref, isTemplate, err := parse.ParseTemplateRef(args)
	if err != nil {
		return Goal{}, err
	}
	if isTemplate {
		return s.goalFromTemplate(ctx, r, team, ref)
	}
	loc := personLocation(r.actor, team)
	spec, err := parse.ParseGoalSpec(args, r.now, loc)
	if err != nil {
		return Goal{}, err
	}
	return s.goalFromSpec(ctx, r, team, spec, loc)
}

// goalFromSpec checks a parsed "/goal new" against the rules and builds the goal.
func (s *Service) goalFromSpec(ctx context.Context, r *request, team Team, spec parse.GoalSpec, loc *time.Location) (Goal, error) {
	today := startOfDay(r.now, loc)
	if !spec.Due.IsZero() && spec.Due.Before(today) {
		return Goal{}, refuse("error_date_past", map[string]any{"Date": spec.Due.Format("2006-01-02")})
	}
	g := Goal{
		TeamID: team.ID, Title: s.mentionsAsNames(ctx, r, spec.Title), Owner: r.actor.ID, CreatedBy: r.actor.ID,
		Start: r.now, Due: spec.Due, State: GoalOpen, UpdatedAt: r.now,
	}
	if err := s.applyGoalOwner(ctx, r, &g, spec); err != nil {
		return Goal{}, err
	}
	if spec.Parent != "" {
		if err := s.checkAlignment(ctx, r, g.TeamID, spec.Parent); err != nil {
			return Goal{}, err
		}
		g.Parent = spec.Parent
	}
	if spec.Target == nil || spec.Due.IsZero() {
		g.Metric = Metric{Milestone: true, Target: 100, Unit: "%"}
		return g, nil
	}
	if spec.Target.Relative {
		return Goal{}, refuse("error_target_relative", nil)
	}
	g.Metric = Metric{Target: spec.Target.Number, Unit: spec.Target.Unit}
	if spec.Baseline != nil {
		if spec.Baseline.Unit != "" && g.Metric.Unit != "" && spec.Baseline.Unit != g.Metric.Unit {
			return Goal{}, refuse("error_unit_mismatch", map[string]any{"Got": spec.Baseline.Unit, "Want": g.Metric.Unit})
		}
		if g.Metric.Unit == "" {
			g.Metric.Unit = spec.Baseline.Unit
		}
		g.Metric.Baseline = spec.Baseline.Number
	}
	if g.Metric.Baseline == g.Metric.Target {
		return Goal{}, refuse("error_target_equals_baseline", nil)
	}
	g.Current = g.Metric.Baseline
	return g, nil
}

// applyGoalOwner sets who owns a new goal: the actor, a person they manage,
// or a team they manage.
func (s *Service) applyGoalOwner(ctx context.Context, r *request, g *Goal, spec parse.GoalSpec) error {
	switch {
	case spec.ForTeam != "":
		owner, err := s.resolveTeam(ctx, r, spec.ForTeam, needView)
		if err != nil {
			return err
		}
		if !s.canManage(owner, r.actor.ID) {
			return refuse("error_not_manager", map[string]any{"Team": owner.Name})
		}
		g.Owner, g.OwnerTeam, g.TeamID = "", owner.ID, owner.ID
	case spec.ForPerson != "" && UserID(spec.ForPerson) != r.actor.ID:
		team, err := s.store.GetTeam(ctx, g.TeamID)
		if err != nil {
			return fmt.Errorf("load team %s: %w", g.TeamID, err)
		}
		if !s.canManage(team, r.actor.ID) {
			return refuse("error_goal_for_other", nil)
		}
		if _, err := s.ensurePeople(ctx, r, []UserID{UserID(spec.ForPerson)}); err != nil {
			return err
		}
		g.Owner = UserID(spec.ForPerson)
	}
	return nil
}

// loadGoal fetches a goal by id, answering the user when it does not exist.
func (s *Service) loadGoal(ctx context.Context, id string) (Goal, error) {
	g, err := s.store.GetGoal(ctx, id)
	return goalOrRefusal(id, g, err)
}

// requestGoal is loadGoal for a goal the request may have read already:
// the goal its update names, which begin read with the sender. That read
// serves once: any later load, in this request or another, reads the goal
// again, so no answer rests on a read older than the request.
func (s *Service) requestGoal(ctx context.Context, r *request, id string) (Goal, error) {
	if !r.goal.Done || r.goalID != id {
		return s.loadGoal(ctx, id)
	}
	read := r.goal
	r.goal = GoalRead{}
	return goalOrRefusal(id, read.Goal, read.Err)
}

// goalOrRefusal is a goal as GetGoal returned it, with a missing goal
// turned into the sentence saying so.
func goalOrRefusal(id string, g Goal, err error) (Goal, error) {
	if errors.Is(err, ErrNotFound) {
		return Goal{}, refuse("error_goal_unknown", map[string]any{"ID": id})
	}
	if err != nil {
		return Goal{}, fmt.Errorf("load goal %s: %w", id, err)
	}
	return g, nil
}

// checkAlignment refuses a parent the actor may not align a goal of
// childTeam under (see canAlignUnder).
func (s *Service) checkAlignment(ctx context.Context, r *request, childTeam, parentID string) error {
	parent, err := s.loadVisibleGoal(ctx, r, parentID)
	if err != nil {
		return err
	}
	ok, err := s.canAlignUnder(ctx, r.viewer, childTeam, parent)
	if err != nil {
		return err
	}
	if !ok {
		name := parent.TeamID
		if t, err := s.store.GetTeam(ctx, parent.TeamID); err == nil {
			name = t.Name
		}
		return refuse("align_forbidden", map[string]any{"ID": parent.ID, "Team": name})
	}
	return nil
}

// loadVisibleGoal fetches a goal the actor may see; a goal they may not see
// is answered like one that does not exist, so its id tells nothing.
func (s *Service) loadVisibleGoal(ctx context.Context, r *request, id string) (Goal, error) {
	g, err := s.loadGoal(ctx, id)
	if err != nil {
		return Goal{}, err
	}
	if !CanSeeGoal(r.viewer, g) {
		return Goal{}, refuse("goal_private_hidden", map[string]any{"ID": id})
	}
	return g, nil
}

// visibleGoals keeps the goals the viewer may see.
func visibleGoals(v Viewer, goals []Goal) []Goal {
	out := goals[:0:0]
	for _, g := range goals {
		if CanSeeGoal(v, g) {
			out = append(out, g)
		}
	}
	return out
}

// canUpdateGoal: the owner while a member of the goal's team, the owning
// team's members, its managers and admins. The team is read now: an owner
// who left the team no longer changes its goals (errGoalLeft says so).
func (s *Service) canUpdateGoal(ctx context.Context, r *request, g Goal) (bool, error) {
	id := r.actor.ID
	if s.isAdmin(id) {
		return true, nil
	}
	team, err := s.teamOfRequest(ctx, r, g.TeamID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load team %s: %w", g.TeamID, err)
	}
	if team.HasManager(id) {
		return true, nil
	}
	if g.Owner == id && !team.HasMember(id) {
		return false, refuse("goal_team_left", map[string]any{"ID": g.ID, "Team": team.Name, "Managers": s.managerNames(ctx, r, team)})
	}
	return g.Owner == id || (g.OwnerTeam != "" && team.HasMember(id)), nil
}

func (s *Service) goalForChange(ctx context.Context, r *request, id string) (Goal, error) {
	g, err := s.requestGoal(ctx, r, id)
	if err != nil {
		return Goal{}, err
	}
	ok, err := s.canUpdateGoal(ctx, r, g)
	if err != nil {
		return Goal{}, err
	}
	if !ok {
		return Goal{}, refuse("error_goal_not_yours", map[string]any{"ID": g.ID})
	}
	return g, nil
}

// goalUpdate records progress: "/goal G7 2.6% on track note" or "G7 2.6% note" in chat.
func (s *Service) goalUpdate(ctx context.Context, r *request, args string) (Response, error) {
	spec, err := parse.ParseProgress(args)
	if err != nil {
		return Response{}, err
	}
	return s.recordProgress(ctx, r, spec)
}

// recordProgress checks the update against the goal as read (rights, state,
// unit) and leaves the value itself to the store, which computes it in the
// same atomic step that records it: concurrent updates all land, and the
// reply shows the values the goal really moved between.
func (s *Service) recordProgress(ctx context.Context, r *request, spec parse.ProgressSpec) (Response, error) {
	g, err := s.goalForChange(ctx, r, spec.GoalID)
	if err != nil {
		return Response{}, err
	}
	spec = spec.WithUnit(g.Metric.Unit)
	spec.Note = s.mentionsAsNames(ctx, r, spec.Note)
	u, change, err := s.buildUpdate(r, g, spec)
	if err != nil {
		return Response{}, err
	}
	u, err = s.store.RecordUpdate(ctx, u, change, r.audit("goal.updated", g.ID, spec.Value.String()))
	switch {
	case errors.Is(err, ErrDuplicate):
		// This event's earlier delivery recorded it (a worker that died
		// before its reaction or reply, taken over): answer with the
		// update it recorded; the reaction and the reply are keyed by the
		// event, so whatever was sent before is not sent twice.
	case errors.Is(err, ErrGoalClosed):
		return Response{}, refuse("error_goal_closed", map[string]any{"ID": g.ID})
	case errors.Is(err, ErrOutOfRange):
		return Response{}, refuse("error_milestone_range", nil)
	case errors.Is(err, ErrConflict):
		return Response{}, refuse("error_goal_metric_changed", map[string]any{"ID": g.ID})
	case err != nil:
		return Response{}, fmt.Errorf("record update on %s: %w", g.ID, err)
	}
	g.apply(u)
	return Response{Reply: s.updateReply(ctx, r, g, u), Visibility: Private}, nil
}

// apply moves g as u did in the store.
func (g *Goal) apply(u Update) {
	g.Current = u.Value
	if u.Stated != "" {
		g.Stated = u.Stated
	}
	g.UpdatedAt = u.At
}

// buildUpdate checks a typed value against the goal and returns the update
// to record with the change the store applies to the goal's value. The
// milestone range is checked here for an absolute value, and by the store
// on the value it computes.
func (s *Service) buildUpdate(r *request, g Goal, spec parse.ProgressSpec) (Update, ProgressChange, error) {
	if g.State != GoalOpen {
		return Update{}, ProgressChange{}, refuse("error_goal_closed", map[string]any{"ID": g.ID})
	}
	v := spec.Value
	if v.Unit != "" && v.Unit != g.Metric.Unit && !(g.Metric.Milestone && v.Unit == "%") {
		return Update{}, ProgressChange{}, refuse("error_unit_mismatch", map[string]any{"Got": v.Unit, "Want": g.Metric.Unit})
	}
	if g.Metric.Milestone && !v.Relative && (v.Number < 0 || v.Number > 100) {
		return Update{}, ProgressChange{}, refuse("error_milestone_range", nil)
	}
	u := Update{
		GoalID: g.ID, TeamID: g.TeamID, Stated: Status(spec.Status),
		Note: spec.Note, Author: r.actor.ID, At: r.now, Source: r.ev.Message, Key: r.ev.Key,
	}
	change := ProgressChange{Number: v.Number, Relative: v.Relative, Unit: g.Metric.Unit, Milestone: g.Metric.Milestone}
	return u, change, nil
}

func (s *Service) updateReply(ctx context.Context, r *request, g Goal, u Update) Message {
	msg := Message{Title: s.t(r, "goal_updated_title", map[string]any{"ID": g.ID, "Title": g.Title})}
	msg.Blocks = append(msg.Blocks,
		Text{Text: s.t(r, "goal_updated_change", map[string]any{
			"From": s.formatValue(g, u.Previous), "To": s.formatValue(g, u.Value), "Target": s.formatValue(g, g.Metric.Target)})},
		s.progressBlock(r, g))
	if u.Note != "" {
		msg.Blocks = append(msg.Blocks, Context{Text: u.Note})
	}
	return msg
}

// goalCard shows one goal with its metric, dates and progress.
func (s *Service) goalCard(ctx context.Context, r *request, g Goal, titleKey string) Message {
	msg := Message{Title: s.t(r, titleKey, map[string]any{"ID": g.ID, "Title": g.Title})}
	fields := Fields{{Label: s.t(r, "label_owner", nil), Value: s.ownerName(ctx, r, g)}}
	if g.Metric.Milestone {
		fields = append(fields, Field{Label: s.t(r, "label_metric", nil), Value: s.t(r, "goal_milestone", nil)})
	} else {
		fields = append(fields, Field{Label: s.t(r, "label_metric", nil), Value: s.formatValue(g, g.Metric.Baseline) + " → " + s.formatValue(g, g.Metric.Target)})
	}
	if !g.Due.IsZero() {
		fields = append(fields, Field{Label: s.t(r, "label_due", nil), Value: g.Due.Format("2006-01-02")})
	}
	if g.Parent != "" {
		fields = append(fields, Field{Label: s.t(r, "label_parent", nil), Value: g.Parent})
	}
	if g.Source != "" {
		fields = append(fields, Field{Label: s.t(r, "label_source", nil), Value: g.Source})
	}
	msg.Blocks = append(msg.Blocks, fields, s.figuresBlock(r, g, s.figuresWithRollUp(ctx, r, g)))
	return msg
}

func (s *Service) ownerName(ctx context.Context, r *request, g Goal) string {
	if g.OwnerTeam != "" {
		return s.t(r, "label_team_owner", map[string]any{"Team": g.OwnerTeam})
	}
	names, err := s.names(ctx, r, []UserID{g.Owner})
	if err != nil {
		return g.Owner.Local()
	}
	return names[g.Owner]
}

// progressBlock draws a goal's own figures at r.now (no roll-up), for views
// that show one goal on its own.
func (s *Service) progressBlock(r *request, g Goal) Progress {
	return s.figuresBlock(r, g, g.FiguresAt(r.now))
}

// figuresBlock draws a goal's progress against its pace, with computed and
// stated status and, when goals are aligned under it, their roll-up beside it.
func (s *Service) figuresBlock(r *request, g Goal, f GoalFigures) Progress {
	p := Progress{Label: g.ID + " " + g.Title, Percent: f.Progress, Pace: -1, Status: f.Status}
	detail := s.statusName(r, p.Status)
	if f.HasPace {
		p.Pace = f.Pace
		detail = s.t(r, "goal_pace", map[string]any{"Pace": fmt.Sprintf("%.0f", f.Pace)}) + " · " + detail
	}
	if g.Stated != "" && g.Stated != p.Status && g.State == GoalOpen {
		detail += " · " + s.t(r, "goal_stated", map[string]any{"Status": s.statusName(r, g.Stated)})
	}
	if f.Children > 0 {
		detail += " · " + s.t(r, "figures_rolled", map[string]any{"Percent": fmt.Sprintf("%.0f", f.Rolled), "N": f.Children})
	}
	p.Detail = detail
	return p
}

func (s *Service) statusName(r *request, st Status) string {
	return s.t(r, "status_"+string(st), nil)
}

// formatValue writes a value with the goal's unit: "2.6%", "¥500", "120 orders".
func (s *Service) formatValue(g Goal, v float64) string {
	return FormatValue(v, g.Metric.Unit)
}

// FormatValue writes a number with its unit the way people type it:
// "2.6%", "¥500", "$12k", "120 orders".
func FormatValue(v float64, unit string) string {
	return Value{Number: v, Unit: unit}.String()
}

func formatNumber(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func (s *Service) goalList(ctx context.Context, r *request, args string) (Response, error) {
	spec, err := parse.ParseGoalList(args)
	if err != nil {
		return Response{}, err
	}
	var goals []Goal
	var title string
	switch {
	case spec.Team == "" && spec.Person == "":
		list, err := s.goalsOfPerson(ctx, r, r.actor.ID)
		if err != nil {
			return Response{}, err
		}
		goals, title = list, s.t(r, "goal_list_mine", nil)
	case spec.Team != "":
		team, err := s.resolveTeam(ctx, r, spec.Team, needView)
		if err != nil {
			return Response{}, err
		}
		list, err := s.store.TeamGoals(ctx, team.ID)
		if err != nil {
			return Response{}, fmt.Errorf("list goals of %s: %w", team.ID, err)
		}
		goals, title = visibleGoals(r.viewer, openGoals(list)), s.t(r, "goal_list_team", map[string]any{"Team": team.Name})
	default:
		id := UserID(spec.Person)
		list, err := s.goalsOfPerson(ctx, r, id)
		if err != nil {
			return Response{}, err
		}
		names, err := s.names(ctx, r, []UserID{id})
		if err != nil {
			return Response{}, err
		}
		goals, title = visibleGoals(r.viewer, list), s.t(r, "goal_list_person", map[string]any{"Name": names[id]})
	}
	figures, err := s.figuresOf(ctx, r, goals)
	if err != nil {
		return Response{}, err
	}
	return Response{Reply: s.goalListMessage(r, title, goals, figures), Visibility: Private}, nil
}

func (s *Service) goalListMessage(r *request, title string, goals []Goal, figures map[string]GoalFigures) Message {
	msg := Message{Title: title}
	if len(goals) == 0 {
		msg.Blocks = append(msg.Blocks, Text{Text: s.t(r, "goal_list_empty", nil)})
		return msg
	}
	sortByRisk(goals, r.now)
	for _, g := range goals {
		msg.Blocks = append(msg.Blocks, s.figuresBlock(r, g, figures[g.ID]))
	}
	msg.Blocks = append(msg.Blocks, Buttons{{ID: ActionGoalUpdateForm, Label: s.t(r, "button_update_goal", nil), Command: "/goal G<n> <value>"}})
	return msg
}

func sortByRisk(goals []Goal, now time.Time) {
	sort.SliceStable(goals, func(i, j int) bool {
		ri, rj := riskRank(goals[i].ComputedStatus(now)), riskRank(goals[j].ComputedStatus(now))
		if ri != rj {
			return ri < rj
		}
		return goalNumber(goals[i].ID) < goalNumber(goals[j].ID)
	})
}

func goalNumber(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "G"))
	return n
}

func openGoals(goals []Goal) []Goal {
	out := goals[:0:0]
	for _, g := range goals {
		if g.State == GoalOpen {
			out = append(out, g)
		}
	}
	return out
}

// goalsOfPerson lists the open goals a person owns across their teams.
func (s *Service) goalsOfPerson(ctx context.Context, r *request, id UserID) ([]Goal, error) {
	teams, err := s.store.TeamsOf(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("teams of %s: %w", id, err)
	}
	if id == r.actor.ID {
		// A person with no team may still own goals created in a channel's team.
		if t, ok := s.channelTeam(ctx, r); ok && !containsTeam(teams, t.ID) {
			teams = append(teams, t)
		}
	}
	var out []Goal
	for _, t := range teams {
		goals, err := s.store.TeamGoals(ctx, t.ID)
		if err != nil {
			return nil, fmt.Errorf("list goals of %s: %w", t.ID, err)
		}
		for _, g := range goals {
			if g.Owner == id && g.State == GoalOpen && CanSeeGoal(r.viewer, g) {
				out = append(out, g)
			}
		}
	}
	return out, nil
}

func containsTeam(teams []Team, id string) bool {
	for _, t := range teams {
		if t.ID == id {
			return true
		}
	}
	return false
}

func (s *Service) goalShow(ctx context.Context, r *request, args string) (Response, error) {
	id, ok := parse.GoalID(strings.TrimSpace(args))
	if !ok {
		return Response{}, refuse("goal_show_usage", nil)
	}
	g, err := s.loadVisibleGoal(ctx, r, id)
	if err != nil {
		return Response{}, err
	}
	updates, err := s.store.GoalUpdates(ctx, g.ID, time.Time{}, r.now.Add(time.Second))
	if err != nil {
		return Response{}, fmt.Errorf("history of %s: %w", g.ID, err)
	}
	msg := s.goalCard(ctx, r, g, "goal_show_title")
	if len(updates) == 0 {
		msg.Blocks = append(msg.Blocks, Context{Text: s.t(r, "goal_no_updates", nil)})
		return Response{Reply: msg, Visibility: Private}, nil
	}
	msg.Blocks = append(msg.Blocks, Text{Text: s.t(r, "goal_trend", map[string]any{"Spark": sparkline(updateValues(g, updates))})})
	if last := updates[len(updates)-1]; last.Via != "" && last.Via != g.Source {
		msg.Blocks = append(msg.Blocks, Context{Text: s.t(r, "goal_last_from", map[string]any{"Source": last.Via})})
	}
	msg.Blocks = append(msg.Blocks, s.historyBlock(ctx, r, g, updates))
	return Response{Reply: msg, Visibility: Private}, nil
}

// historyBlock lists the latest updates, newest first.
func (s *Service) historyBlock(ctx context.Context, r *request, g Goal, updates []Update) Text {
	const shown = 10
	authors := make([]UserID, 0, len(updates))
	for _, u := range updates {
		authors = append(authors, u.Author)
	}
	names, err := s.names(ctx, r, authors)
	if err != nil {
		names = map[UserID]string{}
	}
	var lines []string
	for i := len(updates) - 1; i >= 0 && len(lines) < shown; i-- {
		u := updates[i]
		unit := g.MetricAt(u.At).Unit
		line := fmt.Sprintf("%s  %s → %s  %s", u.At.In(personLocation(r.actor, Team{})).Format("2006-01-02"),
			FormatValue(u.Previous, unit), FormatValue(u.Value, unit), names[u.Author])
		if u.Via != "" {
			line += " " + s.t(r, "goal_history_via", map[string]any{"Source": u.Via})
		}
		if u.Note != "" {
			line += " — " + u.Note
		}
		lines = append(lines, line)
	}
	return Text{Text: strings.Join(lines, "\n")}
}

// updateValues are the values the goal moved through in its current
// measure (earlier measures are in other units), starting from its baseline.
func updateValues(g Goal, updates []Update) []float64 {
	vals := []float64{startValue(g)}
	since := g.MeasureStart()
	for _, u := range updates {
		if !u.At.Before(since) {
			vals = append(vals, u.Value)
		}
	}
	return vals
}

// sparkline draws values as a row of bar characters.
func sparkline(vals []float64) string {
	const bars = "▁▂▃▄▅▆▇█"
	runes := []rune(bars)
	lo, hi := vals[0], vals[0]
	for _, v := range vals {
		lo, hi = min(lo, v), max(hi, v)
	}
	var b strings.Builder
	for _, v := range vals {
		i := 0
		if hi > lo {
			i = int((v - lo) / (hi - lo) * float64(len(runes)-1))
		}
		b.WriteRune(runes[i])
	}
	return b.String()
}

func (s *Service) goalClose(ctx context.Context, r *request, args string, state GoalState) (Response, error) {
	spec, err := parse.ParseGoalClose(args)
	if err != nil {
		return Response{}, err
	}
	note := s.mentionsAsNames(ctx, r, spec.Note)
	g, err := s.changeGoal(ctx, r, spec.ID, func(g *Goal) (AuditEntry, error) {
		if g.State != GoalOpen {
			return AuditEntry{}, refuse("error_goal_closed", map[string]any{"ID": g.ID})
		}
		g.State, g.CloseNote = state, note
		return r.audit("goal."+string(state), g.ID, note), nil
	})
	if err != nil {
		return Response{}, err
	}
	return s.say(r, "goal_closed_"+string(state), map[string]any{"ID": g.ID, "Title": g.Title}), nil
}

// goalSaveAttempts bounds how often an edit is applied again to a goal
// that another edit changed between the read and the save. Each conflict
// means another edit landed in those milliseconds, so running out takes
// more than this many people editing one goal at the same instant.
const goalSaveAttempts = 8

// changeGoal applies edit to the goal as it is stored and saves it over
// the version it read; when another save came first, it reads the goal
// again and applies edit to that. So edits of different fields racing
// each other both land, the later of two edits of one field wins, and a
// close racing an edit keeps both (or refuses the edit on the closed goal).
func (s *Service) changeGoal(ctx context.Context, r *request, id string, edit func(*Goal) (AuditEntry, error)) (Goal, error) {
	for range goalSaveAttempts {
		g, err := s.goalForChange(ctx, r, id)
		if err != nil {
			return Goal{}, err
		}
		wasOpen := g.State == GoalOpen
		a, err := edit(&g)
		if err != nil {
			return Goal{}, err
		}
		if wasOpen || g.State == GoalOpen {
			// A closed goal keeps its closing time: views of a past
			// period read it as such (closedBefore, goalsStoodAt), and
			// an edit of its title or parent since is no reopening.
			g.UpdatedAt = r.now
		}
		err = s.store.SaveGoal(ctx, g, a)
		if err == nil {
			return g, nil
		}
		if errors.Is(err, ErrDuplicate) {
			// A redelivered event whose save landed before: the goal as it
			// is now carries its change; answer as the first delivery did.
			return s.loadGoal(ctx, id)
		}
		if !errors.Is(err, ErrConflict) {
			return Goal{}, fmt.Errorf("save goal %s: %w", g.ID, err)
		}
	}
	return Goal{}, refuse("goal_edit_busy", map[string]any{"ID": id})
}

func (s *Service) goalEdit(ctx context.Context, r *request, args string) (Response, error) {
	spec, err := parse.ParseGoalEdit(args)
	if err != nil {
		return Response{}, err
	}
	g, err := s.changeGoal(ctx, r, spec.ID, func(g *Goal) (AuditEntry, error) {
		if err := s.editGoalField(ctx, r, g, spec); err != nil {
			return AuditEntry{}, err
		}
		return r.audit("goal.edited", g.ID, spec.Field+"="+spec.Value), nil
	})
	if err != nil {
		return Response{}, err
	}
	return Response{Reply: s.goalCard(ctx, r, g, "goal_edited"), Visibility: Private}, nil
}

func (s *Service) editGoalField(ctx context.Context, r *request, g *Goal, spec parse.GoalEditSpec) error {
	value, toks := spec.Value, spec.Tokens
	team, err := s.store.GetTeam(ctx, g.TeamID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("load team %s: %w", g.TeamID, err)
	}
	loc := personLocation(r.actor, team)
	switch spec.Field {
	case "title":
		spec, err := parse.ParseGoalSpec(value, r.now, loc)
		if err != nil {
			return err
		}
		g.Title = s.mentionsAsNames(ctx, r, spec.Title)
	case "target":
		return s.editTarget(g, toks, r.now)
	case "baseline":
		return s.editBaseline(g, toks, r.now)
	case "due":
		d, _, err := parse.ParseDate(toks, r.now, loc)
		if err != nil {
			return err
		}
		if d.Before(startOfDay(r.now, loc)) {
			return refuse("error_date_past", map[string]any{"Date": d.Format("2006-01-02")})
		}
		g.Due = d
	case "private":
		on, ok := parse.OnOff(value)
		if !ok {
			return refuse("error_on_off", map[string]any{"Key": spec.Typed})
		}
		g.Private = on
	case "parent":
		return s.editParent(ctx, r, g, value)
	case "source":
		return s.editSource(r, g, value)
	}
	return nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func startOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}
