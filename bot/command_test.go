package bot

import (
	"testing"

	"github.com/pulse-bot/pulse/bot/parse"
)

// TestStatedStatusesAreGoalStatuses pins the parser's stated statuses to the
// core's: the core converts one to the other by type.
func TestStatedStatusesAreGoalStatuses(t *testing.T) {
	pairs := map[parse.Status]Status{parse.OnTrack: OnTrack, parse.AtRisk: AtRisk, parse.OffTrack: OffTrack}
	for p, want := range pairs {
		if Status(p) != want {
			t.Errorf("parse status %q converts to %q, want %q", p, Status(p), want)
		}
	}
}
