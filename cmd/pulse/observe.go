package main

import (
	"context"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/scheduler"
)

// The decorators below observe the core from outside: the adapters, the
// service and the scheduler know nothing of logs-per-event or metrics.

// observedHandler logs and measures every event the adapters hand the core.
// It logs the event key, platform, workspace, kind, outcome and latency;
// never the text, which is the user's message.
type observedHandler struct {
	next bot.Handler
	m    *metrics
	log  zerolog.Logger
	now  func() time.Time
}

// kindName labels an event kind.
func kindName(k bot.EventKind) string {
	switch k {
	case bot.KindCommand:
		return "command"
	case bot.KindMessage:
		return "message"
	case bot.KindAction:
		return "action"
	}
	return "other"
}

// workspaceOf is the platform workspace (Slack team, Feishu tenant) in a
// platform-qualified user id.
func workspaceOf(id bot.UserID) string {
	parts := strings.SplitN(string(id), ":", 3)
	if len(parts) != 3 {
		return ""
	}
	return parts[1]
}

// Handle passes ev on and records how it went.
func (h *observedHandler) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	start := h.now()
	resp, err := h.next.Handle(ctx, ev)
	took := h.now().Sub(start)
	platform, kind := string(ev.Platform), kindName(ev.Kind)
	h.m.eventsHandled.WithLabelValues(platform, kind, outcome(err)).Inc()
	h.m.handleSeconds.WithLabelValues(platform, kind).Observe(took.Seconds())
	var e *zerolog.Event
	if err != nil {
		e = h.log.Error().Err(err)
	} else {
		e = h.log.Info()
	}
	e.Str("event_id", ev.Key).Str("platform", platform).Str("team", workspaceOf(ev.User)).
		Str("kind", kind).Str("outcome", outcome(err)).Dur("latency", took)
	if ev.Kind == bot.KindAction {
		e = e.Str("action", ev.Action.ID)
	}
	e.Msg("event handled")
	return resp, err
}

// observedMessenger counts and times every platform send.
type observedMessenger struct {
	next bot.Messenger
	m    *metrics
	now  func() time.Time
}

// Send passes msg on and records the outcome.
func (o *observedMessenger) Send(ctx context.Context, to bot.Address, msg bot.Message, key string) (bot.MessageRef, error) {
	start := o.now()
	ref, err := o.next.Send(ctx, to, msg, key)
	o.m.apiCalls.WithLabelValues(string(to.Platform), outcome(err)).Inc()
	o.m.apiSeconds.WithLabelValues(string(to.Platform)).Observe(o.now().Sub(start).Seconds())
	return ref, err
}

// SendFile passes a file on (the digest's chart) and counts it like a send.
func (o *observedMessenger) SendFile(ctx context.Context, to bot.Address, f bot.File, key string) (bot.MessageRef, error) {
	files, ok := o.next.(bot.FileSender)
	if !ok {
		return bot.MessageRef{}, &bot.NoFileSenderError{Platform: to.Platform}
	}
	start := o.now()
	ref, err := files.SendFile(ctx, to, f, key)
	o.m.apiCalls.WithLabelValues(string(to.Platform), outcome(err)).Inc()
	o.m.apiSeconds.WithLabelValues(string(to.Platform)).Observe(o.now().Sub(start).Seconds())
	return ref, err
}

// Retract passes a take-back on (an undone kudos's DM and channel post)
// and counts it like a send. Without it the service, which asks its
// messenger for bot.Retractor, could take nothing back under `pulse serve`.
func (o *observedMessenger) Retract(ctx context.Context, ref bot.MessageRef) error {
	rt, ok := o.next.(bot.Retractor)
	if !ok {
		return &bot.NoRetractorError{Platform: ref.Platform}
	}
	start := o.now()
	err := rt.Retract(ctx, ref)
	o.m.apiCalls.WithLabelValues(string(ref.Platform), outcome(err)).Inc()
	o.m.apiSeconds.WithLabelValues(string(ref.Platform)).Observe(o.now().Sub(start).Seconds())
	return err
}

// observedPlanner counts the scheduler's runs and deliveries.
type observedPlanner struct {
	next scheduler.Planner
	m    *metrics
	log  zerolog.Logger
}

// PlanJob passes the run on and counts it.
func (p *observedPlanner) PlanJob(ctx context.Context, req bot.JobRequest) ([]bot.Delivery, error) {
	ds, err := p.next.PlanJob(ctx, req)
	p.m.schedRuns.WithLabelValues(string(req.Job), outcome(err)).Inc()
	p.log.Info().Str("job", string(req.Job)).Str("team", req.TeamID).Time("at", req.At).
		Int("deliveries", len(ds)).Str("outcome", outcome(err)).Msg("job planned")
	return ds, err
}

// Deliver passes the delivery on and counts it.
func (p *observedPlanner) Deliver(ctx context.Context, d bot.Delivery) error {
	err := p.next.Deliver(ctx, d)
	p.m.schedDeliver.WithLabelValues(string(d.Job), outcome(err)).Inc()
	return err
}
