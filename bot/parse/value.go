package parse

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxGoalNumber is the largest goal number in a goal id; longer ids are typos.
const maxGoalNumber = 99_999_999

// GoalID normalises "G7", "g7", "G07" and full-width "Ｇ７" to "G7", so one
// goal has one id however it is typed. ok is false for anything else,
// including G0 and numbers too long to be a real id.
func GoalID(s string) (string, bool) {
	f := fold(s)
	if len(f) < 2 || f[0] != 'g' {
		return "", false
	}
	digits := f[1:]
	if len(digits) > 12 {
		return "", false
	}
	n := 0
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return "", false
		}
		n = n*10 + int(c-'0')
	}
	if n == 0 || n > maxGoalNumber {
		return "", false
	}
	return "G" + strconv.Itoa(n), true
}

// looksLikeGoalID reports whether s is meant as a goal id ("G" and a digit),
// valid or not, so a wrong one gets a precise error.
func looksLikeGoalID(s string) bool {
	f := fold(s)
	return len(f) >= 2 && f[0] == 'g' && f[1] >= '0' && f[1] <= '9'
}

// Value is a number with an optional unit, as typed in a goal or an update.
// Units are labels ("3k" is 3 with unit "k", not 3000), so a goal's numbers
// read back the way its owner wrote them. A currency sign written before the
// number leads the unit ("¥500" is 500 "¥"; "$1.2m" is 1.2 "$m").
type Value struct {
	Number float64
	Unit   string
	// Relative is set for a change written with a sign: "+0.3", "-2".
	Relative bool
}

// String writes the value back as typed: sign, currency, number, unit
// ("+0.3", "¥500", "3k", "120 orders").
func (v Value) String() string {
	prefix, suffix := "", v.Unit
	if r, n := utf8.DecodeRuneInString(v.Unit); n > 0 && isCurrency(r) {
		prefix, suffix = v.Unit[:n], v.Unit[n:]
	}
	sign := ""
	num := v.Number
	if v.Relative {
		sign = "+"
		if num < 0 {
			sign, num = "-", -num
		}
	} else if num < 0 {
		sign, num = "-", -num
	}
	if r, _ := utf8.DecodeRuneInString(suffix); utf8.RuneCountInString(suffix) > 1 && r < utf8.RuneSelf && unicode.IsLetter(r) {
		suffix = " " + suffix
	}
	return sign + prefix + strconv.FormatFloat(num, 'f', -1, 64) + suffix
}

// maxValue bounds numbers so they stay exact enough to compare and print.
const maxValue = 1e15

func isCurrency(r rune) bool {
	return r == '¥' || r == '$' || r == '€' || r == '£' || r == '₩' || r == '₹'
}

// ParseValue reads one token as a number with an optional unit: "2.6%",
// "+0.3", "-5", "3k", "¥500", "$1.2", "1,200", "120orders", "50万".
// Full-width digits and signs are accepted. It rejects empty input, NaN,
// infinities, numbers beyond ±1e15 and anything that is not a number.
func ParseValue(tok string) (Value, error) {
	s := strings.TrimSpace(fold(tok))
	if s == "" {
		return Value{}, parseErr(keyValueMissing, nil)
	}
	var v Value
	var prefix string
	negative := false
	// Sign and currency, in either order: "-$5", "$-5".
	for i := 0; i < 2 && s != ""; i++ {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case (r == '+' || r == '-') && !v.Relative:
			v.Relative = true
			negative = r == '-'
			s = s[n:]
		case isCurrency(r) && prefix == "":
			prefix = string(r)
			s = s[n:]
		}
	}
	num, rest, ok := scanNumber(s)
	if !ok {
		return Value{}, quoteErr(keyValueInvalid, tok)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return Value{}, quoteErr(keyValueInvalid, tok)
	}
	if f > maxValue {
		return Value{}, quoteErr(keyValueTooLarge, tok)
	}
	if negative && f != 0 {
		f = -f
	}
	v.Number = f
	if rest != "" && rest != "%" && rest != "‰" && !isWord(rest) {
		return Value{}, quoteErr(keyValueInvalid, tok)
	}
	if utf8.RuneCountInString(rest) > maxUnitLen {
		return Value{}, quoteErr(keyValueInvalid, tok)
	}
	// Keep the unit as typed (case and script), not folded.
	v.Unit = prefix + unitAsTyped(tok, rest)
	return v, nil
}

// maxUnitLen bounds a unit word; anything longer is a sentence, not a unit.
const maxUnitLen = 20

// unitAsTyped returns the last len(folded) characters of tok, which are the
// unit as the user wrote it ("Orders", not "orders"), with full-width
// symbols such as "％" made plain.
func unitAsTyped(tok, folded string) string {
	if folded == "" {
		return ""
	}
	r := []rune(strings.TrimSpace(tok))
	n := utf8.RuneCountInString(folded)
	if n > len(r) {
		return folded
	}
	unit := r[len(r)-n:]
	for i, c := range unit {
		if c >= 0xFF01 && c <= 0xFF5E && !unicode.IsLetter(c) {
			unit[i] = c - 0xFEE0
		}
	}
	return string(unit)
}

// maxDigits bounds the digits of a number, leading zeros of its whole
// part aside: ".5" and "0.5", which Value.String writes it as, count the
// same.
const maxDigits = 30

// scanNumber reads a plain decimal number ("1,200.5", ".5", "3") from the
// start of s and returns it without thousands separators and the rest.
func scanNumber(s string) (num, rest string, ok bool) {
	var b strings.Builder
	i := 0
	digits, leadingZeros := 0, 0
	group := -1 // digits since the last thousands comma, -1 before any comma
	for i < len(s) {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
			if c == '0' && digits == leadingZeros {
				leadingZeros++
			}
			digits++
			if group >= 0 {
				group++
			}
			i++
			continue
		case c == ',' && digits > 0 && (group == -1 && digits <= 3 || group == 3) && hasGroup(s[i+1:]):
			group = 0
			i++
			continue
		}
		break
	}
	if group >= 0 && group != 3 {
		return "", "", false
	}
	if i < len(s) && s[i] == '.' {
		frac := 0
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			frac++
			j++
		}
		if frac > 0 {
			b.WriteByte('.')
			b.WriteString(s[i+1 : j])
			digits += frac
			i = j
		}
	}
	if digits == 0 || digits-leadingZeros > maxDigits {
		return "", "", false
	}
	return b.String(), s[i:], true
}

// hasGroup reports whether s starts with exactly three digits, the group
// after a thousands comma.
func hasGroup(s string) bool {
	if len(s) < 3 {
		return false
	}
	for k := 0; k < 3; k++ {
		if s[k] < '0' || s[k] > '9' {
			return false
		}
	}
	return len(s) == 3 || s[3] < '0' || s[3] > '9'
}

// notUnits are words that follow a value but are not its unit: clause
// keywords of the command language and status words.
var notUnits = map[string]bool{
	"by": true, "on": true, "at": true, "off": true, "from": true, "to": true, "under": true,
	"for": true, "due": true, "in": true, "until": true, "before": true, "team": true, "and": true,
	"track": true, "risk": true, "done": true, "of": true,
	"截止": true, "截至": true, "从": true, "到": true, "达到": true, "于": true, "隶属": true, "归属": true,
	"负责人": true, "团队": true, "正常": true, "顺利": true, "有风险": true, "风险": true, "落后": true, "偏离": true,
	"前": true, "之前": true,
}

// ParseValueWithUnit reads a value from tokens[0] and, when it has no unit
// yet, takes a following plain word as its unit ("120 orders", "50 万"),
// unless that word is a keyword ("by", "on", "截止"…), a status word or a
// goal id. used is how many tokens it read (1 or 2).
func ParseValueWithUnit(tokens []string) (Value, int, error) {
	if len(tokens) == 0 {
		return Value{}, 0, parseErr(keyValueMissing, nil)
	}
	v, err := ParseValue(tokens[0])
	if err != nil {
		return Value{}, 0, err
	}
	if v.Unit != "" || len(tokens) < 2 {
		return v, 1, nil
	}
	next := strings.TrimSpace(tokens[1])
	f := fold(next)
	switch {
	case f == "%" || f == "‰":
		v.Unit = f
		return v, 2, nil
	case isWord(next) && !notUnits[f] && !looksLikeGoalID(next) && utf8.RuneCountInString(next) <= maxUnitLen:
		v.Unit = next
		return v, 2, nil
	}
	return v, 1, nil
}
