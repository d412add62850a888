package bot_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// chineseAllowed are the Latin words a Chinese sentence may hold: the
// product's name, ids and id prefixes, units, file formats and the names of
// standards a user types as they are.
var chineseAllowed = map[string]bool{
	"Pulse": true, "IANA": true, "cron": true, "csv": true, "json": true,
	"FR": true, "MON": true, "FRI": true,
}

// chineseVerbs start a command written in Chinese; its sub-commands and
// keywords must be Chinese too.
var chineseVerbs = regexp.MustCompile(`^/?(目标|评估|反馈|点赞|周报|记分卡|计分卡|帮助)(\s|$)`)

var (
	templateAction = regexp.MustCompile(`\{\{[^}]*\}\}`)
	codeSpan       = regexp.MustCompile("`[^`]*`|「[^」]*」")
	latinWord      = regexp.MustCompile(`[A-Za-z][A-Za-z_\-]*[A-Za-z]`)
	// envName is an environment variable's name (PULSE_WEB_URL): an id.
	envName = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
)

// englishWords lists the Latin words of a Chinese sentence that are not
// allowed: outside code spans every one not in chineseAllowed; inside a
// span, the words of a command whose verb is Chinese (its sub-commands and
// keywords); a span with an English command (/pulse, /as) or a value to
// type (`Asia/Shanghai`, `none`) is left as typed.
func englishWords(zh string) []string {
	zh = templateAction.ReplaceAllString(zh, "")
	var bad []string
	check := func(s string) {
		for _, w := range latinWord.FindAllString(s, -1) {
			if !chineseAllowed[w] && !envName.MatchString(w) {
				bad = append(bad, w)
			}
		}
	}
	for _, span := range codeSpan.FindAllString(zh, -1) {
		inner := strings.Trim(span, "`「」")
		if chineseVerbs.MatchString(inner) {
			check(inner)
		}
	}
	check(codeSpan.ReplaceAllString(zh, " "))
	return bad
}

// TestCatalogueChineseHasNoEnglishWords walks every catalogue key in both
// languages: each key of a part is in both its files, and no Chinese
// sentence holds an English word other than a command name, an id or a unit.
func TestCatalogueChineseHasNoEnglishWords(t *testing.T) {
	files, err := filepath.Glob("locales/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no locale files: %v", err)
	}
	parts := map[string]map[string]map[string]string{} // part → lang → key → text
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".yaml")
		part, lang, ok := strings.Cut(base, ".")
		if !ok {
			t.Fatalf("%s: name is not <part>.<lang>.yaml", f)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := yaml.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if parts[part] == nil {
			parts[part] = map[string]map[string]string{}
		}
		parts[part][lang] = m
	}
	var problems []string
	for part, langs := range parts {
		en, zh := langs["en"], langs["zh"]
		for k := range en {
			if _, ok := zh[k]; !ok {
				problems = append(problems, part+": "+k+" has no Chinese")
			}
		}
		for k, text := range zh {
			if _, ok := en[k]; !ok {
				problems = append(problems, part+": "+k+" has no English")
			}
			if bad := englishWords(text); len(bad) > 0 {
				problems = append(problems, part+": "+k+": English words "+strings.Join(bad, ", ")+" in “"+text+"”")
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

// TestEnglishWordsFindsMixedSentences keeps the checker honest: it flags
// the mixed sentences the issue found and passes the allowed ones.
func TestEnglishWordsFindsMixedSentences(t *testing.T) {
	for _, mixed := range []string{"Growth：holidays 已设为 cn。", "试试 `反馈 give @小李`", "「目标 修改 G7 due 2026-12-31」", "`/评估 start team <名称>`"} {
		if len(englishWords(mixed)) == 0 {
			t.Errorf("not flagged: %q", mixed)
		}
	}
	for _, fine := range []string{"用 `/评估 填写` 写自评", "{{.Team}}：{{.Key}}已设为 {{.Value}}。", "请使用 IANA 名称，例如 `Asia/Shanghai`", "「目标 G7 2.6%」", "输入 `/pulse 团队 设置`", "FR3 已关闭"} {
		if bad := englishWords(fine); len(bad) > 0 {
			t.Errorf("%q flagged for %v", fine, bad)
		}
	}
}
