package slack

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEscapeAndSplit checks that no user text survives rendering with a
// live angle bracket (a ping or a link) and that splitting keeps every
// chunk inside Slack's limit without losing words.
func FuzzEscapeAndSplit(f *testing.F) {
	f.Add("<!channel> & <@U0LAN0Z89> <https://x|y>", 3000)
	f.Add(strings.Repeat("<&>", 2000), 3000)
	f.Add("a\nb c", 1)
	f.Add("中文 <!here>", 7)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if !utf8.ValidString(s) {
			return
		}
		if limit < 1 || limit > 5000 {
			limit = maxSectionChars
		}
		e := escapeLimit(s, max(limit, 2))
		if strings.ContainsAny(e, "<>") || utf8.RuneCountInString(e) > max(limit, 2) {
			t.Fatalf("escapeLimit(%q, %d) = %q", s, limit, e)
		}
		var words []string // the chunks
		for _, c := range splitEscaped(s, limit) {
			if strings.ContainsAny(c, "<>") {
				t.Fatalf("chunk %q has a live bracket", c)
			}
			if limit >= 5 && utf8.RuneCountInString(c) > limit {
				t.Fatalf("chunk of %d runes over %d", utf8.RuneCountInString(c), limit)
			}
			words = append(words, c)
		}
		// Only whitespace may be lost at the cuts.
		noSpace := func(x string) string { return strings.Join(strings.Fields(x), "") }
		if limit >= 5 && noSpace(strings.Join(words, "")) != noSpace(escape(s)) {
			t.Fatalf("split of %d runes at %d lost text (%d chunks)", utf8.RuneCountInString(s), limit, len(words))
		}
	})
}
