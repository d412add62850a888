package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
)

// metrics are the Prometheus series of one `pulse serve` process. They live
// on a private registry, not the global default one, so two servers in one
// test process (or one binary) never share or clash on series.
type metrics struct {
	registry *prometheus.Registry

	httpRequests   *prometheus.CounterVec // path, code
	eventsReceived *prometheus.CounterVec // platform, type
	eventsRejected *prometheus.CounterVec // platform, path, reason
	eventsDup      *prometheus.CounterVec // platform
	eventsHandled  *prometheus.CounterVec // platform, type, outcome
	handleSeconds  *prometheus.HistogramVec
	apiCalls       *prometheus.CounterVec // platform, outcome
	apiSeconds     *prometheus.HistogramVec
	schedRuns      *prometheus.CounterVec // job, outcome
	schedDeliver   *prometheus.CounterVec // job, outcome
	redisCommands  prometheus.Counter
	redisErrors    *prometheus.CounterVec // command
	inboxDead      *prometheus.CounterVec // platform
}

// latencyBuckets span a cached reply (~1 ms) to a slow Web API call (10 s).
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

func newMetrics() *metrics {
	m := &metrics{registry: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.registry.MustRegister(c) }
	f(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "pulse_up", Help: "Whether this Pulse process is serving (always 1 while it answers).",
	}, func() float64 { return 1 }))
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pulse_http_requests_total", Help: "HTTP requests to the platform webhooks, by path and status code.",
	}, []string{"path", "code"})
	m.eventsReceived = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pulse_events_received_total", Help: "Platform deliveries received over HTTP, by platform and type (events, commands, interactions, cards).",
	}, []string{"platform", "type"})
	m.eventsRejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pulse_events_rejected_total", Help: "Webhook requests answered 4xx: unsigned or badly signed (reason signature) or malformed (reason bad_request).",
	}, []string{"platform", "path", "reason"})
	m.eventsDup = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pulse_events_duplicated_total", Help: "Deliveries dropped because the same event was already claimed (platform retries, twins, other replicas).",
	}, []string{"platform"})
	m.eventsHandled = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pulse_events_handled_total", Help: "Events the core handled, by platform, type (command, message, action) and outcome (ok, error).",
	}, []string{"platform", "type", "outcome"})
	m.handleSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "pulse_event_handle_seconds", Help: "Time the core took to handle one event.", Buckets: latencyBuckets,
	}, []string{"platform", "type"})
	m.apiCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pulse_platform_sends_total", Help: "Messages sent through a platform's API by the core and the scheduler, by outcome (ok, error).",
	}, []string{"platform", "outcome"})
	m.apiSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "pulse_platform_send_seconds", Help: "Time one platform send took, rate-limit waits included.", Buckets: latencyBuckets,
	}, []string{"platform"})
	m.schedRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pulse_scheduler_runs_total", Help: "Job runs planned by this replica, by job and outcome.",
	}, []string{"job", "outcome"})
	m.schedDeliver = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pulse_scheduler_deliveries_total", Help: "Job deliveries (prompts, reminders, digests) sent by this replica, by job and outcome.",
	}, []string{"job", "outcome"})
	m.inboxDead = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pulse_inbox_dead_lettered_total", Help: "Events this replica moved to the dead-letter stream after their last delivery failed, by platform.",
	}, []string{"platform"})
	m.redisCommands = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "pulse_redis_commands_total", Help: "Redis commands sent (a pipeline counts each command).",
	})
	m.redisErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pulse_redis_errors_total", Help: "Redis commands that failed (a missing key is not a failure), by command.",
	}, []string{"command"})
	for _, c := range []prometheus.Collector{m.httpRequests, m.eventsReceived, m.eventsRejected, m.eventsDup,
		m.eventsHandled, m.handleSeconds, m.apiCalls, m.apiSeconds, m.schedRuns, m.schedDeliver,
		m.redisCommands, m.redisErrors, m.inboxDead,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	return m
}

// handler serves the registry in the Prometheus exposition format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// outcome names an error for a label.
func outcome(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

// webhookLabels splits "/slack/events" into its labels.
func webhookLabels(path string) (platform, typ string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) != 2 {
		return "other", "other"
	}
	return parts[0], parts[1]
}

// countWebhooks wraps the adapters' routes (mounted on their own mux):
// every request is counted as received, and a 4xx answer as rejected (401
// and 403 are bad signatures or tokens), by path. Paths no adapter serves
// are labelled "unmatched", so scanners cannot grow the series without
// bound. The adapters stay unaware of metrics.
func (m *metrics) countWebhooks(hooks *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := "unmatched"
		if _, pattern := hooks.Handler(r); pattern != "" {
			path = r.URL.Path
		}
		platform, typ := webhookLabels(path)
		m.eventsReceived.WithLabelValues(platform, typ).Inc()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		hooks.ServeHTTP(sw, r)
		m.httpRequests.WithLabelValues(path, strconv.Itoa(sw.code)).Inc()
		switch {
		case sw.code == http.StatusUnauthorized || sw.code == http.StatusForbidden:
			m.eventsRejected.WithLabelValues(platform, path, "signature").Inc()
		case sw.code >= 400 && sw.code < 500:
			m.eventsRejected.WithLabelValues(platform, path, "bad_request").Inc()
		}
	})
}

// statusWriter remembers the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer (flushes, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// redisHook counts Redis commands and their failures. redis.Nil (a missing
// key) is an answer, not a failure.
type redisHook struct{ m *metrics }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		if err != nil {
			h.m.redisErrors.WithLabelValues("dial").Inc()
		}
		return conn, err
	}
}

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.count(cmd, err)
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, cmd := range cmds {
			h.count(cmd, cmd.Err())
		}
		return err
	}
}

func (h redisHook) count(cmd redis.Cmder, err error) {
	h.m.redisCommands.Inc()
	if err != nil && !errors.Is(err, redis.Nil) {
		h.m.redisErrors.WithLabelValues(strings.ToLower(cmd.Name())).Inc()
	}
}
