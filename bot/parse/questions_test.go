package parse

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseQuestionsMarksRoles(t *testing.T) {
	cases := []struct {
		in   string
		want QuestionsSpec
	}{
		{"What shipped? | Next? | Blocked?", QuestionsSpec{Questions: []string{"What shipped?", "Next?", "Blocked?"}}},
		{"What shipped? [highlight] | Who helped you? | In your way? [blockers]",
			QuestionsSpec{Questions: []string{"What shipped?", "Who helped you?", "In your way?"}, Highlight: 1, Blockers: 3}},
		{"[Blockers] In your way? | What shipped?", QuestionsSpec{Questions: []string{"In your way?", "What shipped?"}, Blockers: 1}},
		{"做成了什么？【亮点】｜谁帮了你？｜有什么阻碍？［阻碍］",
			QuestionsSpec{Questions: []string{"做成了什么？", "谁帮了你？", "有什么阻碍？"}, Highlight: 1, Blockers: 3}},
		{"Done? | Next? | Who helped you? | [no blockers]", QuestionsSpec{Questions: []string{"Done?", "Next?", "Who helped you?"}, Blockers: NoQuestion}},
		{"完成了什么？｜谁帮了你？｜下一步？｜【无阻碍】", QuestionsSpec{Questions: []string{"完成了什么？", "谁帮了你？", "下一步？"}, Blockers: NoQuestion}},
		{"[optional] How was the week?", QuestionsSpec{Questions: []string{"[optional] How was the week?"}}},
	}
	for _, c := range cases {
		got, refusal, ok := ParseQuestions(c.in)
		if !ok || refusal != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseQuestions(%q) = %+v, %+v, %v; want %+v", c.in, got, refusal, ok, c.want)
		}
	}
}

func TestParseQuestionsRefusesAmbiguousMarks(t *testing.T) {
	cases := []struct{ in, reason, role string }{
		{"A [blockers] | B [blockers]", QuestionsRoleTwice, RoleBlockers},
		{"A [亮点] | B 【亮点】", QuestionsRoleTwice, RoleHighlight},
		{"A [blockers] | [no blockers]", QuestionsRoleTwice, RoleBlockers},
		{"A | B | [blockers]", QuestionsRoleAlone, RoleBlockers},
		{"A | 【阻碍】", QuestionsRoleAlone, RoleBlockers},
		{"A [highlight] [blockers]", QuestionsBothRoles, RoleHighlight},
		{"A [blockers] B", QuestionsTagInside, RoleBlockers},
		{"做成了什么？【亮点】谁帮了你？ | C", QuestionsTagInside, RoleHighlight},
	}
	for _, c := range cases {
		_, refusal, ok := ParseQuestions(c.in)
		if ok || refusal == nil || refusal.Reason != c.reason || refusal.Role != c.role {
			t.Errorf("ParseQuestions(%q) = %+v, %v; want %s of %s", c.in, refusal, ok, c.reason, c.role)
		}
	}
	if spec, refusal, ok := ParseQuestions("Ship [v2] on time | B"); !ok || refusal != nil || spec.Questions[0] != "Ship [v2] on time" {
		t.Errorf("a bracketed word that is no tag: %+v %+v %v; want it kept in the question", spec, refusal, ok)
	}
	if _, refusal, ok := ParseQuestions(" | [no blockers] "); ok || refusal != nil {
		t.Errorf("a list without questions: %+v, %v; want not ok without a refusal", refusal, ok)
	}
}

// formatQuestions writes a spec back in the grammar, tags at the end.
func formatQuestions(spec QuestionsSpec) string {
	var items []string
	for i, q := range spec.Questions {
		switch i + 1 {
		case spec.Highlight:
			q += " [highlight]"
		case spec.Blockers:
			q += " [blockers]"
		}
		items = append(items, q)
	}
	if spec.Highlight == NoQuestion {
		items = append(items, "[no highlight]")
	}
	if spec.Blockers == NoQuestion {
		items = append(items, "[no blockers]")
	}
	return strings.Join(items, " | ")
}

func FuzzQuestions(f *testing.F) {
	for _, s := range []string{"A | B | C", "A [highlight] | B | C [blockers]", "【亮点】做了什么｜阻碍？【阻碍】", "[no blockers]",
		"A [blockers] | B [blockers]", "[blockers]", "[[blockers]]", "x [blockers] [blockers]", "[no blockers] A [blockers]",
		"［ No  Highlight ］ | a", "[highlight]]", "a [ | b ]", "\u3000[阻碍]\u3000c"} {
		f.Add(s)
	}
	f.Add(strings.Join(fuzzSeeds, " | "))
	f.Fuzz(func(t *testing.T, s string) {
		spec, refusal, ok := ParseQuestions(s)
		if !ok {
			if refusal != nil && (refusal.Role != RoleHighlight && refusal.Role != RoleBlockers ||
				!strings.Contains(QuestionsRoleTwice+QuestionsRoleAlone+QuestionsBothRoles+QuestionsTagInside, refusal.Reason)) {
				t.Fatalf("refusal %+v", refusal)
			}
			return
		}
		n := len(spec.Questions)
		for _, q := range spec.Questions {
			if q == "" || q != strings.TrimSpace(q) || strings.ContainsAny(q, "|｜") {
				t.Fatalf("question %q in %q", q, spec.Questions)
			}
		}
		for _, r := range []int{spec.Highlight, spec.Blockers} {
			if r < NoQuestion || r > n {
				t.Fatalf("role on question %d of %d: %+v", r, n, spec)
			}
		}
		if spec.Highlight > 0 && spec.Highlight == spec.Blockers {
			t.Fatalf("one question with both roles: %+v", spec)
		}
		again, refusal, ok := ParseQuestions(formatQuestions(spec))
		if !ok || refusal != nil || !reflect.DeepEqual(again, spec) {
			t.Fatalf("%q read back as %+v (%+v), want %+v", formatQuestions(spec), again, refusal, spec)
		}
	})
}
