package slack

import "testing"

// Finding 3: in a Slack Connect channel the sender's own workspace is
// user_team; the envelope's team_id is the host's.
func TestSenderTeamIsTheUsersOwn(t *testing.T) {
	if got := senderTeam(innerEvent{User: "UEXT1", UserTeam: "TEXT"}, "T0001"); got != "TEXT" {
		t.Fatalf("sender team = %s, want TEXT (user_team)", got)
	}
	if got := senderTeam(innerEvent{User: "U1"}, "T0001"); got != "T0001" {
		t.Fatalf("sender team without user_team = %s, want the envelope's", got)
	}
}
