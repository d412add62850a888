package feishu

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pulse-bot/pulse/bot"
)

// formFields reads a submitted card form's form_value into the core's
// field map. Text inputs give their text. A person picker (its name starts
// with peoplePrefix) gives one open_id or a list of them; they are written
// as mention placeholders and put through resolveMentions, the same path
// as an @-mention in a message, so a picked person becomes the same
// Mention token. picked lists those people, whose names the caller looks up.
func formFields(formValue map[string]any, tenant string) (fields map[string]string, picked []bot.UserID) {
	fields = make(map[string]string, len(formValue))
	for name, v := range formValue {
		id, isPeople := strings.CutPrefix(name, peoplePrefix)
		if !isPeople {
			fields[name] = valueString(v)
			continue
		}
		text, ids := pickedMentions(openIDsOf(v), tenant)
		fields[id] = text
		picked = append(picked, ids...)
	}
	return fields, picked
}

// pickedMentions turns open_ids from a picker into Mention tokens.
func pickedMentions(openIDs []string, tenant string) (string, []bot.UserID) {
	mentions := make([]mention, 0, len(openIDs))
	keys := make([]string, 0, len(openIDs))
	for i, openID := range openIDs {
		key := fmt.Sprintf("@_picked_%d", i)
		mentions = append(mentions, mention{Key: key, ID: userIDs{OpenID: openID}})
		keys = append(keys, key)
	}
	text, names, _ := resolveMentions(strings.Join(keys, " "), mentions, tenant, "")
	ids := make([]bot.UserID, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	return text, ids
}

// openIDsOf reads a picker's value: select_person sends one open_id,
// multi_select_person a list.
func openIDsOf(v any) []string {
	var out []string
	switch x := v.(type) {
	case string:
		out = strings.FieldsFunc(x, func(r rune) bool { return r == ',' || r == ' ' })
	case []any:
		for _, item := range x {
			if s, ok := item.(string); ok && s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// namePicked fills in the display names of picked people, which a card
// callback does not carry, from the contact directory (cached).
func (a *Adapter) namePicked(ctx context.Context, e *bot.Event, picked []bot.UserID) {
	for _, id := range picked {
		if e.Names == nil {
			e.Names = map[bot.UserID]string{}
		}
		e.Names[id] = a.profile(ctx, id, "").Name
	}
}

// fieldErrorsMessage shows field errors as text when the core could not
// give the form back.
func fieldErrorsMessage(errs map[string]string) bot.Message {
	var msg bot.Message
	for _, id := range sortedKeys(errs) {
		msg.Blocks = append(msg.Blocks, bot.Text{Text: errs[id]})
	}
	return msg
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
