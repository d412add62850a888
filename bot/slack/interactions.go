package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"

	"github.com/slack-go/slack"

	"github.com/pulse-bot/pulse/bot"
)

// interaction holds the fields Pulse reads from block_actions and
// view_submission payloads (https://docs.slack.dev/reference/interaction-payloads).
type interaction struct {
	Type        string `json:"type"`
	TriggerID   string `json:"trigger_id"`
	ResponseURL string `json:"response_url"`
	Team        struct {
		ID string `json:"id"`
	} `json:"team"`
	User struct {
		ID     string `json:"id"`
		TeamID string `json:"team_id"`
	} `json:"user"`
	Channel struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"channel"`
	Container struct {
		Type      string `json:"type"`
		ChannelID string `json:"channel_id"`
		MessageTS string `json:"message_ts"`
		ThreadTS  string `json:"thread_ts"`
	} `json:"container"`
	Actions []struct {
		ActionID string `json:"action_id"`
		BlockID  string `json:"block_id"`
		Value    string `json:"value"`
		ActionTS string `json:"action_ts"`
	} `json:"actions"`
	View struct {
		ID              string `json:"id"`
		Type            string `json:"type"`
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
		State           struct {
			Values map[string]map[string]slack.BlockAction `json:"values"`
		} `json:"state"`
	} `json:"view"`
}

func (p interaction) team() string {
	if p.Team.ID != "" {
		return p.Team.ID
	}
	return p.User.TeamID
}

func (a *Adapter) serveInteractions(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readVerified(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	var p interaction
	if err := json.Unmarshal([]byte(form.Get("payload")), &p); err != nil {
		a.log.Warn().Err(err).Msg("slack interaction payload is not JSON")
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	ack, ok := a.interact(r.Context(), p, a.tryGo)
	if !ok {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	writeAck(w, ack)
}

// interact handles one interaction and returns the acknowledgement body.
// spawn runs background work (HTTP: or 503 when saturated; Socket Mode: waits).
func (a *Adapter) interact(ctx context.Context, p interaction, spawn func(func(context.Context)) bool) (any, bool) {
	switch p.Type {
	case "block_actions":
		return nil, spawn(func(ctx context.Context) { a.blockActions(ctx, p) })
	case "view_submission":
		return a.viewSubmission(ctx, p), true
	}
	return nil, true
}

// blockActions handles button presses: in a message, on the Home tab or in a modal.
func (a *Adapter) blockActions(ctx context.Context, p interaction) {
	team := a.team(p)
	channel := p.Container.ChannelID
	if channel == "" {
		channel = p.Channel.ID
	}
	if p.Container.Type == "view" {
		channel = "" // Home tab or modal: replies go to the person's DM
	}
	for _, act := range p.Actions {
		key := "slack:action:" + p.TriggerID + ":" + act.ActionTS
		if !a.firstSeen(ctx, key, p.TriggerID) {
			continue
		}
		ev := bot.Event{
			Key:      key,
			Kind:     bot.KindAction,
			Platform: bot.PlatformSlack,
			User:     bot.NewUserID(bot.PlatformSlack, team, p.User.ID),
			Channel:  channel,
			Direct:   isDirect(channel, p.Channel.Name),
			Action:   bot.Action{ID: botActionID(act.ActionID), Value: act.Value},
			Profile:  a.profile(ctx, team, p.User.ID),
		}
		if p.Container.MessageTS != "" {
			ev.Message = bot.MessageRef{Platform: bot.PlatformSlack, Channel: channel, ID: p.Container.MessageTS}
		}
		resp, err := a.handler.Handle(ctx, ev)
		a.deliver(ctx, target{
			channel: channel, user: p.User.ID, thread: p.Container.ThreadTS, direct: ev.Direct,
			responseURL: p.ResponseURL, triggerID: p.TriggerID, key: key,
		}, resp, err)
	}
}

func (a *Adapter) team(p interaction) string { return a.teamOf(p.team()) }

// viewResponse is a view_submission acknowledgement
// (https://docs.slack.dev/surfaces/modals#displaying_errors).
type viewResponse struct {
	ResponseAction string                  `json:"response_action"`
	Errors         map[string]string       `json:"errors,omitempty"`
	View           *slack.ModalViewRequest `json:"view,omitempty"`
}

// viewSubmission handles a submitted modal. The answer must come within 3 s:
// field errors keep the modal open, a new form replaces it, anything else
// closes it and the reply is posted where the form was opened.
func (a *Adapter) viewSubmission(ctx context.Context, p interaction) any {
	team := a.team(p)
	meta := decodeMeta(p.View.PrivateMetadata)
	key := "slack:view:" + p.View.ID + ":" + p.TriggerID
	t := target{channel: meta.Channel, user: p.User.ID, thread: meta.Thread, key: key, direct: isDirect(meta.Channel, "")}
	work := func(ctx context.Context) outcome {
		if !a.firstSeen(ctx, key, p.TriggerID) {
			return outcome{skip: true}
		}
		fields, names := a.formFields(ctx, team, p.View.State.Values)
		ev := bot.Event{
			Key:      key,
			Kind:     bot.KindAction,
			Platform: bot.PlatformSlack,
			User:     bot.NewUserID(bot.PlatformSlack, team, p.User.ID),
			Channel:  meta.Channel,
			Direct:   t.direct,
			Action:   bot.Action{ID: p.View.CallbackID, Value: meta.Value, Fields: fields},
			Names:    names,
			Profile:  a.profile(ctx, team, p.User.ID),
		}
		resp, err := a.handler.Handle(ctx, ev)
		return outcome{ev: ev, resp: resp, err: err}
	}
	late := func(ctx context.Context, o outcome) {
		if o.skip {
			return
		}
		resp := o.resp
		if len(resp.FieldErrors) > 0 {
			resp.Reply = fieldErrorsMessage(resp.FieldErrors)
		}
		a.deliver(ctx, t, resp, o.err)
	}
	o, inTime := a.race(work, late)
	if !inTime || o.skip {
		return nil
	}
	if len(o.resp.FieldErrors) > 0 {
		errs := make(map[string]string, len(o.resp.FieldErrors))
		for id, msg := range o.resp.FieldErrors {
			errs[id] = escapeLimit(msg, maxLabelChars)
		}
		return viewResponse{ResponseAction: "errors", Errors: errs}
	}
	resp := a.withErrorReply(o.resp, o.err, key)
	if resp.Reply.IsForm() {
		meta.Value = ""
		if b, ok := submitButton(resp.Reply); ok {
			meta.Value = b.Value
		}
		view := renderModal(resp.Reply, resp.Locale, meta.encode())
		return viewResponse{ResponseAction: "update", View: &view}
	}
	if !resp.Reply.IsZero() || resp.Reaction != "" || resp.File != nil {
		a.goHeldNoSem(func(ctx context.Context) { a.deliver(ctx, t, resp, nil) })
	}
	return nil
}

// fieldErrorsMessage shows field errors as text when the modal was already
// closed (the handler answered after the deadline).
func fieldErrorsMessage(errs map[string]string) bot.Message {
	ids := make([]string, 0, len(errs))
	for id := range errs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var blocks []bot.Block
	for _, id := range ids {
		blocks = append(blocks, bot.Text{Text: errs[id]})
	}
	return bot.Message{Blocks: blocks}
}

// goHeldNoSem runs short follow-up work (posting a reply) in the background,
// tracked for shutdown but not counted against the event bound.
func (a *Adapter) goHeldNoSem(work func(ctx context.Context)) {
	a.inflight.Add(1)
	go func() {
		defer a.inflight.Done()
		ctx, cancel := context.WithTimeout(context.Background(), workTimeout)
		defer cancel()
		work(ctx)
	}()
}
