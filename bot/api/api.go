// Package api is Pulse's progress API under /api/v1: a thin HTTP adapter
// like the chat ones and the web view. Data tools push goal values with a
// per-team token (`/pulse token create`) and read goals back; every call
// goes through the core (bot.Service.FeedProgress and friends), which
// checks rights and records an update in the same atomic step a chat
// update uses, keyed by the caller's Idempotency-Key. Errors are RFC 9457
// problem details carrying the sentence chat would say.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
)

// Limits of the API.
const (
	// DefaultRateLimit is how many calls one token may make per RateWindow
	// unless configured otherwise.
	DefaultRateLimit = 600
	RateWindow       = time.Minute
	// MaxBody is the largest request body: one update with a note.
	MaxBody = 64 << 10
	// MaxKeyLength bounds an Idempotency-Key.
	MaxKeyLength = 200
	// announceTimeout bounds the chat post that follows an update.
	announceTimeout = 10 * time.Second
)

// Limiter counts calls per token across replicas. The store implements it.
type Limiter interface {
	AllowAPICall(ctx context.Context, tokenID string, limit int, window time.Duration, now time.Time) (bool, time.Time, error)
}

// Config is what the API needs.
type Config struct {
	Service *bot.Service
	Limiter Limiter
	Clock   bot.Clock
	Log     zerolog.Logger
	// RateLimit is calls per token per minute; zero means DefaultRateLimit.
	RateLimit int
}

// Server serves /api/v1.
type Server struct {
	svc     *bot.Service
	limiter Limiter
	clock   bot.Clock
	log     zerolog.Logger
	limit   int
}

// OpenAPI is the API's OpenAPI 3.1 document, served at /api/v1/openapi.json;
// deploy/openapi.json is a copy.
//
//go:embed openapi.json
var OpenAPI []byte

// New checks cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Service == nil || cfg.Limiter == nil {
		return nil, errors.New("new api: a service and a limiter are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	if cfg.RateLimit <= 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	return &Server{svc: cfg.Service, limiter: cfg.Limiter, clock: cfg.Clock, log: cfg.Log, limit: cfg.RateLimit}, nil
}

// Routes mounts the API on mux under /api/v1.
func (s *Server) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(OpenAPI)
	})
	mux.Handle("POST /api/v1/goals/{id}/progress", s.authorized(s.postProgress))
	mux.Handle("GET /api/v1/goals/{id}", s.authorized(s.getGoal))
	mux.Handle("GET /api/v1/teams/{team}/goals", s.authorized(s.getTeamGoals))
	// An address that exists answers another method with 405 and Allow,
	// not the catch-all's 404, so a client sees it got the verb wrong.
	for path, allow := range map[string]string{"/api/v1/openapi.json": "GET", "/api/v1/goals/{id}/progress": "POST",
		"/api/v1/goals/{id}": "GET", "/api/v1/teams/{team}/goals": "GET"} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			s.problem(w, r, http.StatusMethodNotAllowed, "api_method_not_allowed", map[string]any{"Method": r.Method, "Allow": allow})
		})
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.problem(w, r, http.StatusNotFound, "api_not_found", nil)
	})
}

// call is one authenticated request.
type call struct {
	token  bot.APIToken
	feeder bot.Feeder
	locale bot.Locale
}

// authorized authenticates the bearer token and counts the call against
// the token's rate limit before the handler runs.
func (s *Server) authorized(next func(w http.ResponseWriter, r *http.Request, c call)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		raw, ok := bearer(r)
		if !ok {
			s.unauthorized(w, r)
			return
		}
		tok, err := s.svc.Authenticate(r.Context(), raw)
		if errors.Is(err, bot.ErrUnauthorized) {
			s.log.Info().Str("remote", r.RemoteAddr).Str("path", r.URL.Path).Msg("api call refused: no valid token")
			s.unauthorized(w, r)
			return
		}
		if err != nil {
			s.internal(w, r, err)
			return
		}
		c := call{token: tok, feeder: bot.FeederOf(tok), locale: requestLocale(r)}
		ok, reset, err := s.limiter.AllowAPICall(r.Context(), tok.ID, s.limit, RateWindow, s.clock.Now())
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if !ok {
			wait := max(1, int(reset.Sub(s.clock.Now()).Seconds()+0.999))
			w.Header().Set("Retry-After", strconv.Itoa(wait))
			s.problem(w, r, http.StatusTooManyRequests, "api_rate_limited", map[string]any{"Seconds": wait})
			return
		}
		next(w, r, c)
	})
}

// bearer reads "Authorization: Bearer <token>".
func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="pulse"`)
	s.problem(w, r, http.StatusUnauthorized, "api_unauthorized", nil)
}

// progressBody is POST /goals/{id}/progress's JSON.
type progressBody struct {
	Value  *float64 `json:"value"`
	Status string   `json:"status"`
	Note   string   `json:"note"`
	Source string   `json:"source"`
	At     string   `json:"at"`
}

func (s *Server) postProgress(w http.ResponseWriter, r *http.Request, c call) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		s.refused(w, r, c, http.StatusBadRequest, "api_key_missing", nil)
		return
	}
	if !validKey(key) {
		s.refused(w, r, c, http.StatusBadRequest, "api_key_invalid", nil)
		return
	}
	body, ok := s.readProgress(w, r, c)
	if !ok {
		return
	}
	in := bot.FeedUpdate{GoalID: r.PathValue("id"), Value: *body.Value, Status: body.Status, Note: body.Note,
		Source: body.Source, Key: "api:" + key}
	if body.At != "" {
		at, err := time.Parse(time.RFC3339, body.At)
		// Year 1 is the zero time, which the core reads as "now".
		if err != nil || at.IsZero() {
			s.refused(w, r, c, http.StatusBadRequest, "api_at_invalid", nil)
			return
		}
		in.At = at
	}
	res, err := s.svc.FeedProgress(r.Context(), c.feeder, in)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	s.writeJSON(w, http.StatusOK, progressReply{Goal: goalOf(bot.FedGoal{Goal: res.Goal, Figures: res.Goal.FiguresAt(s.clock.Now()), Updates: []bot.Update{res.Update}}),
		Update: updateOf(res.Update), Replayed: res.Replayed})
	if res.Announcement != nil {
		// The caller has its answer; the chat post may wait on the
		// platform's rate limit without holding the caller up.
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), announceTimeout)
		defer cancel()
		s.svc.Announce(ctx, res.Announcement)
	}
}

// readProgress decodes and checks the body.
func (s *Server) readProgress(w http.ResponseWriter, r *http.Request, c call) (progressBody, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	var body progressBody
	if err := dec.Decode(&body); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.refused(w, r, c, http.StatusRequestEntityTooLarge, "api_too_large", map[string]any{"Max": MaxBody})
			return progressBody{}, false
		}
		s.refused(w, r, c, http.StatusBadRequest, "api_body_invalid", nil)
		return progressBody{}, false
	}
	if dec.More() {
		s.refused(w, r, c, http.StatusBadRequest, "api_body_invalid", nil)
		return progressBody{}, false
	}
	if body.Value == nil {
		s.refused(w, r, c, http.StatusBadRequest, "api_value_missing", nil)
		return progressBody{}, false
	}
	return body, true
}

// validKey accepts 1 to MaxKeyLength printable ASCII characters.
func validKey(k string) bool {
	if len(k) == 0 || len(k) > MaxKeyLength {
		return false
	}
	for _, r := range k {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func (s *Server) getGoal(w http.ResponseWriter, r *http.Request, c call) {
	g, err := s.svc.FeederGoal(r.Context(), c.feeder, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	if err := s.svc.AuditFeed(r.Context(), c.feeder, "api.read", g.Goal.ID, r.Method+" "+r.URL.Path); err != nil {
		s.internal(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, goalOf(g))
}

func (s *Server) getTeamGoals(w http.ResponseWriter, r *http.Request, c call) {
	team := r.PathValue("team")
	goals, err := s.svc.FeederTeamGoals(r.Context(), c.feeder, team)
	if err != nil {
		s.fail(w, r, c, err)
		return
	}
	if err := s.svc.AuditFeed(r.Context(), c.feeder, "api.read", bot.TeamID(team), r.Method+" "+r.URL.Path); err != nil {
		s.internal(w, r, err)
		return
	}
	out := teamGoalsReply{Team: bot.TeamID(team), Goals: make([]goalJSON, 0, len(goals))}
	for _, g := range goals {
		out.Goals = append(out.Goals, goalOf(g))
	}
	s.writeJSON(w, http.StatusOK, out)
}

// fail answers a refusal from the core with its sentence, audited, or an
// internal error.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, c call, err error) {
	kind, key, ok := bot.ProblemOf(err)
	if !ok {
		s.internal(w, r, err)
		return
	}
	status := map[bot.ProblemKind]int{
		bot.ProblemInvalid: http.StatusUnprocessableEntity, bot.ProblemNotFound: http.StatusNotFound,
		bot.ProblemForbidden: http.StatusForbidden, bot.ProblemConflict: http.StatusConflict,
	}[kind]
	sentence, _ := s.svc.Refusal(c.locale, err)
	s.audit(r, c, "api.refused", sentence)
	s.writeProblem(w, r, status, key, sentence)
}

// refused answers a refusal of the adapter's own (the request's shape), audited.
func (s *Server) refused(w http.ResponseWriter, r *http.Request, c call, status int, key string, data map[string]any) {
	sentence := s.svc.Catalog().T(c.locale, key, data)
	s.audit(r, c, "api.refused", sentence)
	s.writeProblem(w, r, status, key, sentence)
}

func (s *Server) audit(r *http.Request, c call, action, detail string) {
	if err := s.svc.AuditFeed(r.Context(), c.feeder, action, r.Method+" "+r.URL.Path, detail); err != nil {
		s.log.Warn().Err(err).Str("team", c.token.Team).Msg("audit api call")
	}
}

// problem answers with a catalogue sentence in the request's language.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, status int, key string, data map[string]any) {
	s.writeProblem(w, r, status, key, s.svc.Catalog().T(requestLocale(r), key, data))
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error().Err(err).Str("path", r.URL.Path).Msg("api call failed")
	l := requestLocale(r)
	s.writeProblem(w, r, http.StatusInternalServerError, "error_internal", s.svc.Catalog().T(l, "error_internal", nil))
}

// problemJSON is an RFC 9457 problem detail.
type problemJSON struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
	// Key is the catalogue key of Detail, stable across languages.
	Key string `json:"key"`
}

func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, status int, key, sentence string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Language", string(requestLocale(r)))
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problemJSON{Type: "urn:pulse:problem:" + key, Title: http.StatusText(status),
		Status: status, Detail: sentence, Instance: r.URL.Path, Key: key})
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		s.log.Error().Err(err).Msg("encode api reply")
		http.Error(w, "encode reply", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// requestLocale reads Accept-Language: Chinese when it asks for zh first, else English.
func requestLocale(r *http.Request) bot.Locale {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return bot.Chinese
		case strings.HasPrefix(tag, "en"):
			return bot.English
		}
	}
	return bot.English
}
