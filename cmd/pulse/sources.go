package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/parse"
	"github.com/pulse-bot/pulse/pull"
)

// sourceSpec is one metric source in the team file.
type sourceSpec struct {
	Name string `yaml:"name"`
	// Kind is json (default) or prometheus.
	Kind string `yaml:"kind"`
	URL  string `yaml:"url"`
	// Headers maps a header name to the environment variable holding its
	// value, so the file carries no secrets.
	Headers map[string]string `yaml:"headers"`
	Path    string            `yaml:"path"`
	Query   string            `yaml:"query"`
	// Schedule is a five-field cron expression in the team's time zone.
	Schedule string   `yaml:"schedule"`
	Goals    []string `yaml:"goals"`
}

// headerName is an HTTP header field name (RFC 9110 token characters).
var headerName = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")

// loadSources checks every team's metric sources and resolves their header
// secrets from the environment.
func loadSources(p *problems, teams []bot.Team, specs map[string]teamSpec, getenv func(string) string) []pull.Source {
	var out []pull.Source
	for i, t := range teams {
		seen := map[string]bool{}
		for j, s := range specs[t.ID].Sources {
			field := fmt.Sprintf("PULSE_CONFIG teams[%d] (%s).sources[%d]", i, t.Name, j)
			src, ok := s.source(p, field, t.ID, getenv)
			if !ok {
				continue
			}
			if seen[src.Name] {
				p.add(field+".name", "source %q is declared twice in team %s", src.Name, t.Name)
				continue
			}
			seen[src.Name] = true
			out = append(out, src)
		}
	}
	return out
}

func (s sourceSpec) source(p *problems, field, team string, getenv func(string) string) (pull.Source, bool) {
	before := len(*p)
	src := pull.Source{Team: team, Name: strings.TrimSpace(s.Name), Kind: strings.ToLower(strings.TrimSpace(s.Kind)),
		URL: strings.TrimSpace(s.URL), Query: strings.TrimSpace(s.Query), Schedule: strings.TrimSpace(s.Schedule), Headers: map[string]string{}}
	if !parse.ValidName(src.Name) {
		p.add(field+".name", "%q: use up to 40 lower-case letters, digits, - . or _, such as shop-conversion", s.Name)
	}
	if src.Kind == "" {
		src.Kind = pull.KindJSON
	}
	u, err := url.Parse(src.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.add(field+".url", "%q is not an http:// or https:// URL", s.URL)
	}
	switch src.Kind {
	case pull.KindJSON:
		if src.Query != "" {
			p.add(field+".query", "is for kind prometheus; a json source has a path")
		}
		path, err := pull.ParsePath(s.Path)
		if err != nil {
			p.add(field+".path", "%v", err)
		}
		src.Path = path
	case pull.KindPrometheus:
		if src.Query == "" {
			p.add(field+".query", "is required for kind prometheus: a PromQL query whose result is one number")
		}
		if s.Path != "" {
			p.add(field+".path", "is for kind json; a prometheus source has a query")
		}
	default:
		p.add(field+".kind", "%q is not json or prometheus", s.Kind)
	}
	if src.Schedule == "" {
		p.add(field+".schedule", "is required: a cron expression such as \"*/15 * * * *\"")
	} else {
		checkSchedule(p, field+".schedule", src.Schedule)
	}
	names := make([]string, 0, len(s.Headers))
	for h := range s.Headers {
		names = append(names, h)
	}
	slices.Sort(names)
	for _, h := range names {
		env := strings.TrimSpace(s.Headers[h])
		if !headerName.MatchString(h) {
			p.add(field+".headers", "%q is not a header name", h)
			continue
		}
		value := getenv(env)
		if env == "" || value == "" {
			p.add(field+".headers."+h, "names the environment variable %q, which is not set; the file holds variable names, never secrets", env)
			continue
		}
		src.Headers[http.CanonicalHeaderKey(h)] = value
	}
	for j, g := range s.Goals {
		id, ok := parse.GoalID(g)
		if !ok {
			p.add(fmt.Sprintf("%s.goals[%d]", field, j), "%q is not a goal id such as G7", g)
			continue
		}
		src.Goals = append(src.Goals, id)
	}
	return src, len(*p) == before
}

// startPulls links the file's goals to their sources, tells the core which
// sources exist, and returns the runner that pulls them on schedule.
func (e *environment) startPulls(ctx context.Context, b *backend, svc *bot.Service, clock bot.Clock) (*pull.Runner, error) {
	byTeam := map[string][]string{}
	zones := map[string]*time.Location{}
	for _, t := range e.cfg.Teams {
		zones[t.ID] = t.Location()
	}
	for _, src := range e.cfg.Sources {
		byTeam[src.Team] = append(byTeam[src.Team], src.Name)
		if err := svc.LinkSource(ctx, src.Team, src.Name, src.Goals); err != nil {
			return nil, fmt.Errorf("PULSE_CONFIG: %w", err)
		}
	}
	svc.SetMetricSources(byTeam)
	return pull.New(pull.Config{Feed: svc, Claims: b.store, Sources: e.cfg.Sources, Zones: zones, Clock: clock,
		Log: e.log.With().Str("component", "pulls").Logger()})
}
