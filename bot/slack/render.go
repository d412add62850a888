package slack

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/pulse-bot/pulse/bot"
)

// Slack's Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
const (
	maxBlocks        = 50
	maxHeaderChars   = 150
	maxSectionChars  = 3000
	maxFieldChars    = 2000
	maxFieldsPerSect = 10
	maxButtonChars   = 75
	maxButtonsPerRow = 25
	maxContextChars  = 3000
	maxLabelChars    = 2000
	maxPlaceholder   = 150
	maxModalTitle    = 24
	maxFallbackChars = 3000
	maxValueChars    = 2000
	maxActionIDChars = 255
)

// inputActionID is the action_id of the single element inside each input
// block; the block_id carries the bot.Input.ID.
const inputActionID = "value"

// actionIDSep separates a button's bot id from the suffix that keeps
// action_ids unique within a message when two buttons share an id.
const actionIDSep = "~"

// escape makes user text inert in Slack markup: Slack only treats &, < and >
// specially (https://docs.slack.dev/messaging/formatting-message-text#escaping),
// so "<!channel>" typed by a person is shown, never sent as a ping.
func escape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// escapedWidth is how many characters r takes once escaped.
func escapedWidth(r rune) int {
	switch r {
	case '&':
		return len("&amp;")
	case '<', '>':
		return len("&lt;")
	}
	return 1
}

// escapeLimit escapes s and cuts it to at most limit characters (as Slack
// counts them, in runes), ending with "…" when cut. It never cuts an entity.
func escapeLimit(s string, limit int) string {
	e := escape(s)
	if utf8.RuneCountInString(e) <= limit {
		return e
	}
	n, end := 0, 0
	for i, r := range s {
		w := escapedWidth(r)
		if n+w > limit-1 {
			end = i
			break
		}
		n += w
	}
	return escape(s[:end]) + "…"
}

// splitEscaped escapes s and splits it into chunks of at most limit runes,
// preferring line breaks, then spaces, so a long paragraph becomes several
// sections instead of being rejected by Slack. Whitespace at the cuts is
// dropped; nothing else is.
func splitEscaped(s string, limit int) []string {
	var out []string
	rest := []rune(s)
	for {
		for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\n') {
			rest = rest[1:]
		}
		if len(rest) == 0 {
			return out
		}
		n, cut, lastNL, lastSpace := 0, -1, -1, -1
		for i, r := range rest {
			w := escapedWidth(r)
			if n+w > limit {
				cut = i
				break
			}
			n += w
			if r == '\n' {
				lastNL = i
			} else if unicode.IsSpace(r) {
				lastSpace = i
			}
		}
		if cut < 0 {
			return append(out, escape(string(rest)))
		}
		switch {
		case lastNL > 0:
			cut = lastNL
		case lastSpace > 0:
			cut = lastSpace
		case cut == 0:
			cut = 1 // a limit smaller than one escaped rune: still make progress
		}
		out = append(out, escape(strings.TrimRight(string(rest[:cut]), " \n")))
		rest = rest[cut:]
	}
}

func plain(s string, limit int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, escapeLimit(s, limit), true, false)
}

func mrkdwnEscaped(escaped string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, escaped, false, false)
}

// renderer turns one bot.Message into Block Kit.
type renderer struct {
	// words gives the adapter's own words (buttons, "…and N more") in the
	// message's language.
	words *bot.Catalog
	loc   bot.Locale
	// modal renders Input blocks as inputs and leaves out the submit button
	// (the modal's own submit button takes its place).
	modal  bool
	submit string
	blocks []slack.Block
	ids    map[string]int
}

// renderBlocks renders m for a message or the Home tab, its own words in
// m's language.
func renderBlocks(m bot.Message, words *bot.Catalog) []slack.Block {
	r := &renderer{words: words, loc: m.Locale}
	return r.render(m)
}

func (r *renderer) render(m bot.Message) []slack.Block {
	r.ids = map[string]int{}
	if m.Title != "" {
		r.add(slack.NewHeaderBlock(plain(m.Title, maxHeaderChars)))
	}
	for _, blk := range m.Blocks {
		r.block(blk)
	}
	return r.trim()
}

func (r *renderer) add(b ...slack.Block) { r.blocks = append(r.blocks, b...) }

func (r *renderer) block(blk bot.Block) {
	switch v := blk.(type) {
	case bot.Text:
		for _, chunk := range splitEscaped(v.Text, maxSectionChars) {
			if chunk != "" {
				r.add(slack.NewSectionBlock(mrkdwnEscaped(chunk), nil, nil))
			}
		}
	case bot.Fields:
		r.fields(v)
	case bot.Progress:
		r.add(slack.NewSectionBlock(mrkdwnEscaped(progressText(v)), nil, nil))
	case bot.Buttons:
		r.buttons(v)
	case bot.Context:
		r.add(slack.NewContextBlock("", mrkdwnEscaped(escapeLimit(v.Text, maxContextChars))))
	case bot.Divider:
		r.add(slack.NewDividerBlock())
	case bot.Input:
		r.input(v)
	}
}

func (r *renderer) fields(fs bot.Fields) {
	for start := 0; start < len(fs); start += maxFieldsPerSect {
		end := min(start+maxFieldsPerSect, len(fs))
		objs := make([]*slack.TextBlockObject, 0, end-start)
		for _, f := range fs[start:end] {
			label := escapeLimit(f.Label, 200)
			value := escapeLimit(f.Value, maxFieldChars-utf8.RuneCountInString(label)-4)
			objs = append(objs, mrkdwnEscaped("*"+label+"*\n"+value))
		}
		r.add(slack.NewSectionBlock(nil, objs, nil))
	}
}

// progressText is "*Label*\n`▓▓▓▓░░░░░░ 40%`  pace 45% · at risk", escaped.
func progressText(p bot.Progress) string {
	s := "*" + escapeLimit(p.Label, 1000) + "*\n`" + bot.ProgressBar(p.Percent) + "`"
	if p.Detail != "" {
		s += "  " + escapeLimit(p.Detail, 1000)
	}
	return s
}

func (r *renderer) buttons(bs bot.Buttons) {
	var row []slack.BlockElement
	for _, b := range bs {
		if r.modal && b.ID == r.submit {
			continue
		}
		btn := slack.NewButtonBlockElement(r.actionID(b.ID), truncateRunes(b.Value, maxValueChars), plain(b.Label, maxButtonChars))
		if b.Danger {
			btn = btn.WithStyle(slack.StyleDanger)
		}
		row = append(row, btn)
		if len(row) == maxButtonsPerRow {
			r.add(slack.NewActionBlock("", row...))
			row = nil
		}
	}
	if len(row) > 0 {
		r.add(slack.NewActionBlock("", row...))
	}
}

// actionID keeps action ids unique within one message: Slack rejects two
// equal ones, but the core may offer the same action with two values.
func (r *renderer) actionID(id string) string {
	id = truncateRunes(id, maxActionIDChars-4)
	n := r.ids[id]
	r.ids[id] = n + 1
	if n == 0 {
		return id
	}
	return fmt.Sprintf("%s%s%d", id, actionIDSep, n)
}

// botActionID undoes actionID's suffix.
func botActionID(actionID string) string {
	id, _, _ := strings.Cut(actionID, actionIDSep)
	return id
}

func (r *renderer) input(in bot.Input) {
	if !r.modal {
		// Messages cannot hold text inputs; show what the field is.
		r.add(slack.NewContextBlock("", mrkdwnEscaped(escapeLimit(in.Label+": "+in.Initial, maxContextChars))))
		return
	}
	blk := slack.NewInputBlock(in.ID, plain(in.Label, maxLabelChars), nil, inputElement(in))
	blk.Optional = in.Optional
	r.add(blk)
}

// inputElement is the control of a modal field: Slack's user pickers for
// people (typing a name in a text box can never make a mention), a text
// box for the rest. Its value comes back in view.state.values under the
// field's block_id and inputActionID (see formFields).
func inputElement(in bot.Input) slack.BlockElement {
	var placeholder *slack.TextBlockObject
	if in.Placeholder != "" {
		placeholder = plain(in.Placeholder, maxPlaceholder)
	}
	switch in.Kind {
	case bot.InputPeople:
		el := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeUser, placeholder, inputActionID)
		el.InitialUsers = mentionedLocalIDs(in.Initial)
		return el
	case bot.InputPerson:
		el := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, placeholder, inputActionID)
		if ids := mentionedLocalIDs(in.Initial); len(ids) > 0 {
			el.InitialUser = ids[0]
		}
		return el
	}
	el := slack.NewPlainTextInputBlockElement(placeholder, inputActionID)
	el.InitialValue = in.Initial
	el.Multiline = in.Multiline
	return el
}

// mentionedLocalIDs reads the Slack user ids out of a people field's
// Mention tokens, for a picker's initial selection.
func mentionedLocalIDs(text string) []string {
	var out []string
	for _, tok := range strings.Fields(text) {
		if id, ok := bot.ParseMention(tok); ok && id.Platform() == bot.PlatformSlack {
			out = append(out, id.Local())
		}
	}
	return out
}

// trim keeps Slack's 50-block limit, replacing the overflow by a
// context line "…and N more".
func (r *renderer) trim() []slack.Block {
	if len(r.blocks) <= maxBlocks {
		return r.blocks
	}
	kept := r.blocks[: maxBlocks-1 : maxBlocks-1]
	more := r.words.T(r.loc, "adapter_more", map[string]any{"Count": len(r.blocks) - len(kept)})
	return append(kept, slack.NewContextBlock("", mrkdwnEscaped(escape(more))))
}

// fallbackText is the notification text that goes with blocks: the plain
// rendering, escaped.
func fallbackText(m bot.Message) string {
	return escapeLimit(bot.PlainText(m), maxFallbackChars)
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// submitButton finds the form's submit button: the first button in the
// message. Its id becomes the modal's callback_id.
func submitButton(m bot.Message) (bot.Button, bool) {
	for _, blk := range m.Blocks {
		if bs, ok := blk.(bot.Buttons); ok && len(bs) > 0 {
			return bs[0], true
		}
	}
	return bot.Button{}, false
}

// renderModal turns a form into a modal view. metadata travels back in the
// view_submission so the reply can go to the channel the form came from.
func renderModal(m bot.Message, words *bot.Catalog, metadata string) slack.ModalViewRequest {
	submit, _ := submitButton(m)
	r := &renderer{words: words, loc: m.Locale, modal: true, submit: submit.ID}
	title := m.Title
	if title == "" {
		title = words.T(m.Locale, "adapter_title", nil)
	}
	body := m
	body.Title = "" // the modal's title bar shows it
	submitLabel := submit.Label
	if submitLabel == "" {
		submitLabel = words.T(m.Locale, "adapter_submit", nil)
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain(title, maxModalTitle),
		Blocks:          slack.Blocks{BlockSet: r.render(body)},
		Close:           plain(words.T(m.Locale, "adapter_cancel", nil), maxModalTitle),
		Submit:          plain(submitLabel, maxModalTitle),
		PrivateMetadata: metadata,
		CallbackID:      submit.ID,
	}
}
