package parse

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is a mistake in what the user typed. Key names a message in
// bot/locales/parse.*.yaml that says in one sentence what was wrong and what
// to type instead; Data fills its template. The service shows it as the
// reply, so a parser never needs to know the user's language.
type Error struct {
	Key  string
	Data map[string]any
}

// Error returns "parse: <key>", for logs; people see the translated message.
func (e *Error) Error() string { return "parse: " + e.Key }

// Message keys of parse errors. Every key is in parseErrorKeys, which the
// tests check against both message files.
const (
	keyTextTooLong         = "text_too_long"
	keyValueMissing        = "value_missing"
	keyValueInvalid        = "value_invalid"
	keyValueTooLarge       = "value_too_large"
	keyDateMissing         = "date_missing"
	keyDateInvalid         = "date_invalid"
	keyDateImpossible      = "date_impossible"
	keyDateYearRange       = "date_year_range"
	keyGoalIDMissing       = "goal_id_missing"
	keyGoalIDInvalid       = "goal_id_invalid"
	keyGoalTitleMissing    = "goal_title_missing"
	keyGoalTitleTooLong    = "goal_title_too_long"
	keyGoalBaselineMissing = "goal_baseline_missing"
	keyGoalTargetMissing   = "goal_target_missing"
	keyGoalClauseRepeated  = "goal_clause_repeated"
	keyGoalOwnerMissing    = "goal_owner_missing"
	keyGoalOwnerTwice      = "goal_owner_twice"
	keyGoalTeamMissing     = "goal_team_missing"
	keyGoalExtraText       = "goal_extra_text"
	keyProgressValueMiss   = "progress_value_missing"
	keyMentionUnknown      = "mention_unknown"
	keyKudosRecipientMiss  = "kudos_recipient_missing"
	keyKudosMessageMissing = "kudos_message_missing"
	keyPeriodInvalid       = "period_invalid"
	keyAwayDateExtra       = "away_date_extra"
	keyExportUsage         = "export_usage"
	keyTeamCreateUsage     = "team_create_usage"
	keyTeamPeopleUsage     = "team_people_usage"
	keyTeamSetUsage        = "team_set_usage"
	keyGoalListUsage       = "goal_list_usage"
	keyGoalCloseUsage      = "goal_close_usage"
	keyGoalEditUsage       = "goal_edit_usage"
	keyProgressStatusFirst = "progress_status_first"
)

// parseErrorKeys lists every key a parser can return.
var parseErrorKeys = []string{
	keyTextTooLong, keyValueMissing, keyValueInvalid, keyValueTooLarge,
	keyDateMissing, keyDateInvalid, keyDateImpossible, keyDateYearRange,
	keyGoalIDMissing, keyGoalIDInvalid, keyGoalTitleMissing, keyGoalTitleTooLong,
	keyGoalBaselineMissing, keyGoalTargetMissing, keyGoalClauseRepeated,
	keyGoalOwnerMissing, keyGoalOwnerTwice, keyGoalTeamMissing, keyGoalExtraText,
	keyProgressValueMiss, keyMentionUnknown, keyKudosRecipientMiss, keyKudosMessageMissing,
	keyPeriodInvalid, keyAwayDateExtra, keyExportUsage, keyTeamCreateUsage, keyTeamPeopleUsage, keyTeamSetUsage,
	keyGoalListUsage, keyGoalCloseUsage, keyGoalEditUsage, keyProgressStatusFirst,
}

// Limits on what people type, so a reply can always quote it back and a
// record stays readable.
const (
	// MaxParseText is the longest command text, in characters, the parsers accept.
	MaxParseText = 3000
	// MaxGoalTitle is the longest goal title in characters.
	MaxGoalTitle = 200
	// parseQuoteMax is how much of a wrong word an error message quotes.
	parseQuoteMax = 40
)

func parseErr(key string, data map[string]any) *Error {
	return &Error{Key: key, Data: data}
}

// quoteErr is an error that quotes what the user typed, cut short so the
// reply stays one sentence.
func quoteErr(key, text string) *Error {
	return parseErr(key, map[string]any{"Text": clip(text, parseQuoteMax)})
}

func tooLong(s string) error {
	if utf8.RuneCountInString(s) > MaxParseText {
		return parseErr(keyTextTooLong, map[string]any{"Max": MaxParseText})
	}
	return nil
}

// clip shortens s to at most n characters, marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// token is one word of the input with its byte span in the source, so a
// parser can hand back the user's own text (titles, notes, messages)
// exactly as typed.
type token struct {
	text       string
	start, end int
	quoted     bool
}

// Tokens splits on any Unicode whitespace, keeping "<@…>" mention tokens
// (see Mention) whole even if they are glued to text, and treating
// full-width spaces as spaces.
func Tokens(s string) []string {
	toks := tokenize(s)
	if len(toks) == 0 {
		return nil
	}
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.text
	}
	return out
}

func isSep(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' || r == '\u2060'
}

// tokenize is Tokens with byte spans.
func tokenize(s string) []token {
	var out []token
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if isSep(r) {
			i += n
			continue
		}
		j := i
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if isSep(r) {
				break
			}
			j += n
		}
		out = appendWord(out, s, i, j)
		i = j
	}
	return out
}

// appendWord adds the word s[start:end], split around any mention tokens it contains.
func appendWord(out []token, s string, start, end int) []token {
	from := start
	for k := start; k < end; {
		if m := mentionLen(s[k:end]); m > 0 {
			if k > from {
				out = append(out, token{text: s[from:k], start: from, end: k})
			}
			out = append(out, token{text: s[k : k+m], start: k, end: k + m})
			k += m
			from = k
			continue
		}
		_, n := utf8.DecodeRuneInString(s[k:end])
		k += n
	}
	if end > from {
		out = append(out, token{text: s[from:end], start: from, end: end})
	}
	return out
}

// mentionLen returns the length of the "<@…>" token s starts with, or 0.
func mentionLen(s string) int {
	if !strings.HasPrefix(s, "<@") {
		return 0
	}
	rest := s[2:]
	for k, r := range rest {
		switch r {
		case '>':
			if k == 0 {
				return 0
			}
			return 2 + k + 1
		case '<', '@':
			return 0
		}
	}
	return 0
}

// fold makes a word comparable: full-width ASCII becomes ASCII ("Ｇ７" →
// "g7"), the full-width yen sign becomes ¥, and letters become lower case.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

func foldRune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	case r == 0xFFE5:
		r = '¥'
	case r == 0xFFE0:
		r = '¢'
	case r == 0xFFE1:
		r = '£'
	case r == '\u2212':
		r = '-'
	case r == 0x3000:
		r = ' '
	}
	return unicode.ToLower(r)
}

// trimSeparators removes spaces and joining punctuation around a piece of
// the user's text (the colon in "<@a>: thanks", the comma in "50%，进展顺利").
func trimSeparators(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return isSep(r) || strings.ContainsRune(",，:：;；、-—–·|", r)
	})
}

// isHan reports whether r is a Chinese character.
func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// isWord reports whether s is a plain word: letters (any script) only.
func isWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// rawMentionName returns the name in "@name" (also full-width "＠name"), a
// person the user tried to mention but whom the platform did not turn into
// a link, so we cannot tell who it is.
func rawMentionName(tok string) (string, bool) {
	var rest string
	switch {
	case strings.HasPrefix(tok, "@"):
		rest = tok[1:]
	case strings.HasPrefix(tok, "＠"):
		rest = tok[len("＠"):]
	default:
		return "", false
	}
	rest = trimSeparators(rest)
	if rest == "" {
		return "", false
	}
	return clip(rest, parseQuoteMax), true
}

// mentionErr returns the error for a token that tries to name a person but
// is not a valid Mention token; nil when tok is not such an attempt.
func mentionErr(tok string) error {
	if name, ok := rawMentionName(tok); ok {
		return parseErr(keyMentionUnknown, map[string]any{"Name": name})
	}
	if strings.HasPrefix(tok, "<@") && strings.HasSuffix(tok, ">") {
		if _, ok := ParseMention(tok); !ok {
			return parseErr(keyMentionUnknown, map[string]any{"Name": clip(tok[2:len(tok)-1], parseQuoteMax)})
		}
	}
	return nil
}

// ErrorKeys lists every message key a parser can return, so the core can
// check each has a message in both languages.
func ErrorKeys() []string { return slices.Clone(parseErrorKeys) }
