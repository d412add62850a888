package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
)

// inboxUsage is the one line `pulse inbox` prints when called wrongly.
const inboxUsage = "usage: pulse inbox dead list | pulse inbox dead retry <id> | pulse inbox dead drop <id>"

// deadListLimit bounds `pulse inbox dead list`.
const deadListLimit = 1000

// inboxDead runs `pulse inbox dead list|retry|drop`: the operator's view of
// the events that failed after every delivery.
func (e *environment) inboxDead(ctx context.Context, args []string) error {
	if len(args) < 2 || args[0] != "dead" {
		return errors.New(inboxUsage)
	}
	verb, rest := args[1], args[2:]
	if (verb == "list") != (len(rest) == 0) || len(rest) > 1 {
		return errors.New(inboxUsage)
	}
	b, err := e.openBackend(ctx, false)
	if err != nil {
		return err
	}
	defer b.close()
	in := b.store.Inbox()
	switch verb {
	case "list":
		return e.listDead(ctx, in)
	case "retry":
		if err := in.RetryDead(ctx, rest[0]); err != nil {
			return deadLetterError(err, rest[0])
		}
		fmt.Fprintf(e.stdout, "dead letter %s queued again; the inbox workers of a running `pulse serve` take it\n", rest[0])
		return nil
	case "drop":
		if err := in.DropDead(ctx, rest[0]); err != nil {
			return deadLetterError(err, rest[0])
		}
		fmt.Fprintf(e.stdout, "dead letter %s dropped\n", rest[0])
		return nil
	}
	return errors.New(inboxUsage)
}

func deadLetterError(err error, id string) error {
	if errors.Is(err, bot.ErrNoDeadLetter) {
		return fmt.Errorf("there is no dead letter %s; `pulse inbox dead list` shows them", id)
	}
	return err
}

// listDead prints one line per dead letter: no message text, only what
// says which event it was and why it failed.
func (e *environment) listDead(ctx context.Context, in *store.Inbox) error {
	dead, err := in.DeadLetters(ctx, deadListLimit)
	if err != nil {
		return err
	}
	if len(dead) == 0 {
		fmt.Fprintln(e.stdout, "no dead letters")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tBURIED\tPLATFORM\tKIND\tEVENT KEY\tDELIVERIES\tREASON")
	for _, d := range dead {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", d.ID, d.BuriedAt.Format(time.RFC3339), d.Entry.Platform,
			d.Entry.Kind, d.Entry.Key, d.Entry.Deliveries, strings.ReplaceAll(d.Reason, "\n", " "))
	}
	return tw.Flush()
}

// observedInbox counts deliveries that found their event already queued
// (platform retries, twins, another replica) as duplicates.
type observedInbox struct {
	next bot.Inbox
	m    *metrics
}

// Enqueue passes the entry on and counts a repeat by platform.
func (o *observedInbox) Enqueue(ctx context.Context, e bot.InboxEntry, ttl time.Duration) (bool, error) {
	fresh, err := o.next.Enqueue(ctx, e, ttl)
	if err == nil && !fresh {
		o.m.eventsDup.WithLabelValues(string(e.Platform)).Inc()
	}
	return fresh, err
}

// inbox is the store's inbox as the adapters see it (over the
// acknowledgement pool), counted, each delivery it queues marked as an
// answer under way for answers.
func (e *environment) inbox(b *backend, answers *bot.AckFirst) bot.Inbox {
	var in bot.Inbox = b.ack.Inbox()
	if e.obs != nil {
		in = &observedInbox{next: in, m: e.obs}
	}
	return answers.Inbox(in)
}

// newInboxWorker builds this replica's inbox workers over every adapter
// that reads the inbox, letting the answers to platform requests go first;
// nil when none does.
func (e *environment) newInboxWorker(b *backend, platforms map[bot.Platform]platform, clock bot.Clock, answers *bot.AckFirst) (*bot.InboxWorker, error) {
	procs := map[bot.Platform]bot.InboxProcessor{}
	for p, a := range platforms {
		if proc, ok := a.(bot.InboxProcessor); ok {
			procs[p] = proc
		}
	}
	if len(procs) == 0 {
		return nil, nil
	}
	host, err := os.Hostname()
	if err != nil {
		host = "pulse"
	}
	cfg := bot.InboxWorkerConfig{
		Queue:      b.store.Inbox(),
		Processors: procs,
		Consumer:   fmt.Sprintf("%s-%d", host, os.Getpid()),
		Clock:      clock,
		Log:        e.log.With().Str("component", "inbox").Logger(),
		AckFirst:   answers,
	}
	if e.cfg.ReclaimAfter > 0 {
		cfg.ClaimIdle = e.cfg.ReclaimAfter
	}
	if e.obs != nil {
		cfg.OnDead = func(en bot.InboxEntry) { e.obs.inboxDead.WithLabelValues(string(en.Platform)).Inc() }
		e.obs.watchInbox(b.store.Inbox())
	}
	w, err := bot.NewInboxWorker(cfg)
	if err != nil {
		return nil, fmt.Errorf("start the inbox workers: %w", err)
	}
	return w, nil
}

// inboxScrapeTimeout bounds the Redis reads behind the inbox gauges.
const inboxScrapeTimeout = time.Second

// watchInbox adds the inbox gauges: the backlog and the dead letters,
// read from Redis when /metrics is scraped.
func (m *metrics) watchInbox(in *store.Inbox) {
	read := func(f func(context.Context) (int64, error)) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), inboxScrapeTimeout)
			defer cancel()
			n, err := f(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		}
	}
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "pulse_inbox_backlog", Help: "Events queued in the inbox and not yet handled (-1: Redis did not answer).",
	}, read(in.Backlog)))
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "pulse_inbox_dead_letters", Help: "Events in the dead-letter stream: they failed after every delivery; see `pulse inbox dead list` (-1: Redis did not answer).",
	}, read(in.DeadCount)))
}
