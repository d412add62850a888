package parse

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// GoalSpec is what "/goal new" says: "<title> [from <baseline>] to <target>
// by <date> [under G<n>] [for @person | for team <name>]". Target and Due
// may be missing: the service then keeps the goal as a milestone and says
// what would make it SMART.
type GoalSpec struct {
	Title    string
	Baseline *Value
	Target   *Value
	// Due is 00:00 of the due day in the caller's location; zero when not given.
	Due time.Time
	// Parent is the normalised id of the goal this one aligns under.
	Parent    string
	ForPerson string
	ForTeam   string
}

// goalClause is a kind of clause after a goal's title.
type goalClause int

const (
	clauseNone goalClause = iota
	clauseFrom
	clauseTo
	clauseBy
	clauseUnder
	clauseFor
	clauseTeam
	clauseDate // a date phrase without "by": "in 30 days", "月底前"
)

// goalKeywords maps each clause keyword (folded) to its clause.
var goalKeywords = map[string]goalClause{
	"from": clauseFrom, "从": clauseFrom,
	"to": clauseTo, "到": clauseTo, "达到": clauseTo, "至": clauseTo,
	"by": clauseBy, "due": clauseBy, "before": clauseBy,
	"截止": clauseBy, "截至": clauseBy, "截止到": clauseBy, "截止于": clauseBy, "于": clauseBy,
	"under": clauseUnder, "隶属": clauseUnder, "归属": clauseUnder, "隶属于": clauseUnder, "归属于": clauseUnder,
	"for": clauseFor, "负责人": clauseFor,
	"团队": clauseTeam,
}

// gluedKeywords are the Chinese keywords people write without spaces
// ("从2.1%到3%截止12月31日"), longest first so "达到" wins over "到".
var gluedKeywords = []string{"截止到", "截止于", "隶属于", "归属于", "负责人", "达到", "截止", "截至", "隶属", "归属", "从", "到", "至", "于"}

// quotePairs are the quotes that keep keywords inside a title.
var quotePairs = map[rune]rune{'"': '"', '“': '”', '「': '」', '『': '』', '＂': '＂'}

// ParseGoalSpec reads the arguments of "/goal new". The title is everything
// before the first clause; a keyword only starts a clause when what follows
// it fits ("Move billing to Stripe to 100%" is titled "Move billing to
// Stripe"), and keywords inside quotes "…" or “…” belong to the title.
// Chinese keywords work too: 从, 到/达到, 截止/于, 隶属/归属, 负责人, 团队,
// also glued to their values ("从2.1%到3%").
func ParseGoalSpec(args string, now time.Time, loc *time.Location) (GoalSpec, error) {
	if err := tooLong(args); err != nil {
		return GoalSpec{}, err
	}
	toks := markQuoted(args, tokenize(args))
	toks = splitGluedClauses(toks, now)
	p := goalParser{toks: toks, words: make([]string, len(toks)), now: now, loc: loc, seen: map[goalClause]bool{}}
	for i, t := range toks {
		p.words[i] = t.text
	}
	title := 0
	for title < len(toks) && p.clauseAt(title, title > 0) == clauseNone {
		title++
	}
	for i := title; i < len(toks); {
		n, err := p.clause(i)
		if err != nil {
			return GoalSpec{}, err
		}
		i += n
	}
	if title == 0 {
		return GoalSpec{}, parseErr(keyGoalTitleMissing, nil)
	}
	p.spec.Title = cleanTitle(args[toks[0].start:toks[title-1].end])
	if p.spec.Title == "" {
		return GoalSpec{}, parseErr(keyGoalTitleMissing, nil)
	}
	if utf8.RuneCountInString(p.spec.Title) > MaxGoalTitle {
		return GoalSpec{}, parseErr(keyGoalTitleTooLong, map[string]any{"Max": MaxGoalTitle})
	}
	return p.spec, nil
}

// cleanTitle trims separators and a pair of quotes around the whole title.
func cleanTitle(s string) string {
	s = trimSeparators(s)
	first, n := utf8.DecodeRuneInString(s)
	closing, ok := quotePairs[first]
	if !ok || len(s) < 2*n {
		return s
	}
	last, m := utf8.DecodeLastRuneInString(s)
	inner := s[n : len(s)-m]
	if last == closing && len(s)-m >= n && !strings.ContainsRune(inner, closing) {
		return strings.TrimSpace(inner)
	}
	return s
}

// markQuoted flags the tokens that start inside a closed pair of quotes.
func markQuoted(s string, toks []token) []token {
	type span struct{ from, to int }
	var spans []span
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		closing, ok := quotePairs[r]
		if !ok {
			i += n
			continue
		}
		end := strings.IndexRune(s[i+n:], closing)
		if end < 0 {
			i += n
			continue
		}
		stop := i + n + end + utf8.RuneLen(closing)
		spans = append(spans, span{i, stop})
		i = stop
	}
	for k := range toks {
		for _, sp := range spans {
			if toks[k].start >= sp.from && toks[k].start < sp.to {
				toks[k].quoted = true
			}
		}
	}
	return toks
}

// splitGluedClauses cuts Chinese keywords out of the words they are glued
// to, where what follows the keyword reads as its value.
func splitGluedClauses(toks []token, now time.Time) []token {
	out := make([]token, 0, len(toks))
	for k, t := range toks {
		if t.quoted || !strings.ContainsFunc(t.text, isHan) {
			out = append(out, t)
			continue
		}
		next := ""
		if k+1 < len(toks) {
			next = toks[k+1].text
		}
		out = append(out, splitGlued(t, next, now)...)
	}
	return out
}

// next is the word after t: a keyword that ends t ("转化率，到 3%") splits
// off when next fits it.
func splitGlued(t token, next string, now time.Time) []token {
	var out []token
	s := t.text
	piece := func(from, to int) {
		if to > from {
			out = append(out, token{text: s[from:to], start: t.start + from, end: t.start + to})
		}
	}
	segStart, p := 0, 0
	for p < len(s) {
		kw := gluedKeywordAt(s, p)
		if kw != "" {
			argStart := p + len(kw)
			argEnd := nextGluedKeyword(s, argStart)
			atEnd := argStart == len(s) && p > 0 && next != "" && gluedArgFits(goalKeywords[kw], next, now)
			if atEnd || argStart < argEnd && gluedArgFits(goalKeywords[kw], s[argStart:argEnd], now) {
				piece(segStart, p)
				piece(p, argStart)
				piece(argStart, argEnd)
				segStart, p = argEnd, argEnd
				continue
			}
		}
		_, n := utf8.DecodeRuneInString(s[p:])
		p += n
	}
	piece(segStart, len(s))
	return out
}

func gluedKeywordAt(s string, p int) string {
	for _, kw := range gluedKeywords {
		if strings.HasPrefix(s[p:], kw) {
			return kw
		}
	}
	return ""
}

func nextGluedKeyword(s string, from int) int {
	for p := from; p < len(s); {
		if gluedKeywordAt(s, p) != "" {
			return p
		}
		_, n := utf8.DecodeRuneInString(s[p:])
		p += n
	}
	return len(s)
}

// gluedArgFits reports whether arg is a complete value for the clause, the
// strict test that keeps "从零开始" and "成立于上海" whole.
func gluedArgFits(c goalClause, arg string, now time.Time) bool {
	switch c {
	case clauseFrom, clauseTo:
		_, err := ParseValue(arg)
		return err == nil
	case clauseBy:
		_, used, err := ParseDate([]string{arg}, now, time.UTC)
		return err == nil && used == 1
	case clauseUnder:
		_, ok := GoalID(arg)
		return ok
	case clauseFor:
		// "负责人@张三" where the platform did not link the name: split it
		// off so the user is told to mention them properly.
		_, raw := rawMentionName(arg)
		return raw || strings.HasPrefix(arg, "<@")
	}
	return false
}

type goalParser struct {
	toks []token
	// words are the tokens' texts, for the value and date readers.
	words []string
	now   time.Time
	loc   *time.Location
	spec  GoalSpec
	seen  map[goalClause]bool
}

func (p *goalParser) word(i int) string {
	if i < len(p.toks) {
		return fold(p.toks[i].text)
	}
	return ""
}

func (p *goalParser) texts(from int) []string { return p.words[from:] }

// keywordAt is the clause keyword token i is, if it is one and not quoted.
func (p *goalParser) keywordAt(i int) goalClause {
	if i >= len(p.toks) || p.toks[i].quoted {
		return clauseNone
	}
	return goalKeywords[p.word(i)]
}

// clauseAt says which clause starts at token i, or clauseNone when the
// token belongs to the title. A keyword starts a clause when what follows
// fits it, or nothing or another keyword follows (so a missing value is
// reported rather than swallowed into the title). bare allows a date
// phrase without a keyword ("月底前"), which needs a title before it.
func (p *goalParser) clauseAt(i int, bare bool) goalClause {
	c := p.keywordAt(i)
	end := i+1 >= len(p.toks) || p.keywordAt(i+1) != clauseNone
	next := ""
	if i+1 < len(p.toks) {
		next = p.toks[i+1].text
	}
	switch c {
	case clauseFrom, clauseTo:
		if end || looksLikeValue(next) {
			return c
		}
	case clauseBy:
		if end || looksLikeDate(p.texts(i+1), p.now) {
			return c
		}
	case clauseUnder:
		if end || looksLikeGoalID(next) {
			return c
		}
	case clauseFor:
		f := fold(next)
		if end || strings.HasPrefix(next, "<@") || mentionErr(next) != nil || f == "team" || f == "团队" {
			return c
		}
	case clauseTeam:
		return c
	case clauseNone:
		if bare && !p.toks[i].quoted && isBareDate(p.texts(i), p.now) {
			return clauseDate
		}
	}
	return clauseNone
}

// clause parses the clause at token i and returns how many tokens it used.
func (p *goalParser) clause(i int) (int, error) {
	c := p.clauseAt(i, true)
	if c == clauseNone {
		rest := p.toks[i].text
		if len(p.toks) > i+1 {
			rest += " " + p.toks[i+1].text
		}
		return 0, quoteErr(keyGoalExtraText, rest)
	}
	kind := c
	if kind == clauseDate {
		kind = clauseBy
	}
	if kind == clauseTeam {
		kind = clauseFor
	}
	if p.seen[kind] {
		if kind == clauseFor {
			return 0, parseErr(keyGoalOwnerTwice, nil)
		}
		return 0, parseErr(keyGoalClauseRepeated, map[string]any{"Word": p.toks[i].text})
	}
	p.seen[kind] = true
	switch c {
	case clauseFrom, clauseTo:
		return p.valueClause(c, i)
	case clauseBy:
		return p.dateClause(i+1, 1)
	case clauseDate:
		return p.dateClause(i, 0)
	case clauseUnder:
		return p.underClause(i)
	case clauseFor:
		return p.forClause(i)
	}
	return p.teamClause(i + 1)
}

func (p *goalParser) valueClause(c goalClause, i int) (int, error) {
	if i+1 >= len(p.toks) || p.keywordAt(i+1) != clauseNone {
		if c == clauseFrom {
			return 0, parseErr(keyGoalBaselineMissing, nil)
		}
		return 0, parseErr(keyGoalTargetMissing, nil)
	}
	v, used, err := ParseValueWithUnit(p.texts(i + 1))
	if err != nil {
		return 0, err
	}
	if c == clauseFrom {
		p.spec.Baseline = &v
	} else {
		p.spec.Target = &v
	}
	return 1 + used, nil
}

// dateClause reads a due date starting at token from; skip is how many
// keyword tokens came before it.
func (p *goalParser) dateClause(from, skip int) (int, error) {
	if from >= len(p.toks) || (skip > 0 && p.keywordAt(from) != clauseNone) {
		return 0, parseErr(keyDateMissing, nil)
	}
	d, used, err := ParseDate(p.texts(from), p.now, p.loc)
	if err != nil {
		return 0, err
	}
	p.spec.Due = d
	return skip + used, nil
}

func (p *goalParser) underClause(i int) (int, error) {
	if i+1 >= len(p.toks) || p.keywordAt(i+1) != clauseNone {
		return 0, parseErr(keyGoalIDMissing, nil)
	}
	id, ok := GoalID(p.toks[i+1].text)
	if !ok {
		return 0, quoteErr(keyGoalIDInvalid, p.toks[i+1].text)
	}
	p.spec.Parent = id
	return 2, nil
}

func (p *goalParser) forClause(i int) (int, error) {
	if i+1 >= len(p.toks) || (p.keywordAt(i+1) != clauseNone && p.keywordAt(i+1) != clauseTeam) {
		return 0, parseErr(keyGoalOwnerMissing, nil)
	}
	next := p.toks[i+1].text
	if f := fold(next); f == "team" || f == "团队" {
		n, err := p.teamClause(i + 2)
		return 1 + n, err
	}
	if err := mentionErr(next); err != nil {
		return 0, err
	}
	id, ok := ParseMention(next)
	if !ok {
		return 0, parseErr(keyGoalOwnerMissing, nil)
	}
	p.spec.ForPerson = id
	return 2, nil
}

// teamClause reads the team name at token i (after "for team" or 团队).
func (p *goalParser) teamClause(i int) (int, error) {
	if i >= len(p.toks) || p.keywordAt(i) != clauseNone {
		return 0, parseErr(keyGoalTeamMissing, nil)
	}
	name := strings.TrimSpace(p.toks[i].text)
	if err := mentionErr(name); err != nil || strings.HasPrefix(name, "<@") {
		return 0, parseErr(keyGoalTeamMissing, nil)
	}
	p.spec.ForTeam = name
	return 2, nil
}

// looksLikeValue reports whether tok is meant as a number: it starts with a
// digit, or with a sign, currency or point before a digit.
func looksLikeValue(tok string) bool {
	s := fold(tok)
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			return true
		case i < 4 && (r == '+' || r == '-' || r == '.' || isCurrency(r)):
			continue
		}
		return false
	}
	return false
}

// looksLikeDate reports whether tokens start with something meant as a
// date, valid or not, so a wrong date is reported rather than read as title.
func looksLikeDate(tokens []string, now time.Time) bool {
	if len(tokens) == 0 {
		return false
	}
	w := fold(tokens[0])
	if w == "" {
		return false
	}
	if w[0] >= '0' && w[0] <= '9' {
		return true
	}
	if len(w) >= 2 && w[0] == 'q' && w[1] >= '1' && w[1] <= '4' {
		return true
	}
	switch w {
	case "end", "in", "eom", "eoq", "eoy", "today", "tomorrow":
		return true
	}
	_, _, err := ParseDate(tokens, now, time.UTC)
	return err == nil
}

// isBareDate reports whether tokens start with a date phrase that needs no
// keyword: "in 30 days", or a Chinese one such as 月底前, 30天内, 2026年12月31日前.
func isBareDate(tokens []string, now time.Time) bool {
	w := fold(tokens[0])
	if w != "in" && !strings.ContainsFunc(w, isHan) {
		return false
	}
	_, _, err := ParseDate(tokens, now, time.UTC)
	return err == nil
}

// Status is the health an author states in an update. Its values are the
// core's goal statuses of the same name, so the core converts by type.
type Status string

// The statuses an update can state.
const (
	OnTrack  Status = "on_track"
	AtRisk   Status = "at_risk"
	OffTrack Status = "off_track"
)

// ProgressSpec is a progress update: "G7 <value> [on track|at risk|off
// track] [note]".
type ProgressSpec struct {
	GoalID string
	Value  Value
	// Status is what the author states; empty when not stated.
	Status Status
	Note   string
}

// statusWords maps one-word statuses (folded) to a Status.
var statusWords = map[string]Status{
	"on-track": OnTrack, "ontrack": OnTrack, "at-risk": AtRisk, "atrisk": AtRisk,
	"off-track": OffTrack, "offtrack": OffTrack,
	"正常": OnTrack, "顺利": OnTrack, "进展顺利": OnTrack,
	"有风险": AtRisk, "风险": AtRisk,
	"落后": OffTrack, "偏离": OffTrack, "严重落后": OffTrack,
}

// hanStatuses are the Chinese statuses, longest first, for matching at the
// start of a word they are glued to ("有风险，供应商延期").
var hanStatuses = []string{"严重落后", "进展顺利", "有风险", "正常", "顺利", "风险", "落后", "偏离"}

var statusPairs = map[string]Status{"on track": OnTrack, "at risk": AtRisk, "off track": OffTrack}

// ParseProgress reads a progress update: a goal id, a value ("2.6%",
// "+0.3", for a milestone the percent complete), an optional status (on
// track, at risk, off track; 正常/顺利, 有风险/风险, 落后/偏离) and a note.
// "G7: 2.6%" and Chinese glued forms ("G7 50%，进展顺利") work too.
func ParseProgress(args string) (ProgressSpec, error) {
	if err := tooLong(args); err != nil {
		return ProgressSpec{}, err
	}
	toks := tokenize(args)
	if len(toks) == 0 {
		return ProgressSpec{}, parseErr(keyGoalIDMissing, nil)
	}
	toks = splitAfterID(args, toks)
	if !looksLikeGoalID(toks[0].text) {
		return ProgressSpec{}, parseErr(keyGoalIDMissing, nil)
	}
	id, ok := GoalID(toks[0].text)
	if !ok {
		return ProgressSpec{}, quoteErr(keyGoalIDInvalid, toks[0].text)
	}
	spec := ProgressSpec{GoalID: id}
	if len(toks) < 2 {
		return ProgressSpec{}, parseErr(keyProgressValueMiss, map[string]any{"ID": id})
	}
	v, rest, err := leadingValue(toks[1])
	if err != nil {
		if st, _ := leadingStatus(args, toks[1:]); st != "" {
			// "G2 at risk": a status with no value before it.
			return ProgressSpec{}, parseErr(keyProgressStatusFirst, map[string]any{"ID": id})
		}
		return ProgressSpec{}, err
	}
	spec.Value = v
	toks = toks[2:]
	if rest = trimTokenStart(rest); rest.text != "" {
		toks = append([]token{rest}, toks...)
	}
	spec.Status, toks = leadingStatus(args, toks)
	if len(toks) > 0 {
		spec.Note = trimSeparators(args[toks[0].start:])
	}
	return spec, nil
}

// splitAfterID separates "G7:" or "G7：2.6%" into the id and what follows.
func splitAfterID(s string, toks []token) []token {
	t := toks[0]
	i := strings.IndexFunc(t.text, func(r rune) bool { return strings.ContainsRune(":：,，", r) })
	if i <= 0 {
		return toks
	}
	id := token{text: t.text[:i], start: t.start, end: t.start + i}
	_, n := utf8.DecodeRuneInString(t.text[i:])
	out := []token{id}
	if t.start+i+n < t.end {
		out = append(out, token{text: s[t.start+i+n : t.end], start: t.start + i + n, end: t.end})
	}
	return append(out, toks[1:]...)
}

// leadingValue reads the value at the start of tok, also when a note or
// status is glued to it ("50%，进展顺利", "50%完成"): it takes the longest
// prefix that ends before a Chinese character or punctuation and reads as a
// value. rest is what follows the value.
func leadingValue(tok token) (Value, token, error) {
	v, err := ParseValue(tok.text)
	if err == nil {
		return v, token{}, nil
	}
	found := false
	var rest token
	for i, r := range tok.text {
		if i > maxValueToken {
			break
		}
		if i == 0 || strings.ContainsRune("%.,‰$¥+-", r) || !isHan(r) && !unicode.IsPunct(r) && !unicode.IsSymbol(r) {
			continue
		}
		if pv, perr := ParseValue(tok.text[:i]); perr == nil {
			v, found = pv, true
			rest = token{text: tok.text[i:], start: tok.start + i, end: tok.end}
		}
	}
	if !found {
		return Value{}, token{}, err
	}
	return v, rest, nil
}

// maxValueToken bounds how far into a word a glued value is looked for.
const maxValueToken = 64

// trimTokenStart drops the separators a glued remainder starts with ("，进展顺利").
func trimTokenStart(t token) token {
	trimmed := strings.TrimLeftFunc(t.text, func(r rune) bool { return isSep(r) || strings.ContainsRune(",，:：;；、-—–·|", r) })
	t.start += len(t.text) - len(trimmed)
	t.text = trimmed
	return t
}

// leadingStatus reads a stated status from the start of toks.
func leadingStatus(s string, toks []token) (Status, []token) {
	if len(toks) == 0 {
		return "", toks
	}
	w := strings.TrimRightFunc(fold(toks[0].text), unicode.IsPunct)
	if len(toks) > 1 {
		pair := w + " " + strings.TrimRightFunc(fold(toks[1].text), unicode.IsPunct)
		if st, ok := statusPairs[pair]; ok {
			return st, toks[2:]
		}
	}
	if st, ok := statusWords[w]; ok {
		return st, toks[1:]
	}
	for _, hs := range hanStatuses {
		rest, ok := strings.CutPrefix(toks[0].text, hs)
		if !ok {
			continue
		}
		r, _ := utf8.DecodeRuneInString(rest)
		if !unicode.IsPunct(r) {
			continue
		}
		start := toks[0].start + len(hs)
		return statusWords[hs], append([]token{{text: s[start:toks[0].end], start: start, end: toks[0].end}}, toks[1:]...)
	}
	return "", toks
}

// MatchProgress reads a plain chat message as a progress update when it is
// one: it starts with a goal id followed by a value ("G7 2.6% shipped the
// new payment page"). ok is false for anything else, so a message is parsed
// once: the caller records spec without reading the text again.
func MatchProgress(text string) (ProgressSpec, bool) {
	// Most chat messages are not updates: decide those from the first letter.
	first, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(text, isSep))
	if r := foldRune(first); r != 'g' {
		return ProgressSpec{}, false
	}
	toks := tokenize(text)
	if len(toks) == 0 || !looksLikeGoalID(toks[0].text) {
		return ProgressSpec{}, false
	}
	spec, err := ParseProgress(text)
	return spec, err == nil
}

// LooksLikeProgress reports whether MatchProgress would read text as a
// progress update, for callers that only route on it.
func LooksLikeProgress(text string) bool {
	_, ok := MatchProgress(text)
	return ok
}
