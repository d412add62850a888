package feishu

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

	"github.com/pulse-bot/pulse/bot"
)

// kindCard is the inbox kind of a card callback; events are queued under
// their event type (eventMessageReceive, eventBotMenu, eventP2PChatEntered).
const kindCard = "card.action.trigger"

// queue stores one push in the inbox before it is acknowledged. The body is
// the decrypted push without its verification token. An error means
// nothing was stored: the push is answered 500 (webhook) or left
// unacknowledged (long connection), and Feishu pushes it again.
func (a *Adapter) queue(ctx context.Context, key, kind string, body []byte) (bot.Receipt, error) {
	r, err := bot.Receive(ctx, a.cfg.Inbox, bot.InboxEntry{
		Key: key, Platform: bot.PlatformFeishu, Kind: kind, Body: withoutToken(body), ReceivedAt: a.cfg.Clock.Now(),
	}, claimTTL)
	if err != nil {
		a.log.Error().Err(err).Str("event_type", kind).Str("event_key", key).Msg("feishu push not queued; refusing it so Feishu pushes it again")
		return r, err
	}
	a.log.Debug().Str("event_type", kind).Str("event_key", key).Bool("repeat", r == bot.AlreadyQueued).Msg("feishu push queued")
	return r, nil
}

// withoutToken drops the verification token from a push (top level, and
// the schema 2.0 header), so it is not stored with the event.
func withoutToken(body []byte) []byte {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return body
	}
	delete(doc, "token")
	if raw, ok := doc["header"]; ok {
		var h map[string]json.RawMessage
		if json.Unmarshal(raw, &h) == nil {
			delete(h, "token")
			if b, err := json.Marshal(h); err == nil {
				doc["header"] = b
			}
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return body
	}
	return out
}

// ProcessInbox handles one queued Feishu push; the inbox workers call it.
func (a *Adapter) ProcessInbox(ctx context.Context, e bot.InboxEntry, last bool) error {
	switch e.Kind {
	case eventMessageReceive:
		var ev messageEvent
		if err := json.Unmarshal(e.Body, &ev); err != nil {
			return fmt.Errorf("read queued %s %s: %w", e.Kind, e.Key, err)
		}
		return a.processMessage(ctx, ev, last)
	case eventBotMenu:
		var ev menuEvent
		if err := json.Unmarshal(e.Body, &ev); err != nil {
			return fmt.Errorf("read queued %s %s: %w", e.Kind, e.Key, err)
		}
		return a.processMenu(ctx, ev, last)
	case eventP2PChatEntered:
		var ev chatEnteredEvent
		if err := json.Unmarshal(e.Body, &ev); err != nil {
			return fmt.Errorf("read queued %s %s: %w", e.Kind, e.Key, err)
		}
		return a.processChatEntered(ctx, ev, last)
	case kindCard:
		var ev callback.CardActionTriggerEvent
		if err := json.Unmarshal(e.Body, &ev); err != nil {
			return fmt.Errorf("read queued %s %s: %w", e.Kind, e.Key, err)
		}
		return a.processCardAction(ctx, e.Key, &ev, last)
	}
	return fmt.Errorf("queued feishu entry %s has unknown kind %q", e.Key, e.Kind)
}

// handled runs the handler. A failure on a delivery that is not the last
// is returned without a reply, so the worker delivers the event again (its
// effects are keyed by the event); on the last one the person is told.
func (a *Adapter) handled(ctx context.Context, e bot.Event, last bool) (bot.Outcome, error) {
	resp, err := a.cfg.Handler.Handle(ctx, e)
	if err != nil && !last {
		return bot.Outcome{}, fmt.Errorf("handle %s: %w", e.Key, err)
	}
	if err != nil {
		a.log.Warn().Err(err).Str("key", e.Key).Msg("handler reported an error")
	}
	return bot.Outcome{Event: e, Response: resp, Err: err}, nil
}

// responder is the Feishu side of bot.Responder for one event.
type responder struct {
	a   *Adapter
	key string
	to  replyTarget
}

// React puts the reaction on the source message, when there is one.
func (r responder) React(ctx context.Context, name string) error {
	if r.to.message == "" {
		return nil
	}
	return r.a.react(ctx, r.to.message, name)
}

// Reply sends the reply: in the thread the message was posted in, in the
// direct chat, quoted under the message in a group, or privately to the person. Its uuid is derived from the event
// key, so Feishu itself drops a second send of the same reply.
func (r responder) Reply(ctx context.Context, resp bot.Response) error {
	_, err := r.a.deliver(ctx, replyAddress(r.to, resp.Visibility), resp.Reply, r.key+":reply", r.to.thread)
	return err
}

// SendFile sends the file where the reply went, once per event.
func (r responder) SendFile(ctx context.Context, resp bot.Response) error {
	_, err := r.a.sendFile(ctx, replyAddress(r.to, resp.Visibility), *resp.File, r.key+":file", r.to.thread)
	return err
}

// notSavedToast is the card callback's answer when the press could not be
// queued: the card stays as it was and the person reads that it was not
// saved, or, when the store did not answer in time, that it may have been.
func (a *Adapter) notSavedToast(err error) *callback.Toast {
	return a.toast("error", bot.DefaultLocale(bot.PlatformFeishu), bot.NotQueuedKey(err))
}
