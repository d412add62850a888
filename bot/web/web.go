// Package web is Pulse's web view under /app: a thin adapter like the chat
// ones. It reads everything through the core (bot.Service), which checks
// who may see what; it keeps sign-in links and sessions in a Sessions store
// and renders server-side HTML with server-drawn SVG charts and no
// JavaScript.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
)

// Timing and limits of sign-in.
const (
	// LinkValidity is how long a sign-in link from chat can be redeemed.
	LinkValidity = 10 * time.Minute
	// SessionValidity is how long a web session lasts.
	SessionValidity = 12 * time.Hour
	// RedeemLimit is how many link redemptions one client address may try
	// per RedeemWindow: enough for a person, far too few to guess tokens.
	RedeemLimit  = 10
	RedeemWindow = time.Minute
)

// Sessions keeps sign-in links and sessions by the SHA-256 hash of their
// token. The store package implements it on Redis.
type Sessions interface {
	SaveLink(ctx context.Context, hash string, person bot.UserID, issued time.Time, ttl time.Duration) error
	// TakeLink reads and deletes a link at once; bot.ErrNotFound when there is none.
	TakeLink(ctx context.Context, hash string) (bot.UserID, time.Time, error)
	SaveSession(ctx context.Context, hash string, person bot.UserID, issued time.Time, ttl time.Duration) error
	// Session returns the session's person; bot.ErrNotFound when there is none.
	Session(ctx context.Context, hash string) (bot.UserID, time.Time, error)
	EndSessions(ctx context.Context, person bot.UserID) (int, error)
	// Allow counts one attempt under name and reports whether it is within limit per window.
	Allow(ctx context.Context, name string, limit int, window time.Duration) (bool, error)
}

// Config is what the web view needs.
type Config struct {
	Service  *bot.Service
	Sessions Sessions
	Clock    bot.Clock
	Log      zerolog.Logger
	// BaseURL is where people reach Pulse, such as https://pulse.example.com;
	// sign-in links point there. With https the session cookie is Secure.
	BaseURL string
}

// Server serves /app.
type Server struct {
	svc      *bot.Service
	sessions Sessions
	clock    bot.Clock
	log      zerolog.Logger
	base     *url.URL
	secure   bool
	pages    map[string]*template.Template
}

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// New checks cfg and parses the templates.
func New(cfg Config) (*Server, error) {
	if cfg.Service == nil || cfg.Sessions == nil {
		return nil, errors.New("new web view: a service and a session store are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("web base URL %q: want http(s)://host[:port]", cfg.BaseURL)
	}
	s := &Server{svc: cfg.Service, sessions: cfg.Sessions, clock: cfg.Clock, log: cfg.Log, base: base, secure: base.Scheme == "https"}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	return s, nil
}

// Routes mounts the web view on mux under /app.
func (s *Server) Routes(mux *http.ServeMux) {
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /app/static/", s.secured(http.StripPrefix("/app/static/", http.FileServerFS(static))))
	mux.Handle("GET /app/signin", s.secured(http.HandlerFunc(s.signInPage)))
	mux.Handle("POST /app/signin", s.secured(http.HandlerFunc(s.redeem)))
	mux.Handle("POST /app/signout", s.secured(s.signedIn(s.signOut)))
	mux.Handle("GET /app/{$}", s.secured(s.signedIn(s.myPage)))
	mux.Handle("GET /app/team/{team}", s.secured(s.signedIn(s.teamPage)))
	mux.Handle("GET /app/team/{team}/figures", s.secured(s.signedIn(s.teamFigures)))
	mux.Handle("GET /app/company", s.secured(s.signedIn(s.companyPage)))
	mux.Handle("GET /app/reviews", s.secured(s.signedIn(s.reviewsPage)))
	mux.Handle("GET /app", http.RedirectHandler("/app/", http.StatusMovedPermanently))
}

// contentSecurityPolicy allows the page's own stylesheet and nothing else:
// no script at all, no inline style, no frames, forms only to Pulse.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// secured sets the headers every /app answer carries.
func (s *Server) secured(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// No page's address (a sign-in token) leaves for another site
		// through a Referer; same-origin keeps the Origin header on Pulse's
		// own form posts, which sameOrigin checks (no-referrer would make it "null").
		h.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/app/static/") {
			h.Set("Cache-Control", "no-store")
		}
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}
