package scheduler

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/scheduler/jobrun"
)

// readBatch is how many entries a worker takes per read.
const readBatch = 16

// completeTries is how often a worker tries to record a sent delivery
// before leaving it to its lease: a Redis blip there would otherwise mean
// sending it again.
const completeTries = 3

// work is one queue worker. It first finishes what its consumer name held
// before a restart, then takes new entries; when idle, and at least every
// Wake, it reclaims entries that a dead consumer left idle for ClaimIdle.
func (s *Scheduler) work(ctx context.Context, consumer string) {
	log := s.log.With().Str("consumer", consumer).Logger()
	if _, err := s.finishPending(ctx, consumer, log); err != nil {
		return
	}
	cursor := "0-0"
	lastReclaim := s.cfg.Clock.Now()
	for ctx.Err() == nil {
		entries, err := s.queue.Read(ctx, consumer, readBatch, s.timing.ReadBlock)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Error().Err(err).Msg("read queue")
			s.wait(ctx, s.timing.Backoff)
			continue
		}
		if now := s.cfg.Clock.Now(); len(entries) == 0 || now.Sub(lastReclaim) >= s.timing.Wake {
			lastReclaim = now
			more, next, err := s.queue.Reclaim(ctx, consumer, s.timing.ClaimIdle, cursor, readBatch)
			if err != nil && ctx.Err() == nil {
				log.Error().Err(err).Msg("reclaim queue entries")
			}
			cursor = next
			entries = append(entries, more...)
		}
		for _, e := range entries {
			if _, err := s.process(ctx, e, log); err != nil {
				return
			}
		}
	}
}

// finishPending processes the entries consumer already holds, oldest
// first. It returns how many it settled; an error means the worker must stop.
func (s *Scheduler) finishPending(ctx context.Context, consumer string, log zerolog.Logger) (int, error) {
	settled := 0
	after := "0"
	for ctx.Err() == nil {
		entries, err := s.queue.ReadPending(ctx, consumer, after, readBatch)
		if err != nil {
			log.Error().Err(err).Msg("read own pending entries")
			return settled, nil
		}
		if len(entries) == 0 {
			return settled, nil
		}
		for _, e := range entries {
			done, err := s.process(ctx, e, log)
			if err != nil {
				return settled, err
			}
			if done {
				settled++
			}
			after = e.ID
		}
	}
	return settled, ctx.Err()
}

// workOnce does one round of a worker without waiting: own pending entries,
// reclaimable ones, then new ones. It returns how many entries it settled.
func (s *Scheduler) workOnce(ctx context.Context, consumer string) (int, error) {
	log := s.log.With().Str("consumer", consumer).Logger()
	settled, err := s.finishPending(ctx, consumer, log)
	if err != nil {
		return settled, err
	}
	reclaimed, _, err := s.queue.Reclaim(ctx, consumer, s.timing.ClaimIdle, "0-0", readBatch)
	if err != nil {
		return settled, err
	}
	fresh, err := s.queue.Read(ctx, consumer, readBatch, -1)
	if err != nil {
		return settled, err
	}
	for _, e := range append(reclaimed, fresh...) {
		done, err := s.process(ctx, e, log)
		if err != nil {
			return settled, err
		}
		if done {
			settled++
		}
	}
	return settled, nil
}

// process sends one queue entry at most once, retrying failed sends with
// backoff up to MaxAttempts. It reports whether the entry was settled
// (acknowledged); an entry left pending is looked at again later. The only
// error is an injected crash or a stop, after which the worker must exit.
func (s *Scheduler) process(ctx context.Context, e jobrun.Entry, log zerolog.Logger) (bool, error) {
	bg := context.WithoutCancel(ctx)
	if len(e.Delivery) == 0 {
		return s.ack(bg, e, log), nil
	}
	d, err := decodeDelivery(e.Delivery)
	if err != nil {
		log.Error().Err(err).Str("entry", e.ID).Msg("unreadable queue entry dropped")
		return s.ack(bg, e, log), nil
	}
	log = log.With().Str("run", e.RunID).Str("delivery", d.Key).Logger()
	args := jobrun.MarkerArgs{TeamID: d.TeamID, Key: d.Key, RunID: e.RunID, TTL: s.timing.ClaimTTL}
	for {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		args.Now = s.cfg.Clock.Now()
		r, err := s.queue.Reserve(ctx, args, s.timing.SendLease, s.timing.MaxAttempts)
		if err != nil {
			log.Error().Err(err).Msg("reserve delivery")
			return false, nil
		}
		switch r.State {
		case jobrun.AlreadySent, jobrun.AlreadyFailed:
			return s.ack(bg, e, log), nil
		case jobrun.Busy:
			return false, nil
		case jobrun.Exhausted:
			log.Error().Int("attempts", r.Attempt).Msg("delivery failed for good")
			s.logIfFinished(bg, d.TeamID, e.RunID)
			return s.ack(bg, e, log), nil
		}
		if s.hooks.afterReserve != nil && s.hooks.afterReserve(d) {
			return false, errCrashed
		}
		sendErr := s.send(ctx, d)
		args.Now = s.cfg.Clock.Now()
		if sendErr == nil {
			return s.completed(bg, e, d, args, jobrun.OutcomeSent, log)
		}
		if ctx.Err() != nil {
			// Stopping: give the delivery back so the next worker sends it at once.
			if err := s.queue.Release(bg, args, r.Attempt); err != nil {
				log.Error().Err(err).Msg("release delivery")
			}
			return false, ctx.Err()
		}
		if r.Attempt >= s.timing.MaxAttempts {
			log.Error().Err(sendErr).Int("attempts", r.Attempt).Msg("delivery failed for good")
			return s.completed(bg, e, d, args, jobrun.OutcomeFailed, log)
		}
		wait := s.backoff(r.Attempt)
		var ra RetryAfterError
		if errors.As(sendErr, &ra) && ra.RetryAfter() > wait {
			wait = ra.RetryAfter()
		}
		log.Warn().Err(sendErr).Int("attempt", r.Attempt).Dur("retry_in", wait).Msg("delivery failed; retrying")
		if err := s.queue.Release(bg, args, r.Attempt); err != nil {
			log.Error().Err(err).Msg("release delivery")
			return false, nil
		}
		if !s.wait(ctx, wait) {
			return false, ctx.Err()
		}
	}
}

// maxInFlightSend bounds how long a stopping worker lets a send it already
// started finish.
const maxInFlightSend = 10 * time.Second

// send delivers d on a context that a stop does not cancel: the platform may
// already have accepted the message when the stop comes, and handing the
// delivery back then would send it twice. It is bounded, so a stop still ends.
func (s *Scheduler) send(ctx context.Context, d bot.Delivery) error {
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), min(s.timing.SendLease/2, maxInFlightSend))
	defer cancel()
	return s.cfg.Planner.Deliver(sendCtx, d)
}

// completed settles a delivery after its last attempt and acknowledges it.
func (s *Scheduler) completed(ctx context.Context, e jobrun.Entry, d bot.Delivery, args jobrun.MarkerArgs, outcome jobrun.Outcome, log zerolog.Logger) (bool, error) {
	var finished bool
	var err error
	for try := 1; try <= completeTries; try++ {
		if finished, err = s.queue.Complete(ctx, args, outcome); err == nil {
			break
		}
		if try < completeTries {
			s.wait(ctx, s.backoff(try))
		}
	}
	if err != nil {
		// The entry stays pending with its lease; once that passes it is
		// retried, which for a sent delivery sends it twice: log loudly.
		log.Error().Err(err).Str("outcome", string(outcome)).Msg("record delivery outcome")
		return false, nil
	}
	if finished {
		s.logFinished(ctx, d.TeamID, e.RunID)
	}
	if s.hooks.afterComplete != nil && s.hooks.afterComplete(d) {
		return false, errCrashed
	}
	return s.ack(ctx, e, log), nil
}

func (s *Scheduler) logIfFinished(ctx context.Context, teamID, runID string) {
	rec, err := s.runs.Get(ctx, teamID, runID)
	if err == nil && rec.Status.Final() && !rec.FinishedAt.IsZero() {
		s.logFinished(ctx, teamID, runID)
	}
}

func (s *Scheduler) ack(ctx context.Context, e jobrun.Entry, log zerolog.Logger) bool {
	if err := s.queue.Ack(ctx, e.ID); err != nil {
		log.Error().Err(err).Str("entry", e.ID).Msg("acknowledge queue entry")
		return false
	}
	return true
}

// backoff is the wait after the attempt-th failed send.
func (s *Scheduler) backoff(attempt int) time.Duration {
	d := s.timing.Backoff
	for i := 1; i < attempt && d < s.timing.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.timing.MaxBackoff)
}

// wait waits d on the injected After; false when ctx ended first.
func (s *Scheduler) wait(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-s.cfg.After(d):
		return true
	}
}
