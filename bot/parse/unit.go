package parse

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// WithUnit reads a unit typed after a space ("G2 5 merchants onboarded
// two"). ParseProgress alone cannot: "G2 5 shipped the page" has no unit,
// and only the goal's unit tells the two apart. When the value came
// without a unit and the note starts with unit (the goal's, compared
// without case) as whole words, those words move from the note to the
// value, and a status right after them ("5 merchants at risk …") is read
// as one.
func (p ProgressSpec) WithUnit(goalUnit string) ProgressSpec {
	unit := strings.TrimSpace(goalUnit)
	if p.Value.Unit != "" || unit == "" || len(p.Note) < len(unit) || !strings.EqualFold(p.Note[:len(unit)], unit) {
		return p
	}
	rest := p.Note[len(unit):]
	if r, _ := utf8.DecodeRuneInString(rest); rest != "" && !unicode.IsSpace(r) && !unicode.IsPunct(r) {
		return p // "merchantsX": a longer word, not the unit
	}
	p.Value.Unit = goalUnit
	rest = trimSeparators(strings.TrimSpace(rest))
	toks := tokenize(rest)
	if p.Status == "" {
		p.Status, toks = leadingStatus(rest, toks)
	}
	p.Note = ""
	if len(toks) > 0 {
		p.Note = trimSeparators(rest[toks[0].start:])
	}
	return p
}
