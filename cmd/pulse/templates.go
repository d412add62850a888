package main

import (
	"fmt"
	"strings"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/parse"
)

// templateSpec is one goal template in the team file.
type templateSpec struct {
	Name string `yaml:"name"`
	// Title and TitleZh name goals made from it, in English and Chinese.
	Title   string `yaml:"title"`
	TitleZh string `yaml:"title_zh"`
	Unit    string `yaml:"unit"`
	// LowerIsBetter marks metrics that should go down (refund rate).
	LowerIsBetter bool `yaml:"lower_is_better"`
	// Source, when set, links goals made from it to that metric source.
	Source  string   `yaml:"source"`
	Aliases []string `yaml:"aliases"`
}

// loadTemplates checks every team's goal templates.
func loadTemplates(p *problems, teams []bot.Team, specs map[string]teamSpec) map[string][]bot.GoalTemplate {
	out := map[string][]bot.GoalTemplate{}
	for i, t := range teams {
		sources := map[string]bool{}
		for _, s := range specs[t.ID].Sources {
			sources[strings.TrimSpace(s.Name)] = true
		}
		for j, s := range specs[t.ID].Templates {
			field := fmt.Sprintf("PULSE_CONFIG teams[%d] (%s).templates[%d]", i, t.Name, j)
			tpl := bot.GoalTemplate{Name: strings.ToLower(strings.TrimSpace(s.Name)), Title: strings.TrimSpace(s.Title),
				TitleZh: strings.TrimSpace(s.TitleZh), Unit: strings.TrimSpace(s.Unit), LowerIsBetter: s.LowerIsBetter,
				Source: strings.TrimSpace(s.Source), Aliases: s.Aliases}
			ok := true
			if !parse.ValidName(tpl.Name) {
				p.add(field+".name", "%q: use up to 40 lower-case letters, digits, - . or _, such as conversion", s.Name)
				ok = false
			}
			if tpl.Title == "" {
				p.add(field+".title", "is required: the title goals made from it get, such as Checkout conversion")
				ok = false
			}
			if tpl.Source != "" && !sources[tpl.Source] {
				p.add(field+".source", "%q is not one of the team's sources", tpl.Source)
				ok = false
			}
			if ok {
				out[t.ID] = append(out[t.ID], tpl)
			}
		}
	}
	return out
}
