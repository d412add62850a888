package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/pulse-bot/pulse/bot/parse"
)

// MaxGoalDepth bounds how deep goals may align under one another. Edits
// that would go deeper are refused, and every walk up or down the tree stops
// there, so no stored data can make a walk run away.
const MaxGoalDepth = 16

// GoalFigures are a goal's numbers at one moment. They are defined here
// once, and every view (list, show, tree, scorecard, digest, chart, App
// Home, export) reads them from FiguresAt or goalTreeIndex.figures, so one
// goal shows one number everywhere.
type GoalFigures struct {
	// Progress is the goal's own measure: percent of the way from baseline
	// to target (a milestone's value already is a percent). A done goal
	// counts 100.
	Progress float64 `json:"progress"`
	// Pace is the percent of the planned time passed at the moment, when
	// HasPace (the goal is open and has a due date).
	Pace    float64 `json:"pace"`
	HasPace bool    `json:"has_pace"`
	// Status is done or dropped for a closed goal; otherwise how far
	// Progress trails Pace (SPEC's thresholds, statusFromGap).
	Status Status `json:"status"`
	// Rolled is the average progress of the goals of the same team aligned
	// directly under this one, each counted by its own Rolled (a goal with
	// none under it by its Progress); done ones count 100 and dropped ones
	// are left out. Children is how many were counted; Rolled
	// is meaningful only when Children > 0. It is shown beside Progress,
	// never in its place.
	Rolled   float64 `json:"rolled"`
	Children int     `json:"children"`
}

// Gap is how many points progress trails pace (negative when ahead).
func (f GoalFigures) Gap() float64 {
	if !f.HasPace {
		return 0
	}
	return f.Pace - f.Progress
}

// FiguresAt returns the goal's own figures as they stand at the moment at:
// the period's end for a past period, now for the current one.
func (g Goal) FiguresAt(at time.Time) GoalFigures {
	switch g.State {
	case GoalDone:
		return GoalFigures{Progress: 100, Status: Done}
	case GoalDropped:
		return GoalFigures{Progress: g.Progress(), Status: Dropped}
	}
	f := GoalFigures{Progress: g.Progress(), Status: OnTrack}
	if pace, ok := g.ExpectedProgress(at); ok {
		f.Pace, f.HasPace = pace, true
		f.Status = statusFromGap(pace - f.Progress)
	}
	return f
}

// goalTreeIndex indexes goals by parent for roll-up. It is always a tree:
// a goal whose parent chain loops back to itself or runs deeper than
// MaxGoalDepth (only bad stored data can do either) is treated as a root.
type goalTreeIndex struct {
	children map[string][]Goal
	roots    []Goal
}

func newGoalTree(goals []Goal) goalTreeIndex {
	byID := make(map[string]Goal, len(goals))
	for _, g := range goals {
		byID[g.ID] = g
	}
	t := goalTreeIndex{children: map[string][]Goal{}}
	for _, g := range goals {
		if _, ok := byID[g.Parent]; ok && !brokenChain(g, byID) {
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

// brokenChain reports whether g's chain of parents comes back to g or is
// deeper than MaxGoalDepth. A chain that loops above g (not through it) is
// not g's fault: the goals in that loop are cut instead.
func brokenChain(g Goal, byID map[string]Goal) bool {
	seen := map[string]bool{g.ID: true}
	cur := g
	for depth := 0; ; depth++ {
		parent, ok := byID[cur.Parent]
		if !ok {
			return false
		}
		if parent.ID == g.ID || depth >= MaxGoalDepth {
			return true
		}
		if seen[parent.ID] {
			return false
		}
		seen[parent.ID] = true
		cur = parent
	}
}

// figures are g's figures at the moment at, with the roll-up of the goals
// aligned under it in this tree.
func (t goalTreeIndex) figures(g Goal, at time.Time) GoalFigures {
	f := g.FiguresAt(at)
	f.Rolled, f.Children = t.rollUp(g, at, 0)
	return f
}

// rollUp averages the rolled progress of g's counted children (done 100,
// dropped left out); a leaf rolls up to its own progress. depth guards the
// recursion even though newGoalTree already cut every loop.
func (t goalTreeIndex) rollUp(g Goal, at time.Time, depth int) (float64, int) {
	sum, n := 0.0, 0
	if depth <= MaxGoalDepth {
		for _, k := range t.children[g.ID] {
			if k.State == GoalDropped || k.TeamID != g.TeamID {
				continue
			}
			rolled, kids := t.rollUp(k, at, depth+1)
			if kids == 0 {
				rolled = k.FiguresAt(at).Progress
			}
			sum += rolled
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), n
}

// figuresOf returns the figures at r.now of goals, by id, each with the
// roll-up of the goals aligned under it in its team that the reader may
// see: one read of each team's goals.
func (s *Service) figuresOf(ctx context.Context, r *request, goals []Goal) (map[string]GoalFigures, error) {
	trees := map[string]goalTreeIndex{}
	out := make(map[string]GoalFigures, len(goals))
	for _, g := range goals {
		tree, ok := trees[g.TeamID]
		if !ok {
			all, err := s.store.TeamGoals(ctx, g.TeamID)
			if err != nil {
				return nil, fmt.Errorf("goals of %s: %w", g.TeamID, err)
			}
			tree = newGoalTree(visibleGoals(r.viewer, liveGoals(all)))
			trees[g.TeamID] = tree
		}
		out[g.ID] = tree.figures(g, r.now)
	}
	return out, nil
}

// figuresWithRollUp is figuresOf for one goal; when its team's goals cannot
// be read it falls back to the goal's own figures (logged), since a card
// must still show.
func (s *Service) figuresWithRollUp(ctx context.Context, r *request, g Goal) GoalFigures {
	figures, err := s.figuresOf(ctx, r, []Goal{g})
	if err != nil {
		s.log.Warn().Err(err).Str("goal", g.ID).Msg("roll-up of goal")
		return g.FiguresAt(r.now)
	}
	return figures[g.ID]
}

// editParent aligns g under the goal named by value, or at the top with
// "none". Alignment stays a tree: a goal under itself, under a goal aligned
// below it, or deeper than MaxGoalDepth is refused with a sentence.
func (s *Service) editParent(ctx context.Context, r *request, g *Goal, value string) error {
	if parse.IsNone(value) {
		g.Parent = ""
		return nil
	}
	pid, ok := parse.GoalID(value)
	if !ok {
		return refuse("goal_edit_parent_usage", nil)
	}
	if pid == g.ID {
		return refuse("goal_parent_self", map[string]any{"ID": g.ID})
	}
	if err := s.checkAlignment(ctx, r, g.TeamID, pid); err != nil {
		return err
	}
	parent, err := s.loadGoal(ctx, pid)
	if err != nil {
		return err
	}
	depth, err := s.depthBelow(ctx, g.ID)
	if err != nil {
		return err
	}
	for level := 1; ; level++ {
		if parent.ID == g.ID {
			return refuse("goal_parent_cycle", map[string]any{"ID": g.ID, "Parent": pid})
		}
		if level+depth > MaxGoalDepth {
			return refuse("goal_parent_too_deep", map[string]any{"Max": MaxGoalDepth})
		}
		if parent.Parent == "" {
			break
		}
		next, err := s.store.GetGoal(ctx, parent.Parent)
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			return fmt.Errorf("walk up from %s: %w", parent.ID, err)
		}
		parent = next
	}
	g.Parent = pid
	return nil
}

// depthBelow is how many levels of goals of g's team are aligned under id.
func (s *Service) depthBelow(ctx context.Context, id string) (int, error) {
	g, err := s.store.GetGoal(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("load goal %s: %w", id, err)
	}
	all, err := s.store.TeamGoals(ctx, g.TeamID)
	if err != nil {
		return 0, fmt.Errorf("goals of %s: %w", g.TeamID, err)
	}
	tree := newGoalTree(all)
	var walk func(id string, level int) int
	walk = func(id string, level int) int {
		deepest := level
		if level > MaxGoalDepth {
			return deepest
		}
		for _, k := range tree.children[id] {
			deepest = max(deepest, walk(k.ID, level+1))
		}
		return deepest
	}
	return walk(id, 0), nil
}

// MeasureStart is when the goal's current measure began: its start, or the
// end of the measure before it. Pace counts from there.
func (g Goal) MeasureStart() time.Time {
	if n := len(g.Measures); n > 0 {
		return g.Measures[n-1].Until
	}
	return g.Start
}

// MetricAt is the measure the goal had at t, for showing a value recorded then.
func (g Goal) MetricAt(t time.Time) Metric {
	for _, m := range g.Measures {
		if t.Before(m.Until) {
			return m.Metric
		}
	}
	return g.Metric
}

// AsOf is the goal with the measure it had at t (and only the measures
// that had ended by then), for figures of a past period.
func (g Goal) AsOf(t time.Time) Goal {
	for i, m := range g.Measures {
		if t.Before(m.Until) {
			g.Metric = m.Metric
			g.Measures = g.Measures[:i:i]
			return g
		}
	}
	return g
}

// newMeasure replaces g's measure with m from now on, at value current,
// keeping the old one in its history.
func (g *Goal) newMeasure(m Metric, current float64, now time.Time) {
	g.Measures = append(g.Measures, PastMeasure{Metric: g.Metric, Until: now})
	g.Metric, g.Current = m, current
}

// editTarget is "/goal edit G7 target <value> [from <value>]": a new
// measure, under the rules of "/goal new". Without "from" a measure in the
// same unit counts from the goal's value now, and one in a new unit (or
// a milestone's first target) from zero.
func (s *Service) editTarget(g *Goal, toks []string, now time.Time) error {
	spec, ok, err := parse.ParseTargetEdit(toks)
	if err != nil {
		return err
	}
	if spec.Target.Relative {
		return refuse("error_target_relative", nil)
	}
	if !ok || (spec.HasFrom && spec.From.Relative) {
		return refuse("goal_edit_target_usage", nil)
	}
	m := Metric{Target: spec.Target.Number, Unit: spec.Target.Unit}
	if m.Unit == "" && !g.Metric.Milestone {
		m.Unit = g.Metric.Unit
	}
	sameUnit := !g.Metric.Milestone && m.Unit == g.Metric.Unit
	current := 0.0
	if sameUnit {
		m.Baseline, current = g.Current, g.Current
	}
	if spec.HasFrom {
		base := spec.From
		if base.Unit != "" && m.Unit != "" && base.Unit != m.Unit {
			return refuse("error_unit_mismatch", map[string]any{"Got": base.Unit, "Want": m.Unit})
		}
		m.Baseline = base.Number
		if !sameUnit {
			current = base.Number
		}
	}
	return s.applyMeasure(g, m, current, now)
}

// editBaseline is "/goal edit G7 baseline <value>": a new measure from
// that value to the same target; the goal keeps its value.
func (s *Service) editBaseline(g *Goal, toks []string, now time.Time) error {
	if g.Metric.Milestone {
		return refuse("goal_edit_baseline_milestone", map[string]any{"ID": g.ID})
	}
	base, n, err := parse.ParseValueWithUnit(toks)
	if err != nil {
		return err
	}
	if base.Relative || n != len(toks) {
		return refuse("goal_edit_target_usage", nil)
	}
	if base.Unit != "" && base.Unit != g.Metric.Unit {
		return refuse("error_unit_mismatch", map[string]any{"Got": base.Unit, "Want": g.Metric.Unit})
	}
	m := g.Metric
	m.Baseline = base.Number
	return s.applyMeasure(g, m, g.Current, now)
}

// applyMeasure checks a new measure against "/goal new"'s rules and starts
// it; a closed goal keeps the measure it was closed with.
func (s *Service) applyMeasure(g *Goal, m Metric, current float64, now time.Time) error {
	if g.State != GoalOpen {
		return refuse("error_goal_closed", map[string]any{"ID": g.ID})
	}
	if m.Baseline == m.Target {
		return refuse("error_target_equals_baseline", nil)
	}
	if m == g.Metric {
		return nil
	}
	g.newMeasure(m, current, now)
	return nil
}

// KudosCounts are kudos counted one way in every view (scorecard headline,
// people and kudos lists, /scorecard me and @person, digest, export, web):
// Given counts each kudos once, for its giver; Received counts it once for
// each person it thanks. A kudos to two people is one given and two
// received, so the two are shown apart and never summed.
type KudosCounts struct {
	Given    map[UserID]int `json:"given"`
	Received map[UserID]int `json:"received"`
}

// CountKudos counts list; with person set, only what that person gave or
// received.
func CountKudos(list []Kudos, person UserID) KudosCounts {
	c := KudosCounts{Given: map[UserID]int{}, Received: map[UserID]int{}}
	for _, k := range list {
		if person == "" || k.From == person {
			c.Given[k.From]++
		}
		for _, to := range k.To {
			if person == "" || to == person {
				c.Received[to]++
			}
		}
	}
	return c
}

// TotalGiven is how many kudos were given.
func (c KudosCounts) TotalGiven() int { return sumCounts(c.Given) }

// TotalReceived is how many times someone was thanked.
func (c KudosCounts) TotalReceived() int { return sumCounts(c.Received) }

func sumCounts(m map[UserID]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
