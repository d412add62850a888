package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/slack-go/slack"

	"github.com/pulse-bot/pulse/bot"
)

// Kinds of inbox entries the Slack adapter queues. The body of each holds
// only the fields the adapter reads, never Slack's verification token.
const (
	// kindEvent is an Events API envelope (HTTP or Socket Mode), as JSON.
	kindEvent = "event"
	// kindCommand is a slash command, form-encoded.
	kindCommand = "command"
	// kindInteraction is a block_actions or view_submission payload, as JSON.
	kindInteraction = "interaction"
)

// queue stores one delivery in the inbox before it is acknowledged.
func (a *Adapter) queue(ctx context.Context, key, kind string, body []byte) (bot.Receipt, error) {
	return bot.Receive(ctx, a.inbox, bot.InboxEntry{
		Key: key, Platform: bot.PlatformSlack, Kind: kind, Body: body, ReceivedAt: a.clock.Now(),
	}, claimTTL)
}

// refused logs a delivery that could not be queued; the caller answers
// so that Slack (or the person) sends it again.
func (a *Adapter) refused(err error, key string) {
	a.log.Error().Err(err).Str("event_key", key).Msg("slack delivery not queued; refusing it so it is sent again")
}

// delivery is what the worker says about one handing of an entry.
type delivery struct {
	// last: no further delivery follows, so a failure is told to the person.
	last bool
	// first: no earlier delivery can have replied (bot.InboxEntry.FirstDelivery),
	// so the reply's sent-marker need not be read first.
	first bool
}

// ProcessInbox handles one queued Slack delivery; the inbox workers call it.
func (a *Adapter) ProcessInbox(ctx context.Context, e bot.InboxEntry, last bool) error {
	d := delivery{last: last, first: e.FirstDelivery()}
	switch e.Kind {
	case kindEvent:
		var env envelope
		if err := json.Unmarshal(e.Body, &env); err != nil {
			return fmt.Errorf("read queued event %s: %w", e.Key, err)
		}
		return a.handleEnvelope(ctx, env, d)
	case kindCommand:
		form, err := url.ParseQuery(string(e.Body))
		if err != nil {
			return fmt.Errorf("read queued command %s: %w", e.Key, err)
		}
		return a.processCommand(ctx, slashCommandOf(form), d)
	case kindInteraction:
		var p interaction
		if err := json.Unmarshal(e.Body, &p); err != nil {
			return fmt.Errorf("read queued interaction %s: %w", e.Key, err)
		}
		return a.processInteraction(ctx, p, d)
	}
	return fmt.Errorf("queued slack entry %s has unknown kind %q", e.Key, e.Kind)
}

// handled runs the handler for ev. A failure on a delivery that is not the
// last is returned without a reply, so the worker delivers the event again
// (its effects are keyed by ev.Key); on the last one the person is told.
func (a *Adapter) handled(ctx context.Context, ev bot.Event, last bool) (bot.Outcome, error) {
	resp, err := a.handler.Handle(ctx, ev)
	if err != nil && !last {
		return bot.Outcome{}, fmt.Errorf("handle %s: %w", ev.Key, err)
	}
	return bot.Outcome{Event: ev, Response: resp, Err: err}, nil
}

// slashForm keeps the slash command fields Pulse reads (no token), form-encoded.
func slashForm(sc slack.SlashCommand) url.Values {
	return url.Values{
		"team_id": {sc.TeamID}, "enterprise_id": {sc.EnterpriseID}, "is_enterprise_install": {strconv.FormatBool(sc.IsEnterpriseInstall)}, "channel_id": {sc.ChannelID}, "channel_name": {sc.ChannelName},
		"user_id": {sc.UserID}, "user_name": {sc.UserName}, "command": {sc.Command}, "text": {sc.Text},
		"response_url": {sc.ResponseURL}, "trigger_id": {sc.TriggerID},
	}
}

func slashCommandOf(form url.Values) slack.SlashCommand {
	return slack.SlashCommand{
		TeamID:              form.Get("team_id"),
		EnterpriseID:        form.Get("enterprise_id"),
		IsEnterpriseInstall: form.Get("is_enterprise_install") == "true",
		ChannelID:           form.Get("channel_id"),
		ChannelName:         form.Get("channel_name"),
		UserID:              form.Get("user_id"),
		UserName:            form.Get("user_name"),
		Command:             form.Get("command"),
		Text:                form.Get("text"),
		ResponseURL:         form.Get("response_url"),
		TriggerID:           form.Get("trigger_id"),
	}
}

// notSavedReply is the slash command answer when it could not be queued:
// Slack shows the body of a 200, so the person reads that it was not saved,
// or, when the store did not answer in time, that it may have been (so they
// check before sending it again) — in both languages: nothing in the
// request says which one they read.
func (a *Adapter) notSavedReply(err error) commandReply {
	key := bot.NotQueuedKey(err)
	text := a.catalog.T(bot.English, key, nil) + "\n" + a.catalog.T(bot.Chinese, key, nil)
	return commandReply{ResponseType: slack.ResponseTypeEphemeral, Text: text}
}
