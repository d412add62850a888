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
