package scheduler_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The scheduler depends on storage through the interfaces it declares
// (RunLog, DeliveryQueue, SendPace); only cmd joins it to the Redis store.
// A direct or indirect import of the store, or of the Redis client, would
// tie the scheduler's rules to one storage again.
func TestSchedulerImportsNeitherStoreNorRedis(t *testing.T) {
	for _, pkg := range []string{"github.com/pulse-bot/pulse/scheduler", "github.com/pulse-bot/pulse/scheduler/jobrun"} {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) == 0 {
			t.Fatalf("go list -deps %s listed nothing", pkg)
		}
		for _, dep := range deps {
			if dep == "github.com/pulse-bot/pulse/store" || strings.Contains(dep, "go-redis") {
				t.Errorf("%s depends on %s; declare the storage it needs as an interface instead", pkg, dep)
			}
		}
	}
}
