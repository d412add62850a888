package slack

import (
	"context"
	"encoding/json"
	"fmt"
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
		ID           string `json:"id"`
		EnterpriseID string `json:"enterprise_id"`
	} `json:"team"`
	// Enterprise is the Grid organisation, when there is one;
	// IsEnterpriseInstall says Pulse is installed org-wide.
	IsEnterpriseInstall bool `json:"is_enterprise_install"`
	Enterprise          *struct {
		ID string `json:"id"`
	} `json:"enterprise"`
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
	ack, err := a.interact(r.Context(), p)
	if err != nil {
		http.Error(w, "not queued", http.StatusServiceUnavailable)
		return
	}
	writeAck(w, ack)
}

// interact queues one interaction and returns the acknowledgement body.
// An error means it could not be queued: the caller refuses it (Slack
// shows the person that it failed, and they can press or submit again).
func (a *Adapter) interact(ctx context.Context, p interaction) (any, error) {
	key := interactionKey(p)
	if key == "" {
		return nil, nil
	}
	body, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode interaction %s: %w", key, err)
	}
	arrived := a.clock.Now()
	var wait *bot.Waiter
	if p.Type == "view_submission" {
		wait = a.waiters.Expect(key)
	}
	receipt, err := a.queue(ctx, key, kindInteraction, body)
	if err != nil || receipt == bot.AlreadyQueued || wait == nil {
		if wait != nil {
			wait.Cancel()
		}
		if err != nil {
			a.refused(err, key)
		}
		return nil, err
	}
	timer, stop := a.deadline(bot.ReplyWaitLeft(arrived, a.clock.Now()))
	defer stop()
	o, inTime := wait.Await(ctx, timer)
	if !inTime {
		return nil, nil
	}
	return a.viewAnswer(p, o), nil
}

// interactionKey is the inbox key of an interaction Pulse acts on, "" for
// one it ignores. A press is keyed by its trigger and time, a submission
// by its view and trigger.
func interactionKey(p interaction) string {
	switch p.Type {
	case "block_actions":
		if len(p.Actions) == 0 {
			return ""
		}
		return "slack:action:" + p.TriggerID + ":" + p.Actions[0].ActionTS
	case "view_submission":
		return viewKey(p)
	}
	return ""
}

func viewKey(p interaction) string { return "slack:view:" + p.View.ID + ":" + p.TriggerID }

// processInteraction handles a queued interaction.
func (a *Adapter) processInteraction(ctx context.Context, p interaction, d delivery) error {
	switch p.Type {
	case "block_actions":
		return a.blockActions(ctx, p, d)
	case "view_submission":
		return a.processView(ctx, p, d)
	}
	return nil
}

// blockActions handles button presses: in a message, on the Home tab or in a modal.
func (a *Adapter) blockActions(ctx context.Context, p interaction, d delivery) error {
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
		ev := bot.Event{
			Key:      key,
			Kind:     bot.KindAction,
			Platform: bot.PlatformSlack,
			User:     a.userID(ctx, p),
			Channel:  channel,
			Direct:   isDirect(channel, p.Channel.Name),
			Action:   bot.Action{ID: botActionID(act.ActionID), Value: act.Value},
			Profile:  a.profile(ctx, team, p.User.ID),
		}
		if p.Container.MessageTS != "" {
			ev.Message = bot.MessageRef{Platform: bot.PlatformSlack, Channel: channel, ID: p.Container.MessageTS}
		}
		o, retry := a.handled(ctx, ev, d.last)
		if retry != nil {
			return retry
		}
		a.deliver(ctx, target{
			channel: channel, user: p.User.ID, thread: p.Container.ThreadTS, direct: ev.Direct,
			responseURL: p.ResponseURL, triggerID: p.TriggerID, key: key, first: d.first,
		}, o.Response, o.Err)
	}
	return nil
}

func (a *Adapter) team(p interaction) string { return a.teamOf(p.team()) }

// enterprise is the Grid organisation the payload came from under an
// org-wide install, else "".
func (p interaction) enterprise() string {
	if !p.IsEnterpriseInstall {
		return ""
	}
	if p.Enterprise != nil && p.Enterprise.ID != "" {
		return p.Enterprise.ID
	}
	return p.Team.EnterpriseID
}

// userID is the person who acted, identified by their own workspace
// (identity.go). An interaction does not say whether its channel is shared
// with another company, so under an org-wide install someone of another
// workspace is asked about (users.info): a colleague from another
// workspace of the same Grid organisation is the organisation's person, as
// in their messages and commands; anyone else, such as a Slack Connect
// guest, keeps their own workspace and never passes for a member.
func (a *Adapter) userID(ctx context.Context, p interaction) bot.UserID {
	own, payload, org := p.User.TeamID, a.team(p), p.enterprise()
	if org != "" && own != "" && own != payload && a.memberOfOrganisation(ctx, p.User.ID, org) {
		return bot.NewUserID(bot.PlatformSlack, org, p.User.ID)
	}
	return bot.NewUserID(bot.PlatformSlack, workspaceOf(own, payload, org, true), p.User.ID)
}

// memberOfOrganisation reports whether Slack says user belongs to the Grid
// organisation org. A failed lookup says no: the person is then treated as
// someone of their own workspace.
func (a *Adapter) memberOfOrganisation(ctx context.Context, user, org string) bool {
	home, ok := a.homeOf(ctx, user)
	return ok && home.enterprise == org
}

// viewResponse is a view_submission acknowledgement
// (https://docs.slack.dev/surfaces/modals#displaying_errors).
type viewResponse struct {
	ResponseAction string                  `json:"response_action"`
	Errors         map[string]string       `json:"errors,omitempty"`
	View           *slack.ModalViewRequest `json:"view,omitempty"`
}

func viewTarget(p interaction) target {
	meta := decodeMeta(p.View.PrivateMetadata)
	return target{channel: meta.Channel, user: p.User.ID, thread: meta.Thread, key: viewKey(p), direct: isDirect(meta.Channel, "")}
}

// processView handles a submitted modal. The outcome goes to the request
// still waiting on this replica (field errors keep the modal open, a new
// form replaces it); when nobody waits, the reply is posted where the form
// was opened.
func (a *Adapter) processView(ctx context.Context, p interaction, d delivery) error {
	team := a.team(p)
	meta := decodeMeta(p.View.PrivateMetadata)
	t := viewTarget(p)
	t.first = d.first
	fields, names := a.formFields(ctx, team, workspaceOf("", team, p.enterprise(), false), p.View.State.Values)
	ev := bot.Event{
		Key:      t.key,
		Kind:     bot.KindAction,
		Platform: bot.PlatformSlack,
		User:     a.userID(ctx, p),
		Channel:  meta.Channel,
		Direct:   t.direct,
		Action:   bot.Action{ID: p.View.CallbackID, Value: meta.Value, Fields: fields},
		Names:    names,
		Profile:  a.profile(ctx, team, p.User.ID),
	}
	o, retry := a.handled(ctx, ev, d.last)
	if retry != nil {
		return retry
	}
	if a.waiters.Hand(t.key, o) {
		return nil
	}
	resp := o.Response
	if len(resp.FieldErrors) > 0 {
		resp.Reply = fieldErrorsMessage(resp.FieldErrors)
	}
	a.deliver(ctx, t, resp, o.Err)
	return nil
}

// viewAnswer turns an outcome that came in time into the view_submission
// acknowledgement: field errors keep the modal open, a new form replaces
// it, anything else closes it and the reply is posted where the form was opened.
func (a *Adapter) viewAnswer(p interaction, o bot.Outcome) any {
	if len(o.Response.FieldErrors) > 0 {
		errs := make(map[string]string, len(o.Response.FieldErrors))
		for id, msg := range o.Response.FieldErrors {
			errs[id] = escapeLimit(msg, maxLabelChars)
		}
		return viewResponse{ResponseAction: "errors", Errors: errs}
	}
	t := viewTarget(p)
	resp := a.withErrorReply(o.Response, o.Err, t.key)
	if resp.Reply.IsForm() {
		meta := decodeMeta(p.View.PrivateMetadata)
		meta.Value = ""
		if b, ok := submitButton(resp.Reply); ok {
			meta.Value = b.Value
		}
		view := renderModal(resp.Reply, a.catalog, meta.encode())
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
