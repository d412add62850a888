// Package slack connects Pulse to Slack. It turns Events API payloads, slash
// commands and interactions (over HTTP or Socket Mode) into bot.Event, hands
// them to a bot.Handler, and renders the bot.Response as Block Kit. It holds
// no business rules: what an event means is the core's business.
package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/pulse-bot/pulse/bot"
)

// DefaultAPIURL is Slack's Web API base.
const DefaultAPIURL = "https://slack.com/api/"

const (
	// claimTTL keeps an event's inbox claim past Slack's retry window
	// (three retries over about an hour) with a wide margin.
	claimTTL = 48 * time.Hour
	// profileTTL bounds how stale a cached users.info answer may be.
	profileTTL = time.Hour
	// dmChannelTTL keeps conversations.open answers; a DM channel id never changes.
	dmChannelTTL = 30 * 24 * time.Hour
	// sentTTL remembers keyed sends so a retried job does not post twice.
	sentTTL = 48 * time.Hour
	// workTimeout bounds follow-up work after an acknowledgement (a reply
	// that rides after a modal closed, a file upload).
	workTimeout = 60 * time.Second
	// maxRateLimitRetries and maxRateLimitWait bound how long a Web API call
	// waits out 429 answers.
	maxRateLimitRetries = 3
	maxRateLimitWait    = 2 * time.Minute
	maxBodyBytes        = 1 << 20
)

// Config is what the adapter needs; cmd/pulse fills it from the environment.
type Config struct {
	// BotToken (xoxb-…) calls the Web API; SigningSecret verifies HTTP requests;
	// AppToken (xapp-…), when set, switches to Socket Mode.
	BotToken, SigningSecret, AppToken string
	// APIURL is the Web API base (SLACK_API_URL); tests point it at a fake.
	APIURL  string
	Handler bot.Handler
	// Inbox stores every delivery before it is acknowledged; Slack's
	// retries and the app_mention/message twins find it already queued.
	Inbox bot.Inbox
	// Cache keeps users.info answers and DM channel ids.
	Cache bot.Cache
	Clock bot.Clock
	Log   zerolog.Logger
}

// identity is what auth.test says about the bot.
type identity struct {
	UserID string
	BotID  string
	TeamID string
}

// Adapter is Pulse's Slack connection. It is safe for concurrent use.
type Adapter struct {
	api     *slack.Client
	secret  string
	appTok  string
	handler bot.Handler
	inbox   bot.Inbox
	cache   bot.Cache
	clock   bot.Clock
	log     zerolog.Logger
	catalog *bot.Catalog

	// profiles is an in-process layer over Cache for users.info answers, so
	// a busy channel does not cost a Redis round trip per message.
	profiles localCache

	me        atomic.Pointer[identity]
	connected atomic.Bool

	// waiters hands a worker's outcome to the request still waiting to answer it.
	waiters  bot.Waiters
	inflight sync.WaitGroup

	// wait sleeps for a rate limit's Retry-After; tests replace it to record
	// the duration instead of sleeping.
	wait func(ctx context.Context, d time.Duration) error
	// deadline starts the timer a slash command or modal submission races
	// against; tests replace it with a channel they close.
	deadline func(wait time.Duration) (<-chan time.Time, func())
}

// New checks cfg and returns an adapter; nothing is contacted until Run.
func New(cfg Config) (*Adapter, error) {
	switch {
	case cfg.BotToken == "":
		return nil, errors.New("SLACK_BOT_TOKEN is required")
	case cfg.AppToken == "" && cfg.SigningSecret == "":
		return nil, errors.New("set SLACK_SIGNING_SECRET for HTTP mode or SLACK_APP_TOKEN for Socket Mode")
	case cfg.Handler == nil:
		return nil, errors.New("a handler is required")
	case cfg.Inbox == nil || cfg.Cache == nil:
		return nil, errors.New("an inbox and a cache are required")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if !strings.HasSuffix(cfg.APIURL, "/") {
		cfg.APIURL += "/"
	}
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	catalog, err := bot.LoadCatalog()
	if err != nil {
		return nil, fmt.Errorf("load messages: %w", err)
	}
	opts := []slack.Option{slack.OptionAPIURL(cfg.APIURL), slack.OptionHTTPClient(newAPIClient())}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	return &Adapter{
		api:      slack.New(cfg.BotToken, opts...),
		secret:   cfg.SigningSecret,
		appTok:   cfg.AppToken,
		handler:  cfg.Handler,
		inbox:    cfg.Inbox,
		cache:    cfg.Cache,
		clock:    cfg.Clock,
		log:      cfg.Log.With().Str("platform", "slack").Logger(),
		catalog:  catalog,
		wait:     sleepCtx,
		deadline: realDeadline,
	}, nil
}

// apiConns is how many connections to the Web API are kept open for
// reuse: one per inbox worker slot, so a busy replica reuses its
// connections instead of opening (and leaving in TIME_WAIT) a new one for
// most calls, which Go's default of 2 idle connections per host would do.
const apiConns = 64

// newAPIClient is the HTTP client for Slack's Web API.
func newAPIClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = apiConns
	t.MaxIdleConnsPerHost = apiConns
	return &http.Client{Timeout: 20 * time.Second, Transport: t}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func realDeadline(wait time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(wait)
	return t.C, func() { t.Stop() }
}

// Routes mounts the HTTP endpoints Slack posts to.
func (a *Adapter) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /slack/events", a.serveEvents)
	mux.HandleFunc("POST /slack/commands", a.serveCommands)
	mux.HandleFunc("POST /slack/interactions", a.serveInteractions)
}

// Run learns who the bot is (auth.test), then, in Socket Mode, holds the
// connection until ctx ends; in HTTP mode it waits for ctx. A token Slack
// refuses ends Run with one line that names the variable to fix.
func (a *Adapter) Run(ctx context.Context) error {
	if err := a.authenticate(ctx); err != nil {
		return err
	}
	defer a.inflight.Wait()
	if a.appTok != "" {
		return a.runSocketMode(ctx)
	}
	<-ctx.Done()
	return nil
}

// fatalAuthErrors are auth.test answers that retrying cannot fix.
var fatalAuthErrors = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true,
	"token_revoked": true, "token_expired": true, "not_allowed_token_type": true,
}

func (a *Adapter) authenticate(ctx context.Context) error {
	backoff := time.Second
	for {
		var resp *slack.AuthTestResponse
		err := a.call(ctx, "auth.test", func(ctx context.Context) (err error) {
			resp, err = a.api.AuthTestContext(ctx)
			return err
		})
		if err == nil {
			a.me.Store(&identity{UserID: resp.UserID, BotID: resp.BotID, TeamID: resp.TeamID})
			a.log.Info().Str("team", resp.TeamID).Str("bot_user", resp.UserID).Msg("slack connected")
			return nil
		}
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && fatalAuthErrors[se.Err] || fatalAuthErrors[err.Error()] {
			return fmt.Errorf("SLACK_BOT_TOKEN was refused by auth.test (%s)", authReason(err))
		}
		if ctx.Err() != nil {
			return nil
		}
		a.log.Warn().Err(err).Dur("retry_in", backoff).Msg("slack auth.test failed; retrying")
		if a.wait(ctx, backoff) != nil {
			return nil
		}
		backoff = min(backoff*2, time.Minute)
	}
}

func authReason(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// Ready reports whether Slack can be served: auth.test succeeded and, in
// Socket Mode, the socket is connected. /readyz uses it.
func (a *Adapter) Ready() error {
	if a.me.Load() == nil {
		return errors.New("not authenticated with Slack yet")
	}
	if a.appTok != "" && !a.connected.Load() {
		return errors.New("Socket Mode not connected")
	}
	return nil
}

func (a *Adapter) self() identity {
	if me := a.me.Load(); me != nil {
		return *me
	}
	return identity{}
}

// goHeldNoSem runs short follow-up work (posting a reply, uploading a
// file) in the background, tracked so Run waits for it on shutdown.
func (a *Adapter) goHeldNoSem(work func(ctx context.Context)) {
	a.inflight.Add(1)
	go func() {
		defer a.inflight.Done()
		defer func() {
			if r := recover(); r != nil {
				a.log.Error().Interface("panic", r).Msg("slack follow-up work panicked")
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), workTimeout)
		defer cancel()
		work(ctx)
	}()
}

// RateLimitError says Slack still refused a call for its rate limit after
// the adapter's own retries. RetryAfter lets the scheduler's shared limiter
// hold every replica's sends for as long as Slack asked.
type RateLimitError struct {
	Method string
	Wait   time.Duration
	Err    error
}

func (e *RateLimitError) Error() string { return e.Method + ": " + e.Err.Error() }

// Unwrap returns slack-go's error.
func (e *RateLimitError) Unwrap() error { return e.Err }

// RetryAfter is how long Slack asked to wait.
func (e *RateLimitError) RetryAfter() time.Duration { return e.Wait }

// call runs one Web API call, waiting out 429 answers (Retry-After) a
// bounded number of times.
func (a *Adapter) call(ctx context.Context, method string, fn func(ctx context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) {
			return fmt.Errorf("%s: %w", method, err)
		}
		if attempt >= maxRateLimitRetries || rl.RetryAfter > maxRateLimitWait {
			return &RateLimitError{Method: method, Wait: rl.RetryAfter, Err: err}
		}
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		a.log.Warn().Str("method", method).Dur("retry_after", wait).Msg("slack rate limited")
		if werr := a.wait(ctx, wait); werr != nil {
			return fmt.Errorf("%s: waiting out rate limit: %w", method, werr)
		}
	}
}
