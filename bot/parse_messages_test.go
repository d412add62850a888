package bot

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/pulse-bot/pulse/bot/parse"
)

var reParsePlaceholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

// TestParseMessagesRender renders every error the parser can return in both
// languages through the catalogue, filling each placeholder the English
// message names, and fails on a missing key or an unfilled placeholder.
func TestParseMessagesRender(t *testing.T) {
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	b, err := fs.ReadFile(localeFiles, "locales/parse.en.yaml")
	if err != nil {
		t.Fatal(err)
	}
	en := map[string]string{}
	if err := yaml.Unmarshal(b, &en); err != nil {
		t.Fatal(err)
	}
	for _, k := range parse.ErrorKeys() {
		data := map[string]any{}
		for _, m := range reParsePlaceholder.FindAllStringSubmatch(en[k], -1) {
			data[m[1]] = "X1"
		}
		for _, l := range []Locale{English, Chinese} {
			got := c.T(l, k, data)
			if got == k || strings.Contains(got, "<no value>") || strings.Contains(got, "{{") {
				t.Errorf("%s %s renders %q", l, k, got)
			}
		}
	}
}
