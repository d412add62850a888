package parse

import "strings"

// IsAnyway reports whether rest is the word that releases review results
// before every step is done (`/review release @person anyway`).
func IsAnyway(rest string) bool {
	switch Fold(strings.TrimSpace(rest)) {
	case "anyway", "仍然", "强制", "仍然发布":
		return true
	}
	return false
}
