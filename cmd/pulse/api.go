package main

import (
	"net/http"
	"strconv"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/api"
)

// mountAPI serves the progress API (/api/v1) on mux.
func (e *environment) mountAPI(mux *http.ServeMux, b *backend, svc *bot.Service, clock bot.Clock) error {
	a, err := api.New(api.Config{Service: svc, Limiter: b.store, Clock: clock,
		Log: e.log.With().Str("component", "api").Logger(), RateLimit: e.cfg.APIRateLimit})
	if err != nil {
		return err
	}
	a.Routes(mux)
	return nil
}

// parseAPIRateLimit reads PULSE_API_RATE_LIMIT, calls per token per minute;
// empty means the API's default.
func parseAPIRateLimit(p *problems, raw string) int {
	if raw == "" {
		return 0
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		p.add("PULSE_API_RATE_LIMIT", "%q is not a whole number of calls per minute such as 600", raw)
		return 0
	}
	return n
}
