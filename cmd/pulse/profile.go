package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles writes serve's CPU profile to PULSE_CPUPROFILE and its
// allocation profile to PULSE_MEMPROFILE (each only when set), so the time
// per event can be taken apart under a real load (pulse-bench). Off by
// default: nothing is sampled unless the operator asks. The returned stop
// ends the CPU profile and writes the allocation one; call it on shutdown.
func startProfiles(getenv func(string) string) (stop func() error, err error) {
	cpuPath, memPath := getenv("PULSE_CPUPROFILE"), getenv("PULSE_MEMPROFILE")
	var cpu *os.File
	if cpuPath != "" {
		if cpu, err = os.Create(cpuPath); err != nil {
			return nil, fmt.Errorf("PULSE_CPUPROFILE: %w", err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			_ = cpu.Close()
			return nil, fmt.Errorf("PULSE_CPUPROFILE: %w", err)
		}
	}
	return func() error {
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				return fmt.Errorf("PULSE_CPUPROFILE: %w", err)
			}
		}
		if memPath == "" {
			return nil
		}
		return writeAllocProfile(memPath)
	}, nil
}

// writeAllocProfile writes every allocation since start to path.
func writeAllocProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("PULSE_MEMPROFILE: %w", err)
	}
	runtime.GC()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		_ = f.Close()
		return fmt.Errorf("PULSE_MEMPROFILE: %w", err)
	}
	return f.Close()
}
