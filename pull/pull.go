// Package pull fetches goal values from metric endpoints on a schedule:
// sources are declared once in the team file (a JSON endpoint with a path
// to the number, or a Prometheus query), goals are linked to them by an
// admin, and each fire is claimed once across replicas before anything is
// fetched. A value is recorded through the core's FeedProgress, the path
// the API and the CLI use, and only when it differs from the goal's.
package pull

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
)

// Feed is what the runner needs from the core.
type Feed interface {
	// SourceGoals returns the open goals of the team linked to the source.
	SourceGoals(ctx context.Context, team, source string) ([]bot.Goal, error)
	FeedProgress(ctx context.Context, f bot.Feeder, in bot.FeedUpdate) (bot.FeedResult, error)
	Announce(ctx context.Context, a *bot.Announcement)
}

// Config is what a Runner needs.
type Config struct {
	Feed Feed
	// Claims makes one replica the one that pulls a fire.
	Claims  bot.Deduper
	Sources []Source
	// Zones are the teams' time zones, in which schedules are read.
	Zones map[string]*time.Location
	Clock bot.Clock
	Log   zerolog.Logger
	// Timeout and MaxBytes bound one fetch; zero means the defaults.
	Timeout  time.Duration
	MaxBytes int64
	// Transport, when set, replaces the default HTTP transport (tests).
	Transport http.RoundTripper
}

// claimTTL is how long a fire's claim is remembered: longer than any
// replica's clock skew, shorter than a day of markers.
const claimTTL = 6 * time.Hour

// Runner pulls every source on its schedule.
type Runner struct {
	feed    Feed
	claims  bot.Deduper
	sources []scheduled
	clock   bot.Clock
	log     zerolog.Logger
	fetch   *fetcher
}

type scheduled struct {
	src   Source
	sched cron.Schedule
}

// New checks cfg and parses the schedules.
func New(cfg Config) (*Runner, error) {
	if cfg.Feed == nil || cfg.Claims == nil {
		return nil, errors.New("new metric pulls: a feed and a claim store are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	r := &Runner{feed: cfg.Feed, claims: cfg.Claims, clock: cfg.Clock, log: cfg.Log,
		fetch: newFetcher(cfg.Timeout, cfg.MaxBytes, cfg.Transport)}
	for _, src := range cfg.Sources {
		zone := cfg.Zones[src.Team]
		if zone == nil {
			zone = time.UTC
		}
		sched, err := cron.ParseStandard("CRON_TZ=" + zone.String() + " " + src.Schedule)
		if err != nil {
			return nil, fmt.Errorf("source %s of %s: schedule %q: %w", src.Name, src.Team, src.Schedule, err)
		}
		r.sources = append(r.sources, scheduled{src: src, sched: sched})
	}
	return r, nil
}

// Outcome says what one pull did for one goal.
type Outcome struct {
	Goal string
	// Recorded is set when the value was recorded; otherwise it equalled
	// the goal's current value.
	Recorded bool
	Value    float64
}

// ErrNotClaimed means another replica (or an earlier run) took this fire.
var ErrNotClaimed = errors.New("fire claimed elsewhere")

// Pull runs one fire of src scheduled at fire: it claims the fire, fetches
// the number and records it on each linked goal whose value differs. A
// fetch cut off by a limit is logged with its reason.
func (r *Runner) Pull(ctx context.Context, src Source, fire time.Time) ([]Outcome, error) {
	key := "pull:" + src.Team + ":" + src.Name + ":" + strconv.FormatInt(fire.Unix(), 10)
	first, err := r.claims.FirstSeen(ctx, key, claimTTL)
	if err != nil {
		return nil, fmt.Errorf("claim pull %s: %w", key, err)
	}
	if !first {
		return nil, ErrNotClaimed
	}
	log := r.log.With().Str("team", src.Team).Str("source", src.Name).Logger()
	goals, err := r.feed.SourceGoals(ctx, src.Team, src.Name)
	if err != nil {
		return nil, fmt.Errorf("goals of source %s: %w", src.Name, err)
	}
	if len(goals) == 0 {
		log.Debug().Msg("metric source has no open goals linked; not fetched")
		return nil, nil
	}
	value, err := r.fetch.Fetch(ctx, src)
	var cut *CutOff
	if errors.As(err, &cut) {
		log.Warn().Str("reason", cut.Reason).Msg("metric pull cut off")
		return nil, err
	}
	if err != nil {
		log.Warn().Err(err).Msg("metric pull failed")
		return nil, err
	}
	var out []Outcome
	for _, g := range goals {
		o := Outcome{Goal: g.ID, Value: value}
		if g.Current != value {
			res, err := r.feed.FeedProgress(ctx, bot.Feeder{Team: src.Team, Name: src.Name},
				bot.FeedUpdate{GoalID: g.ID, Value: value, Key: key + ":" + g.ID})
			if err != nil {
				log.Warn().Err(err).Str("goal", g.ID).Msg("metric pull not recorded")
				continue
			}
			r.feed.Announce(ctx, res.Announcement)
			o.Recorded = !res.Replayed
			log.Info().Str("goal", g.ID).Float64("value", value).Msg("metric pulled and recorded")
		}
		out = append(out, o)
	}
	return out, nil
}

// Run pulls each source at its scheduled times until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	if len(r.sources) == 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	next := make([]time.Time, len(r.sources))
	now := r.clock.Now()
	for i, s := range r.sources {
		next[i] = s.sched.Next(now)
	}
	for {
		i := earliest(next)
		timer := time.NewTimer(next[i].Sub(r.clock.Now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
		s, fire := r.sources[i], next[i]
		next[i] = s.sched.Next(fire)
		pullCtx, cancel := context.WithTimeout(ctx, 2*r.fetch.client.Timeout)
		if _, err := r.Pull(pullCtx, s.src, fire); err != nil && !errors.Is(err, ErrNotClaimed) {
			r.log.Debug().Err(err).Str("source", s.src.Name).Msg("metric pull ended without a value")
		}
		cancel()
	}
}

func earliest(ts []time.Time) int {
	best := 0
	for i, t := range ts {
		if t.Before(ts[best]) {
			best = i
		}
	}
	return best
}
