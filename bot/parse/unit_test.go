package parse

import (
	"strings"
	"testing"
)

// Finding 7 of issue 16: "G2 5 merchants …" lost its unit to the note.
func TestWithUnitKeepsAUnitTypedAfterASpace(t *testing.T) {
	for _, c := range []struct {
		text, unit, wantUnit, wantNote string
		wantStatus                     Status
	}{
		{"G2 5 merchants onboarded two", "merchants", "merchants", "onboarded two", ""},
		{"G2 5 Merchants", "merchants", "merchants", "", ""},
		{"G2 5 merchants at risk: two churned", "merchants", "merchants", "two churned", AtRisk},
		{"G2 5 active users this week", "active users", "active users", "this week", ""},
		{"G2 5 shipped the page", "merchants", "", "shipped the page", ""},
		{"G2 5 merchantsfoo", "merchants", "", "merchantsfoo", ""},
		{"G2 5merchants new", "merchants", " merchants", "new", ""},
		{"G2 5 merchants", "", "", "merchants", ""},
	} {
		spec, err := ParseProgress(c.text)
		if err != nil {
			t.Fatalf("%q: %v", c.text, err)
		}
		got := spec.WithUnit(c.unit)
		if c.wantUnit == " merchants" {
			c.wantUnit = spec.Value.Unit // a glued unit is the parser's own, left alone
		}
		if got.Value.Unit != c.wantUnit || got.Note != c.wantNote || got.Status != c.wantStatus || got.Value.Number != 5 {
			t.Errorf("%q with unit %q: %+v, want unit %q note %q status %q", c.text, c.unit, got, c.wantUnit, c.wantNote, c.wantStatus)
		}
	}
}

// FuzzProgressWithUnit: reading a unit after a space never changes the
// number, takes the goal's unit or none, and leaves a note cut from the text.
func FuzzProgressWithUnit(f *testing.F) {
	f.Add("G2 5 merchants onboarded two", "merchants")
	f.Add("G2 5 active users at risk: churn", "active users")
	f.Add("G7 +3 单 新增", "单")
	f.Fuzz(func(t *testing.T, s, unit string) {
		p, err := ParseProgress(s)
		if err != nil {
			return
		}
		q := p.WithUnit(unit)
		if q.Value.Number != p.Value.Number || q.GoalID != p.GoalID {
			t.Fatalf("%q with %q changed the value: %+v → %+v", s, unit, p, q)
		}
		if q.Value.Unit != p.Value.Unit && q.Value.Unit != unit {
			t.Fatalf("%q with %q: unit %q", s, unit, q.Value.Unit)
		}
		if q.Note != strings.TrimSpace(q.Note) || !strings.Contains(s, q.Note) {
			t.Fatalf("%q with %q: note %q", s, unit, q.Note)
		}
	})
}
