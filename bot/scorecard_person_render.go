package bot

import (
	"fmt"
	"strings"
)

// maxAnswerRunes keeps one answer to a readable line in a person's scorecard.
const maxAnswerRunes = 160

// scorecardFlags lists what a person's scorecard flags, first thing after
// the headline: what a manager should ask about.
func (s *Service) scorecardFlags(r *request, sc Scorecard) []Block {
	if sc.Person == "" || len(sc.Flags) == 0 {
		return nil
	}
	lines := make([]string, 0, len(sc.Flags))
	for _, f := range sc.Flags {
		lines = append(lines, "• "+s.t(r, "sc_flag_"+string(f.Kind), map[string]any{"Goal": f.Goal, "Weeks": f.Weeks}))
	}
	return []Block{Divider{}, Text{Text: s.t(r, "sc_flags", nil) + "\n" + strings.Join(lines, "\n")}}
}

// scorecardRecentCheckIns lists a person's check-ins of the last weeks,
// newest first: state, mood where the viewer may see it, highlight and blockers.
func (s *Service) scorecardRecentCheckIns(r *request, sc Scorecard) []Block {
	if sc.Person == "" || len(sc.Recent) == 0 {
		return nil
	}
	lines := make([]string, 0, len(sc.Recent))
	for _, w := range sc.Recent {
		line := "• " + w.Period + " · " + s.t(r, "sc_status_"+string(w.State), nil)
		if w.Mood > 0 {
			line += " · " + s.t(r, "sc_person_mood", map[string]any{"Mood": w.Mood})
		}
		if w.Highlight != "" {
			line += "\n   " + s.t(r, "sc_recent_highlight", map[string]any{"Text": clipRunes(w.Highlight, maxAnswerRunes)})
		}
		if w.Blockers != "" {
			line += "\n   " + s.t(r, "sc_recent_blockers", map[string]any{"Text": clipRunes(w.Blockers, maxAnswerRunes)})
		}
		lines = append(lines, line)
	}
	title := s.t(r, "sc_recent_checkins", nil)
	return []Block{Divider{}, Text{Text: title + "\n" + strings.Join(lines, "\n")}}
}

// clipRunes shortens text to at most n runes, marking the cut.
func clipRunes(text string, n int) string {
	runes := []rune(strings.TrimSpace(text))
	if len(runes) <= n {
		return string(runes)
	}
	return fmt.Sprintf("%s…", string(runes[:n-1]))
}
