package slack

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/pulse-bot/pulse/bot"
)

// profile returns what Slack says about a person (users.info), through the
// cache so a busy channel costs one Web API call per person per hour. A
// failed lookup yields an empty profile: the event is still handled.
func (a *Adapter) profile(ctx context.Context, team, user string) bot.Profile {
	key := "slack:user:" + team + ":" + user
	now := a.clock.Now()
	if p, ok := a.profiles.get(key, now); ok {
		return p
	}
	if raw, ok, err := a.cache.CacheGet(ctx, key); err == nil && ok {
		var p bot.Profile
		if json.Unmarshal([]byte(raw), &p) == nil {
			a.profiles.put(key, p, now.Add(localProfileTTL))
			return p
		}
	}
	var u *slack.User
	err := a.call(ctx, "users.info", func(ctx context.Context) (err error) {
		u, err = a.api.GetUserInfoContext(ctx, user)
		return err
	})
	if err != nil {
		a.log.Warn().Err(err).Str("user", user).Msg("slack profile lookup failed")
		return bot.Profile{}
	}
	p := bot.Profile{Name: displayName(u), TimeZone: u.TZ, Locale: slackLocale(u.Locale)}
	a.profiles.put(key, p, now.Add(localProfileTTL))
	if raw, err := json.Marshal(p); err == nil {
		if err := a.cache.CacheSet(ctx, key, string(raw), profileTTL); err != nil {
			a.log.Warn().Err(err).Msg("slack profile cache write failed")
		}
	}
	return p
}

func displayName(u *slack.User) string {
	for _, n := range []string{u.Profile.DisplayName, u.Profile.RealName, u.RealName, u.Name} {
		if n = strings.TrimSpace(n); n != "" {
			return n
		}
	}
	return u.ID
}

// slackLocale maps Slack's locale ("zh-CN", "en-US") to a reply language.
func slackLocale(l string) bot.Locale {
	if l == "" {
		return ""
	}
	if strings.HasPrefix(strings.ToLower(l), "zh") {
		return bot.Chinese
	}
	return bot.English
}

// localProfileTTL is shorter than profileTTL: replicas share Redis, and a
// renamed person should not wait an hour per replica.
const localProfileTTL = 5 * time.Minute

// maxLocalProfiles bounds the in-process layer; past it the layer starts over.
const maxLocalProfiles = 10000

type localEntry struct {
	p       bot.Profile
	expires time.Time
}

// localCache is a small expiring map in front of the shared Cache.
type localCache struct {
	mu sync.Mutex
	m  map[string]localEntry
}

func (c *localCache) get(key string, now time.Time) (bot.Profile, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || now.After(e.expires) {
		return bot.Profile{}, false
	}
	return e.p, true
}

func (c *localCache) put(key string, p bot.Profile, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxLocalProfiles {
		c.m = map[string]localEntry{}
	}
	c.m[key] = localEntry{p: p, expires: expires}
}

// home is where Slack says a person belongs: their own workspace and, for a
// member of an Enterprise Grid organisation, its id.
type home struct{ team, enterprise string }

// homeOf asks users.info where user belongs, through the shared cache (one
// Web API call per person per profileTTL), for the payloads that do not
// say: a button under an org-wide install, a mention in a Slack Connect
// channel. ok is false when Slack could not be asked.
func (a *Adapter) homeOf(ctx context.Context, user string) (home, bool) {
	key := "slack:home:" + user
	if raw, ok, err := a.cache.CacheGet(ctx, key); err == nil && ok {
		team, enterprise, _ := strings.Cut(raw, "|")
		return home{team: team, enterprise: enterprise}, true
	}
	var u *slack.User
	err := a.call(ctx, "users.info", func(ctx context.Context) (err error) {
		u, err = a.api.GetUserInfoContext(ctx, user)
		return err
	})
	if err != nil {
		a.log.Warn().Err(err).Str("user", user).Msg("slack workspace lookup failed")
		return home{}, false
	}
	h := home{team: u.TeamID, enterprise: u.Enterprise.EnterpriseID}
	if err := a.cache.CacheSet(ctx, key, h.team+"|"+h.enterprise, profileTTL); err != nil {
		a.log.Warn().Err(err).Msg("slack workspace cache write failed")
	}
	return h, true
}
