// Package jobrun holds the records the scheduler keeps in storage: a run of
// a job, a delivery on the queue, a reservation of it, a send-rate rule.
// They live apart from both the scheduler and the store so that the
// scheduler can declare the storage it needs as interfaces of its own and
// the store can implement them, without either importing the other; only
// cmd joins the two.
package jobrun

import (
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// RunStatus is where a run is in its life.
type Status string

// Run statuses.
const (
	// RunPlanning: claimed; the owner is asking the service for the
	// deliveries. Another replica may take the run over once Lease passes.
	Planning Status = "planning"
	// RunSending: deliveries are on the queue.
	Sending Status = "sending"
	// RunDone: every delivery was sent (or found already sent).
	Done Status = "done"
	// RunDoneWithErrors: every delivery was settled, some failed for good.
	DoneWithErrors Status = "done-with-errors"
	// RunFailed: planning failed for good.
	Failed Status = "failed"
	// RunMissed: every process was down past the job's grace window; nothing was sent.
	Missed Status = "missed"
	// RunDayOff: the fire fell on a day off in the team's calendar; nothing was sent.
	DayOff Status = "day-off"
)

// Final reports whether the run will not change any more.
func (s Status) Final() bool {
	switch s {
	case Done, DoneWithErrors, Failed, Missed, DayOff:
		return true
	}
	return false
}

// RunRecord is one fire of one job for one team (and, for per-person jobs,
// one time zone): its claim and its outcome, kept for `/pulse status`.
type Record struct {
	ID     string
	Job    bot.Job
	TeamID string
	// Zone is the IANA zone the fire was computed in.
	Zone   string
	FireAt time.Time
	// Period is the ISO week of the fire in the team's zone.
	Period string
	// Manual is set for runs started by `pulse jobs run` or `/run`.
	Manual bool
	Status Status
	// Owner is the process that planned the run.
	Owner string
	// Lease is when another process may take over a run stuck in planning.
	Lease time.Time
	// Attempts counts claims of the fire: 1, plus one per takeover.
	Attempts int
	// Planned, Sent and Failed count deliveries; Deduped counts queue
	// entries found already sent (a retry after a crash).
	Planned, Sent, Failed, Deduped int
	Error                          string
	StartedAt, FinishedAt          time.Time
	// Repeat is set (never stored) on what RunNow returns when the fire
	// had already run to the end before it was asked: this call sent
	// nothing, and the counts are the earlier run's.
	Repeat bool
}

// Duration is how long the run took from claim to its last delivery; zero
// while it is not finished.
func (r Record) Duration() time.Duration {
	if r.FinishedAt.IsZero() || r.StartedAt.IsZero() {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

// ClaimMode says which existing records a claim may replace.
type ClaimMode int

// Claim modes.
const (
	// ClaimNew takes only a fire nobody claimed, or a run stuck in planning
	// whose lease has passed (its owner died).
	ClaimNew ClaimMode = iota
	// ClaimManual also takes a fire that was recorded missed or day-off
	// (nothing was sent for it), or that ended done-with-errors or failed
	// (so a re-run retries what did not go out): an operator asked for it
	// explicitly. A run that ended done is never taken again.
	ClaimManual
)

// Outcome is what became of one delivery.
type Outcome string

// Delivery outcomes.
const (
	OutcomeSent    Outcome = "sent"
	OutcomeFailed  Outcome = "failed"
	OutcomeDeduped Outcome = "deduped"
)

// QueueEntry is one delivery on the stream.
type Entry struct {
	// ID is the stream entry id.
	ID    string
	RunID string
	// Delivery is the JSON of a bot.Delivery; empty when the entry was
	// deleted while still pending (it was settled by another worker).
	Delivery []byte
}

// ReserveState is what Reserve found.
type ReserveState int

// Reserve states.
const (
	// Reserved: the caller holds the delivery until its lease deadline and should send it.
	Reserved ReserveState = iota
	// AlreadySent: the delivery was sent before (a duplicate entry or a
	// crash after sending); the caller acknowledges without sending.
	AlreadySent
	// AlreadyFailed: the delivery failed for good before.
	AlreadyFailed
	// Busy: another worker holds the delivery and its lease has not passed;
	// the caller leaves the entry pending and looks again later.
	Busy
	// Exhausted: the delivery used up its attempts; Reserve marked it
	// failed and counted it in its run.
	Exhausted
)

func (s ReserveState) String() string {
	return [...]string{"reserved", "already-sent", "already-failed", "busy", "exhausted"}[s]
}

// Reservation is Reserve's answer.
type Reservation struct {
	State ReserveState
	// Attempt is the number of this attempt (1 for the first) when Reserved.
	Attempt int
	// Until is when a Busy holder's lease passes.
	Until time.Time
}

// MarkerArgs say which delivery a marker call is about and how long markers live.
type MarkerArgs struct {
	TeamID string
	// Key is bot.Delivery.Key.
	Key   string
	RunID string
	Now   time.Time
	// TTL is how long a settled marker is kept; a repeat of the delivery
	// within it is not sent again.
	TTL time.Duration
}

// RateRule is one limit: at most one send per Interval on average, with up
// to Burst sends at once after a quiet spell.
type RateRule struct {
	// Name tells rules of one scope apart: "app", or "to:<conversation>".
	Name     string
	Interval time.Duration
	Burst    int
}
