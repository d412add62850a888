package bot_test

import (
	"os/exec"
	"strings"
	"testing"
)

// forbiddenImports are the packages the core must never depend on: chat
// platforms, Redis and cron belong to the adapters, the store and the
// scheduler, so the rules in bot stay testable and platform-neutral.
var forbiddenImports = []string{"slack-go", "larksuite", "redis", "robfig/cron", "miniredis"}

// TestBotImportsNoPlatformRedisOrCronPackage lists every package bot's
// non-test code depends on, directly or not, and fails on any forbidden one.
func TestBotImportsNoPlatformRedisOrCronPackage(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "github.com/pulse-bot/pulse/bot").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps bot: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps bot listed nothing")
	}
	for _, dep := range deps {
		for _, bad := range forbiddenImports {
			if strings.Contains(dep, bad) {
				t.Errorf("bot depends on %s (matches %q); keep platform, Redis and cron code out of the core", dep, bad)
			}
		}
	}
}

// TestForbiddenImportCheckCatchesStoreDependencies makes sure the check
// above can fail: the Redis client's own package list must trip it.
func TestForbiddenImportCheckCatchesStoreDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "github.com/redis/go-redis/v9").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps go-redis: %v\n%s", err, out)
	}
	found := false
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range forbiddenImports {
			if strings.Contains(dep, bad) {
				found = true
			}
		}
	}
	if !found {
		t.Error("the forbidden-import patterns did not match go-redis's own package list")
	}
}
