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
		// The store refuses these while writing, after the teams went in:
		// the validator must find them first so nothing is imported.
		{"feedback of another team", valid + `,"reviews":[{"team":"ops","feedback":[{"id":"F1","team":"dev","from":"slack:T1:U1","to":"slack:T1:U2"}]}]}`, `reviews[0].feedback[0].team: "dev" is not the team ops`},
		{"feedback with a bad id", valid + `,"reviews":[{"team":"ops","feedback":[{"id":"X1","team":"ops","from":"slack:T1:U1","to":"slack:T1:U2"}]}]}`, `reviews[0].feedback[0].id: "X1" is not an id such as F1`},
		{"feedback with no author", valid + `,"reviews":[{"team":"ops","feedback":[{"id":"F1","team":"ops","to":"slack:T1:U2"}]}]}`, `reviews[0].feedback[0].from: "" is not a platform-qualified user id`},
		{"request, cycle, sheet, answers, action, flag", valid + `,"reviews":[{"team":"ops","feedback_requests":[{"id":"R1","team":"ops"}],"review_cycles":[{"id":"C1","team":"dev"}],
			"review_sheets":[{"cycle":"1","team":"ops","person":"slack:T1:U1"}],"review_answers":[{"cycle":"C1","team":"ops","subject":"slack:T1:U1"}],
			"development_actions":[{"id":"A0","team":"ops","person":"slack:T1:U1"}],"review_flags":[{"team":"ops","person":"slack:T1:U1"}]}]}`,
			`reviews[0].feedback_requests[0].id: "R1" is not an id such as FR1`},
		{"anonymous review of a cycle with a bad id", valid + `,"reviews":[{"team":"ops","review_anonymous":[{"cycle":"cycle-1","answered":[],"reviews":[]}]}]}`,
			`reviews[0].review_anonymous[0].cycle: "cycle-1" is not an id such as C1`},
		{"update filed under another team than its goal", strings.Replace(valid, `"teams":[`, `"teams":[{"id":"dev","name":"Dev","platform":"slack","channel":"C2","members":["slack:T1:U1"],"managers":[],
			"time_zone":"UTC","locale":"en","check_in_schedule":"0 10 * * MON","digest_schedule":"0 16 * * FRI","kudos_allowance":5,"holidays":"none"},`, 1) +
			`,"goals":[{"id":"G1","team":"ops","title":"a","state":"open","owner":"slack:T1:U1"}],"updates":[{"goal":"G1","team":"dev","at":"2026-03-02T10:00:00Z"}]}`,
			`updates[0].team: "dev" is not the team of goal G1 (ops)`},
		{"duplicate people", valid + `,"people":[{"id":"slack:T1:U1","time_zone":"UTC"},{"id":"slack:T1:U1","time_zone":"Asia/Shanghai"}]}`, `people[1].id: person "slack:T1:U1" is in the export twice`},
		{"duplicate check-ins", valid + `,"checkins":[{"team":"ops","person":"slack:T1:U1","period":"2026-W48","mood":3},{"team":"ops","person":"slack:T1:U1","period":"2026-W48","mood":1}]}`,
			`checkins[1]: slack:T1:U1's check-in of 2026-W48 in team ops is in the export twice`},
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
