package main

import (
	"runtime"
	"sync"
	"testing"
)

// Two serves in one process (the replicas tests run two side by side,
// run(ctx, "serve", …)) tune GOMAXPROCS at the same moment: each resets
// the default, reads it and doubles it, and the second may read what the
// first already doubled. Serve should still end at twice the default,
// never four times.
func TestAdv23bServesStartingTogetherDoNotMultiplyGOMAXPROCS(t *testing.T) {
	defer runtime.SetDefaultGOMAXPROCS()
	runtime.SetDefaultGOMAXPROCS()
	base := runtime.GOMAXPROCS(0)
	for round := range 200 {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 2 {
			wg.Go(func() {
				<-start
				tuneProcs(func(string) string { return "" })
			})
		}
		close(start)
		wg.Wait()
		if got := runtime.GOMAXPROCS(0); got != serveProcsPerCPU*base {
			t.Fatalf("round %d: GOMAXPROCS %d after two serves started together (default %d), want %d: tuneProcs read the other's doubled value and doubled it again",
				round, got, base, serveProcsPerCPU*base)
		}
	}
}
