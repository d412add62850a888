package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestServeCollectsGarbageLessOftenUnlessGOGCIsSet(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)

	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Errorf("GC percent %d without GOGC, want %d", got, serveGCPercent)
	}
	tuneGC(func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent %d with GOGC set, want the operator's (left at 100 here)", got)
	}
}

func TestServeRunsTwiceTheProcessorsUnlessGOMAXPROCSIsSet(t *testing.T) {
	defer runtime.SetDefaultGOMAXPROCS()
	runtime.SetDefaultGOMAXPROCS()
	base := runtime.GOMAXPROCS(0)

	tuneProcs(func(string) string { return "" })
	tuneProcs(func(string) string { return "" }) // a second serve in the same process
	if got := runtime.GOMAXPROCS(0); got != serveProcsPerCPU*base {
		t.Errorf("GOMAXPROCS %d without the variable (default %d), want %d", got, base, serveProcsPerCPU*base)
	}
	runtime.GOMAXPROCS(base + 1) // as an operator's GOMAXPROCS would have set it
	tuneProcs(func(k string) string {
		if k == "GOMAXPROCS" {
			return "3"
		}
		return ""
	})
	if got := runtime.GOMAXPROCS(0); got != base+1 {
		t.Errorf("GOMAXPROCS %d with the variable set, want the operator's %d", got, base+1)
	}
}
