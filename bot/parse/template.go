package parse

import "strings"

// TemplateRef is "/goal new from template <name> …" (模板 <name> …) split
// into the template's name and the rest of the goal ("to 3.2% by end of
// quarter"), which ParseGoalSpec reads behind the template's title.
type TemplateRef struct {
	Name string
	Rest string
}

// templateLeads start a goal made from a template, longest first.
var templateLeads = [][]string{{"from", "template"}, {"using", "template"}, {"template"}, {"用", "模板"}, {"模板"}, {"用模板"}}

// ParseTemplateRef reads a "/goal new" that names a template; ok is false
// when args does not start with one of templateLeads.
func ParseTemplateRef(args string) (TemplateRef, bool, error) {
	toks := tokenize(args)
	for _, lead := range templateLeads {
		if len(toks) < len(lead) || !leadMatches(toks, lead) {
			continue
		}
		rest := toks[len(lead):]
		if len(rest) == 0 {
			return TemplateRef{}, true, parseErr("goal_template_usage", nil)
		}
		ref := TemplateRef{Name: fold(rest[0].text)}
		if len(rest) > 1 {
			ref.Rest = strings.TrimSpace(args[rest[1].start:])
		}
		return ref, true, nil
	}
	return TemplateRef{}, false, nil
}

func leadMatches(toks []token, lead []string) bool {
	for i, w := range lead {
		if fold(toks[i].text) != w {
			return false
		}
	}
	return true
}
