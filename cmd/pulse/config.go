package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/pull"
	"github.com/pulse-bot/pulse/scheduler"
)

// config is everything Pulse reads from its environment, checked.
type config struct {
	RedisURL    string
	RedisPrefix string
	HTTPAddr    string
	ConfigFile  string
	Admins      []bot.UserID
	// Organisation is PULSE_ORGANISATION: the workspaces Pulse runs for.
	Organisation []string
	LogLevel     string
	LogFormat    string
	Slack        slackConfig
	Feishu       feishuConfig
	// ReclaimAfter is how long the work a dead replica held (queued
	// deliveries, a delivery it was sending, a run it was planning) waits
	// before another replica takes it over; zero keeps the scheduler's
	// defaults (1 min, 10 min, 2 min).
	ReclaimAfter time.Duration
	// Teams come from the PULSE_CONFIG file.
	Teams []bot.Team
	// ReviewQuestions are the file's review question templates by team id.
	ReviewQuestions map[string][]string
	// Sources are the file's metric sources, every team's.
	Sources []pull.Source
	// Templates are the file's goal templates by team id, beside the defaults.
	Templates map[string][]bot.GoalTemplate

	// WebURL is where people reach the web view (PULSE_WEB_URL); empty
	// means the address serve listens on.
	WebURL string
	// APIRateLimit is PULSE_API_RATE_LIMIT, calls per API token per
	// minute; zero means the API's default.
	APIRateLimit int
}

type slackConfig struct {
	BotToken, SigningSecret, AppToken, APIURL string
}

// enabled reports whether Slack has credentials.
func (s slackConfig) enabled() bool { return s.BotToken != "" }

type feishuConfig struct {
	AppID, AppSecret, Mode, VerificationToken, EncryptKey, BaseURL string
}

// enabled reports whether Feishu has credentials.
func (f feishuConfig) enabled() bool { return f.AppID != "" }

// Defaults of SPEC.md.
const (
	defaultHTTPAddr    = ":8080"
	defaultRedisPrefix = "pulse:"
)

// configError lists every problem found in the configuration, one line
// each, so an operator fixes them all in one go.
type configError struct{ problems []string }

func (e *configError) Error() string {
	return "invalid configuration:\n  " + strings.Join(e.problems, "\n  ")
}

// problems collects configuration problems as "FIELD: what is wrong".
type problems []string

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, field+": "+fmt.Sprintf(format, args...))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &configError{problems: p}
}

// loadConfig reads and checks the environment and the team file. It
// returns every problem at once.
func loadConfig(getenv func(string) string) (config, error) {
	env := func(k string) string { return strings.TrimSpace(getenv(k)) }
	cfg := config{
		RedisURL:    env("REDIS_URL"),
		RedisPrefix: env("PULSE_REDIS_PREFIX"),
		HTTPAddr:    env("PULSE_HTTP_ADDR"),
		WebURL:      env("PULSE_WEB_URL"),
		ConfigFile:  env("PULSE_CONFIG"),
		LogLevel:    strings.ToLower(env("PULSE_LOG_LEVEL")),
		LogFormat:   strings.ToLower(env("PULSE_LOG_FORMAT")),
		Slack: slackConfig{
			BotToken:      env("SLACK_BOT_TOKEN"),
			SigningSecret: env("SLACK_SIGNING_SECRET"),
			AppToken:      env("SLACK_APP_TOKEN"),
			APIURL:        env("SLACK_API_URL"),
		},
		Feishu: feishuConfig{
			AppID:             env("FEISHU_APP_ID"),
			AppSecret:         env("FEISHU_APP_SECRET"),
			Mode:              strings.ToLower(env("FEISHU_MODE")),
			VerificationToken: env("FEISHU_VERIFICATION_TOKEN"),
			EncryptKey:        env("FEISHU_ENCRYPT_KEY"),
			BaseURL:           env("FEISHU_BASE_URL"),
		},
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = defaultHTTPAddr
	}
	if cfg.RedisPrefix == "" {
		cfg.RedisPrefix = defaultRedisPrefix
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "info"
	}
	if cfg.LogFormat == "" {
		cfg.LogFormat = "json"
	}
	if cfg.Feishu.Mode == "" {
		cfg.Feishu.Mode = "ws"
	}

	var p problems
	checkRedis(&p, cfg)
	if _, _, err := net.SplitHostPort(cfg.HTTPAddr); err != nil {
		p.add("PULSE_HTTP_ADDR", "%q is not host:port (for example :8080)", cfg.HTTPAddr)
	}
	checkWebURL(&p, cfg.WebURL)
	cfg.APIRateLimit = parseAPIRateLimit(&p, env("PULSE_API_RATE_LIMIT"))
	cfg.Admins = parseAdmins(&p, env("PULSE_ADMINS"))
	cfg.Organisation = parseOrganisation(&p, env("PULSE_ORGANISATION"))
	switch cfg.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		p.add("PULSE_LOG_LEVEL", "%q is not debug, info, warn or error", cfg.LogLevel)
	}
	switch cfg.LogFormat {
	case "json", "console":
	default:
		p.add("PULSE_LOG_FORMAT", "%q is not json or console", cfg.LogFormat)
	}
	cfg.ReclaimAfter = parseReclaimAfter(&p, env("PULSE_SCHEDULER_RECLAIM_AFTER"))
	checkSlack(&p, cfg.Slack)
	checkFeishu(&p, cfg.Feishu)
	if cfg.ConfigFile != "" {
		var specs map[string]teamSpec
		cfg.Teams, cfg.ReviewQuestions, specs = loadTeamFile(&p, cfg.ConfigFile)
		cfg.Sources = loadSources(&p, cfg.Teams, specs, getenv)
		cfg.Templates = loadTemplates(&p, cfg.Teams, specs)
	}
	return cfg, p.err()
}

func checkRedis(p *problems, cfg config) {
	if strings.ContainsAny(cfg.RedisPrefix, "{}") {
		p.add("PULSE_REDIS_PREFIX", "must not contain { or }, which would break Redis Cluster hash tags")
	}
	if cfg.RedisURL == "" {
		return
	}
	u, err := url.Parse(cfg.RedisURL)
	switch {
	case err != nil:
		p.add("REDIS_URL", "is not a URL; use redis://[user:pass@]host:port/db")
	case u.Scheme != "redis" && u.Scheme != "rediss":
		p.add("REDIS_URL", "scheme %q is not redis:// or rediss://", u.Scheme)
	case u.Host == "":
		p.add("REDIS_URL", "has no host; use redis://[user:pass@]host:port/db")
	}
}

// minReclaimAfter is the least PULSE_SCHEDULER_RECLAIM_AFTER: below it a
// live replica's ordinary send would be taken over and sent twice.
const minReclaimAfter = time.Second

// parseReclaimAfter reads PULSE_SCHEDULER_RECLAIM_AFTER, a Go duration;
// empty means the scheduler's defaults.
func parseReclaimAfter(p *problems, raw string) time.Duration {
	if raw == "" {
		return 0
	}
	d, err := time.ParseDuration(raw)
	switch {
	case err != nil:
		p.add("PULSE_SCHEDULER_RECLAIM_AFTER", "%q is not a duration such as 30s or 2m", raw)
	case d < minReclaimAfter:
		p.add("PULSE_SCHEDULER_RECLAIM_AFTER", "%s is below the minimum of %s", d, minReclaimAfter)
	default:
		return d
	}
	return 0
}

func parseAdmins(p *problems, raw string) []bot.UserID {
	var admins []bot.UserID
	for _, part := range strings.Split(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id := bot.UserID(part)
		if !id.Valid() || !knownPlatform(id.Platform()) {
			p.add("PULSE_ADMINS", "%q is not a platform-qualified user id such as slack:T0123:U0456 or feishu:<tenant_key>:<open_id>", part)
			continue
		}
		admins = append(admins, id)
	}
	return admins
}

func knownPlatform(pl bot.Platform) bool {
	return pl == bot.PlatformSlack || pl == bot.PlatformFeishu || pl == bot.PlatformConsole
}

func checkSlack(p *problems, s slackConfig) {
	if s.BotToken == "" {
		if s.SigningSecret != "" || s.AppToken != "" {
			p.add("SLACK_BOT_TOKEN", "is required when SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set")
		}
	} else if !strings.HasPrefix(s.BotToken, "xoxb-") {
		p.add("SLACK_BOT_TOKEN", "must be a bot token starting with xoxb-")
	}
	if s.AppToken != "" && !strings.HasPrefix(s.AppToken, "xapp-") {
		p.add("SLACK_APP_TOKEN", "must be an app-level token starting with xapp-")
	}
	if s.BotToken != "" && s.AppToken == "" && s.SigningSecret == "" {
		p.add("SLACK_SIGNING_SECRET", "is required to verify Slack's HTTP requests (or set SLACK_APP_TOKEN for Socket Mode)")
	}
	checkURL(p, "SLACK_API_URL", s.APIURL)
}

func checkFeishu(p *problems, f feishuConfig) {
	switch {
	case f.AppID != "" && f.AppSecret == "":
		p.add("FEISHU_APP_SECRET", "is required when FEISHU_APP_ID is set")
	case f.AppID == "" && f.AppSecret != "":
		p.add("FEISHU_APP_ID", "is required when FEISHU_APP_SECRET is set")
	}
	switch f.Mode {
	case "ws":
	case "webhook":
		if f.AppID != "" && f.VerificationToken == "" {
			p.add("FEISHU_VERIFICATION_TOKEN", "is required when FEISHU_MODE is webhook")
		}
		if f.AppID != "" && f.EncryptKey == "" {
			p.add("FEISHU_ENCRYPT_KEY", "is required when FEISHU_MODE is webhook")
		}
	default:
		p.add("FEISHU_MODE", "%q is not ws or webhook", f.Mode)
	}
	checkURL(p, "FEISHU_BASE_URL", f.BaseURL)
}

func checkURL(p *problems, field, raw string) {
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.add(field, "%q is not an http:// or https:// URL", raw)
	}
}

// teamFile is the PULSE_CONFIG file; deploy/config.example.yaml documents it.
type teamFile struct {
	Teams []teamSpec `yaml:"teams"`
}

type teamSpec struct {
	Name      string   `yaml:"name"`
	Platform  string   `yaml:"platform"`
	Channel   string   `yaml:"channel"`
	Members   []string `yaml:"members"`
	Managers  []string `yaml:"managers"`
	Timezone  string   `yaml:"timezone"`
	Language  string   `yaml:"language"`
	Checkin   string   `yaml:"checkin"`
	Digest    string   `yaml:"digest"`
	Questions []string `yaml:"questions"`
	// HighlightQuestion and BlockersQuestion mark which question's answer
	// is the highlight and the blockers: its number (1 is the first) or
	// "none"; left out, the first and the third.
	HighlightQuestion string `yaml:"highlight_question"`
	BlockersQuestion  string `yaml:"blockers_question"`
	// ReviewQuestions replace the written questions of the review template.
	ReviewQuestions []string `yaml:"review_questions"`
	Allowance       *int     `yaml:"allowance"`
	Values          []string `yaml:"values"`
	Holidays        string   `yaml:"holidays"`
	Leaderboard     bool     `yaml:"leaderboard"`
	AnnounceKudos   *bool    `yaml:"announce_kudos"`
	// Sources are metric endpoints whose values feed linked goals.
	Sources []sourceSpec `yaml:"sources"`
	// Templates add goal templates beside the defaults (or replace one of the same name).
	Templates []templateSpec `yaml:"templates"`
}

// loadTeamFile reads the YAML team file strictly (unknown fields are
// errors, so a typo never silently falls back to a default) and turns each
// entry into a bot.Team with SPEC.md's defaults.
func loadTeamFile(p *problems, path string) ([]bot.Team, map[string][]string, map[string]teamSpec) {
	data, err := os.ReadFile(path)
	if err != nil {
		p.add("PULSE_CONFIG", "cannot read %s: %v", path, unwrapPathError(err))
		return nil, nil, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f teamFile
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		p.add("PULSE_CONFIG", "%s: %s", path, strings.ReplaceAll(err.Error(), "\n", "; "))
		return nil, nil, nil
	}
	specs := map[string]teamSpec{}
	seen := map[string]bool{}
	teams := make([]bot.Team, 0, len(f.Teams))
	reviewQuestions := map[string][]string{}
	for i, spec := range f.Teams {
		field := fmt.Sprintf("PULSE_CONFIG teams[%d]", i)
		if spec.Name != "" {
			field = fmt.Sprintf("PULSE_CONFIG teams[%d] (%s)", i, spec.Name)
		}
		t, ok := spec.team(p, field)
		if !ok {
			continue
		}
		if seen[t.ID] {
			p.add(field+".name", "team %q is declared twice", spec.Name)
			continue
		}
		seen[t.ID] = true
		teams = append(teams, t)
		specs[t.ID] = spec
		if qs := spec.reviewQuestions(p, field); len(qs) > 0 {
			reviewQuestions[t.ID] = qs
		}
	}
	return teams, reviewQuestions, specs
}

// reviewQuestions checks the entry's review question template.
func (s teamSpec) reviewQuestions(p *problems, field string) []string {
	for j, q := range s.ReviewQuestions {
		if strings.TrimSpace(q) == "" {
			p.add(fmt.Sprintf("%s.review_questions[%d]", field, j), "is empty")
		}
	}
	return s.ReviewQuestions
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// team checks one entry and builds its team; ok is false when any field is wrong.
func (s teamSpec) team(p *problems, field string) (bot.Team, bool) {
	before := len(*p)
	name := strings.TrimSpace(s.Name)
	if name == "" {
		p.add(field+".name", "is required")
	}
	platform := bot.Platform(strings.ToLower(strings.TrimSpace(s.Platform)))
	if platform != bot.PlatformSlack && platform != bot.PlatformFeishu {
		p.add(field+".platform", "%q is not slack or feishu", s.Platform)
	}
	if strings.TrimSpace(s.Channel) == "" {
		p.add(field+".channel", "is required: the platform's channel id where digests and summaries go")
	}
	t := bot.NewTeam(name, platform, strings.TrimSpace(s.Channel), time.Time{})
	t.Members = userIDs(p, field+".members", s.Members, platform)
	t.Managers = userIDs(p, field+".managers", s.Managers, platform)
	if s.Timezone != "" {
		if _, err := time.LoadLocation(s.Timezone); err != nil {
			p.add(field+".timezone", "%q is not an IANA time zone such as Europe/Berlin or Asia/Shanghai", s.Timezone)
		}
		t.TimeZone = s.Timezone
	}
	if s.Language != "" {
		l, ok := bot.ParseLocale(s.Language)
		if !ok {
			p.add(field+".language", "%q is not en or zh", s.Language)
		}
		t.Locale = l
	}
	if s.Checkin != "" {
		checkSchedule(p, field+".checkin", s.Checkin)
		t.CheckInSchedule = s.Checkin
	}
	if s.Digest != "" {
		checkSchedule(p, field+".digest", s.Digest)
		t.DigestSchedule = s.Digest
	}
	for j, q := range s.Questions {
		if strings.TrimSpace(q) == "" {
			p.add(fmt.Sprintf("%s.questions[%d]", field, j), "is empty")
		}
	}
	t.Questions = s.Questions
	t.HighlightQuestion = questionRole(p, field+".highlight_question", s.HighlightQuestion)
	t.BlockersQuestion = questionRole(p, field+".blockers_question", s.BlockersQuestion)
	checkQuestionRoles(p, field, t)
	if s.Allowance != nil {
		if *s.Allowance < 0 {
			p.add(field+".allowance", "%d is negative; use 0 or more recipients a day", *s.Allowance)
		}
		t.KudosAllowance = *s.Allowance
	}
	t.Values = s.Values
	if s.Holidays != "" {
		checkHolidays(p, field+".holidays", s.Holidays)
		t.Holidays = s.Holidays
	}
	t.Leaderboard = s.Leaderboard
	if s.AnnounceKudos != nil {
		t.AnnounceKudos = *s.AnnounceKudos
	}
	return t, len(*p) == before
}

func userIDs(p *problems, field string, raw []string, platform bot.Platform) []bot.UserID {
	ids := make([]bot.UserID, 0, len(raw))
	for j, r := range raw {
		id := bot.UserID(strings.TrimSpace(r))
		if !id.Valid() {
			p.add(fmt.Sprintf("%s[%d]", field, j), "%q is not a platform-qualified user id such as slack:T0123:U0456", r)
			continue
		}
		if id.Platform() != platform {
			p.add(fmt.Sprintf("%s[%d]", field, j), "%q is not on the team's platform %s", r, platform)
			continue
		}
		ids = append(ids, id)
	}
	return ids
}

// validateSchedule accepts the five-field cron expressions of team
// schedules (minute hour day-of-month month day-of-week), without a zone:
// the team's or person's zone applies. The service uses it for
// `/pulse team set … checkin|digest` too.
func validateSchedule(expr string) error {
	e := strings.TrimSpace(expr)
	if strings.HasPrefix(e, "CRON_TZ=") || strings.HasPrefix(e, "TZ=") {
		return errors.New("leave out the zone; the team's time zone applies")
	}
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	if _, err := parser.Parse(e); err != nil {
		return fmt.Errorf("want five fields such as \"0 10 * * MON\": %w", err)
	}
	return nil
}

func checkSchedule(p *problems, field, expr string) {
	if err := validateSchedule(expr); err != nil {
		p.add(field, "%q is not a schedule: %v", expr, err)
	}
}

// checkHolidays loads the calendar the way the scheduler will, so a broken
// holiday file fails at start rather than at the first check-in.
func checkHolidays(p *problems, field, v string) {
	if _, err := scheduler.LoadCalendar(v); err != nil {
		p.add(field, "%q is not none, cn or a readable holiday file: %v", v, unwrapPathError(err))
	}
}

// parseOrganisation reads "slack:T0123,feishu:<tenant_key>": each entry a
// platform and a workspace.
func parseOrganisation(p *problems, raw string) []string {
	var out []string
	for _, part := range strings.Split(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		platform, workspace, ok := strings.Cut(part, ":")
		if !ok || workspace == "" || strings.Contains(workspace, ":") ||
			(platform != string(bot.PlatformSlack) && platform != string(bot.PlatformFeishu) && platform != string(bot.PlatformConsole)) {
			p.add("PULSE_ORGANISATION", "%q is not a workspace such as slack:T0123 or feishu:<tenant_key>", part)
			continue
		}
		out = append(out, part)
	}
	return out
}

// questionRole reads a team file's role marking: a question's number,
// "none", or empty for the default.
func questionRole(p *problems, field, raw string) int {
	v := strings.TrimSpace(raw)
	switch strings.ToLower(v) {
	case "":
		return 0
	case "none":
		return bot.NoQuestion
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		p.add(field, "%q is not a question number (1 is the first) or none", raw)
		return 0
	}
	return n
}

// checkQuestionRoles refuses a role marked on a question the team does not
// ask, and one question marked with both roles.
func checkQuestionRoles(p *problems, field string, t bot.Team) {
	n := len(t.CheckInQuestions())
	for _, r := range []struct {
		name string
		at   int
	}{{"highlight_question", t.HighlightQuestion}, {"blockers_question", t.BlockersQuestion}} {
		if r.at > n || r.at < bot.NoQuestion {
			p.add(field+"."+r.name, "%d names no question: the team asks %d; give a number from 1 to %d, or none", r.at, n, n)
		}
	}
	if t.HighlightQuestion > 0 && t.HighlightQuestion == t.BlockersQuestion {
		p.add(field+".blockers_question", "%d is also the highlight_question; mark two different questions", t.BlockersQuestion)
	}
}
