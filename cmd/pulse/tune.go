package main

import (
	"runtime"
	"runtime/debug"
	"sync"
)

// serveGCPercent is serve's garbage-collection target unless GOGC is set.
// Serve keeps little alive (about 20 MB) and allocates per event, so Go's
// default (collect when the heap doubles) runs a collection several times
// a second under load, each one taking CPU time from the answers and
// showing in their slowest percentiles. Collecting when the heap has grown
// by 300 % costs about 25 MB more memory and measured, under pulse-bench,
// about a tenth less CPU time per event and a p99 acknowledgement at
// 1,000 events/s under 2 ms where the default gave 1.4–2.8 ms.
const serveGCPercent = 300

// tuneGC sets serve's garbage-collection target, leaving an operator's
// GOGC alone.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
}

// serveProcsPerCPU is how many goroutines serve runs at once per CPU Go
// found (GOMAXPROCS), unless GOMAXPROCS is set. A quarter of serve's CPU
// time is system calls (its Redis and platform connections), and a
// goroutine in one keeps its processor meanwhile; with twice as many,
// another runs Go code in that time. Measured under pulse-bench on 2
// cores, with Redis on the same machine: about a tenth more events
// processed a second, the same CPU time per event and no slower
// acknowledgements (README, Benchmarks).
const serveProcsPerCPU = 2

// procsMu makes tuneProcs one step: two serves starting together in one
// process (tests run replicas side by side) must not double twice.
var procsMu sync.Mutex

// tuneProcs sets serve's GOMAXPROCS to serveProcsPerCPU times Go's
// default for this machine or container, leaving an operator's
// GOMAXPROCS alone. It starts from the default each time, so calling it
// again does not multiply again. Setting it stops Go following a change
// of the container's CPU limit while serve runs; a restart picks the new
// limit up.
func tuneProcs(getenv func(string) string) {
	if getenv("GOMAXPROCS") != "" {
		return
	}
	procsMu.Lock()
	defer procsMu.Unlock()
	runtime.SetDefaultGOMAXPROCS()
	runtime.GOMAXPROCS(serveProcsPerCPU * runtime.GOMAXPROCS(0))
}
