package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/pulse-bot/pulse/bot"
)

// envelope is the Events API wrapper (https://docs.slack.dev/apis/events-api),
// the same over HTTP and inside a Socket Mode events_api envelope.
type envelope struct {
	Type      string `json:"type"`
	Challenge string `json:"challenge,omitempty"`
	TeamID    string `json:"team_id,omitempty"`
	EventID   string `json:"event_id,omitempty"`
	// EnterpriseID is the Enterprise Grid organisation, when there is one;
	// an authorization with is_enterprise_install says Pulse is installed
	// org-wide; IsExtSharedChannel marks a channel shared with another
	// company (see identity.go).
	EnterpriseID   string `json:"enterprise_id,omitempty"`
	Authorizations []struct {
		IsEnterpriseInstall bool `json:"is_enterprise_install,omitempty"`
	} `json:"authorizations,omitempty"`
	IsExtSharedChannel bool       `json:"is_ext_shared_channel,omitempty"`
	Event              innerEvent `json:"event,omitempty"`
	// MinuteRateLimited is set on an app_rate_limited notice: the minute
	// (Unix time) from which Slack stopped delivering this app's events.
	MinuteRateLimited int64 `json:"minute_rate_limited,omitempty"`
}

// innerEvent holds the fields Pulse reads from message, app_mention and
// app_home_opened events. Empty fields are left out when an envelope is
// stored in the inbox: a chat message queues in about half the bytes.
type innerEvent struct {
	Type        string `json:"type"`
	Subtype     string `json:"subtype,omitempty"`
	User        string `json:"user,omitempty"`
	BotID       string `json:"bot_id,omitempty"`
	Text        string `json:"text,omitempty"`
	Channel     string `json:"channel,omitempty"`
	ChannelType string `json:"channel_type,omitempty"`
	TS          string `json:"ts,omitempty"`
	ThreadTS    string `json:"thread_ts,omitempty"`
	Tab         string `json:"tab,omitempty"`
	// UserTeam is the sender's own workspace; in a Slack Connect channel it
	// differs from the envelope's team_id, which is the host's.
	UserTeam string `json:"user_team,omitempty"`
	// Edited is set on an app_mention or message that was edited: an
	// edit is not a new update (the original was acted on, or was not).
	Edited *struct {
		User string `json:"user,omitempty"`
		TS   string `json:"ts,omitempty"`
	} `json:"edited,omitempty"`
}

// userSubtypes are message subtypes that are still a person posting text:
// a message with a file attached, a thread reply also sent to the channel,
// and a /me message (read like any other: "/me G7 2.6%" is an update).
// Every other subtype (edits, deletions, joins, bot posts…) is ignored.
var userSubtypes = map[string]bool{"file_share": true, "thread_broadcast": true, "me_message": true}

func (a *Adapter) serveEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readVerified(w, r)
	if !ok {
		return
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		a.log.Warn().Err(err).Msg("slack event payload is not JSON")
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	switch env.Type {
	case "url_verification":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(env.Challenge))
		return
	case "event_callback":
	case "app_rate_limited":
		// Slack drops the app's events for the rest of that minute (over
		// 30,000 an hour from one workspace): updates typed then are lost,
		// and the operator should hear of it.
		a.log.Warn().Str("team_id", env.TeamID).Int64("minute_rate_limited", env.MinuteRateLimited).
			Msg("slack is not delivering this app's events for a minute (app_rate_limited); messages sent then are not seen")
		w.WriteHeader(http.StatusOK)
		return
	default:
		w.WriteHeader(http.StatusOK)
		return
	}
	// Verify, queue, acknowledge: the event is stored in the inbox (one
	// atomic claim-and-append) before Slack hears 200, and the inbox workers
	// do the work. A delivery that cannot be queued in time gets a 5xx, so
	// Slack retries it. X-Slack-Retry-Num is deliberately not looked at: a
	// retry may be the only delivery that ever arrives.
	key := a.eventKey(env)
	if key == "" {
		w.WriteHeader(http.StatusOK)
		return
	}
	stored, err := json.Marshal(env)
	if err != nil {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	if _, err := a.queue(r.Context(), key, kindEvent, stored); err != nil {
		a.refused(err, key)
		http.Error(w, "not queued", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// eventKey is the inbox key of an event Pulse acts on, "" for one it
// ignores. A post that mentions the bot arrives twice (as app_mention and
// as message, with different event_ids); both are keyed on channel+ts, so
// whichever comes first is queued and the other is a repeat.
func (a *Adapter) eventKey(env envelope) string {
	switch ev := env.Event; ev.Type {
	case "message", "app_mention":
		if a.ignoredMessage(ev) {
			return ""
		}
		return "slack:msg:" + ev.Channel + ":" + ev.TS
	case "app_home_opened":
		if ev.Tab != "home" || ev.User == "" {
			return ""
		}
		return "slack:event:" + env.EventID
	}
	return ""
}

// handleEnvelope does the work for one queued event.
func (a *Adapter) handleEnvelope(ctx context.Context, env envelope, d delivery) error {
	switch env.Event.Type {
	case "message", "app_mention":
		return a.handleMessage(ctx, env, d)
	case "app_home_opened":
		return a.handleHomeOpened(ctx, env, d)
	}
	return nil
}

// slackbot is Slackbot's user id. Its posts (channel reminders, custom
// responses) carry a user and no bot_id, like a person's.
const slackbot = "USLACKBOT"

// ignoredMessage reports messages Pulse must not act on: other subtypes
// (including message_changed: an edit is not a new update, see
// deploy/slack/README.md), bots (ourselves included, and Slackbot) and system messages without a user.
func (a *Adapter) ignoredMessage(ev innerEvent) bool {
	if (ev.Subtype != "" && !userSubtypes[ev.Subtype]) || ev.Edited != nil {
		return true
	}
	if ev.BotID != "" || ev.User == "" || ev.User == slackbot || ev.TS == "" {
		return true
	}
	me := a.self()
	return ev.User == me.UserID || (me.BotID != "" && ev.BotID == me.BotID)
}

// handleMessage serves message and app_mention. Both build the same Event
// for one post, so it does not matter which of the twins claimed it.
func (a *Adapter) handleMessage(ctx context.Context, env envelope, d delivery) error {
	ev := env.Event
	team := a.teamOf(env.TeamID)
	me := a.self()
	text, mentioned := stripBotMention(ev.Text, me.UserID)
	direct := ev.ChannelType == "im"
	kind := bot.MessageKind(direct, mentioned || ev.Type == "app_mention")
	if ev.Subtype == "file_share" && text == "" {
		// A file with no words: the core answers a direct one with a
		// sentence asking for text, as for a Feishu image.
		kind = bot.KindNotText
	}
	bev := bot.Event{
		Key:      "slack:" + ev.Channel + ":" + ev.TS,
		Kind:     kind,
		Platform: bot.PlatformSlack,
		User:     bot.NewUserID(bot.PlatformSlack, workspaceOf(ev.UserTeam, team, env.orgWide(), env.IsExtSharedChannel), ev.User),
		Channel:  ev.Channel,
		Direct:   direct,
		Message:  bot.MessageRef{Platform: bot.PlatformSlack, Channel: ev.Channel, ID: ev.TS},
	}
	if env.IsExtSharedChannel {
		bev.Text, bev.Names = a.translateSharedText(ctx, team, env.orgWide(), text)
	} else {
		bev.Text, bev.Names = a.translateText(ctx, team, workspaceOf("", team, env.orgWide(), false), text)
	}
	bev.Profile = a.profile(ctx, team, ev.User)
	o, retry := a.handled(ctx, bev, d.last)
	if retry != nil {
		return retry
	}
	a.deliver(ctx, target{
		channel: ev.Channel, user: ev.User, thread: ev.ThreadTS, direct: direct,
		sourceTS: ev.TS, key: bev.Key, first: d.first,
	}, o.Response, o.Err)
	return nil
}

// handleHomeOpened asks the core for the person's home view and publishes it.
func (a *Adapter) handleHomeOpened(ctx context.Context, env envelope, d delivery) error {
	ev := env.Event
	team := a.teamOf(env.TeamID)
	bev := bot.Event{
		Key:      "slack:" + env.EventID,
		Kind:     bot.KindAction,
		Platform: bot.PlatformSlack,
		User:     bot.NewUserID(bot.PlatformSlack, workspaceOf(ev.UserTeam, team, env.orgWide(), env.IsExtSharedChannel), ev.User),
		Channel:  ev.Channel,
		Direct:   true,
		Action:   bot.Action{ID: bot.ActionHome},
		Profile:  a.profile(ctx, team, ev.User),
	}
	o, retry := a.handled(ctx, bev, d.last)
	if retry != nil {
		return retry
	}
	if o.Err != nil {
		a.log.Error().Err(o.Err).Str("event_id", env.EventID).Msg("slack home view failed")
	}
	if o.Response.Reply.IsZero() {
		return nil
	}
	if err := a.publishHome(ctx, ev.User, o.Response.Reply); err != nil {
		a.log.Error().Err(err).Str("event_id", env.EventID).Msg("slack home publish failed")
	}
	return nil
}

func (a *Adapter) teamOf(payloadTeam string) string {
	if payloadTeam != "" {
		return payloadTeam
	}
	return a.self().TeamID
}

// stripBotMention removes mentions of the bot and reports whether there was one.
func stripBotMention(text, botUser string) (string, bool) {
	if botUser == "" || !strings.Contains(text, "<@") {
		return strings.TrimSpace(text), false
	}
	found := false
	out := mentionRE.ReplaceAllStringFunc(text, func(m string) string {
		if mentionRE.FindStringSubmatch(m)[1] == botUser {
			found = true
			return ""
		}
		return m
	})
	return strings.Join(strings.Fields(out), " "), found
}

var (
	mentionRE = regexp.MustCompile(`<@([UWB][A-Z0-9]+)(?:\|[^>]*)?>`)
	// otherRefRE matches Slack's other angle-bracket references: channels
	// <#C1|name>, special mentions <!here>, user groups <!subteam^S1|@x>, links <url|label>.
	otherRefRE = regexp.MustCompile(`<([#!]?)([^<>|]*)(?:\|([^<>]*))?>`)
)

// translateText turns Slack markup into the command language: user mentions
// become bot.Mention tokens (and their names are looked up), channel
// references become "#C123" (the id teams are stored with), links become
// their URL, special mentions become plain words, and the &amp; &lt; &gt;
// entities Slack sends become characters again.
// A mentioned person is identified in mentioned, the workspace (or Grid
// organisation) the text was written in; team is the payload's, for lookups.
func (a *Adapter) translateText(ctx context.Context, team, mentioned, text string) (string, map[bot.UserID]string) {
	return a.translateTextIn(ctx, team, func(string) string { return mentioned }, text)
}

// translateSharedText is translateText for a channel shared with another
// company (Slack Connect): a mentioned person may belong to either side,
// so each is identified by their own workspace, as users.info says (the
// Grid organisation for one of its members under an org-wide install).
// A failed lookup keeps the host's workspace.
func (a *Adapter) translateSharedText(ctx context.Context, team, org, text string) (string, map[bot.UserID]string) {
	host := workspaceOf("", team, org, false)
	return a.translateTextIn(ctx, team, func(user string) string {
		home, ok := a.homeOf(ctx, user)
		switch {
		case !ok:
			return host
		case org != "" && home.enterprise == org:
			return org
		case home.team != "":
			return workspaceOf(home.team, team, org, true)
		}
		return host
	}, text)
}

// translateTextIn is translateText with each mentioned person's workspace
// given by workspace.
func (a *Adapter) translateTextIn(ctx context.Context, team string, workspace func(user string) string, text string) (string, map[bot.UserID]string) {
	if !strings.ContainsAny(text, "<&") {
		return text, nil
	}
	var names map[bot.UserID]string
	text = mentionRE.ReplaceAllStringFunc(text, func(m string) string {
		sub := mentionRE.FindStringSubmatch(m)
		id := bot.NewUserID(bot.PlatformSlack, workspace(sub[1]), sub[1])
		if names == nil {
			names = map[bot.UserID]string{}
		}
		if _, seen := names[id]; !seen {
			names[id] = a.profile(ctx, team, sub[1]).Name
		}
		return bot.Mention(id)
	})
	text = otherRefRE.ReplaceAllStringFunc(text, func(m string) string {
		if strings.HasPrefix(m, "<@") {
			return m // a Mention token written above
		}
		sub := otherRefRE.FindStringSubmatch(m)
		switch sub[1] {
		case "#":
			return "#" + sub[2]
		case "!":
			if sub[3] != "" {
				return sub[3]
			}
			return "@" + sub[2]
		}
		return sub[2]
	})
	return unescape(text), names
}

var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

func unescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return unescaper.Replace(s)
}
