package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/web"
)

// mountWeb serves the web view (/app) on mux and turns on `/pulse web`.
// Sign-in links point at PULSE_WEB_URL, or at the address Pulse listens on.
func (e *environment) mountWeb(mux *http.ServeMux, b *backend, svc *bot.Service, clock bot.Clock, listening net.Addr) (*web.Server, error) {
	base := e.cfg.WebURL
	if base == "" {
		base = "http://" + reachable(listening)
	}
	w, err := web.New(web.Config{Service: svc, Sessions: b.store.WebSessions(), Clock: clock,
		Log: e.log.With().Str("component", "web").Logger(), BaseURL: base})
	if err != nil {
		return nil, fmt.Errorf("PULSE_WEB_URL: %w", err)
	}
	svc.SetWebSignIn(w)
	w.Routes(mux)
	return w, nil
}

// reachable is a listening address a browser on this machine can open:
// a wildcard host becomes localhost.
func reachable(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// checkWebURL accepts an empty PULSE_WEB_URL or an http(s) URL without a path.
func checkWebURL(p *problems, raw string) {
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		p.add("PULSE_WEB_URL", "%q is not an http(s) address like https://pulse.example.com", raw)
	}
}

// tryWeb serves the web view of `pulse try` on a free local port and
// prints where; `/pulse web` in the demo chat prints a sign-in link to it.
func (e *environment) tryWeb(ctx context.Context, b *backend, svc *bot.Service, clock bot.Clock, l bot.Locale) (stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("web view: listen on a local port: %w", err)
	}
	mux := http.NewServeMux()
	if _, err := e.mountWeb(mux, b, svc, clock, ln.Addr()); err != nil {
		_ = ln.Close()
		return nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Warn().Err(err).Msg("web view stopped")
		}
	}()
	fmt.Fprintln(e.stdout, svc.Catalog().T(l, "web_try_intro", map[string]any{"URL": "http://" + ln.Addr().String() + "/app/"}))
	return func() {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		<-done
	}, nil
}
