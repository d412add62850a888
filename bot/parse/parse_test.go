package parse

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// localeFiles are the core's message files, where the parse errors' messages live.
var localeFiles = os.DirFS("../locales")

// parseMessages reads one parse message file into key → template.
func parseMessages(tb testing.TB, lang string) map[string]string {
	tb.Helper()
	b, err := fs.ReadFile(localeFiles, "parse."+lang+".yaml")
	if err != nil {
		tb.Fatalf("read parse.%s.yaml: %v", lang, err)
	}
	m := map[string]string{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		tb.Fatalf("parse parse.%s.yaml: %v", lang, err)
	}
	return m
}

var rePlaceholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func placeholders(tmpl string) []string {
	var out []string
	for _, m := range rePlaceholder.FindAllStringSubmatch(tmpl, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	return out
}

func TestParseMessagesInBothLanguages(t *testing.T) {
	en, zh := parseMessages(t, "en"), parseMessages(t, "zh")
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("key %q is in parse.en.yaml but not in parse.zh.yaml", k)
		}
	}
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("key %q is in parse.zh.yaml but not in parse.en.yaml", k)
		}
	}
	for k, tmpl := range en {
		if got, want := placeholders(zh[k]), placeholders(tmpl); !reflect.DeepEqual(got, want) {
			t.Errorf("key %q: zh fills %v, en fills %v", k, got, want)
		}
		if !strings.ContainsFunc(zh[k], isHan) {
			t.Errorf("key %q: the Chinese message has no Chinese: %q", k, zh[k])
		}
	}
}

func TestParseErrorKeysAreExactlyTheMessageFile(t *testing.T) {
	en := parseMessages(t, "en")
	for _, k := range parseErrorKeys {
		if _, ok := en[k]; !ok {
			t.Errorf("parser key %q has no message", k)
		}
	}
	for k := range en {
		if !slices.Contains(parseErrorKeys, k) {
			t.Errorf("message %q is not a parser key: remove it or list it in parseErrorKeys", k)
		}
	}
}

func TestParseKeysDefinedNowhereElse(t *testing.T) {
	files, err := fs.Glob(localeFiles, "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasPrefix(path.Base(f), "parse.") {
			continue
		}
		b, err := fs.ReadFile(localeFiles, f)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, k := range parseErrorKeys {
			if _, dup := m[k]; dup {
				t.Errorf("%s redefines parser message %q", f, k)
			}
		}
	}
}

var (
	parseTemplatesOnce sync.Once
	parseTemplates     map[string]string
)

// checkParseError fails unless err is a *Error with a known key whose
// Data fills every placeholder of its message. Fuzzers and table tests use it.
func checkParseError(t *testing.T, err error) *Error {
	t.Helper()
	parseTemplatesOnce.Do(func() { parseTemplates = parseMessages(t, "en") })
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *Error", err, err)
	}
	tmpl, ok := parseTemplates[pe.Key]
	if !ok || !slices.Contains(parseErrorKeys, pe.Key) {
		t.Fatalf("unknown parse error key %q", pe.Key)
	}
	for _, p := range placeholders(tmpl) {
		v, ok := pe.Data[p]
		if !ok {
			t.Fatalf("%s: Data lacks %s (has %v)", pe.Key, p, slices.Collect(maps.Keys(pe.Data)))
		}
		if s, isStr := v.(string); isStr && len([]rune(s)) > parseQuoteMax {
			t.Fatalf("%s: quoted %s is %d characters, want ≤ %d", pe.Key, p, len([]rune(s)), parseQuoteMax)
		}
	}
	if pe.Error() != "parse: "+pe.Key {
		t.Fatalf("Error() = %q", pe.Error())
	}
	return pe
}

// wantKey asserts err is a Error with key; an empty key means no error.
func wantKey(t *testing.T, err error, key string) {
	t.Helper()
	if key == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want %s", key)
	}
	if pe := checkParseError(t, err); pe.Key != key {
		t.Fatalf("error key %s, want %s (data %v)", pe.Key, key, pe.Data)
	}
}

func TestTokens(t *testing.T) {
	m := Mention("slack:T1:U1")
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   \t\n", nil},
		{"goal new  Title", []string{"goal", "new", "Title"}},
		{"目标\u3000新建\u3000提升", []string{"目标", "新建", "提升"}},
		{"a\u00a0b\u200bc", []string{"a", "b", "c"}},
		{"kudos " + m + "thanks", []string{"kudos", m, "thanks"}},
		{"点赞" + m + m + "谢谢🎉", []string{"点赞", m, m, "谢谢🎉"}},
		{"(" + m + "),", []string{"(", m, "),"}},
		{"<@>x <@a b> <@a@b>", []string{"<@>x", "<@a", "b>", "<@a@b>"}},
		{"<@unterminated", []string{"<@unterminated"}},
		{"emoji 👍🏽 ok", []string{"emoji", "👍🏽", "ok"}},
	}
	for _, tt := range tests {
		if got := Tokens(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestGoalID(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"G7", "G7", true},
		{"g7", "G7", true},
		{"Ｇ７", "G7", true},
		{"ｇ１２", "G12", true},
		{"G007", "G7", true},
		{"G99999999", "G99999999", true},
		{"G0", "", false},
		{"G000", "", false},
		{"G100000000", "", false},
		{"G1234567890123", "", false},
		{"G", "", false},
		{"G7a", "", false},
		{"G-7", "", false},
		{"H7", "", false},
		{"7", "", false},
		{"", "", false},
		{"G７", "G7", true},
	}
	for _, tt := range tests {
		got, ok := GoalID(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("GoalID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseValue(t *testing.T) {
	tests := []struct {
		in   string
		want Value
		key  string
	}{
		{in: "2.6%", want: Value{Number: 2.6, Unit: "%"}},
		{in: "+0.3", want: Value{Number: 0.3, Relative: true}},
		{in: "-5", want: Value{Number: -5, Relative: true}},
		{in: "−5", want: Value{Number: -5, Relative: true}},
		{in: "3k", want: Value{Number: 3, Unit: "k"}},
		{in: "¥500", want: Value{Number: 500, Unit: "¥"}},
		{in: "￥500", want: Value{Number: 500, Unit: "¥"}},
		{in: "$1.2", want: Value{Number: 1.2, Unit: "$"}},
		{in: "$1.2m", want: Value{Number: 1.2, Unit: "$m"}},
		{in: "-$5", want: Value{Number: -5, Unit: "$", Relative: true}},
		{in: "$-5", want: Value{Number: -5, Unit: "$", Relative: true}},
		{in: "1,200", want: Value{Number: 1200}},
		{in: "1,234,567.5", want: Value{Number: 1234567.5}},
		{in: "1，200", want: Value{Number: 1200}},
		{in: ".5", want: Value{Number: 0.5}},
		{in: "120orders", want: Value{Number: 120, Unit: "orders"}},
		{in: "120Orders", want: Value{Number: 120, Unit: "Orders"}},
		{in: "50万", want: Value{Number: 50, Unit: "万"}},
		{in: "120单", want: Value{Number: 120, Unit: "单"}},
		{in: "５０％", want: Value{Number: 50, Unit: "%"}},
		{in: "＋１．５", want: Value{Number: 1.5, Relative: true}},
		{in: "1e15", key: keyValueInvalid},
		{in: "1000000000000000", want: Value{Number: 1e15}},
		{in: "1000000000000001", key: keyValueTooLarge},
		{in: "99999999999999999999999999", key: keyValueTooLarge},
		{in: "", key: keyValueMissing},
		{in: "  ", key: keyValueMissing},
		{in: "NaN", key: keyValueInvalid},
		{in: "Inf", key: keyValueInvalid},
		{in: "+Inf", key: keyValueInvalid},
		{in: "abc", key: keyValueInvalid},
		{in: "1,20", key: keyValueInvalid},
		{in: "1,2000", key: keyValueInvalid},
		{in: "1234,567", key: keyValueInvalid},
		{in: "5.", key: keyValueInvalid},
		{in: "1.2.3", key: keyValueInvalid},
		{in: "--5", key: keyValueInvalid},
		{in: "+", key: keyValueInvalid},
		{in: "5%%", key: keyValueInvalid},
		{in: "5🎉", key: keyValueInvalid},
		{in: "0x10", key: keyValueInvalid},
		{in: "5abcdefghijklmnopqrstuvwxyz", key: keyValueInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseValue(tt.in)
			wantKey(t, err, tt.key)
			if tt.key == "" && got != tt.want {
				t.Fatalf("ParseValue(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestErrorsQuoteLongInputShort(t *testing.T) {
	_, err := ParseValue(strings.Repeat("x", 100))
	pe := checkParseError(t, err)
	if got := pe.Data["Text"].(string); got != strings.Repeat("x", parseQuoteMax-1)+"…" {
		t.Errorf("quoted %q", got)
	}
}

func TestValueString(t *testing.T) {
	tests := map[string]string{
		"2.6%": "2.6%", "+0.3": "+0.3", "-5": "-5", "¥500": "¥500", "$1.2m": "$1.2m",
		"3k": "3k", "120orders": "120 orders", "50万": "50万", "1,200": "1200",
	}
	for in, want := range tests {
		v, err := ParseValue(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.String(); got != want {
			t.Errorf("ParseValue(%q).String() = %q, want %q", in, got, want)
		}
	}
}

func TestParseValueWithUnit(t *testing.T) {
	tests := []struct {
		in   []string
		want Value
		used int
		key  string
	}{
		{in: []string{"120", "orders", "by", "Q3"}, want: Value{Number: 120, Unit: "orders"}, used: 2},
		{in: []string{"120", "单", "截止", "Q3"}, want: Value{Number: 120, Unit: "单"}, used: 2},
		{in: []string{"50", "%"}, want: Value{Number: 50, Unit: "%"}, used: 2},
		{in: []string{"3%", "orders"}, want: Value{Number: 3, Unit: "%"}, used: 1},
		{in: []string{"3", "by", "Q3"}, want: Value{Number: 3}, used: 1},
		{in: []string{"3", "on", "track"}, want: Value{Number: 3}, used: 1},
		{in: []string{"3", "截止"}, want: Value{Number: 3}, used: 1},
		{in: []string{"3", "G7"}, want: Value{Number: 3}, used: 1},
		{in: []string{"3", "orders,"}, want: Value{Number: 3}, used: 1},
		{in: []string{"3", "2026-12-31"}, want: Value{Number: 3}, used: 1},
		{in: []string{"3", "🎉"}, want: Value{Number: 3}, used: 1},
		{in: []string{"3"}, want: Value{Number: 3}, used: 1},
		{in: nil, key: keyValueMissing},
		{in: []string{"x", "orders"}, key: keyValueInvalid},
	}
	for _, tt := range tests {
		got, used, err := ParseValueWithUnit(tt.in)
		wantKey(t, err, tt.key)
		if tt.key == "" && (got != tt.want || used != tt.used) {
			t.Errorf("ParseValueWithUnit(%q) = %+v, %d; want %+v, %d", tt.in, got, used, tt.want, tt.used)
		}
	}
}
