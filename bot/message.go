package bot

import (
	"fmt"
	"strings"
)

// Message is a platform-neutral rich message: a title and a list of blocks.
// Every string in it is plain text, never markup: adapters escape it for
// their platform (Slack's &, <, >; Feishu card markdown and <at> tags), so user
// text the bot echoes can never mention @channel, @all or anyone.
type Message struct {
	Title  string
	Blocks []Block
	// Locale is the language the message is written in. Adapters write
	// their own few words (buttons, "…and 3 more") in it, so they never
	// guess a language from the text.
	Locale Locale
}

// In returns m marked as written in l (English when l is empty, as the
// catalogue falls back to English).
func (m Message) In(l Locale) Message {
	if l == "" {
		l = English
	}
	m.Locale = l
	return m
}

// IsZero reports whether there is nothing to send.
func (m Message) IsZero() bool { return m.Title == "" && len(m.Blocks) == 0 }

// Block is one part of a Message: Text, Fields, Progress, Buttons, Context or Divider.
type Block interface{ isBlock() }

// Text is a paragraph. Lines are separated by "\n".
type Text struct{ Text string }

// Field is one label and value shown side by side with others.
type Field struct{ Label, Value string }

// Fields is a group of label/value pairs.
type Fields []Field

// Progress is a progress bar for a goal: how far it is, and where its pace says it should be.
type Progress struct {
	Label string
	// Percent is progress from baseline to target, 0–100 (may exceed either end).
	Percent float64
	// Pace is the expected percent by now; negative when the goal has no schedule.
	Pace   float64
	Status Status
	// Detail is a translated line such as "pace 45% · at risk".
	Detail string
}

// Button is an action a person can take. Command is the text that does the
// same thing, for platforms (the console) that have no buttons.
type Button struct {
	ID      string
	Label   string
	Value   string
	Command string
	// Danger marks a destructive action, such as forgetting your data.
	Danger bool
}

// Buttons is a row of buttons.
type Buttons []Button

// Context is a small grey line: who, when, what is left.
type Context struct{ Text string }

// Divider separates sections.
type Divider struct{}

// Input is a form field. A message with inputs is a form: Slack shows it in a
// modal, Feishu as a card form, and the console asks the fields one by one.
// Pressing the form's button sends a KindAction event whose Action.Fields
// holds the values by Input.ID.
type Input struct {
	ID          string
	Label       string
	Placeholder string
	// Initial is the value shown at first; for a people field, Mention tokens.
	Initial   string
	Multiline bool
	Optional  bool
	// Kind says what the field asks for; the zero value is free text.
	Kind InputKind
	// People, for a people field, are the people to pick from. Slack's
	// picker searches the whole workspace and ignores it; Feishu's offers
	// only these (or, when empty, the members of the chat the form is in,
	// which in a direct chat is nobody but the person).
	People []UserID
}

// InputKind says what an Input asks for, so each platform can show its own
// control: a text box, or its people picker.
type InputKind int

// Input kinds. A people field comes back in Action.Fields as Mention tokens
// separated by spaces, written by the adapter from the picker's ids the same
// way it writes mentions typed in chat, so the core reads a picked person
// exactly like "@alice" in a message.
const (
	// InputText is free text (one line, or several with Multiline).
	InputText InputKind = iota
	// InputPeople picks one or more people: Slack multi_users_select,
	// Feishu multi_select_person.
	InputPeople
	// InputPerson picks one person: Slack users_select, Feishu select_person.
	InputPerson
)

// IsPeople reports whether the field is a people picker.
func (in Input) IsPeople() bool { return in.Kind == InputPeople || in.Kind == InputPerson }

// IsForm reports whether the message holds input fields.
func (m Message) IsForm() bool {
	for _, b := range m.Blocks {
		if _, ok := b.(Input); ok {
			return true
		}
	}
	return false
}

func (Text) isBlock()     {}
func (Fields) isBlock()   {}
func (Progress) isBlock() {}
func (Buttons) isBlock()  {}
func (Context) isBlock()  {}
func (Divider) isBlock()  {}
func (Input) isBlock()    {}

// ProgressBar draws percent as ten cells, e.g. "▓▓▓▓░░░░░░ 40%".
func ProgressBar(percent float64) string {
	p := percent
	if p < 0 {
		p = 0
	}
	if p > 100 {
		p = 100
	}
	full := int(p/10 + 0.5)
	if percent == 0 {
		percent = 0 // prints -0 as 0
	}
	return strings.Repeat("▓", full) + strings.Repeat("░", 10-full) + fmt.Sprintf(" %.0f%%", percent)
}

// PlainText renders a message as plain text. The console prints it; other
// adapters use it as the notification fallback.
func PlainText(m Message) string {
	var b strings.Builder
	if m.Title != "" {
		b.WriteString(m.Title)
		b.WriteString("\n")
	}
	for _, blk := range m.Blocks {
		writePlainBlock(&b, blk)
	}
	return strings.TrimRight(b.String(), "\n")
}

func writePlainBlock(b *strings.Builder, blk Block) {
	switch v := blk.(type) {
	case Text:
		b.WriteString(v.Text)
		b.WriteString("\n")
	case Fields:
		for _, f := range v {
			fmt.Fprintf(b, "%s: %s\n", f.Label, f.Value)
		}
	case Progress:
		fmt.Fprintf(b, "%s  %s", v.Label, ProgressBar(v.Percent))
		if v.Detail != "" {
			b.WriteString("  " + v.Detail)
		}
		b.WriteString("\n")
	case Buttons:
		for _, btn := range v {
			fmt.Fprintf(b, "[%s] → %s\n", btn.Label, btn.Command)
		}
	case Context:
		b.WriteString(v.Text)
		b.WriteString("\n")
	case Divider:
		b.WriteString("—\n")
	case Input:
		fmt.Fprintf(b, "%s: %s\n", v.Label, v.Initial)
	}
}
