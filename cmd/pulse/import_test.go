package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
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
	from, _ := redisEnv(t)
	if out, stderr, err := runPulse(ctx, from, "/quit\n", "try"); err != nil {
		t.Fatalf("seed the demo: %v\n%s%s", err, out, stderr)
	}
	before := exportJSON(t, from)
	for _, want := range []string{`"goals": [`, `"Title": `, `"Previous": `, `"Message": `, `"Answers": [`} {
		if !strings.Contains(before, want) {
			t.Fatalf("the demo's export lacks %s; the round trip would prove little:\n%s", want, before)
		}
	}

	to, st := redisEnv(t) // a fresh prefix: an empty deployment
	out, stderr, err := runPulse(ctx, to, before, "import")
	if err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	assertContains(t, out, "imported 1 teams, 4 goals,")
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
