package bottest

import (
	"strings"
	"testing"
	"unicode"

	"github.com/pulse-bot/pulse/bot"
)

// EveryKind is a message in l holding one block of every kind the core
// sends (text, fields, progress, buttons, context, divider, a form input),
// its words taken from the catalogue, so an adapter's render test can check
// that everything it adds — buttons, "…and N more", toasts, headings — is in
// the message's language too. Extra dividers past Slack's 50-block limit
// make an adapter that trims say so.
func EveryKind(tb testing.TB, l bot.Locale) bot.Message {
	c := Catalog(tb)
	m := bot.Message{Title: c.T(l, "kudos_received_title", nil), Locale: l, Blocks: []bot.Block{
		bot.Text{Text: c.T(l, "summary_highlights", nil)},
		bot.Fields{{Label: c.T(l, "scorecard_blockers", nil), Value: "2"}},
		bot.Progress{Label: "G7", Percent: 40, Pace: 50, Status: bot.AtRisk, Detail: c.T(l, "summary_mood", map[string]any{"Mood": "4.0"})},
		bot.Context{Text: c.T(l, "summary_mood", map[string]any{"Mood": "3.5"})},
		bot.Divider{},
		bot.Input{ID: "done", Label: c.T(l, "summary_highlights", nil)},
	}}
	return m
}

// WithButton is m with a button row whose label is in m's language.
func WithButton(tb testing.TB, m bot.Message) bot.Message {
	m.Blocks = append(m.Blocks, bot.Buttons{{ID: bot.ActionGoalUpdateForm, Label: Catalog(tb).T(m.Locale, "button_update_goal", nil), Value: "G7"}})
	return m
}

// Overflowing is m with more blocks than any platform shows in one message.
func Overflowing(m bot.Message) bot.Message {
	for range 60 {
		m.Blocks = append(m.Blocks, bot.Divider{})
	}
	return m
}

// Catalog loads the catalogue adapters read their own words from.
func Catalog(tb testing.TB) *bot.Catalog {
	tb.Helper()
	c, err := bot.LoadCatalog()
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// AssertInLanguage fails unless rendered (an adapter's output for a
// message in l) is written in l: it holds every one of words, and, for
// English, no Chinese character at all.
func AssertInLanguage(tb testing.TB, l bot.Locale, rendered string, words ...string) {
	tb.Helper()
	for _, w := range words {
		if !strings.Contains(rendered, w) {
			tb.Errorf("%s rendering lacks %q:\n%s", l, w, rendered)
		}
	}
	if l != bot.English {
		return
	}
	for _, r := range rendered {
		if unicode.Is(unicode.Han, r) {
			tb.Errorf("English rendering holds Chinese (%q):\n%s", r, rendered)
			return
		}
	}
}
