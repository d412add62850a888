package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/pulse-bot/pulse/bot/parse"
)

// goalTree shows alignment: company → team → person, each goal with the
// progress rolled up from the goals aligned under it.
func (s *Service) goalTree(ctx context.Context, r *request, args string) (Response, error) {
	name, ok := parse.TeamArg(args)
	var teams []Team
	switch {
	case !ok:
		return Response{}, refuse("goal_tree_usage", nil)
	case name == "":
		all, err := s.store.ListTeams(ctx)
		if err != nil {
			return Response{}, fmt.Errorf("list teams: %w", err)
		}
		teams = all
	default:
		t, err := s.resolveTeam(ctx, r, name, needView)
		if err != nil {
			return Response{}, err
		}
		teams = []Team{t}
	}
	var goals []Goal
	for _, t := range teams {
		list, err := s.store.TeamGoals(ctx, t.ID)
		if err != nil {
			return Response{}, fmt.Errorf("list goals of %s: %w", t.ID, err)
		}
		goals = append(goals, list...)
	}
	goals = visibleGoals(r.viewer, liveGoals(goals))
	tree := newGoalTree(goals)
	msg := Message{Title: s.t(r, "goal_tree_title", nil)}
	if len(tree.roots) == 0 {
		msg.Blocks = append(msg.Blocks, Text{Text: s.t(r, "goal_list_empty", nil)})
		return Response{Reply: msg, Visibility: Private}, nil
	}
	owners := make([]UserID, 0, len(goals))
	for _, g := range goals {
		if g.Owner != "" {
			owners = append(owners, g.Owner)
		}
	}
	names, err := s.names(ctx, r, owners)
	if err != nil {
		return Response{}, err
	}
	var lines []string
	for _, g := range tree.roots {
		lines = s.renderTree(r, tree, lines, g, 0, names)
	}
	msg.Blocks = append(msg.Blocks, Text{Text: strings.Join(lines, "\n")})
	return Response{Reply: msg, Visibility: Private}, nil
}

// renderTree writes g and the goals under it, one line each: its own
// progress and status, and beside them, labelled, the roll-up of the goals
// aligned under it.
func (s *Service) renderTree(r *request, t goalTreeIndex, lines []string, g Goal, depth int, names map[UserID]string) []string {
	owner := names[g.Owner]
	if g.OwnerTeam != "" {
		owner = g.OwnerTeam
	}
	f := t.figures(g, r.now)
	line := fmt.Sprintf("%s%s %s (%s)  %s · %s", strings.Repeat("   ", depth), g.ID, g.Title, owner, ProgressBar(f.Progress), s.statusName(r, f.Status))
	if f.Children > 0 {
		line += " · " + s.t(r, "figures_rolled", map[string]any{"Percent": fmt.Sprintf("%.0f", f.Rolled), "N": f.Children})
	}
	lines = append(lines, line)
	if depth >= MaxGoalDepth {
		return lines
	}
	for _, k := range t.children[g.ID] {
		lines = s.renderTree(r, t, lines, k, depth+1, names)
	}
	return lines
}

// liveGoals leaves out dropped goals: open and done goals take part in alignment.
func liveGoals(goals []Goal) []Goal {
	out := goals[:0:0]
	for _, g := range goals {
		if g.State != GoalDropped {
			out = append(out, g)
		}
	}
	return out
}
