package main

import (
	"fmt"
	"runtime"
	"slices"
	"syscall"
	"time"
)

// stallNap is the sleep the stall meter asks for, again and again.
const stallNap = 100 * time.Microsecond

// stalls is how late an idle machine woke a sleeping thread.
type stalls struct {
	naps                 int
	p99, p999, worst     time.Duration
	overOneMs, overTwoMs int
	span                 time.Duration
}

// measureStalls sleeps stallNap again and again for d on a thread of its
// own while nothing else of the bench runs, and records how late each
// sleep woke (Linux's timer slack, 50 µs, included). It is background for
// reading the figures after it: a machine (or the hypervisor under it)
// that leaves even an idle thread waiting for milliseconds shows it here,
// before any load; it is no bound on a p99 under load.
func measureStalls(d time.Duration) stalls {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	nap := syscall.NsecToTimespec(stallNap.Nanoseconds())
	var late []time.Duration
	for end := time.Now().Add(d); time.Now().Before(end); {
		start := time.Now()
		_ = syscall.Nanosleep(&nap, nil)
		late = append(late, time.Since(start)-stallNap)
	}
	if len(late) == 0 {
		return stalls{span: d}
	}
	slices.Sort(late)
	s := stalls{naps: len(late), span: d, worst: late[len(late)-1],
		p99: late[len(late)*99/100], p999: late[len(late)*999/1000]}
	for _, l := range late {
		if l > time.Millisecond {
			s.overOneMs++
		}
		if l > 2*time.Millisecond {
			s.overTwoMs++
		}
	}
	return s
}

func (s stalls) String() string {
	if s.naps == 0 {
		return "no sleep measured in " + s.span.String()
	}
	return fmt.Sprintf("%d sleeps of %s in %s woke late by p99 %.2f ms, p99.9 %.2f ms, at worst %.2f ms; %d over 1 ms (%.1f/s), %d over 2 ms",
		s.naps, stallNap, s.span, ms(s.p99), ms(s.p999), ms(s.worst), s.overOneMs, float64(s.overOneMs)/s.span.Seconds(), s.overTwoMs)
}
