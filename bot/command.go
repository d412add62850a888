package bot

import "github.com/pulse-bot/pulse/bot/parse"

// Command is a command as the parser split it: verb, canonical subcommand
// and the rest of the text (see parse.SplitCommand). Handlers take it.
type Command = parse.Command

// Value is a number with an optional unit as typed in a goal or an update
// (see parse.Value); goals and updates store it.
type Value = parse.Value

// userIDs types the person ids a parser read from Mention tokens.
func userIDs(ids []string) []UserID {
	out := make([]UserID, len(ids))
	for i, id := range ids {
		out[i] = UserID(id)
	}
	return out
}
