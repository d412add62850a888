package main

import (
	"context"
	"strings"
	"testing"
)

// TestImportAdv14RefusesHandEditedExports: hand-edited documents the
// validator must refuse (or at least not crash on), importing nothing.
func TestImportAdv14RefusesHandEditedExports(t *testing.T) {
	ctx := context.Background()
	valid := `{"version":2,"teams":[{"id":"ops","name":"Ops","platform":"slack","channel":"C1","members":["slack:T1:U1"],"managers":[],
		"time_zone":"UTC","locale":"en","check_in_schedule":"0 10 * * MON","digest_schedule":"0 16 * * FRI","kudos_allowance":5,"holidays":"none"}]`
	for _, tc := range []struct{ name, doc, want string }{
		{"null document", `null`, "not a `pulse export --format json` document"},
		{"array document", `[]`, "not a `pulse export --format json` document"},
		{"duplicate goal ids", valid + `,"goals":[{"id":"G1","team":"ops","title":"a","state":"open","owner":"slack:T1:U1"},{"id":"G1","team":"ops","title":"b","state":"open","owner":"slack:T1:U1"}]}`, `"G1" is in the export twice`},
		{"duplicate kudos ids", valid + `,"kudos":[{"id":"K1","team":"ops","from":"slack:T1:U1","to":["slack:T1:U2"],"at":"2026-03-02T10:00:00Z"},{"id":"K1","team":"ops","from":"slack:T1:U1","to":["slack:T1:U2"],"at":"2026-03-02T10:00:00Z"}]}`, `"K1" is in the export twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, st := redisEnv(t)
			out, _, err := runPulse(ctx, env, tc.doc, "import")
			if err == nil {
				t.Fatalf("import succeeded (exit 0):\n%s", out)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error lacks %q:\n%v", tc.want, err)
			}
			if teams, err := st.ListTeams(ctx); err != nil || len(teams) != 0 {
				t.Errorf("a refused import stored teams %+v (%v)", teams, err)
			}
		})
	}
}
