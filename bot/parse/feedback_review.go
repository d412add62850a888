package parse

import (
	"strconv"
	"strings"
	"time"
)

// The grammars of /feedback and /review. Where a command's refusal names
// figures only the core knows (a maximum, a default), a parser reports ok
// false and the core refuses with the command's usage sentence; errors are
// those of the shared parsers (dates, mentions).

// OneMention reads "<@x> rest": exactly one person first, then the text as
// typed, separators trimmed. ok is false when the text does not open with
// a mention; err says an "@name" was typed instead of a real mention.
func OneMention(args string) (id, rest string, ok bool, err error) {
	words := Words(args)
	if len(words) == 0 {
		return "", "", false, nil
	}
	if id, ok = ParseMention(words[0].Text); !ok {
		return "", "", false, MentionError(words[0].Text)
	}
	if len(words) > 1 {
		rest = strings.TrimSpace(args[words[1].Start:])
	}
	return id, TrimSeparators(rest), true, nil
}

// HasMention reports whether any word of text is a mention.
func HasMention(text string) bool {
	for _, tok := range Tokens(text) {
		if _, ok := ParseMention(tok); ok {
			return true
		}
	}
	return false
}

// MentionList reads a list of mentions and nothing else, each person once.
// ok is false when something else was typed; err says an "@name" was
// typed instead of a real mention.
func MentionList(args string) (ids []string, ok bool, err error) {
	for _, tok := range Tokens(args) {
		id, isMention := ParseMention(tok)
		if !isMention {
			return nil, false, MentionError(tok)
		}
		if !contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, true, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isAnonymousWord(w string) bool {
	switch fold(w) {
	case "anonymous", "anonymously", "anon", "匿名":
		return true
	}
	return false
}

func isByWord(w string) bool {
	switch fold(w) {
	case "by", "截止", "之前":
		return true
	}
	return false
}

// FeedbackRequestSpec is "/feedback request @a [@b …] [about <topic>]
// [anonymous] [by <date>]".
type FeedbackRequestSpec struct {
	Asked     []string
	Topic     string
	Anonymous bool
	// Due is the day after the date typed (answers are taken through that
	// day); zero when no date was given.
	Due time.Time
}

// ParseFeedbackRequest reads the arguments of "/feedback request"; dates
// are read in loc relative to now.
func ParseFeedbackRequest(args string, now time.Time, loc *time.Location) (spec FeedbackRequestSpec, ok bool, err error) {
	toks := Tokens(args)
	i := 0
	for ; i < len(toks); i++ {
		id, isMention := ParseMention(toks[i])
		if !isMention {
			if err := MentionError(toks[i]); err != nil {
				return spec, false, err
			}
			break
		}
		if !contains(spec.Asked, id) {
			spec.Asked = append(spec.Asked, id)
		}
	}
	if len(spec.Asked) == 0 {
		return spec, false, nil
	}
	var topic []string
	for i < len(toks) {
		w := fold(toks[i])
		switch {
		case isAnonymousWord(w):
			spec.Anonymous = true
			i++
		case isByWord(w) && i+1 < len(toks):
			d, used, err := ParseDate(toks[i+1:], now, loc)
			if err != nil {
				return spec, false, err
			}
			spec.Due = d.AddDate(0, 0, 1)
			i += 1 + used
		case (w == "about" || w == "关于") && len(topic) == 0:
			i++
			for i < len(toks) && !isAnonymousWord(toks[i]) && fold(toks[i]) != "by" && fold(toks[i]) != "截止" {
				topic = append(topic, toks[i])
				i++
			}
		default:
			return spec, false, nil
		}
	}
	spec.Topic = strings.Join(topic, " ")
	return spec, true, nil
}

// IDAndText is "<id> [text]", as in "/feedback answer FR3 <text>" and
// "/review action done A3": ID is folded to upper case, Typed is the id as
// typed (for a reply that quotes it). ok is false when args are empty.
type IDAndText struct {
	ID, Typed, Text string
}

// ParseIDAndText reads "<id> [text]".
func ParseIDAndText(args string) (IDAndText, bool) {
	words := Words(args)
	if len(words) == 0 {
		return IDAndText{}, false
	}
	out := IDAndText{ID: strings.ToUpper(fold(words[0].Text)), Typed: words[0].Text}
	if len(words) > 1 {
		out.Text = strings.TrimSpace(args[words[1].Start:])
	}
	return out, true
}

// FeedbackVisibility reads "/feedback visibility <team> person|managers":
// the team and whether managers see their members' feedback.
func FeedbackVisibility(args string) (team string, managers, ok bool) {
	toks := Tokens(args)
	if len(toks) != 2 {
		return "", false, false
	}
	switch fold(toks[1]) {
	case "person", "private", "本人", "仅本人":
		return toks[0], false, true
	case "managers", "manager", "person+managers", "经理", "主管", "本人和经理":
		return toks[0], true, true
	}
	return "", false, false
}

// ReviewStartSpec is "/review start team <name> <title> due <date> [peers
// N] [named|anonymous]".
type ReviewStartSpec struct {
	Team, Title string
	// Due is the date typed.
	Due time.Time
	// Peers is the number typed after "peers"; -1 when not given, -2 when
	// what followed was not a whole number.
	Peers int
	// Named is set when the last of "named"/"anonymous" said named;
	// Anonymous when it said anonymous; neither when nothing was said.
	Named, Anonymous bool
}

// ParseReviewStart reads the arguments of "/review start"; the date is
// read in loc relative to now.
func ParseReviewStart(args string, now time.Time, loc *time.Location) (spec ReviewStartSpec, ok bool, err error) {
	spec.Peers = -1
	toks := Tokens(args)
	if len(toks) < 2 || !isTeamWord(toks[0]) {
		return spec, false, nil
	}
	spec.Team = toks[1]
	i := 2
	var title []string
	for i < len(toks) && fold(toks[i]) != "due" && toks[i] != "截止" {
		title = append(title, toks[i])
		i++
	}
	if len(title) == 0 || i >= len(toks) {
		return spec, false, nil
	}
	spec.Title = strings.Join(title, " ")
	if spec.Due, i, err = dateAfter(toks, i, now, loc); err != nil {
		return spec, false, err
	}
	for ; i < len(toks); i++ {
		switch w := fold(toks[i]); {
		case (w == "peers" || w == "同事" || w == "同事数") && i+1 < len(toks):
			n, err := strconv.Atoi(fold(toks[i+1]))
			if err != nil || n < 0 {
				n = -2
			}
			spec.Peers = n
			i++
		case w == "named" || w == "attributed" || w == "署名" || w == "实名":
			spec.Named, spec.Anonymous = true, false
		case isAnonymousWord(w):
			spec.Named, spec.Anonymous = false, true
		default:
			return spec, false, nil
		}
	}
	return spec, true, nil
}

// dateAfter reads the date that follows the keyword at toks[i] and returns
// it with the index after it.
func dateAfter(toks []string, i int, now time.Time, loc *time.Location) (time.Time, int, error) {
	d, used, err := ParseDate(toks[i+1:], now, loc)
	if err != nil {
		return time.Time{}, i, err
	}
	return d, i + 1 + used, nil
}

// ReviewQuestionsSpec is "/review questions <team> <q> | <q> …" or
// "/review questions <team> default".
type ReviewQuestionsSpec struct {
	Team string
	// Default asks for the template's questions back.
	Default   bool
	Questions []string
}

// ParseReviewQuestions reads the arguments of "/review questions"; ok is
// false without a team and at least one more word.
func ParseReviewQuestions(args string) (ReviewQuestionsSpec, bool) {
	words := Words(args)
	if len(words) < 2 {
		return ReviewQuestionsSpec{}, false
	}
	rest := strings.TrimSpace(args[words[0].End:])
	spec := ReviewQuestionsSpec{Team: words[0].Text}
	if w := fold(rest); w == "default" || w == "默认" {
		spec.Default = true
		return spec, true
	}
	spec.Questions = QuestionList(rest)
	return spec, true
}

// ActionDone reads "done A3" (完成 A3), which closes a development action.
func ActionDone(args string) (id string, ok bool) {
	toks := Tokens(args)
	if len(toks) == 2 && (fold(toks[0]) == "done" || toks[0] == "完成") {
		return strings.ToUpper(fold(toks[1])), true
	}
	return "", false
}

// ActionSpec is what follows the person in "/review action @person <text>
// by <date>".
type ActionSpec struct {
	Text string
	Due  time.Time
}

// ParseAction reads "<text> by <date>" (截止/之前): the last deadline word
// splits the text from a date that must end the line. ok is false when
// there is no text or no date.
func ParseAction(rest string, now time.Time, loc *time.Location) (spec ActionSpec, ok bool, err error) {
	words := Tokens(rest)
	at := -1
	for i := len(words) - 1; i >= 1; i-- {
		if isByWord(words[i]) {
			at = i
			break
		}
	}
	if at < 1 {
		return spec, false, nil
	}
	due, end, err := dateAfter(words, at, now, loc)
	if err != nil {
		return spec, false, err
	}
	if end != len(words) {
		return spec, false, nil
	}
	return ActionSpec{Text: strings.Join(words[:at], " "), Due: due}, true, nil
}

// FlagSpec is what follows the person in "/review flag @person <week>
// [note]".
type FlagSpec struct {
	Period, Note string
}

// ParseFlag reads "<week> [note]": the week in any form ParsePeriod takes,
// one or two words long, then an optional note.
func ParseFlag(rest string, now time.Time, loc *time.Location) (FlagSpec, bool) {
	words := Tokens(rest)
	for n := min(2, len(words)); n >= 1; n-- {
		if p, err := ParsePeriod(strings.Join(words[:n], " "), now, loc); err == nil {
			return FlagSpec{Period: p, Note: strings.Join(words[n:], " ")}, true
		}
	}
	return FlagSpec{}, false
}
