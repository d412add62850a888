package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulse-bot/pulse/bot"
)

// Issue 13, finding 6: the team file marks which question's answer is the
// highlight and which the blockers, by number or none; a role on a
// question the team does not ask, or both roles on one, is refused.
func TestFinding6TeamFileMarksQuestionRoles(t *testing.T) {
	file := filepath.Join(t.TempDir(), "teams.yaml")
	load := func(extra string) (config, error) {
		t.Helper()
		yaml := `teams:
  - name: Growth
    platform: slack
    channel: C0123
    questions: ["Who helped you?", "What did you ship?", "What slows you down?"]
` + extra
		if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		return loadConfig(func(k string) string { return map[string]string{"PULSE_CONFIG": file}[k] })
	}
	cfg, err := load("    highlight_question: 2\n    blockers_question: none\n")
	if err != nil {
		t.Fatal(err)
	}
	team := cfg.Teams[0]
	if team.HighlightQuestion != 2 || team.BlockersQuestion != bot.NoQuestion {
		t.Fatalf("roles read as %d %d", team.HighlightQuestion, team.BlockersQuestion)
	}
	qs := team.CheckInQuestions()
	if qs[1].Role != bot.RoleHighlight || qs[0].Role != "" || qs[2].Role != "" {
		t.Fatalf("questions asked as %+v", qs)
	}
	if cfg, err = load(""); err != nil || cfg.Teams[0].CheckInQuestions()[2].Role != bot.RoleBlockers {
		t.Fatalf("unmarked: the third is not the blockers: %v", err)
	}
	for extra, want := range map[string]string{
		"    blockers_question: 4\n":                            "blockers_question: 4 names no question: the team asks 3",
		"    highlight_question: first\n":                       `highlight_question: "first" is not a question number`,
		"    highlight_question: 3\n    blockers_question: 3\n": "also the highlight_question",
	} {
		if _, err := load(extra); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", extra, err, want)
		}
	}
}
