package parse

import "testing"

func TestTeamArg(t *testing.T) {
	tests := []struct {
		in   string
		name string
		ok   bool
	}{
		{"", "", true},
		{"  ", "", true},
		{"team growth", "growth", true},
		{"Team  Growth Marketing", "Growth Marketing", true},
		{"团队 增长", "增长", true},
		{"team", "", false},
		{"growth", "", false},
	}
	for _, tc := range tests {
		name, ok := TeamArg(tc.in)
		if name != tc.name || ok != tc.ok {
			t.Errorf("TeamArg(%q) = %q, %v; want %q, %v", tc.in, name, ok, tc.name, tc.ok)
		}
	}
}

func TestMatchKudosReturnsWhatFollowsTheKeyword(t *testing.T) {
	m := Mention("slack:T1:U1")
	tests := []struct {
		in, rest string
		ok       bool
	}{
		{"kudos " + m + " thanks", m + " thanks", true},
		{"/Kudos to " + m + " great demo", "to " + m + " great demo", true},
		{"点赞 " + m + " 辛苦了", m + " 辛苦了", true},
		{"kudos everyone", "", false},
		{"thanks " + m, "", false},
	}
	for _, tc := range tests {
		rest, ok := MatchKudos(tc.in)
		if rest != tc.rest || ok != tc.ok {
			t.Errorf("MatchKudos(%q) = %q, %v; want %q, %v", tc.in, rest, ok, tc.rest, tc.ok)
		}
		if ok {
			if _, err := ParseKudos(rest); err != nil {
				t.Errorf("ParseKudos(%q) after MatchKudos: %v", rest, err)
			}
		}
	}
}
