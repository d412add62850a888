package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/pulse-bot/pulse/bot"
)

func (a *Adapter) serveCommands(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readVerified(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	writeAck(w, a.slashCommand(r.Context(), slashCommandOf(form)))
}

// writeAck answers an HTTP request with a JSON body, or an empty 200.
func writeAck(w http.ResponseWriter, body any) {
	if body == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// commandReply is a slash command's immediate answer
// (https://docs.slack.dev/interactivity/implementing-slash-commands#responding_to_commands).
type commandReply struct {
	ResponseType string        `json:"response_type"`
	Text         string        `json:"text"`
	Blocks       []slack.Block `json:"blocks,omitempty"`
}

// slashCommand queues /goal, /kudos, /checkin, /scorecard or /pulse and
// returns the acknowledgement body: the reply itself when this replica's
// worker answers within the reply deadline, nothing when it does not (the
// reply then goes to response_url), and "not saved" when it could not be
// queued.
func (a *Adapter) slashCommand(ctx context.Context, sc slack.SlashCommand) any {
	key := commandKey(sc)
	arrived := a.clock.Now()
	wait := a.waiters.Expect(key)
	receipt, err := a.queue(ctx, key, kindCommand, []byte(slashForm(sc).Encode()))
	if err != nil {
		wait.Cancel()
		a.refused(err, key)
		return a.notSavedReply(err)
	}
	if receipt == bot.AlreadyQueued {
		wait.Cancel()
		return nil
	}
	timer, stop := a.deadline(bot.ReplyWaitLeft(arrived, a.clock.Now()))
	defer stop()
	o, inTime := wait.Await(ctx, timer)
	if !inTime {
		return nil
	}
	return a.commandAnswer(ctx, commandTarget(sc), o)
}

func commandKey(sc slack.SlashCommand) string { return "slack:cmd:" + sc.TriggerID }

func commandTarget(sc slack.SlashCommand) target {
	return target{
		channel: sc.ChannelID, user: sc.UserID, direct: isDirect(sc.ChannelID, sc.ChannelName),
		responseURL: sc.ResponseURL, triggerID: sc.TriggerID, key: commandKey(sc),
	}
}

// processCommand handles a queued slash command. When the request that
// queued it is still waiting on this replica, the outcome goes to it (the
// reply rides in the acknowledgement); otherwise it goes by response_url.
func (a *Adapter) processCommand(ctx context.Context, sc slack.SlashCommand, d delivery) error {
	t := commandTarget(sc)
	t.first = d.first
	team := a.teamOf(sc.TeamID)
	text := strings.TrimSpace(sc.Command + " " + strings.TrimSpace(sc.Text))
	ev := bot.Event{
		Key:      t.key,
		Kind:     bot.KindCommand,
		Platform: bot.PlatformSlack,
		User:     bot.NewUserID(bot.PlatformSlack, workspaceOf("", team, orgWideCommand(sc), false), sc.UserID),
		Channel:  sc.ChannelID,
		Direct:   t.direct,
		Profile:  a.profile(ctx, team, sc.UserID),
	}
	ev.Text, ev.Names = a.translateText(ctx, team, workspaceOf("", team, orgWideCommand(sc), false), text)
	o, retry := a.handled(ctx, ev, d.last)
	if retry != nil {
		return retry
	}
	if a.waiters.Hand(t.key, o) {
		return nil
	}
	a.deliver(ctx, t, o.Response, o.Err)
	return nil
}

// commandAnswer turns an outcome that came in time into the acknowledgement body.
func (a *Adapter) commandAnswer(ctx context.Context, t target, o bot.Outcome) any {
	resp := a.withErrorReply(o.Response, o.Err, t.key)
	if resp.File != nil {
		// An upload takes several Web API calls: after the acknowledgement.
		a.goHeldNoSem(func(ctx context.Context) {
			if err := a.sendResponseFile(ctx, t, resp); err != nil {
				a.log.Error().Err(err).Str("event_key", t.key).Str("file", resp.File.Name).Msg("file not sent")
			}
		})
	}
	if resp.Reply.IsZero() {
		return nil
	}
	if resp.Reply.IsForm() {
		// The trigger is still fresh: open the modal now, answer empty.
		if err := a.reply(ctx, t, resp); err != nil {
			a.log.Error().Err(err).Str("event_key", t.key).Msg("slack modal failed")
		}
		return nil
	}
	kind := slack.ResponseTypeEphemeral
	if resp.Visibility == bot.Public {
		kind = slack.ResponseTypeInChannel
	}
	return commandReply{ResponseType: kind, Text: fallbackText(resp.Reply), Blocks: renderBlocks(resp.Reply, a.catalog)}
}

// isDirect reports whether a channel is a direct chat (ids start with D).
func isDirect(channelID, channelName string) bool {
	return strings.HasPrefix(channelID, "D") || channelName == "directmessage"
}
