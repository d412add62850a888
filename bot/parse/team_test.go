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

func TestTrailingTeamCutsOnlyAKnownTeam(t *testing.T) {
	known := func(n string) bool { return n == "growth" || n == "Design Ops" }
	cases := []struct {
		in, rest, name string
		englishOnly    bool
	}{
		{in: "<@a> thanks team growth", rest: "<@a> thanks", name: "growth"},
		{in: "<@a> thanks 团队 growth", rest: "<@a> thanks", name: "growth"},
		{in: "<@a> thanks 团队 growth", rest: "<@a> thanks 团队 growth", englishOnly: true},
		{in: "Grow team morale", rest: "Grow team morale"},
		{in: "Ship it team Design Ops", rest: "Ship it", name: "Design Ops"},
		{in: "Grow buyers to 10 by 2027-03-01 for team growth", rest: "Grow buyers to 10 by 2027-03-01 for team growth"},
		{in: "team growth", rest: "", name: "growth"},
		{in: "team", rest: "team"},
		{in: "", rest: ""},
	}
	for _, c := range cases {
		rest, name := TrailingTeam(c.in, known, c.englishOnly)
		if rest != c.rest || name != c.name {
			t.Errorf("TrailingTeam(%q) = %q, %q; want %q, %q", c.in, rest, name, c.rest, c.name)
		}
	}
}
