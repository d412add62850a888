package parse

import "strings"

// Small argument grammars shared by several commands.

// TeamPrefix takes "team <name>" (团队 <name>) off the front of args and
// returns the name and what follows it; team is "" and rest is args,
// trimmed, when args do not start that way.
func TeamPrefix(args string) (team, rest string) {
	toks := Tokens(args)
	if len(toks) < 2 || !isTeamWord(toks[0]) {
		return "", strings.TrimSpace(args)
	}
	return toks[1], strings.Join(toks[2:], " ")
}

// LeadingMention reads a mention that opens args ("@bob great quarter"):
// the person's id, what follows from the next word on, and true; false
// when args do not open with a mention.
func LeadingMention(args string) (id, rest string, ok bool) {
	words := Words(args)
	if len(words) == 0 {
		return "", "", false
	}
	if id, ok = ParseMention(words[0].Text); !ok {
		return "", "", false
	}
	if len(words) > 1 {
		rest = strings.TrimSpace(args[words[1].Start:])
	}
	return id, rest, true
}

// HasFiveFields reports whether a schedule is five space-separated cron
// fields, the check used when no cron parser is wired in.
func HasFiveFields(schedule string) bool { return len(strings.Fields(schedule)) == 5 }
