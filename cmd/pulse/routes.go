package main

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// pinger is the store as /readyz sees it.
type pinger interface {
	Ping(ctx context.Context) error
}

// pools pings every Redis connection pool serve uses, in turn: the store's
// and the one acknowledgements queue events through. Ready means all of
// them answer: after an outage each pool recovers on its own, and one that
// is still backing off would refuse events.
type pools []pinger

// Ping fails with the first pool that does not answer.
func (p pools) Ping(ctx context.Context) error {
	for _, one := range p {
		if err := one.Ping(ctx); err != nil {
			return err
		}
	}
	return nil
}

// readyTimeout bounds one /readyz check, so a hung Redis fails the probe
// within a second instead of hanging it (the Redis client honours the
// deadline).
const readyTimeout = 1 * time.Second

// addRoutes mounts every HTTP endpoint of `pulse serve`: the adapters'
// webhooks, health, readiness and metrics.
func addRoutes(mux *http.ServeMux, store pinger, platforms map[bot.Platform]platform, m *metrics) {
	hooks := http.NewServeMux()
	for _, p := range platforms {
		p.Routes(hooks)
	}
	mux.Handle("/", m.countWebhooks(hooks))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /readyz", readyHandler(store, platforms))
	mux.Handle("GET /metrics", m.handler())
}

// readyHandler answers 200 when Redis answers and every platform is
// connected, and 503 listing what is not.
func readyHandler(store pinger, platforms map[bot.Platform]platform) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		var problems []string
		if err := store.Ping(ctx); err != nil {
			problems = append(problems, "redis: "+err.Error())
		}
		names := make([]string, 0, len(platforms))
		for p := range platforms {
			names = append(names, string(p))
		}
		sort.Strings(names)
		for _, name := range names {
			if err := platforms[bot.Platform(name)].Ready(); err != nil {
				problems = append(problems, name+": "+err.Error())
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if len(problems) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, strings.Join(problems, "\n"))
			return
		}
		fmt.Fprintln(w, "ready")
	})
}
