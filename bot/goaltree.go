package bot

import (
	"context"
	"fmt"
	"sort"
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
		t, err := s.resolveTeam(ctx, r, name)
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
	goals = visibleGoals(r.viewer, openGoals(goals))
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
		lines = tree.render(lines, g, 0, names)
	}
	msg.Blocks = append(msg.Blocks, Text{Text: strings.Join(lines, "\n")})
	return Response{Reply: msg, Visibility: Private}, nil
}

// goalTreeIndex indexes goals by parent for roll-up.
type goalTreeIndex struct {
	children map[string][]Goal
	roots    []Goal
}

func newGoalTree(goals []Goal) goalTreeIndex {
	ids := map[string]bool{}
	for _, g := range goals {
		ids[g.ID] = true
	}
	t := goalTreeIndex{children: map[string][]Goal{}}
	for _, g := range goals {
		if g.Parent != "" && ids[g.Parent] {
			t.children[g.Parent] = append(t.children[g.Parent], g)
		} else {
			t.roots = append(t.roots, g)
		}
	}
	sort.SliceStable(t.roots, func(i, j int) bool {
		// Team goals before person goals, then by id.
		if (t.roots[i].OwnerTeam != "") != (t.roots[j].OwnerTeam != "") {
			return t.roots[i].OwnerTeam != ""
		}
		return goalNumber(t.roots[i].ID) < goalNumber(t.roots[j].ID)
	})
	return t
}

// rolledProgress is a goal's own progress when it has no children, else the
// average of its children's rolled-up progress.
func (t goalTreeIndex) rolledProgress(g Goal) float64 {
	kids := t.children[g.ID]
	if len(kids) == 0 {
		return g.Progress()
	}
	sum := 0.0
	for _, k := range kids {
		sum += t.rolledProgress(k)
	}
	return sum / float64(len(kids))
}

func (t goalTreeIndex) render(lines []string, g Goal, depth int, names map[UserID]string) []string {
	owner := names[g.Owner]
	if g.OwnerTeam != "" {
		owner = g.OwnerTeam
	}
	lines = append(lines, fmt.Sprintf("%s%s %s (%s)  %s", strings.Repeat("   ", depth), g.ID, g.Title, owner, ProgressBar(t.rolledProgress(g))))
	for _, k := range t.children[g.ID] {
		lines = t.render(lines, k, depth+1, names)
	}
	return lines
}
