package slack

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/slack-go/slack"

	"github.com/pulse-bot/pulse/bot"
)

// profile returns what Slack says about a person (users.info), through the
// cache so a busy channel costs one Web API call per person per hour. A
// failed lookup yields an empty profile: the event is still handled.
func (a *Adapter) profile(ctx context.Context, team, user string) bot.Profile {
	key := "slack:user:" + team + ":" + user
	if raw, ok, err := a.cache.CacheGet(ctx, key); err == nil && ok {
		var p bot.Profile
		if json.Unmarshal([]byte(raw), &p) == nil {
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
