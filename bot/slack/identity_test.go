package slack

import "testing"

// Finding 3: a person is identified by their own workspace, never the
// payload's: a Slack Connect guest by their user_team; inside an Enterprise
// Grid organisation by the organisation, so one person in two of its
// workspaces is one person; a guest of another company in a channel shared
// with a Grid organisation stays outside it.
func TestWorkspaceIsThePersonsOwn(t *testing.T) {
	for _, c := range []struct {
		name                     string
		own, payload, enterprise string
		extShared                bool
		want                     string
	}{
		{"Slack Connect guest", "TEXT", "T0001", "", true, "TEXT"},
		{"own workspace", "", "T0001", "", false, "T0001"},
		{"user_team equal to the payload's", "T0001", "T0001", "", false, "T0001"},
		{"Grid member in one workspace", "T0001", "T0001", "E1", false, "E1"},
		{"Grid member of another org workspace", "T0002", "T0001", "E1", false, "E1"},
		{"slash command under Grid", "", "T0002", "E1", false, "E1"},
		{"guest of another company in a Grid channel", "TEXT", "T0001", "E1", true, "TEXT"},
	} {
		if got := workspaceOf(c.own, c.payload, c.enterprise, c.extShared); got != c.want {
			t.Errorf("%s: workspace = %s, want %s", c.name, got, c.want)
		}
	}
}
