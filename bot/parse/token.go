package parse

import (
	"regexp"
	"strings"
)

// TokenSpec is a parsed `/pulse token …` command.
type TokenSpec struct {
	// Action is "create", "list" or "revoke".
	Action string
	// Team is the team named; empty for a list of the current team.
	Team string
	// Name is the token's name, lower-cased; "api" when create names none.
	Name string
}

// DefaultTokenName names a token made without a name.
const DefaultTokenName = "api"

// namePattern is what a token or metric source name may look like: short,
// printable anywhere, never confused with a path or a header.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,39}$`)

// ValidName reports whether name may name an API token or a metric source.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// ParseTokenCommand reads the arguments of `/pulse token create <team>
// [name]`, `/pulse token list [team]` and `/pulse token revoke <team>
// <name>`; sub is the subcommand SplitCommand found ("token create").
func ParseTokenCommand(sub, args string) (TokenSpec, error) {
	toks := Tokens(args)
	switch sub {
	case "token create":
		if len(toks) < 1 || len(toks) > 2 {
			return TokenSpec{}, parseErr("token_create_usage", nil)
		}
		spec := TokenSpec{Action: "create", Team: toks[0], Name: DefaultTokenName}
		if len(toks) == 2 {
			spec.Name = strings.ToLower(toks[1])
		}
		if !ValidName(spec.Name) {
			return TokenSpec{}, parseErr("token_name_invalid", map[string]any{"Name": clip(spec.Name, parseQuoteMax)})
		}
		return spec, nil
	case "token list":
		if len(toks) > 1 {
			return TokenSpec{}, parseErr("token_list_usage", nil)
		}
		spec := TokenSpec{Action: "list"}
		if len(toks) == 1 {
			spec.Team = toks[0]
		}
		return spec, nil
	case "token revoke":
		if len(toks) != 2 {
			return TokenSpec{}, parseErr("token_revoke_usage", nil)
		}
		return TokenSpec{Action: "revoke", Team: toks[0], Name: strings.ToLower(toks[1])}, nil
	}
	return TokenSpec{}, parseErr("token_usage", nil)
}
