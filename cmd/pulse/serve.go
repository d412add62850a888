package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/feishu"
	"github.com/pulse-bot/pulse/bot/slack"
)

// errNoPlatform is serve's one-line refusal when nothing is configured.
var errNoPlatform = errors.New("no platform configured: set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN), or FEISHU_APP_ID with FEISHU_APP_SECRET; `pulse try` needs neither")

// shutdownGrace is how long serve waits for in-flight HTTP requests on shutdown.
const shutdownGrace = 10 * time.Second

// platform is what serve needs from an adapter.
type platform interface {
	bot.Messenger
	Routes(mux *http.ServeMux)
	Run(ctx context.Context) error
	Ready() error
}

// serve connects every configured platform, serves HTTP and runs the
// scheduler until ctx ends, then shuts down in order.
func (e *environment) serve(ctx context.Context, args []string) error {
	fs := newFlagSet("serve", e.stderr)
	embedded := fs.Bool("embedded-store", false, "use a throw-away in-memory store instead of REDIS_URL")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := mustBeEmpty("serve", positional); err != nil {
		return err
	}
	if !e.cfg.Slack.enabled() && !e.cfg.Feishu.enabled() {
		return errNoPlatform
	}
	tuneGC(e.getenv)
	tuneProcs(e.getenv)
	if e.cfg.RedisURL == "" && !*embedded {
		return errors.New("REDIS_URL: is not set; point it at your Redis, or pass --embedded-store for a throw-away trial")
	}
	stopProfiles, err := startProfiles(e.getenv)
	if err != nil {
		return err
	}
	defer func() {
		if err := stopProfiles(); err != nil {
			e.log.Warn().Err(err).Msg("profiles")
		}
	}()
	e.obs = newMetrics()
	b, err := e.openBackend(ctx, *embedded)
	if err != nil {
		return err
	}
	defer b.close()
	if b.inMemory {
		e.log.Warn().Msg("using the embedded in-memory store: every record is lost when pulse stops")
	}

	clock := bot.SystemClock{}
	router := bot.Router{}
	limited, err := e.rateLimited(b, router, clock)
	if err != nil {
		return err
	}
	messenger := &observedMessenger{next: limited, m: e.obs, now: time.Now}
	c, err := e.newCore(b, messenger, clock)
	if err != nil {
		return err
	}
	if err := e.applyConfigTeams(ctx, c.svc); err != nil {
		return err
	}
	c.svc.SetTeamTemplates(e.cfg.Templates)
	pulls, err := e.startPulls(ctx, b, c.svc, clock)
	if err != nil {
		return err
	}
	answers := bot.NewAckFirst(clock, 0)
	platforms, err := e.newPlatforms(b, c.svc, clock, answers)
	if err != nil {
		return err
	}
	for p, adapter := range platforms {
		router[p] = adapter
	}
	inboxWorker, err := e.newInboxWorker(b, platforms, clock, answers)
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	addRoutes(mux, pools{b.store, b.ack}, platforms, e.obs)
	srv := newHTTPServer(e.cfg.HTTPAddr, mux, serveLimits)
	ln, err := net.Listen("tcp", e.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("PULSE_HTTP_ADDR: listen on %s: %w", e.cfg.HTTPAddr, err)
	}
	if _, err := e.mountWeb(mux, b, c.svc, clock, ln.Addr()); err != nil {
		_ = ln.Close()
		return err
	}
	if err := e.mountAPI(mux, b, c.svc, clock); err != nil {
		_ = ln.Close()
		return err
	}
	e.log.Info().Str("addr", ln.Addr().String()).Msg("http listening")

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(platforms)+2)
	start := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := fn(ctx)
			// A component cut short by the shutdown itself stopped cleanly.
			if err != nil && !(ctx.Err() != nil && errors.Is(err, context.Canceled)) {
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}()
	}
	for p, adapter := range platforms {
		start(string(p), adapter.Run)
	}
	start("scheduler", c.sched.Run)
	start("pulls", pulls.Run)
	if inboxWorker != nil {
		start("inbox", inboxWorker.Run)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("http: %w", err)
			cancel()
		}
	}()

	<-ctx.Done()
	e.log.Info().Msg("shutting down")
	shutdownCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer stop()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		e.log.Warn().Err(err).Msg("http shutdown")
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// observe wraps the core's handler in the per-event log line and metrics.
func (e *environment) observe(h bot.Handler) bot.Handler {
	return &observedHandler{next: h, m: e.obs, log: e.log.With().Str("component", "events").Logger(), now: time.Now}
}

// newPlatforms builds an adapter for every platform with credentials; the
// deliveries they queue count as answers under way for answers (nil: none).
func (e *environment) newPlatforms(b *backend, svc *bot.Service, clock bot.Clock, answers *bot.AckFirst) (map[bot.Platform]platform, error) {
	out := map[bot.Platform]platform{}
	if e.cfg.Slack.enabled() {
		a, err := slack.New(slack.Config{
			BotToken:      e.cfg.Slack.BotToken,
			SigningSecret: e.cfg.Slack.SigningSecret,
			AppToken:      e.cfg.Slack.AppToken,
			APIURL:        e.cfg.Slack.APIURL,
			Handler:       e.observe(svc),
			Inbox:         e.inbox(b, answers),
			Cache:         b.store,
			Clock:         clock,
			Log:           e.log.With().Str("component", "slack").Logger(),
		})
		if err != nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
		out[bot.PlatformSlack] = a
	}
	if e.cfg.Feishu.enabled() {
		a, err := feishu.New(feishu.Config{
			AppID:             e.cfg.Feishu.AppID,
			AppSecret:         e.cfg.Feishu.AppSecret,
			Mode:              e.cfg.Feishu.Mode,
			VerificationToken: e.cfg.Feishu.VerificationToken,
			EncryptKey:        e.cfg.Feishu.EncryptKey,
			BaseURL:           e.cfg.Feishu.BaseURL,
			Handler:           e.observe(svc),
			Inbox:             e.inbox(b, answers),
			Dedup:             b.store,
			Cache:             b.store,
			Clock:             clock,
			Log:               e.log.With().Str("component", "feishu").Logger(),
		})
		if err != nil {
			return nil, fmt.Errorf("feishu: %w", err)
		}
		out[bot.PlatformFeishu] = a
	}
	return out, nil
}

// applyConfigTeams applies the PULSE_CONFIG file's teams and their review
// question templates, each audited; chat commands change them afterwards.
func (e *environment) applyConfigTeams(ctx context.Context, svc *bot.Service) error {
	for _, t := range e.cfg.Teams {
		if err := svc.ApplyTeam(ctx, t); err != nil {
			return fmt.Errorf("PULSE_CONFIG: %w", err)
		}
		if qs, ok := e.cfg.ReviewQuestions[t.ID]; ok {
			if err := svc.SetReviewQuestions(ctx, t.ID, qs, bot.AuditEntry{}); err != nil {
				return fmt.Errorf("PULSE_CONFIG: team %s review_questions: %w", t.Name, err)
			}
		}
		e.log.Info().Str("team", t.ID).Str("platform", string(t.Platform)).Msg("team applied from config")
	}
	return nil
}
