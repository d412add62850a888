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

// OnOff reads a switch setting: on/yes/true/开/开启/是 or
// off/no/false/关/关闭/否, in any case or full-width; ok is false for
// anything else.
func OnOff(s string) (on, ok bool) {
	switch fold(strings.TrimSpace(s)) {
	case "on", "yes", "true", "开", "开启", "是":
		return true, true
	case "off", "no", "false", "关", "关闭", "否":
		return false, true
	}
	return false, false
}

// IsNone reads "none" (也 "-", 无, 没有) as "take it away", as in
// "/goal edit G7 parent none".
func IsNone(s string) bool {
	switch fold(strings.TrimSpace(s)) {
	case "none", "-", "无", "没有":
		return true
	}
	return false
}

// QuestionList splits "q1 | q2 | q3" (also the full-width ｜) into its
// questions, trimmed, dropping empty ones.
func QuestionList(s string) []string { return splitOn(s, "|｜") }

// ValueList splits "ownership, candor" into its values: commas in either
// width or 、 separate them, a leading # (＃) is dropped.
func ValueList(s string) []string {
	s = strings.NewReplacer("#", "", "＃", "").Replace(s)
	return splitOn(s, ",，、")
}

// splitOn splits s at any of seps, trimming each part and dropping empty ones.
func splitOn(s, seps string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
