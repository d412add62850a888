package parse

import "strings"

// Mention writes a person reference in the form the command language
// understands: "<@slack:T1:U1>". Adapters rewrite their platform's mentions
// to it, so the parsers see one syntax whatever the platform.
func Mention(id string) string { return "<@" + id + ">" }

// ParseMention reads a Mention token and returns the person id inside it;
// ok is false for anything else, including an id that is not
// platform-qualified (see ValidPersonID).
func ParseMention(tok string) (string, bool) {
	if !strings.HasPrefix(tok, "<@") || !strings.HasSuffix(tok, ">") {
		return "", false
	}
	id := tok[2 : len(tok)-1]
	return id, ValidPersonID(id)
}

// ValidPersonID reports whether id has the three non-empty parts of a
// platform-qualified person id, "platform:workspace:user".
func ValidPersonID(id string) bool {
	parts := strings.SplitN(id, ":", 3)
	return len(parts) == 3 && parts[0] != "" && parts[1] != "" && parts[2] != ""
}
