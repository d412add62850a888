package bot_test

import (
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestNoKeyIsDefinedInTwoLocaleFiles guards the per-area locale files: a key
// defined twice makes the catalogue pick one by file order, silently.
func TestNoKeyIsDefinedInTwoLocaleFiles(t *testing.T) {
	files, err := filepath.Glob("locales/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no locale files: %v", err)
	}
	seen := map[string]string{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		lang := filepath.Ext(f[:len(f)-len(".yaml")])
		for k := range m {
			if prev, ok := seen[lang+k]; ok {
				t.Errorf("key %s is defined in %s and %s", k, prev, f)
			}
			seen[lang+k] = f
		}
	}
}
