package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pulse-bot/pulse/bot/parse"
)

// GoalTemplate is a metric an e-commerce team lives by, ready to become a
// SMART goal: its title, unit, the direction that counts as better and,
// optionally, the metric source that feeds it.
type GoalTemplate struct {
	Name    string
	Title   string
	TitleZh string
	Unit    string
	// LowerIsBetter marks a metric that should go down: its target must
	// be below where it starts (refund rate).
	LowerIsBetter bool
	// Source names a metric source of the team that feeds goals made from it.
	Source string
	// Aliases are other names people type for it (转化率, cvr).
	Aliases []string
}

// DefaultTemplates ship with Pulse; a team file adds to them or replaces
// one by name.
var DefaultTemplates = []GoalTemplate{
	{Name: "gmv", Title: "GMV", TitleZh: "成交总额", Unit: "¥", Aliases: []string{"成交额", "成交总额", "销售额"}},
	{Name: "conversion", Title: "Conversion rate", TitleZh: "转化率", Unit: "%", Aliases: []string{"cvr", "conversion-rate", "转化率"}},
	{Name: "aov", Title: "Average order value", TitleZh: "客单价", Unit: "¥", Aliases: []string{"average-order-value", "客单价"}},
	{Name: "repeat", Title: "Repeat-purchase rate", TitleZh: "复购率", Unit: "%", Aliases: []string{"repeat-purchase", "repurchase", "复购率"}},
	{Name: "refund", Title: "Refund rate", TitleZh: "退款率", Unit: "%", LowerIsBetter: true, Aliases: []string{"refund-rate", "refunds", "退款率"}},
	{Name: "nps", Title: "NPS", TitleZh: "净推荐值", Unit: "NPS", Aliases: []string{"net-promoter-score", "净推荐值"}},
}

// SetTeamTemplates adds each team's own templates (by team id) to the
// defaults; one with a default's name replaces it for that team.
func (s *Service) SetTeamTemplates(byTeam map[string][]GoalTemplate) { s.templates = byTeam }

// templatesOf lists the templates a team can use: its own, then the defaults it did not replace.
func (s *Service) templatesOf(team string) []GoalTemplate {
	own := s.templates[team]
	out := make([]GoalTemplate, 0, len(own)+len(DefaultTemplates))
	for _, t := range own {
		// A team's template that replaces a default keeps the names
		// people already type for it (转化率, cvr) and its Chinese title.
		if i := slices.IndexFunc(DefaultTemplates, func(d GoalTemplate) bool { return d.Name == t.Name }); i >= 0 {
			d := DefaultTemplates[i]
			t.Aliases = append(slices.Clone(t.Aliases), d.Aliases...)
			if t.TitleZh == "" {
				t.TitleZh = d.TitleZh
			}
		}
		out = append(out, t)
	}
	for _, d := range DefaultTemplates {
		if !slices.ContainsFunc(own, func(t GoalTemplate) bool { return t.Name == d.Name }) {
			out = append(out, d)
		}
	}
	return out
}

func (s *Service) findTemplate(team, name string) (GoalTemplate, bool) {
	for _, t := range s.templatesOf(team) {
		if t.Name == name || slices.Contains(t.Aliases, name) {
			return t, true
		}
	}
	return GoalTemplate{}, false
}

// goalFromTemplate is "/goal new from template conversion to 3.2% by end of
// quarter": the template gives the title, unit, direction and source; the
// rest is read as any "/goal new" is, so the goal stays SMART.
func (s *Service) goalFromTemplate(ctx context.Context, r *request, team Team, ref parse.TemplateRef) (Goal, error) {
	tpl, ok := s.findTemplate(team.ID, ref.Name)
	if !ok {
		return Goal{}, refuse("goal_template_unknown", map[string]any{"Name": ref.Name, "Names": s.templateNames(team.ID)})
	}
	title := tpl.Title
	if r.locale == Chinese && tpl.TitleZh != "" {
		title = tpl.TitleZh
	}
	loc := personLocation(r.actor, team)
	spec, err := parse.ParseGoalSpec(title+" "+ref.Rest, r.now, loc)
	if err != nil {
		return Goal{}, err
	}
	if spec.Target == nil || spec.Due.IsZero() {
		return Goal{}, refuse("goal_template_smart", map[string]any{"Name": tpl.Name})
	}
	for _, v := range []*parse.Value{spec.Target, spec.Baseline} {
		if v == nil {
			continue
		}
		if v.Unit != "" && v.Unit != tpl.Unit {
			return Goal{}, refuse("error_unit_mismatch", map[string]any{"Got": v.Unit, "Want": tpl.Unit})
		}
		v.Unit = tpl.Unit
	}
	if tpl.LowerIsBetter && spec.Baseline == nil {
		return Goal{}, refuse("goal_template_from", map[string]any{"Title": title})
	}
	g, err := s.goalFromSpec(ctx, r, team, spec, loc)
	if err != nil {
		return Goal{}, err
	}
	better := g.Metric.Target > g.Metric.Baseline
	if tpl.LowerIsBetter {
		better = g.Metric.Target < g.Metric.Baseline
	}
	if !better {
		key := "goal_template_higher"
		if tpl.LowerIsBetter {
			key = "goal_template_lower"
		}
		return Goal{}, refuse(key, map[string]any{"Title": title, "From": FormatValue(g.Metric.Baseline, tpl.Unit)})
	}
	g.Source = tpl.Source
	return g, nil
}

// templateNames lists the team's templates with their units, for a refusal.
func (s *Service) templateNames(team string) string {
	var names []string
	for _, t := range s.templatesOf(team) {
		names = append(names, fmt.Sprintf("%s (%s)", t.Name, t.Unit))
	}
	return strings.Join(names, ", ")
}
