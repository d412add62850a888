package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store/storetest"
)

// A team file's review_questions replace the team's review template when
// serve applies the file, and an empty question is a configuration error.
func TestTeamFileReviewQuestionsAreApplied(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "teams.yaml")
	yaml := `teams:
  - name: Growth
    platform: slack
    channel: C0123
    review_questions: ["What went well?", "What will you change?"]
`
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(func(k string) string { return map[string]string{"PULSE_CONFIG": file}[k] })
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.MustOpen(t)
	svc, err := bot.NewService(bot.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	e := &environment{cfg: cfg, log: zerolog.Nop()}
	if err := e.applyConfigTeams(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	settings, err := st.ReviewSettings(context.Background(), "growth")
	if err != nil || strings.Join(settings.Questions, "|") != "What went well?|What will you change?" {
		t.Fatalf("review questions = %v, %v", settings.Questions, err)
	}

	bad := strings.Replace(yaml, `"What will you change?"`, `"  "`, 1)
	if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = loadConfig(func(k string) string { return map[string]string{"PULSE_CONFIG": file}[k] })
	if err == nil || !strings.Contains(err.Error(), "review_questions[1]: is empty") {
		t.Fatalf("empty review question: err = %v", err)
	}
}
