package bot_test

import "testing"

// TestChatExportRefusesABackwardsRange: chat refuses what `pulse export
// --from … --to …` refuses, a range that ends before it starts.
func TestChatExportRefusesABackwardsRange(t *testing.T) {
	h := newHarness(t)
	got := text(h.say(maya, "/scorecard export csv from 2026-11-30 to 2026-11-20"))
	mustContain(t, got, "ends before it starts", "from 2026-11-20 to 2026-11-30")
	if resp := h.say(maya, "/scorecard export csv from 2026-11-20 to 2026-11-30"); resp.File == nil {
		t.Fatalf("a forward range sent no file: %q", text(resp))
	}
}
