package parse

// Word is one word of the input with its byte span in the source, for code
// that hands back the user's own text after a word exactly as typed.
type Word struct {
	Text       string
	Start, End int
}

// Words splits s like Tokens and keeps each word's byte span.
func Words(s string) []Word {
	toks := tokenize(s)
	out := make([]Word, len(toks))
	for i, t := range toks {
		out[i] = Word{Text: t.text, Start: t.start, End: t.end}
	}
	return out
}

// Fold makes a word comparable: full-width ASCII becomes ASCII ("Ｇ７" →
// "g7") and letters become lower case.
func Fold(s string) string { return fold(s) }

// Quote shortens what the user typed to the length an error message may
// quote, marking the cut with "…".
func Quote(s string) string { return clip(s, parseQuoteMax) }

// TrimSeparators removes spaces and joining punctuation around a piece of
// the user's text (the colon in "<@a>: thanks").
func TrimSeparators(s string) string { return trimSeparators(s) }

// MentionError returns the error for a word that tries to name a person
// but is not a valid Mention token; nil when tok is not such an attempt.
func MentionError(tok string) error { return mentionErr(tok) }
