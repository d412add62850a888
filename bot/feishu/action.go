package feishu

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

	"github.com/pulse-bot/pulse/bot"
)

// onCardAction answers card.action.trigger. Feishu shows the answer (a toast
// and/or a replacement card) only if it comes within 3 s, so the handler
// gets cardBudget; if it takes longer the person sees "working on it" and
// the result arrives as a new message. The body is never null: a repeated
// push gets an empty object.
func (a *Adapter) onCardAction(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
	if ev.Event == nil || ev.Event.Operator == nil || ev.EventV2Base == nil || ev.EventV2Base.Header == nil {
		return &callback.CardActionTriggerResponse{}, nil
	}
	fresh, err := a.firstSeen(ctx, "feishu:event:"+ev.EventV2Base.Header.EventID)
	if err != nil {
		return nil, err
	}
	if !fresh {
		return &callback.CardActionTriggerResponse{}, nil
	}
	e, picked, to := cardActionToEvent(ev)
	call := &pendingCall{done: make(chan handled, 1)}
	a.work.Add(1)
	go func() {
		defer a.work.Done()
		// Detached from the callback: a slow handler finishes after the answer.
		wctx, cancel := context.WithTimeout(context.Background(), workTimeout)
		defer cancel()
		e.Profile = a.profile(wctx, e.User, "")
		a.namePicked(wctx, &e, picked)
		resp, err := a.cfg.Handler.Handle(wctx, e)
		if call.hand(handled{resp, err}) {
			// The callback shows the reply in the card; a file cannot ride
			// in a callback answer, so it follows as a message.
			a.sendResponseFile(wctx, e.Key, to, resp)
			return
		}
		// The callback was already answered with "working on it".
		if err != nil {
			a.log.Warn().Err(err).Str("key", e.Key).Msg("handler reported an error")
		}
		if !resp.Reply.IsZero() {
			if _, err := a.deliver(wctx, replyAddress(to, resp.Visibility), resp.Reply, e.Key+":reply", false); err != nil {
				a.log.Error().Err(err).Str("key", e.Key).Msg("late card reply not sent")
			}
		}
		a.sendResponseFile(wctx, e.Key, to, resp)
	}()

	timer := time.NewTimer(a.cardBudget)
	defer timer.Stop()
	select {
	case r := <-call.done:
		return a.cardAnswer(e, r.resp, r.err), nil
	case <-timer.C:
		if r, ok := call.giveUp(); ok {
			return a.cardAnswer(e, r.resp, r.err), nil
		}
		return &callback.CardActionTriggerResponse{Toast: toast("info", bot.Chinese, textWorking)}, nil
	}
}

// handled is what the handler answered.
type handled struct {
	resp bot.Response
	err  error
}

// pendingCall hands the handler's answer to the waiting callback, unless the
// callback stopped waiting; exactly one side then delivers the reply.
type pendingCall struct {
	mu       sync.Mutex
	gaveUp   bool
	done     chan handled
	answered bool
}

// hand passes r to the callback and reports whether it will deliver it.
func (p *pendingCall) hand(r handled) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gaveUp {
		return false
	}
	p.answered = true
	p.done <- r
	return true
}

// giveUp stops waiting; when the answer came in the meantime it is returned.
func (p *pendingCall) giveUp() (handled, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.answered {
		return <-p.done, true
	}
	p.gaveUp = true
	return handled{}, false
}

// cardAnswer turns the handler's response into the callback's answer: the
// reply replaces the card (a form with its errors stays open), and a toast
// says when something went wrong or there was nothing to show.
func (a *Adapter) cardAnswer(e bot.Event, resp bot.Response, err error) *callback.CardActionTriggerResponse {
	loc := resp.Locale
	if loc == "" {
		loc = bot.Chinese
	}
	out := &callback.CardActionTriggerResponse{}
	if len(resp.FieldErrors) > 0 && resp.Reply.IsZero() {
		resp.Reply = fieldErrorsMessage(resp.FieldErrors)
	}
	if !resp.Reply.IsZero() {
		out.Card = &callback.Card{Type: "raw", Data: renderCard(resp.Reply, resp.FieldErrors, loc)}
	}
	switch {
	case len(resp.FieldErrors) > 0:
		out.Toast = toast("error", loc, textCheckFields)
	case err != nil && resp.Reply.IsZero():
		a.log.Warn().Err(err).Str("key", e.Key).Msg("handler reported an error")
		out.Toast = toast("error", loc, textRetry)
	case err != nil:
		a.log.Warn().Err(err).Str("key", e.Key).Msg("handler reported an error")
	case resp.Reply.IsZero():
		out.Toast = toast("success", loc, textDone)
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
