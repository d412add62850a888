package slack

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"github.com/pulse-bot/pulse/bot"
)

// formFields reads a submitted modal's view.state.values
// (https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload)
// into the core's field map, by block_id. A text box gives its value; a
// user picker gives its selected user(s), written as Slack mentions and put
// through translateText, the same path as a mention typed in chat, so a
// picked person and an @-mention become the same Mention token with the
// same display name.
func (a *Adapter) formFields(ctx context.Context, team, mentioned string, values map[string]map[string]slack.BlockAction) (map[string]string, map[bot.UserID]string) {
	fields := make(map[string]string, len(values))
	var names map[bot.UserID]string
	for blockID, byAction := range values {
		v, ok := byAction[inputActionID]
		if !ok {
			continue
		}
		users := v.SelectedUsers
		if v.SelectedUser != "" {
			users = append(users, v.SelectedUser)
		}
		switch {
		case len(users) > 0:
			refs := make([]string, len(users))
			for i, u := range users {
				refs[i] = "<@" + u + ">"
			}
			text, picked := a.translateText(ctx, team, mentioned, strings.Join(refs, " "))
			fields[blockID] = text
			for id, name := range picked {
				if names == nil {
					names = map[bot.UserID]string{}
				}
				names[id] = name
			}
		default:
			fields[blockID] = v.Value
		}
	}
	return fields, names
}
