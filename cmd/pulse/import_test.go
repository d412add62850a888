package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
)

// exportJSON runs `pulse export --format json` with env and returns the document.
func exportJSON(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	out, stderr, err := runPulse(context.Background(), env, "", append([]string{"export", "--format", "json"}, args...)...)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	return out
}

func TestExportImportExportRoundTripsEveryRecord(t *testing.T) {
	ctx := context.Background()
	from, fromSt := redisEnv(t)
	if out, stderr, err := runPulse(ctx, from, "/quit\n", "try"); err != nil {
		t.Fatalf("seed the demo: %v\n%s%s", err, out, stderr)
	}
	seedReviews(t, fromSt)
	before := exportJSON(t, from)
	for _, want := range []string{`"goals": [`, `"Title": `, `"Previous": `, `"Message": `, `"Answers": [`,
		`"people": [`, `"TimeZone": "Asia/Shanghai"`, `"AwayUntil": "2026-03-20T00:00:00+08:00"`,
		`"id": "F1"`, `"request": "FR2"`, `"anonymous": true`, `"feedback_visibility": "person"`,
		`"id": "C1"`, `"approved_by": `, `"role": "peer"`, `"ratings": {`, `"id": "A1"`, `"period": "2026-W10"`} {
		if !strings.Contains(before, want) {
			t.Fatalf("the demo's export lacks %s; the round trip would prove little:\n%s", want, before)
		}
	}

	to, st := redisEnv(t) // a fresh prefix: an empty deployment
	out, stderr, err := runPulse(ctx, to, before, "import")
	if err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	assertContains(t, out, "imported 1 teams, ", " people, 4 goals,", " 12 feedback and review records")
	if after := exportJSON(t, to); after != before {
		t.Fatalf("export after import differs:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// Importing again (an interrupted restore run twice) changes nothing.
	file := writeFile(t, "backup.json", before)
	if _, stderr, err := runPulse(ctx, to, "", "import", "--file", file, "--team", "growth"); err != nil {
		t.Fatalf("second import: %v\n%s", err, stderr)
	}
	if after := exportJSON(t, to); after != before {
		t.Fatalf("a second import changed the data:\n%s", after)
	}
	// The restored goals are live records, not just export text.
	goals, err := st.TeamGoals(ctx, "growth")
	if err != nil || len(goals) != 4 {
		t.Fatalf("restored goals: %d, %v", len(goals), err)
	}
	// So are the review records: a request is found by its global id, a
	// sheet keeps its version for the next compare-and-set, and the ids
	// made after the import follow the imported ones.
	assertReviewsLive(t, st)
}

// seedReviews adds to the demo team what the demo does not make: profiles
// with a time zone, language and absence, review settings, direct
// feedback, two requests (the second answered twice, once anonymously), a
// review cycle with an edited sheet and answers, an action and a flag.
func seedReviews(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	team, err := st.GetTeam(ctx, "growth")
	if err != nil || len(team.Members) < 2 || len(team.Managers) < 1 {
		t.Fatalf("demo team: %+v, %v", team, err)
	}
	a, b, m := team.Members[0], team.Members[1], team.Managers[0]
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s: %v", what, err)
		}
	}
	sh := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, sh)
	check("person", st.SavePerson(ctx, bot.Person{ID: a, Name: "Alice 李", TimeZone: "Asia/Shanghai", Locale: bot.Locale("zh"),
		AwayUntil: time.Date(2026, 3, 20, 0, 0, 0, 0, sh)}))
	audit := bot.AuditEntry{At: at, Actor: m, Action: "seed"}
	check("settings", st.SaveReviewSettings(ctx, "growth", bot.ReviewSettings{FeedbackVisibility: bot.VisibilityPerson, Questions: []string{"What went well?", "做得好的?"}}, audit))
	_, err = st.SaveFeedback(ctx, bot.Feedback{TeamID: "growth", From: a, To: b, Text: "great launch 🚀", Values: []string{"ownership"}, Tags: []string{"launch"}, At: at}, audit)
	check("feedback", err)
	_, err = st.CreateFeedbackRequest(ctx, bot.FeedbackRequest{TeamID: "growth", From: b, Asked: []bot.UserID{m}, Due: at.AddDate(0, 0, 7), At: at}, audit)
	check("request", err)
	q, err := st.CreateFeedbackRequest(ctx, bot.FeedbackRequest{TeamID: "growth", From: a, Asked: []bot.UserID{b, m}, Topic: "the demo", Anonymous: true, Due: at.AddDate(0, 0, 7), At: at}, audit)
	check("request", err)
	_, err = st.SaveFeedback(ctx, bot.Feedback{TeamID: "growth", From: b, To: a, Text: "clear", RequestID: q.ID, Anonymous: true, At: at.Add(time.Hour)}, audit)
	check("answer", err)
	_, err = st.SaveFeedback(ctx, bot.Feedback{TeamID: "growth", From: m, To: a, Text: "calm", RequestID: q.ID, Anonymous: true, At: at.Add(2 * time.Hour)}, audit)
	check("answer", err)
	c, err := st.CreateReviewCycle(ctx, bot.ReviewCycle{TeamID: "growth", Title: "Q1", PeriodFrom: at.AddDate(0, -3, 0), Due: at.AddDate(0, 0, 14),
		Peers: 2, Values: []string{"candor"}, StartedBy: m, At: at}, []bot.UserID{a, b}, audit)
	check("cycle", err)
	sheet, err := st.GetReviewSheet(ctx, "growth", c.ID, a)
	check("sheet", err)
	sheet.Nominated, sheet.Peers, sheet.ApprovedBy, sheet.Approved = []bot.UserID{b}, []bot.UserID{b}, m, at.Add(time.Hour)
	_, err = st.SaveReviewSheet(ctx, sheet, audit)
	check("sheet", err)
	for _, ans := range []bot.ReviewAnswers{
		{CycleID: c.ID, TeamID: "growth", Subject: a, Role: bot.RoleSelf, Author: a, Answers: []string{"shipped", "测试"}, Ratings: map[string]int{"candor": 4}, Submitted: at.Add(3 * time.Hour), UpdatedAt: at.Add(3 * time.Hour)},
		{CycleID: c.ID, TeamID: "growth", Subject: a, Role: bot.RolePeer, Author: b, Answers: []string{"draft"}, UpdatedAt: at.Add(4 * time.Hour)},
	} {
		check("answers", st.SaveReviewAnswers(ctx, ans, audit))
	}
	_, err = st.SaveDevAction(ctx, bot.DevAction{TeamID: "growth", Person: a, Text: "SQL course", Due: at.AddDate(0, 1, 0), By: m, At: at}, audit)
	check("action", err)
	check("flag", st.SaveReviewFlag(ctx, bot.ReviewFlag{TeamID: "growth", Person: b, Period: "2026-W10", Note: "blocked", By: m, At: at}, audit))
}

// assertReviewsLive checks that imported review records work as stored ones.
func assertReviewsLive(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	team, err := st.GetTeam(ctx, "growth")
	if err != nil {
		t.Fatal(err)
	}
	a, b, m := team.Members[0], team.Members[1], team.Managers[0]
	p, err := st.GetPerson(ctx, a)
	if err != nil || p.TimeZone != "Asia/Shanghai" || p.Name != "Alice 李" {
		t.Fatalf("restored person: %+v, %v", p, err)
	}
	q, err := st.GetFeedbackRequest(ctx, "FR2")
	if err != nil || q.Topic != "the demo" {
		t.Fatalf("restored request FR2: %+v, %v", q, err)
	}
	answers, err := st.RequestAnswers(ctx, "growth", "FR2")
	if err != nil || len(answers) != 2 {
		t.Fatalf("answers to FR2: %+v, %v", answers, err)
	}
	audit := bot.AuditEntry{At: time.Now(), Actor: m, Action: "test"}
	sheet, err := st.GetReviewSheet(ctx, "growth", "C1", a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveReviewSheet(ctx, sheet, audit); err != nil {
		t.Fatalf("saving the restored sheet at its version: %v", err)
	}
	f, err := st.SaveFeedback(ctx, bot.Feedback{TeamID: "growth", From: m, To: b, Text: "new", At: time.Now()}, audit)
	if err != nil || f.ID != "F4" {
		t.Fatalf("first feedback after the import: %s, %v; want F4", f.ID, err)
	}
	// The answer slots are restored: answering twice is still refused.
	if _, err := st.SaveFeedback(ctx, bot.Feedback{TeamID: "growth", From: b, To: a, Text: "again", RequestID: "FR2", At: time.Now()}, audit); !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("a second answer to FR2 by the same person: %v, want ErrConflict", err)
	}
	q, err = st.CreateFeedbackRequest(ctx, bot.FeedbackRequest{TeamID: "growth", From: m, Asked: []bot.UserID{a}, At: time.Now()}, audit)
	if err != nil || q.ID != "FR3" {
		t.Fatalf("first request after the import: %s, %v; want FR3", q.ID, err)
	}
	c, err := st.CreateReviewCycle(ctx, bot.ReviewCycle{TeamID: "growth", Title: "Q2", At: time.Now()}, nil, audit)
	if err != nil || c.ID != "C2" {
		t.Fatalf("first cycle after the import: %s, %v; want C2", c.ID, err)
	}
	x, err := st.SaveDevAction(ctx, bot.DevAction{TeamID: "growth", Person: b, Text: "new", At: time.Now()}, audit)
	if err != nil || x.ID != "A2" {
		t.Fatalf("first action after the import: %s, %v; want A2", x.ID, err)
	}
}

func TestImportRejectsBadInput(t *testing.T) {
	env, _ := redisEnv(t)
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"not json", nil, "not a `pulse export --format json` document"},
		{`{"teams":[]}`, []string{"--team", "nope"}, "--team nope: the export holds no such team"},
		{"", []string{"--file", "/nonexistent/backup.json"}, "--file: open /nonexistent/backup.json"},
		{"{}", []string{"extra"}, `unexpected argument "extra"`},
	} {
		_, _, err := runPulse(context.Background(), env, tc.stdin, append([]string{"import"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("import %v with %q = %v, want %q", tc.args, tc.stdin, err, tc.want)
		}
	}
}

// FuzzDecodeExport feeds `pulse import` arbitrary input: it never panics,
// and what it accepts survives a re-encoding unchanged.
func FuzzDecodeExport(f *testing.F) {
	f.Add(`{"teams":[{"ID":"growth","Name":"Growth","Platform":"slack"}],"goals":[{"ID":"G1","TeamID":"growth","Current":2.5}]}`)
	f.Add(`{"kudos":[{"ID":"K1","To":["slack:T1:U2"]}],"checkins":[{"Period":"2026-W10","Mood":3}]}`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, in string) {
		data, err := decodeExport(strings.NewReader(in))
		if err != nil {
			return
		}
		enc, err := json.Marshal(data)
		if err != nil {
			return // e.g. a time outside RFC 3339's years: export would refuse it too
		}
		again, err := decodeExport(bytes.NewReader(enc))
		if err != nil {
			t.Fatalf("re-encoded export does not decode: %v\n%s", err, enc)
		}
		enc2, _ := json.Marshal(again)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("re-encoding changed the export:\n%s\n%s", enc, enc2)
		}
	})
}
