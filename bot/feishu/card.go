package feishu

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulse-bot/pulse/bot"
)

// card is a Feishu card in JSON 2.0. Elements are built as maps: the card
// schema has dozens of optional fields and Pulse uses a handful.
type card struct {
	Schema string         `json:"schema"`
	Config map[string]any `json:"config,omitempty"`
	Header map[string]any `json:"header,omitempty"`
	Body   struct {
		Elements []map[string]any `json:"elements"`
	} `json:"body"`
}

// formName names the one form container a card may hold.
const formName = "pulse_form"

// renderCard draws msg as a card. User text goes into plain_text wherever no
// formatting is needed; the few markdown elements escape it. fieldErrors,
// from a rejected form, are shown under their inputs.
func renderCard(msg bot.Message, fieldErrors map[string]string, words *bot.Catalog) *card {
	c := &card{Schema: "2.0", Config: map[string]any{"update_multi": true}}
	if summary := cardSummary(msg); summary != "" {
		c.Config["summary"] = map[string]any{"content": summary}
	}
	if msg.Title != "" {
		c.Header = map[string]any{
			"title":    plainText(msg.Title),
			"template": "blue",
		}
	}
	var form []map[string]any
	formAt := -1
	for _, blk := range msg.Blocks {
		switch v := blk.(type) {
		case bot.Input:
			if formAt < 0 {
				formAt = len(c.Body.Elements)
			}
			form = append(form, inputElements(v)...)
			if msgErr := fieldErrors[v.ID]; msgErr != "" {
				form = append(form, errorElement(msgErr))
			}
		case bot.Buttons:
			if formAt >= 0 && !formHasSubmit(form) && len(v) > 0 {
				// The first button after the inputs submits the form; buttons
				// inside a form may only submit or reset, so the others
				// follow it outside.
				form = append(form, submitRow(v))
				if len(v) > 1 {
					c.Body.Elements = append(c.Body.Elements, buttonRow(v[1:]))
				}
				continue
			}
			c.Body.Elements = append(c.Body.Elements, buttonRow(v))
		default:
			c.Body.Elements = append(c.Body.Elements, blockElements(blk)...)
		}
	}
	if formAt >= 0 {
		if !formHasSubmit(form) {
			form = append(form, submitRow(bot.Buttons{{Label: words.T(msg.Locale, "adapter_submit", nil)}}))
		}
		el := map[string]any{"tag": "form", "name": formName, "elements": form}
		c.Body.Elements = append(c.Body.Elements[:formAt], append([]map[string]any{el}, c.Body.Elements[formAt:]...)...)
	}
	if len(c.Body.Elements) == 0 {
		c.Body.Elements = []map[string]any{}
	}
	return c
}

// cardJSON is the card as the string im/v1/messages wants in content.
func cardJSON(msg bot.Message, words *bot.Catalog) (string, error) {
	b, err := json.Marshal(renderCard(msg, nil, words))
	if err != nil {
		return "", fmt.Errorf("render card: %w", err)
	}
	return string(b), nil
}

// cardSummary is the chat-list preview: the title, or the first text.
func cardSummary(msg bot.Message) string {
	s := msg.Title
	if s == "" {
		s = bot.PlainText(msg)
	}
	if line, _, _ := strings.Cut(s, "\n"); line != "" {
		s = line
	}
	r := []rune(s)
	if len(r) > 60 {
		s = string(r[:60]) + "…"
	}
	return s
}

func plainText(s string) map[string]any {
	return map[string]any{"tag": "plain_text", "content": s}
}

func blockElements(blk bot.Block) []map[string]any {
	switch v := blk.(type) {
	case bot.Text:
		return []map[string]any{{"tag": "div", "text": plainText(v.Text)}}
	case bot.Fields:
		return []map[string]any{fieldsElement(v)}
	case bot.Progress:
		return progressElements(v)
	case bot.Context:
		return []map[string]any{{"tag": "div", "text": map[string]any{
			"tag": "plain_text", "content": v.Text, "text_size": "notation", "text_color": "grey",
		}}}
	case bot.Divider:
		return []map[string]any{{"tag": "hr"}}
	}
	return nil
}

// fieldsElement shows label/value pairs two to a row, the label in bold.
func fieldsElement(fs bot.Fields) map[string]any {
	cols := make([]map[string]any, 0, len(fs))
	for _, f := range fs {
		cols = append(cols, map[string]any{
			"tag":   "column",
			"width": "weighted",
			"elements": []map[string]any{{
				"tag":     "markdown",
				"content": "**" + escapeMarkdown(f.Label) + "**\n" + escapeMarkdown(f.Value),
			}},
		})
	}
	return map[string]any{"tag": "column_set", "flex_mode": "bisect", "horizontal_spacing": "8px", "columns": cols}
}

// progressElements draws a goal's bar as text and its detail line coloured by status.
func progressElements(p bot.Progress) []map[string]any {
	out := []map[string]any{{"tag": "div", "text": plainText(p.Label + "\n" + bot.ProgressBar(p.Percent))}}
	if p.Detail != "" {
		out = append(out, map[string]any{"tag": "div", "text": map[string]any{
			"tag": "plain_text", "content": p.Detail, "text_size": "notation", "text_color": statusColor(p.Status),
		}})
	}
	return out
}

func statusColor(s bot.Status) string {
	switch s {
	case bot.OnTrack, bot.Done:
		return "green"
	case bot.AtRisk:
		return "orange"
	case bot.OffTrack:
		return "red"
	}
	return "grey"
}

// buttonRow lays buttons side by side. Each carries a callback whose value
// is the object {"action": id, "value": v} that comes back in card.action.trigger.
func buttonRow(bs bot.Buttons) map[string]any {
	cols := make([]map[string]any, 0, len(bs))
	for _, b := range bs {
		cols = append(cols, map[string]any{
			"tag": "column", "width": "auto",
			"elements": []map[string]any{buttonElement(b)},
		})
	}
	return map[string]any{"tag": "column_set", "flex_mode": "flow", "horizontal_spacing": "8px", "columns": cols}
}

func buttonElement(b bot.Button) map[string]any {
	kind := "default"
	if b.Danger {
		kind = "danger"
	}
	return map[string]any{
		"tag":       "button",
		"text":      plainText(b.Label),
		"type":      kind,
		"name":      buttonName(b.ID),
		"behaviors": []map[string]any{{"type": "callback", "value": map[string]string{"action": b.ID, "value": b.Value}}},
	}
}

// submitRow is the form's submit button, made from the first of bs. It
// carries the same callback value as other buttons, and its name encodes
// the action id too, in case a client sends only the name with form_value.
func submitRow(bs bot.Buttons) map[string]any {
	b := bs[0]
	el := buttonElement(b)
	el["type"] = "primary"
	el["form_action_type"] = "submit"
	return el
}

func formHasSubmit(form []map[string]any) bool {
	for _, el := range form {
		if el["form_action_type"] == "submit" {
			return true
		}
	}
	return false
}

// buttonName makes an action id into a component name (letters, digits and
// underscores): "checkin.submit" → "act_checkin__submit".
func buttonName(id string) string {
	return "act_" + strings.ReplaceAll(id, ".", "__")
}

// actionFromName reverses buttonName; other names give "".
func actionFromName(name string) string {
	rest, ok := strings.CutPrefix(name, "act_")
	if !ok {
		return ""
	}
	return strings.ReplaceAll(rest, "__", ".")
}

// inputElements draws a form field: a text input, or for people Feishu's
// person picker under a label line (the picker has no label of its own).
func inputElements(in bot.Input) []map[string]any {
	if !in.IsPeople() {
		return []map[string]any{inputElement(in)}
	}
	return []map[string]any{{"tag": "div", "text": plainText(in.Label)}, personPicker(in)}
}

// personPicker is select_person or multi_select_person
// (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/multi-select-user-picker).
// Its name carries peoplePrefix so the submitted open_ids are read as
// people. Its options are the form's candidates on Feishu; without any the
// client offers the chat's members.
func personPicker(in bot.Input) map[string]any {
	el := map[string]any{
		"tag":      "multi_select_person",
		"name":     peoplePrefix + in.ID,
		"required": !in.Optional,
		"width":    "fill",
	}
	if in.Placeholder != "" {
		el["placeholder"] = plainText(in.Placeholder)
	}
	var options []map[string]any
	for _, id := range in.People {
		if id.Platform() == bot.PlatformFeishu {
			options = append(options, map[string]any{"value": id.Local()})
		}
	}
	if len(options) > 0 {
		el["options"] = options
	}
	initial := pickedOpenIDs(in.Initial)
	if in.Kind == bot.InputPerson {
		el["tag"] = "select_person"
		if len(initial) > 0 {
			el["initial_option"] = initial[0]
		}
		return el
	}
	if len(initial) > 0 {
		el["selected_values"] = initial
	}
	return el
}

// peoplePrefix starts the component name of a person picker, so the card
// callback knows which form values are open_ids.
const peoplePrefix = "people_"

// pickedOpenIDs reads the open_ids out of a people field's Mention tokens.
func pickedOpenIDs(text string) []string {
	var out []string
	for _, tok := range strings.Fields(text) {
		if id, ok := bot.ParseMention(tok); ok && id.Platform() == bot.PlatformFeishu {
			out = append(out, id.Local())
		}
	}
	return out
}

func inputElement(in bot.Input) map[string]any {
	el := map[string]any{
		"tag":            "input",
		"name":           in.ID,
		"required":       !in.Optional,
		"label":          plainText(in.Label),
		"label_position": "top",
		"width":          "fill",
	}
	if in.Placeholder != "" {
		el["placeholder"] = plainText(in.Placeholder)
	}
	if in.Initial != "" {
		el["default_value"] = in.Initial
	}
	if in.Multiline {
		el["input_type"] = "multiline_text"
		el["rows"] = 3
		el["auto_resize"] = true
	}
	return el
}

func errorElement(msg string) map[string]any {
	return map[string]any{"tag": "div", "text": map[string]any{
		"tag": "plain_text", "content": msg, "text_size": "notation", "text_color": "red",
	}}
}

// markdownEscaper neutralises everything Feishu's card markdown would read
// as markup: HTML-like tags (<at id=all>, <font>, <link>) become entities,
// and markdown punctuation (links, emphasis, code, headings, lists) is
// backslash-escaped.
var markdownEscaper = strings.NewReplacer(
	"&", "&amp;",
	"<", "&lt;",
	">", "&gt;",
	`\`, `\\`,
	"*", `\*`,
	"_", `\_`,
	"~", `\~`,
	"`", "\\`",
	"[", `\[`,
	"]", `\]`,
	"(", `\(`,
	")", `\)`,
	"#", `\#`,
	"$", `\$`,
	"|", `\|`,
	"!", `\!`,
)

// escapeMarkdown makes s safe to place in a markdown element; lines that
// would start a list keep their dash or plus as text.
func escapeMarkdown(s string) string {
	lines := strings.Split(markdownEscaper.Replace(s), "\n")
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		indent := l[:len(l)-len(trimmed)]
		switch {
		case strings.HasPrefix(trimmed, "-") || strings.HasPrefix(trimmed, "+"):
			lines[i] = indent + `\` + trimmed
		case orderedItem(trimmed):
			n := strings.IndexByte(trimmed, '.')
			lines[i] = indent + trimmed[:n] + `\` + trimmed[n:]
		}
	}
	return strings.Join(lines, "\n")
}

// orderedItem reports whether a line starts like "12. ", a numbered list item.
func orderedItem(l string) bool {
	n := 0
	for n < len(l) && l[n] >= '0' && l[n] <= '9' {
		n++
	}
	return n > 0 && n < len(l) && l[n] == '.'
}
