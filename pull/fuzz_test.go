package pull

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParsePath: no path makes the parser or the walk panic, a parsed path
// is bounded, and a document built along the path yields its number.
//
//	go test ./pull -run '^$' -fuzz FuzzParsePath -fuzztime 20s
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"data.conversion.rate", "$.series[0].value", "a[0][1]", "", ".", "a..b", "a[", "a[-1]", "a[x]", "[0]", "a]b", "a[0]b", strings.Repeat("a.", 40)} {
		f.Add(s, `{"data":{"conversion":{"rate":2.6}},"series":[{"value":"3"}],"a":[[1,2]]}`)
	}
	f.Fuzz(func(t *testing.T, path, doc string) {
		p, err := ParsePath(path)
		if err != nil {
			return
		}
		if len(p) == 0 || len(p) > maxPathSteps+1 {
			t.Fatalf("path %q parsed to %d steps", path, len(p))
		}
		var v any
		if json.Unmarshal([]byte(doc), &v) == nil {
			_, _ = p.Number(v) // must not panic
		}
		// Build the document the path describes and read it back.
		var build any = 4.5
		for i := len(p) - 1; i >= 0; i-- {
			if p[i].isIdx && p[i].index > 1000 {
				return
			}
			if p[i].isIdx {
				arr := make([]any, p[i].index+1)
				arr[p[i].index] = build
				build = arr
			} else {
				build = map[string]any{p[i].key: build}
			}
		}
		if n, err := p.Number(build); err != nil || n != 4.5 {
			t.Fatalf("path %q over its own document: %v, %v", path, n, err)
		}
	})
}
