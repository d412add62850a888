package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
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
	for _, want := range []string{`"version": 2,`, `"goals": [`, `"title": `, `"previous": `, `"message": `, `"answers": [`,
		`"people": [`, `"time_zone": "Asia/Shanghai"`, `"away_until": "2026-03-20T00:00:00+08:00"`, `"team": "growth"`,
		`"id": "F1"`, `"request": "FR2"`, `"anonymous": true`, `"feedback_visibility": "person"`,
		`"id": "C1"`, `"approved_by": `, `"role": "peer"`, `"role": "highlight"`, `"key": "checkin_q_done"`, `"ratings": {`, `"id": "A1"`, `"period": "2026-W10"`} {
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
	f.Add(`{"version":2,"teams":[{"id":"growth","name":"Growth","platform":"slack"}],"goals":[{"id":"G1","team":"growth","current":2.5}]}`)
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

// TestImportReadsAnExportMadeBeforeVersion2: testdata/export-v1.json was
// written by `pulse export` before the format had a version and
// snake_case names (the demo team, by the pulse of commit ba00eff). It
// imports, and the records read back are the file's, field by field.
func TestImportReadsAnExportMadeBeforeVersion2(t *testing.T) {
	ctx := context.Background()
	env, st := redisEnv(t)
	out, stderr, err := runPulse(ctx, env, "", "import", "--file", "testdata/export-v1.json")
	if err != nil {
		t.Fatalf("import of a version 1 export: %v\n%s", err, stderr)
	}
	assertContains(t, out, "imported 1 teams, 4 people, 4 goals, 8 updates, 4 kudos, 1 check-ins")
	team, err := st.GetTeam(ctx, "growth")
	if err != nil || team.Name != "Growth" || team.CheckInSchedule != "0 10 * * MON" || len(team.Members) != 3 {
		t.Fatalf("imported team: %+v, %v", team, err)
	}

	var old map[string][]map[string]any
	raw, err := os.ReadFile("testdata/export-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &old); err != nil {
		t.Fatal(err)
	}
	var now map[string]any
	if err := json.Unmarshal([]byte(exportJSON(t, env)), &now); err != nil {
		t.Fatal(err)
	}
	if now["version"] != float64(bot.ExportVersion) {
		t.Errorf("re-export version = %v, want %d", now["version"], bot.ExportVersion)
	}
	for _, section := range v1Sections {
		want, _ := json.Marshal(renameKeys(anySlice(old[section])))
		got, _ := json.Marshal(now[section])
		if string(got) != string(want) {
			t.Errorf("%s after importing the version 1 file:\n got %s\nwant %s", section, got, want)
		}
	}
	if old["goals"][0]["TeamID"] != "growth" || now["goals"].([]any)[0].(map[string]any)["team"] != "growth" {
		t.Errorf("goal team not carried from TeamID to team")
	}
}

func anySlice(in []map[string]any) []any {
	out := make([]any, len(in))
	for i, m := range in {
		out[i] = m
	}
	return out
}

// TestExportTagsFollowExportName: every field of the records a version 1
// export named by Go field names has the json tag exportName gives, so
// upgradeV1's renaming is exact.
func TestExportTagsFollowExportName(t *testing.T) {
	for _, v := range []any{bot.Team{}, bot.Person{}, bot.Goal{}, bot.Metric{}, bot.PastMeasure{}, bot.Update{},
		bot.MessageRef{}, bot.Kudos{}, bot.CheckIn{}, bot.GoalFigures{}} {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			f := typ.Field(i)
			tag := strings.Split(f.Tag.Get("json"), ",")[0]
			if tag == "-" {
				continue
			}
			if want := exportName(f.Name); tag != want {
				t.Errorf("%s.%s has json tag %q, want %q", typ.Name(), f.Name, tag, want)
			}
		}
	}
}

// TestImportRefusesInvalidRecordsAndImportsNothing: each problem is one
// line naming the record and field; a file with any problem writes
// nothing, not even its valid records.
func TestImportRefusesInvalidRecordsAndImportsNothing(t *testing.T) {
	ctx := context.Background()
	valid := `{"version":2,"teams":[{"id":"ops","name":"Ops","platform":"slack","channel":"C1","members":["slack:T1:U1"],"managers":[],
		"time_zone":"UTC","locale":"en","check_in_schedule":"0 10 * * MON","digest_schedule":"0 16 * * FRI","kudos_allowance":5,"holidays":"none"}]`
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"the issue's nameless team", `{"teams":[{"ID":"x"}]}`, []string{
			"teams[0] (x).name: is required", "teams[0] (x).platform: \"\" is not slack, feishu or console",
			"teams[0] (x).channel: is required", "teams[0] (x).time_zone: is required", "teams[0] (x).locale: \"\" is not en or zh",
			"teams[0] (x).check_in_schedule: \"\" is not a schedule", "teams[0] (x).digest_schedule: \"\" is not a schedule"}},
		{"bad team fields", `{"version":2,"teams":[{"id":"Ops","name":"Ops","platform":"slack","channel":"C1","members":["U1","feishu:t:ou_1"],
			"time_zone":"Mars/Olympus","locale":"fr","check_in_schedule":"every monday","digest_schedule":"0 16 * * FRI","kudos_allowance":-1,"holidays":"none"}]}`, []string{
			`teams[0] (Ops).id: "Ops" is not the team's name "Ops" in lower case`,
			`teams[0] (Ops).members[0]: "U1" is not a platform-qualified user id`,
			`teams[0] (Ops).members[1]: "feishu:t:ou_1" is not on the team's platform slack`,
			`teams[0] (Ops).time_zone: "Mars/Olympus" is not an IANA time zone`, `teams[0] (Ops).locale: "fr" is not en or zh`,
			`teams[0] (Ops).check_in_schedule: "every monday" is not a schedule`, `teams[0] (Ops).kudos_allowance: -1 is negative`}},
		{"records pointing nowhere", valid + `,"goals":[{"id":"G1","team":"ops","title":"","state":"open","owner":"slack:T1:U1","parent":"G9"},{"id":"7","team":"dev","title":"x","state":"half","owner_team":"dev"}],
			"updates":[{"goal":"G3","team":"ops","at":"2026-03-02T10:00:00Z"}],"kudos":[{"id":"K1","team":"ops","from":"slack:T1:U1","to":[],"at":"0001-01-01T00:00:00Z"}],
			"checkins":[{"team":"ops","person":"slack:T1:U1","period":"2026-48","mood":9}],"people":[{"id":"bob","time_zone":"Nowhere"}]}`, []string{
			"goals[0] (G1).title: is required", `goals[0] (G1).parent: "G9" is not a goal of this export`,
			`goals[1].id: "7" is not a goal id such as G7`, `goals[1].team: "dev" is not a team of this export`, `goals[1].state: "half" is not open, done or dropped`,
			`updates[0].goal: "G3" is not a goal of this export`, "kudos[0].to: names nobody", "kudos[0].at: is required",
			`checkins[0].period: "2026-48" is not an ISO week`, "checkins[0].mood: 9 is not 0 (none) to 5",
			`people[0].id: "bob" is not a platform-qualified user id`, `people[0].time_zone: "Nowhere" is not an IANA time zone`}},
		{"question roles pointing nowhere", `{"version":2,"teams":[{"id":"ops","name":"Ops","platform":"slack","channel":"C1","members":["slack:T1:U1"],"managers":[],
			"time_zone":"UTC","locale":"en","check_in_schedule":"0 10 * * MON","digest_schedule":"0 16 * * FRI","kudos_allowance":5,"holidays":"none",
			"questions":["A?","B?"],"highlight_question":2,"blockers_question":3}],
			"checkins":[{"team":"ops","person":"slack:T1:U1","period":"2026-W48","answers":["x"],"questions":[{"role":"boss"},{"key":"checkin_q_nope"}]}]}`, []string{
			"teams[0] (ops).blockers_question: 3 names no question: the team asks 2", "checkins[0].questions[0]: has neither text nor key",
			`checkins[0].questions[0].role: "boss" is not highlight, blockers or empty`, `checkins[0].questions[1].key: "checkin_q_nope" is not a default question`}},
		{"an unknown field", valid + `,"goals":[{"id":"G1","team":"ops","titel":"typo"}]}`, []string{`unknown field "titel"`}},
		{"a newer format", `{"version":3,"teams":[]}`, []string{"export format version 3: this pulse reads versions 1 to 2"}},
		{"a version that is no number", `{"version":"2"}`, []string{`"version" is "2", not a whole number`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, st := redisEnv(t)
			out, _, err := runPulse(ctx, env, tc.doc, "import")
			if err == nil {
				t.Fatalf("import succeeded (exit 0):\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if lines := strings.Count(err.Error(), "\n"); len(tc.want) > 1 && lines < len(tc.want) {
				t.Errorf("want one line per problem (%d), got %d lines:\n%v", len(tc.want), lines, err)
			}
			if teams, err := st.ListTeams(ctx); err != nil || len(teams) != 0 {
				t.Errorf("a refused import stored teams %+v (%v)", teams, err)
			}
		})
	}
}
