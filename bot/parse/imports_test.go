package parse_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestParseImportsNothingFromTheCore lists every package bot/parse depends
// on and fails on any other Pulse package: the core imports the command
// language, never the reverse, so the grammar can be read, tested and
// fuzzed on its own.
func TestParseImportsNothingFromTheCore(t *testing.T) {
	const self = "github.com/pulse-bot/pulse/bot/parse"
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", self).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", self, err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps bot/parse listed nothing")
	}
	for _, dep := range deps {
		if strings.HasPrefix(dep, "github.com/pulse-bot/pulse") && dep != self {
			t.Errorf("bot/parse depends on %s; the parser must not import the core or any other Pulse package", dep)
		}
	}
}
