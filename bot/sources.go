package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pulse-bot/pulse/bot/parse"
)

// Metric sources are declared in the team file (package pull fetches
// them); the core only knows their names, to link goals to them.

// SetMetricSources tells the service which sources each team declared, by
// team id, so `/goal edit G7 source <name>` can refuse an unknown name.
func (s *Service) SetMetricSources(byTeam map[string][]string) { s.sources = byTeam }

// SourceGoals returns the open goals of the team linked to the source.
func (s *Service) SourceGoals(ctx context.Context, team, source string) ([]Goal, error) {
	all, err := s.store.TeamGoals(ctx, team)
	if err != nil {
		return nil, fmt.Errorf("goals of %s: %w", team, err)
	}
	var out []Goal
	for _, g := range all {
		if g.State == GoalOpen && g.Source == source {
			out = append(out, g)
		}
	}
	return out, nil
}

// LinkSource links goals of a team to a source, as the team file says; a
// goal that does not exist or is another team's is an error for the
// operator to fix. Already-linked goals are left alone.
func (s *Service) LinkSource(ctx context.Context, team, source string, goalIDs []string) error {
	for _, id := range goalIDs {
		g, err := s.store.GetGoal(ctx, id)
		if err != nil {
			return fmt.Errorf("source %s: goal %s: %w", source, id, err)
		}
		if g.TeamID != team {
			return fmt.Errorf("source %s: goal %s belongs to team %s, not %s", source, id, g.TeamID, team)
		}
		if g.Source == source {
			continue
		}
		g.Source = source
		a := AuditEntry{At: s.clock.Now(), Actor: "config:file:pulse", Action: "goal.edited", Subject: id, Detail: "source=" + source}
		if err := s.store.SaveGoal(ctx, g, a); err != nil {
			return fmt.Errorf("link %s to source %s: %w", id, source, err)
		}
	}
	return nil
}

// editSource is `/goal edit G7 source <name>|none`, for admins: which
// endpoint feeds a goal is an operator's decision (it carries secrets).
func (s *Service) editSource(r *request, g *Goal, value string) error {
	if !s.isAdmin(r.actor.ID) {
		return refuse("goal_source_admin", nil)
	}
	name := strings.ToLower(strings.TrimSpace(value))
	if parse.IsNone(name) {
		g.Source = ""
		return nil
	}
	declared := s.sources[g.TeamID]
	if !parse.ValidName(name) || !slices.Contains(declared, name) {
		list := strings.Join(declared, ", ")
		if list == "" {
			return refuse("goal_source_none_declared", map[string]any{"Team": g.TeamID})
		}
		return refuse("goal_source_unknown", map[string]any{"Team": g.TeamID, "Name": value, "Names": list})
	}
	g.Source = name
	return nil
}
