package parse

import "strings"

// TeamArg reads the optional "team <name>" (also "团队 <name>") by which a
// command names one team. It returns the name, "" when args are empty; ok
// is false when args say something else.
func TeamArg(args string) (string, bool) {
	toks := Tokens(args)
	switch {
	case len(toks) == 0:
		return "", true
	case len(toks) >= 2 && isTeamWord(toks[0]):
		return strings.Join(toks[1:], " "), true
	}
	return "", false
}

// isTeamWord reports whether a token is the "team" keyword, in any case,
// full-width ("ｔｅａｍ") or in Chinese.
func isTeamWord(tok string) bool { w := fold(tok); return w == "team" || w == "团队" }

// TrailingTeam cuts a final "team <name>" (also "团队 <name>") from args
// when isTeam says name is a team; otherwise args come back whole and name
// is "". Checking the name keeps a text that merely ends in "team …" ("Grow
// team morale") as typed. The words after the keyword are the name, as team
// names may hold spaces; the last keyword is tried first. With englishOnly
// only "team" counts: in "/goal new" 团队 already means "for team".
func TrailingTeam(args string, isTeam func(name string) bool, englishOnly bool) (rest, name string) {
	toks := tokenize(args)
	for i := len(toks) - 2; i >= 0; i-- {
		w := fold(toks[i].text)
		if w != "team" && (englishOnly || w != "团队") {
			continue
		}
		if i > 0 && isOwnerWord(fold(toks[i-1].text)) {
			// "for team growth" names the owner, not where the goal is kept.
			return args, ""
		}
		candidate := strings.TrimSpace(args[toks[i+1].start:])
		if isTeam(candidate) {
			return strings.TrimSpace(args[:toks[i].start]), candidate
		}
		return args, ""
	}
	return args, ""
}

// isOwnerWord is the "for" of "/goal new … for team <name>".
func isOwnerWord(w string) bool { return w == "for" || w == "负责人" }
