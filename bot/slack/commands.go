package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/slack-go/slack"

	"github.com/pulse-bot/pulse/bot"
)

// outcome is what the handler made of one event.
type outcome struct {
	ev   bot.Event
	resp bot.Response
	err  error
	// skip is set when the event was a duplicate and nothing should be said.
	skip bool
}

// race runs work in the background and waits for it until the reply
// deadline. In time, it returns the outcome so the caller can answer in the
// acknowledgement itself; too late, it returns ok=false at once (the caller
// acknowledges empty) and late gets the outcome when work finishes.
func (a *Adapter) race(work func(ctx context.Context) outcome, late func(ctx context.Context, o outcome)) (outcome, bool) {
	res := make(chan outcome, 1)
	var mu sync.Mutex
	timedOut := false
	a.inflight.Add(1)
	go func() {
		defer a.inflight.Done()
		ctx, cancel := context.WithTimeout(context.Background(), workTimeout)
		defer cancel()
		o := a.safely(ctx, work)
		mu.Lock()
		if !timedOut {
			res <- o
			mu.Unlock()
			return
		}
		mu.Unlock()
		late(ctx, o)
	}()
	timer, stop := a.deadline()
	defer stop()
	select {
	case o := <-res:
		return o, true
	case <-timer:
		mu.Lock()
		defer mu.Unlock()
		select {
		case o := <-res:
			return o, true
		default:
			timedOut = true
			return outcome{}, false
		}
	}
}

// safely turns a panic in the handler into an error outcome.
func (a *Adapter) safely(ctx context.Context, work func(ctx context.Context) outcome) (o outcome) {
	defer func() {
		if r := recover(); r != nil {
			a.log.Error().Interface("panic", r).Msg("slack handler panicked")
			o = outcome{err: errPanic}
		}
	}()
	return work(ctx)
}

var errPanic = errors.New("handler panicked")

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
	sc := slack.SlashCommand{
		TeamID:      form.Get("team_id"),
		ChannelID:   form.Get("channel_id"),
		ChannelName: form.Get("channel_name"),
		UserID:      form.Get("user_id"),
		UserName:    form.Get("user_name"),
		Command:     form.Get("command"),
		Text:        form.Get("text"),
		ResponseURL: form.Get("response_url"),
		TriggerID:   form.Get("trigger_id"),
	}
	writeAck(w, a.slashCommand(r.Context(), sc))
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

// slashCommand handles /goal, /kudos, /checkin, /scorecard and /pulse. It
// returns the acknowledgement body: the reply itself when the handler is
// quick, nothing when it is not (the reply then goes to response_url).
func (a *Adapter) slashCommand(ctx context.Context, sc slack.SlashCommand) any {
	key := "slack:cmd:" + sc.TriggerID
	t := target{
		channel: sc.ChannelID, user: sc.UserID, direct: isDirect(sc.ChannelID, sc.ChannelName),
		responseURL: sc.ResponseURL, triggerID: sc.TriggerID, key: key,
	}
	work := func(ctx context.Context) outcome {
		if !a.firstSeen(ctx, key, sc.TriggerID) {
			return outcome{skip: true}
		}
		team := a.teamOf(sc.TeamID)
		text := strings.TrimSpace(sc.Command + " " + strings.TrimSpace(sc.Text))
		ev := bot.Event{
			Key:      key,
			Kind:     bot.KindCommand,
			Platform: bot.PlatformSlack,
			User:     bot.NewUserID(bot.PlatformSlack, team, sc.UserID),
			Channel:  sc.ChannelID,
			Direct:   t.direct,
			Profile:  a.profile(ctx, team, sc.UserID),
		}
		ev.Text, ev.Names = a.translateText(ctx, team, text)
		resp, err := a.handler.Handle(ctx, ev)
		return outcome{ev: ev, resp: resp, err: err}
	}
	late := func(ctx context.Context, o outcome) {
		if !o.skip {
			a.deliver(ctx, t, o.resp, o.err)
		}
	}
	o, inTime := a.race(work, late)
	if !inTime || o.skip {
		return nil
	}
	resp := a.withErrorReply(o.resp, o.err, key)
	if resp.File != nil {
		// An upload takes several Web API calls: after the acknowledgement.
		a.goHeldNoSem(func(ctx context.Context) { a.sendResponseFile(ctx, t, resp) })
	}
	if resp.Reply.IsZero() {
		return nil
	}
	if resp.Reply.IsForm() {
		// The trigger is still fresh: open the modal now, answer empty.
		if err := a.reply(ctx, t, resp); err != nil {
			a.log.Error().Err(err).Str("event_key", key).Msg("slack modal failed")
		}
		return nil
	}
	kind := slack.ResponseTypeEphemeral
	if resp.Visibility == bot.Public {
		kind = slack.ResponseTypeInChannel
	}
	return commandReply{ResponseType: kind, Text: fallbackText(resp.Reply), Blocks: renderBlocks(resp.Reply, resp.Locale)}
}

// isDirect reports whether a channel is a direct chat (ids start with D).
func isDirect(channelID, channelName string) bool {
	return strings.HasPrefix(channelID, "D") || channelName == "directmessage"
}
