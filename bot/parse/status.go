package parse

import "strings"

// ParseStatus reads a status given on its own, as the API's "status" field
// carries it: "on_track", "on track", "at-risk", 有风险 … ok is false for
// anything else.
func ParseStatus(s string) (Status, bool) {
	w := fold(strings.TrimSpace(s))
	switch Status(strings.ReplaceAll(w, " ", "_")) {
	case OnTrack, AtRisk, OffTrack:
		return Status(strings.ReplaceAll(w, " ", "_")), true
	}
	if st, ok := statusPairs[w]; ok {
		return st, true
	}
	st, ok := statusWords[w]
	return st, ok
}
