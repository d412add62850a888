package parse

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// KudosSpec is "@alice [@bob …] <message> [#value …]".
type KudosSpec struct {
	// To lists the recipients in the order named, each once.
	To []string
	// Message is the text after the recipients, as typed, tags included.
	Message string
	// Tags are the #tags in the message, lower-cased, without "#", each once.
	Tags []string
}

// kudosJoiners may stand between recipients: "<@a> and <@b>", "<@a>、<@b>".
var kudosJoiners = map[string]bool{
	"and": true, "&": true, "+": true, ",": true, "、": true, "和": true, "与": true, "及": true, "以及": true,
}

// ParseKudos reads the arguments of a kudos: leading mentions (at least
// one; an optional "to"/"给" before them), then the message. #tags anywhere
// in the message (also full-width ＃) are collected and stay in the text.
func ParseKudos(args string) (KudosSpec, error) {
	if err := tooLong(args); err != nil {
		return KudosSpec{}, err
	}
	toks := tokenize(args)
	if len(toks) > 1 {
		if w := fold(toks[0].text); w == "to" || w == "给" {
			toks = toks[1:]
		}
	}
	var spec KudosSpec
	seen := map[string]bool{}
	i := 0
	for i < len(toks) {
		tok := toks[i].text
		if id, ok := ParseMention(tok); ok {
			if !seen[id] {
				seen[id] = true
				spec.To = append(spec.To, id)
			}
			i++
			continue
		}
		if err := mentionErr(tok); err != nil {
			return KudosSpec{}, err
		}
		if len(spec.To) > 0 && kudosJoiners[fold(tok)] && i+1 < len(toks) && strings.HasPrefix(toks[i+1].text, "<@") {
			i++
			continue
		}
		break
	}
	if len(spec.To) == 0 {
		return KudosSpec{}, parseErr(keyKudosRecipientMiss, nil)
	}
	if i < len(toks) {
		spec.Message = trimSeparators(args[toks[i].start:])
	}
	if spec.Message == "" {
		return KudosSpec{}, parseErr(keyKudosMessageMissing, nil)
	}
	spec.Tags = Hashtags(spec.Message)
	return spec, nil
}

// Hashtags returns the #tags in s (also ＃), lower-cased, without "#", each
// once, in order. A tag is letters, digits, "_" and "-" after a "#" that
// starts a word; "issue#12", "<#C123>" and all-digit "#1" are not tags.
func Hashtags(s string) []string {
	var tags []string
	seen := map[string]bool{}
	prev := ' '
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == '#' || r == '＃') && !unicode.IsLetter(prev) && !unicode.IsDigit(prev) && prev != '<' && prev != '&' && prev != '#' {
			j := i + n
			for j < len(s) {
				c, m := utf8.DecodeRuneInString(s[j:])
				if !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != '_' && c != '-' {
					break
				}
				j += m
			}
			tag := strings.ToLower(fold(strings.TrimRight(s[i+n:j], "-_")))
			if first, _ := utf8.DecodeRuneInString(tag); first == '-' || first == '_' {
				tag = ""
			}
			if tag != "" && strings.ContainsFunc(tag, unicode.IsLetter) && !seen[tag] {
				seen[tag] = true
				tags = append(tags, tag)
			}
			prev, i = 'x', j
			continue
		}
		prev = r
		i += n
	}
	return tags
}

// LooksLikeKudos reports whether a chat message gives kudos: it starts with
// "kudos" or "点赞" (any case, an optional "/" or ":"), then a mention,
// possibly after "to"/"给".
func LooksLikeKudos(text string) bool {
	head := fold(clipBytes(strings.TrimLeftFunc(text, isSep), 16))
	if !strings.HasPrefix(strings.TrimPrefix(head, "/"), "kudos") && !strings.HasPrefix(head, "点赞") {
		return false
	}
	toks := tokenize(text)
	if len(toks) < 2 {
		return false
	}
	w := strings.TrimRight(strings.TrimPrefix(fold(toks[0].text), "/"), ":,")
	if w != "kudos" && w != "点赞" {
		return false
	}
	next := toks[1].text
	if f := fold(next); (f == "to" || f == "给" || f == ":") && len(toks) > 2 {
		next = toks[2].text
	}
	_, ok := ParseMention(next)
	return ok
}

// clipBytes returns at most the first n bytes of s, cut at a character boundary.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// MatchKudos reads a chat message that gives kudos (see LooksLikeKudos) and
// returns what follows the keyword, for ParseKudos; ok is false for any
// other message.
func MatchKudos(text string) (string, bool) {
	if !LooksLikeKudos(text) {
		return "", false
	}
	toks := tokenize(text)
	return strings.TrimSpace(text[toks[0].end:]), true
}
