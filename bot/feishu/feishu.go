package feishu

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	larkcontact "github.com/larksuite/oapi-sdk-go/v3/service/contact/v3"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
)

// Transport modes.
const (
	// ModeWS receives events over the SDK's long connection: no public URL needed.
	ModeWS = "ws"
	// ModeWebhook receives events as HTTP pushes on /feishu/events and /feishu/cards.
	ModeWebhook = "webhook"
)

// DefaultBaseURL is Feishu's open platform; Lark's is https://open.larksuite.com.
const DefaultBaseURL = "https://open.feishu.cn"

const (
	// claimTTL keeps a push's inbox claim past Feishu's re-push window
	// (about 7 hours).
	claimTTL = 9 * time.Hour
	// profileTTL keeps contact lookups off the hot path; names change rarely.
	profileTTL = 6 * time.Hour
	// welcomeTTL limits the welcome card to once a day per person: the
	// p2p-chat-entered event fires every time someone opens the chat.
	welcomeTTL = 24 * time.Hour
	// cardBudget is how long a card callback may wait for the handler;
	// Feishu gives up on the callback after 3 s.
	cardBudget = 2500 * time.Millisecond
	// maxSendAttempts bounds retries of a rate-limited send.
	maxSendAttempts = 5
)

// Config is what the adapter needs; cmd/pulse fills it from the environment.
type Config struct {
	AppID, AppSecret string
	// Mode is "ws" (default, long connection) or "webhook".
	Mode string
	// VerificationToken and EncryptKey verify and decrypt webhook pushes;
	// webhook mode requires both.
	VerificationToken, EncryptKey string
	// BaseURL is FEISHU_BASE_URL, default https://open.feishu.cn (Lark: https://open.larksuite.com).
	BaseURL string
	Handler bot.Handler
	// Inbox stores every push before it is acknowledged; Feishu's re-pushes
	// (by event_id, or a message's by message_id) find it already queued.
	Inbox bot.Inbox
	// Dedup keeps the welcome card to once a day per person.
	Dedup bot.Deduper
	// Cache keeps contact API answers for a while.
	Cache bot.Cache
	Clock bot.Clock
	Log   zerolog.Logger
}

// Adapter is Pulse on Feishu: it receives events, calls the handler and
// sends its replies as cards. It is also the Feishu bot.Messenger.
type Adapter struct {
	cfg        Config
	log        zerolog.Logger
	sdk        *larkcore.Config
	im         *larkim.V1
	contact    *larkcontact.V3
	dispatcher *dispatcher.EventDispatcher

	// wait pauses before a rate-limited send is retried; tests replace it.
	wait func(ctx context.Context, d time.Duration) error
	// cardDeadline starts the timer a card callback races for its reply:
	// what is left of cardBudget since it arrived (tests replace it).
	cardDeadline func(wait time.Duration) (<-chan time.Time, func())

	mu        sync.Mutex
	botOpenID string
	connected bool

	// waiters hands a worker's outcome to the card callback still waiting for it.
	waiters bot.Waiters
	catalog *bot.Catalog
}

// New checks cfg and builds the adapter. Nothing is contacted until Run.
func New(cfg Config) (*Adapter, error) {
	if cfg.AppID == "" || cfg.AppSecret == "" {
		return nil, errors.New("feishu: FEISHU_APP_ID and FEISHU_APP_SECRET are required")
	}
	if cfg.Handler == nil || cfg.Inbox == nil || cfg.Dedup == nil || cfg.Cache == nil {
		return nil, errors.New("feishu: a handler, an inbox, a deduper and a cache are required")
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeWS
	}
	switch cfg.Mode {
	case ModeWS:
	case ModeWebhook:
		if cfg.VerificationToken == "" || cfg.EncryptKey == "" {
			return nil, errors.New("feishu: webhook mode needs FEISHU_VERIFICATION_TOKEN and FEISHU_ENCRYPT_KEY (set an Encrypt Key in the developer console so pushes are signed)")
		}
	default:
		return nil, fmt.Errorf("feishu: FEISHU_MODE %q: want ws or webhook", cfg.Mode)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	sdk := &larkcore.Config{
		BaseUrl:          cfg.BaseURL,
		AppId:            cfg.AppID,
		AppSecret:        cfg.AppSecret,
		AppType:          larkcore.AppTypeSelfBuilt,
		EnableTokenCache: true,
		ReqTimeout:       20 * time.Second,
		Logger:           sdkLogger{log: cfg.Log},
		LogLevel:         larkcore.LogLevelDebug,
	}
	// The same steps the root client's NewClient takes, without its 56 services.
	larkcore.NewLogger(sdk)
	larkcore.NewCache(sdk)
	larkcore.NewSerialization(sdk)
	larkcore.NewHttpClient(sdk)

	catalog, err := bot.LoadCatalog()
	if err != nil {
		return nil, fmt.Errorf("feishu: load messages: %w", err)
	}
	a := &Adapter{
		cfg:          cfg,
		catalog:      catalog,
		log:          cfg.Log,
		sdk:          sdk,
		im:           larkim.New(sdk),
		contact:      larkcontact.New(sdk),
		wait:         sleep,
		cardDeadline: realDeadline,
	}
	a.dispatcher = a.newDispatcher()
	return a, nil
}

// Routes mounts the webhook endpoints. In ws mode nothing is mounted: events
// arrive over the long connection, and an open endpoint would only be a target.
func (a *Adapter) Routes(mux *http.ServeMux) {
	if a.cfg.Mode != ModeWebhook {
		return
	}
	mux.Handle("POST /feishu/events", a.webhook())
	mux.Handle("POST /feishu/cards", a.webhook())
}

// Run fetches the bot's own identity and, in ws mode, holds the long
// connection until ctx is done. It returns nil on a clean stop and an error
// with one clear line when Feishu refuses the app (bad credentials, the
// 50-connection limit). Acknowledged events are in the inbox; the inbox
// workers, not Run, handle them.
func (a *Adapter) Run(ctx context.Context) error {
	if _, err := a.ensureBotOpenID(ctx); err != nil {
		return err
	}
	if a.cfg.Mode == ModeWebhook {
		<-ctx.Done()
		return nil
	}
	return a.runLongConnection(ctx)
}

func (a *Adapter) runLongConnection(ctx context.Context) error {
	cli := larkws.NewClient(a.cfg.AppID, a.cfg.AppSecret,
		larkws.WithEventHandler(a.dispatcher),
		larkws.WithDomain(a.cfg.BaseURL),
		larkws.WithLogger(sdkLogger{log: a.log}),
		larkws.WithLogLevel(larkcore.LogLevelDebug),
		larkws.WithOnReady(func() { a.setConnected(true); a.log.Info().Msg("feishu long connection ready") }),
		larkws.WithOnReconnecting(func() { a.setConnected(false); a.log.Warn().Msg("feishu long connection lost; reconnecting") }),
		larkws.WithOnReconnected(func() { a.setConnected(true); a.log.Info().Msg("feishu long connection reconnected") }),
		larkws.WithOnDisconnected(func() { a.setConnected(false) }),
	)
	// Start never returns on success (it blocks forever), so it runs on its
	// own goroutine and Run returns when ctx is done. It returns only for a
	// client error, which reconnecting cannot fix.
	failed := make(chan error, 1)
	go func() { failed <- cli.Start(ctx) }()
	select {
	case <-ctx.Done():
		// Close stops reconnects and closes the socket, so Feishu sends new
		// events to other replicas. (In SDK v3.9.2 it races with the
		// client's receive loop on the client's own fields; harmless at
		// shutdown, but the race detector sees it.)
		cli.Close()
		a.setConnected(false)
		return nil
	case err := <-failed:
		return longConnectionError(err)
	}
}

// longConnectionError turns the SDK's client error into one line an operator can act on.
func longConnectionError(err error) error {
	var ce *larkws.ClientError
	if errors.As(err, &ce) {
		switch {
		case ce.Code == 1000040350 || strings.Contains(strings.ToLower(ce.Msg), "limit"):
			return fmt.Errorf("feishu: long connection refused: this app already has the maximum of 50 connections open (code %d: %s)", ce.Code, ce.Msg)
		default:
			return fmt.Errorf("feishu: long connection refused (code %d: %s): check FEISHU_APP_ID and FEISHU_APP_SECRET, and that the app uses long-connection event delivery", ce.Code, ce.Msg)
		}
	}
	return fmt.Errorf("feishu: long connection stopped: %w", err)
}

func (a *Adapter) setConnected(v bool) {
	a.mu.Lock()
	a.connected = v
	a.mu.Unlock()
}

// Ready reports nil once the bot knows its own open_id and, in ws mode,
// the long connection is up; /readyz uses it.
func (a *Adapter) Ready() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.botOpenID == "" {
		return errors.New("feishu: bot info not fetched yet")
	}
	if a.cfg.Mode == ModeWS && !a.connected {
		return errors.New("feishu: long connection not connected")
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// realDeadline is a timer that fires after wait.
func realDeadline(wait time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(wait)
	return t.C, func() { t.Stop() }
}
