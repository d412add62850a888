package feishu

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

	"github.com/pulse-bot/pulse/bot"
)

// onCardAction queues card.action.trigger and answers it. Feishu shows the
// answer (a toast and/or a replacement card) only if it comes within 3 s,
// so the callback waits what is left of cardBudget, counted from its
// arrival (queueing may take a while), for this replica's worker; if that takes
// longer the person sees "working on it" and the result arrives as a new
// message. A press that cannot be stored gets a "not saved" toast; a
// repeated push an empty object (the body is never null).
func (a *Adapter) onCardAction(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
	if ev.Event == nil || ev.Event.Operator == nil || ev.EventV2Base == nil || ev.EventV2Base.Header == nil || ev.EventReq == nil {
		return &callback.CardActionTriggerResponse{}, nil
	}
	key := "feishu:event:" + ev.EventV2Base.Header.EventID
	arrived := a.cfg.Clock.Now()
	wait := a.waiters.Expect(key)
	receipt, err := a.queue(ctx, key, kindCard, ev.EventReq.Body)
	if err != nil {
		wait.Cancel()
		return &callback.CardActionTriggerResponse{Toast: a.notSavedToast(err)}, nil
	}
	if receipt == bot.AlreadyQueued {
		wait.Cancel()
		return &callback.CardActionTriggerResponse{}, nil
	}
	timer, stop := a.cardDeadline(max(cardBudget-a.cfg.Clock.Now().Sub(arrived), 0))
	defer stop()
	o, inTime := wait.Await(ctx, timer)
	if !inTime {
		return &callback.CardActionTriggerResponse{Toast: a.toast("info", bot.DefaultLocale(bot.PlatformFeishu), "adapter_working")}, nil
	}
	return a.cardAnswer(o.Event, o.Response, o.Err), nil
}

// processCardAction handles a queued card callback. When the callback is
// still waiting on this replica the outcome goes to it (the reply replaces
// the card) and only a file follows as a message; otherwise the reply and
// the file are sent as messages.
func (a *Adapter) processCardAction(ctx context.Context, key string, ev *callback.CardActionTriggerEvent, last bool) error {
	if ev.Event == nil || ev.Event.Operator == nil || ev.EventV2Base == nil || ev.EventV2Base.Header == nil {
		return nil
	}
	e, picked, to := cardActionToEvent(ev)
	e.Profile = a.profile(ctx, e.User, "")
	a.namePicked(ctx, &e, picked)
	o, retry := a.handled(ctx, e, last)
	if retry != nil {
		return retry
	}
	r := responder{a: a, key: e.Key, to: to}
	if a.waiters.Hand(key, o) {
		// A file cannot ride in a callback answer, so it follows as a message.
		bot.Deliver(ctx, r, bot.Response{File: o.Response.File}, e.Key, a.log)
		return nil
	}
	bot.Deliver(ctx, r, o.Response, e.Key, a.log)
	return nil
}

// cardAnswer turns the handler's response into the callback's answer: the
// reply replaces the card (a form with its errors stays open), and a toast
// says when something went wrong or there was nothing to show.
func (a *Adapter) cardAnswer(e bot.Event, resp bot.Response, err error) *callback.CardActionTriggerResponse {
	loc := resp.Reply.Locale
	out := &callback.CardActionTriggerResponse{}
	if len(resp.FieldErrors) > 0 && resp.Reply.IsZero() {
		resp.Reply = fieldErrorsMessage(resp.FieldErrors)
	}
	if !resp.Reply.IsZero() {
		out.Card = &callback.Card{Type: "raw", Data: renderCard(resp.Reply, resp.FieldErrors, a.catalog)}
	}
	switch {
	case len(resp.FieldErrors) > 0:
		out.Toast = a.toast("error", loc, "adapter_check_fields")
	case err != nil && resp.Reply.IsZero():
		a.log.Warn().Err(err).Str("key", e.Key).Msg("handler reported an error")
		out.Toast = a.toast("error", loc, "adapter_retry")
	case err != nil:
		a.log.Warn().Err(err).Str("key", e.Key).Msg("handler reported an error")
	case resp.Reply.IsZero():
		out.Toast = a.toast("success", loc, "adapter_done")
	}
	return out
}

// cardActionToEvent reads a button press or a form submission. Button values
// are objects {"action": id, "value": v}; a form's values come in form_value.
// picked lists the people chosen in person pickers, whose names the caller looks up.
func cardActionToEvent(ev *callback.CardActionTriggerEvent) (e bot.Event, picked []bot.UserID, to replyTarget) {
	op := ev.Event.Operator
	tenant := ev.EventV2Base.Header.TenantKey
	if op.TenantKey != nil && *op.TenantKey != "" {
		tenant = *op.TenantKey
	}
	user := bot.NewUserID(bot.PlatformFeishu, tenant, op.OpenID)
	var chat, message string
	if c := ev.Event.Context; c != nil {
		chat, message = c.OpenChatID, c.OpenMessageID
	}
	act := bot.Action{}
	if ev.Event.Action != nil {
		act.ID = valueString(ev.Event.Action.Value["action"])
		act.Value = valueString(ev.Event.Action.Value["value"])
		if act.ID == "" {
			act.ID = actionFromName(ev.Event.Action.Name)
		}
	}
	e = bot.Event{
		Key:      "feishu:" + ev.EventV2Base.Header.EventID,
		Kind:     bot.KindAction,
		Platform: bot.PlatformFeishu,
		User:     user,
		Channel:  chat,
		Action:   act,
		Message:  bot.MessageRef{Platform: bot.PlatformFeishu, Channel: chat, ID: message},
	}
	if ev.Event.Action != nil && len(ev.Event.Action.FormValue) > 0 {
		e.Action.Fields, picked = formFields(ev.Event.Action.FormValue, tenant)
	}
	return e, picked, replyTarget{chat: chat, user: user}
}

// valueString flattens a callback value: strings as they are, lists (a
// multi-select) joined by commas, numbers and booleans printed.
func valueString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []any:
		parts := make([]string, 0, len(x))
		for _, p := range x {
			parts = append(parts, valueString(p))
		}
		return strings.Join(parts, ",")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return strings.Join(keys, ",")
	default:
		return fmt.Sprint(x)
	}
}
