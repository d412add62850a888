package main

import (
	"context"
	"fmt"
	"runtime"
	"time"
)

// Targets of issue 11.
const (
	targetAckRatio  = 0.8
	targetP99       = 2 * time.Millisecond
	targetProcessed = 3000.0
)

// bench drives Pulse and the bare floor with the same load.
type bench struct {
	o     options
	world *world
	slack *fakeSlack
	pulse string
	bare  string
	// pid is serve's process, whose CPU time per event the bench reports:
	// a figure the other load on a shared machine changes far less than rates.
	pid int
}

// scenario is a set of goals the events are spread over.
type scenario struct {
	name  string
	goals []string
}

// result is one scenario's figures.
type result struct {
	pulseFlat, bareFlat     *sent
	pulsePaced, barePaced   *sent
	events                  int
	processedRate           float64
	drainAfterAck           time.Duration
	cpuPerEvent             time.Duration
	acked, processed        int
	lost, doubled, reaction int
}

func (b *bench) eventsFor(sc scenario, n int) []event {
	out := make([]event, n)
	for i := range out {
		out[i] = newEvent(sc.goals[i%len(sc.goals)])
	}
	return out
}

// warmUpEvents is how many events warm both servers up before the first
// scenario, not counted anywhere.
const warmUpEvents = 2000

// warmUp sends both servers a flat-out run that is not measured, and
// waits for Pulse to process it: connections, pools and the heap grow to
// their working size, as in a serve that has been running, so the first
// scenario is not the only one to pay for that.
func (b *bench) warmUp(sc scenario) {
	flatOut(b.bare, b.eventsFor(sc, warmUpEvents), b.o.concurrency)
	warm := flatOut(b.pulse, b.eventsFor(sc, warmUpEvents), b.o.concurrency)
	b.drain(warm.acked, time.Now())
}

func (b *bench) scenario(sc scenario) (*result, error) {
	r := &result{events: b.o.events}
	r.bareFlat = flatOut(b.bare, b.eventsFor(sc, b.o.events), b.o.concurrency)

	cpu0, err := cpuTime(b.pid)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	r.pulseFlat = flatOut(b.pulse, b.eventsFor(sc, b.o.events), b.o.concurrency)
	lastAck := time.Now()
	done := b.drain(r.pulseFlat.acked, lastAck)
	r.drainAfterAck = done.Sub(lastAck)
	cpu1, err := cpuTime(b.pid)
	if err != nil {
		return nil, err
	}
	r.cpuPerEvent = (cpu1 - cpu0) / time.Duration(max(1, len(r.pulseFlat.acked)))
	r.processedRate = float64(b.slack.reacted(tssOf(r.pulseFlat.acked))) / done.Sub(start).Seconds()

	n := int(b.o.paced.Seconds() * float64(b.o.rate))
	r.barePaced = paced(b.bare, b.eventsFor(sc, n), b.o.rate)
	r.pulsePaced = paced(b.pulse, b.eventsFor(sc, n), b.o.rate)
	b.drain(r.pulsePaced.acked, time.Now())

	recorded, err := b.world.recorded(context.Background(), sc.goals)
	if err != nil {
		return nil, err
	}
	for _, ev := range append(r.pulseFlat.acked, r.pulsePaced.acked...) {
		r.acked++
		switch n := recorded[ev.ts]; {
		case n > 1:
			r.doubled++
		case n == 1 && b.slack.reactionsTo(ev.ts) > 0:
			r.processed++
		default:
			r.lost++
		}
		if b.slack.reactionsTo(ev.ts) > 1 {
			r.reaction++
		}
	}
	return r, nil
}

// drain waits until every acked event got its reaction, or the drain time
// after the last ack passed, and returns when it stopped.
func (b *bench) drain(acked []event, lastAck time.Time) time.Time {
	all := b.slack.await(tssOf(acked))
	deadline := time.NewTimer(time.Until(lastAck.Add(b.o.drain)))
	defer deadline.Stop()
	select {
	case <-all:
	case <-deadline.C:
	}
	return time.Now()
}

func tssOf(events []event) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.ts
	}
	return out
}

func (r *result) print(name string) {
	pf, bf := r.pulseFlat.ackRate(r.events), r.bareFlat.ackRate(r.events)
	fmt.Printf("\n%s\n", name)
	fmt.Printf("  ack flat out:      pulse %7.0f/s   bare %7.0f/s   ratio %.2f (target >= %.1f)\n", pf, bf, pf/bf, targetAckRatio)
	fmt.Printf("  p99 ack at %d/s: pulse %7.2f ms  bare %7.2f ms  (p50 %.2f / %.2f ms; target < %s)\n", r.pulsePaced.countRate(),
		ms(r.pulsePaced.p(0.99)), ms(r.barePaced.p(0.99)), ms(r.pulsePaced.p(0.5)), ms(r.barePaced.p(0.5)), targetP99)
	fmt.Printf("  processed:         %7.0f/s (recorded and reacted, first send to last processed; backlog drained %s after the last ack; target >= %.0f/s)\n",
		r.processedRate, r.drainAfterAck.Round(time.Millisecond), targetProcessed)
	fmt.Printf("  serve's CPU time:  %7.0f µs per event (acknowledged and processed, flat-out run)\n", float64(r.cpuPerEvent.Nanoseconds())/1000)
	fmt.Printf("  events: %d acked, %d processed, lost %d (acked, not processed by the end of the drain), doubled %d, refused %d (pulse) / %d (bare), reacted twice %d\n",
		r.acked, r.processed, r.lost, r.doubled, r.pulseFlat.refused+r.pulsePaced.refused, r.bareFlat.refused+r.barePaced.refused, r.reaction)
}

// misses lists the targets the scenario missed.
func (r *result) misses(name string) []string {
	var out []string
	if ratio := r.pulseFlat.ackRate(r.events) / r.bareFlat.ackRate(r.events); ratio < targetAckRatio {
		out = append(out, fmt.Sprintf("ack ratio %.2f < %.1f: %s", ratio, targetAckRatio, name))
	}
	if p := r.pulsePaced.p(0.99); p >= targetP99 {
		out = append(out, fmt.Sprintf("p99 ack %.2f ms >= %s: %s", ms(p), targetP99, name))
	}
	if r.processedRate < targetProcessed {
		out = append(out, fmt.Sprintf("processed %.0f/s < %.0f/s: %s", r.processedRate, targetProcessed, name))
	}
	if r.lost > 0 {
		out = append(out, fmt.Sprintf("lost %d: %s", r.lost, name))
	}
	if r.doubled > 0 {
		out = append(out, fmt.Sprintf("doubled %d: %s", r.doubled, name))
	}
	if n := r.bareFlat.refused + r.barePaced.refused; n > 0 {
		out = append(out, fmt.Sprintf("floor refused %d: %s", n, name))
	}
	return out
}

// countRate is the paced run's rate as sent.
func (s *sent) countRate() int {
	return int(float64(len(s.latencies))/s.elapsed.Seconds() + 0.5)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func numCPU() int { return runtime.GOMAXPROCS(0) }
