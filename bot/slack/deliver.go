package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/pulse-bot/pulse/bot"
)

// target is where a reply to one event goes.
type target struct {
	channel string
	// user is the asker's Slack id, for ephemeral replies and DMs.
	user   string
	thread string
	direct bool
	// sourceTS is the message a reaction goes on.
	sourceTS string
	// responseURL, when set, is used for replies (slash commands, buttons).
	responseURL string
	// triggerID opens a modal when the reply is a form.
	triggerID string
	// meta is carried into a modal opened from here.
	meta modalMeta
	key  string
	// first: no earlier delivery of the event can have replied (see delivery).
	first bool
}

// modalMeta rides in a modal's private_metadata so the submission knows
// where the conversation was and which value the form's button carried.
type modalMeta struct {
	Channel string `json:"c,omitempty"`
	Thread  string `json:"t,omitempty"`
	Value   string `json:"v,omitempty"`
}

func (m modalMeta) encode() string {
	b, _ := json.Marshal(m)
	return string(b)
}

func decodeMeta(s string) modalMeta {
	var m modalMeta
	_ = json.Unmarshal([]byte(s), &m)
	return m
}

// withErrorReply fills in the catalogue's "something went wrong" reply when
// the handler failed without saying anything, so nobody is left hanging.
func (a *Adapter) withErrorReply(resp bot.Response, err error, key string) bot.Response {
	if err == nil {
		return resp
	}
	a.log.Error().Err(err).Str("event_key", key).Msg("slack event handling failed")
	if resp.Reply.IsZero() {
		resp.Reply = bot.Message{Blocks: []bot.Block{bot.Text{Text: a.catalog.T(resp.Locale, "error_internal", nil)}}}
		resp.Visibility = bot.Private
	}
	return resp
}

// deliver sends a Response by the core's delivery rule (bot.Deliver: the
// reaction, the reply, the file, each failure logged and the next part
// still sent), with the catalogue's error reply when the handler failed
// without one.
func (a *Adapter) deliver(ctx context.Context, t target, resp bot.Response, err error) {
	bot.Deliver(ctx, responder{a: a, t: t}, a.withErrorReply(resp, err, t.key), t.key, a.log)
}

// responder is the Slack side of bot.Responder for one event.
type responder struct {
	a *Adapter
	t target
}

// React puts the reaction on the source message, when there is one.
func (r responder) React(ctx context.Context, name string) error {
	if name != "check" || r.t.sourceTS == "" {
		return nil
	}
	return r.a.react(ctx, r.t.channel, r.t.sourceTS, "white_check_mark")
}

// Reply sends the reply once per event: a redelivered event (a worker
// that stopped after replying) finds the sent-marker and posts nothing.
func (r responder) Reply(ctx context.Context, resp bot.Response) error {
	return r.a.once(ctx, r.t.key+":reply", r.t.first, func(ctx context.Context) error { return r.a.reply(ctx, r.t, resp) })
}

// SendFile uploads the file (keyed by the event, so once).
func (r responder) SendFile(ctx context.Context, resp bot.Response) error {
	return r.a.sendResponseFile(ctx, r.t, resp)
}

// once runs send unless a send under key is already recorded, and records
// it after it succeeded. On an event's first delivery nothing can be
// recorded yet, so the marker is not read (a round trip per reply saved).
// Under an inbox worker the marker is written with the entry's
// acknowledgement (bot.MarkOnSettle), in its round trip: only an entry
// not acknowledged is delivered again to read it.
func (a *Adapter) once(ctx context.Context, key string, first bool, send func(ctx context.Context) error) error {
	if !first {
		if _, ok, err := a.cache.CacheGet(ctx, "slack:sent:"+key); err == nil && ok {
			return nil
		}
	}
	if err := send(ctx); err != nil {
		return err
	}
	if bot.MarkOnSettle(ctx, "slack:sent:"+key, "1", sentTTL) {
		return nil
	}
	if err := a.cache.CacheSet(ctx, "slack:sent:"+key, "1", sentTTL); err != nil {
		a.log.Warn().Err(err).Str("event_key", key).Msg("slack sent-marker not written")
	}
	return nil
}

func (a *Adapter) reply(ctx context.Context, t target, resp bot.Response) error {
	msg := resp.Reply
	if msg.IsForm() && t.triggerID != "" {
		meta := t.meta
		if meta.Channel == "" && !t.direct {
			meta.Channel = t.channel
		}
		if meta.Thread == "" {
			meta.Thread = t.thread
		}
		if b, ok := submitButton(msg); ok && meta.Value == "" {
			meta.Value = b.Value
		}
		err := a.openModal(ctx, t.triggerID, renderModal(msg, a.catalog, meta.encode()))
		if err == nil {
			return nil
		}
		// The trigger lives 3 s; when it expired (a slow handler), show the
		// form as a message instead, so the person still sees what to type.
		a.log.Warn().Err(err).Str("event_key", t.key).Msg("slack modal could not open; replying with a message")
	}
	blocks := renderBlocks(msg, a.catalog)
	text := fallbackText(msg)
	switch {
	case t.responseURL != "":
		kind := slack.ResponseTypeEphemeral
		if resp.Visibility == bot.Public {
			kind = slack.ResponseTypeInChannel
		}
		return a.call(ctx, "response_url", func(ctx context.Context) error {
			_, _, err := a.api.PostMessageContext(ctx, t.channel, slack.MsgOptionResponseURL(t.responseURL, kind),
				slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false))
			return err
		})
	case t.channel == "":
		_, err := a.Send(ctx, bot.Address{Platform: bot.PlatformSlack, User: bot.NewUserID(bot.PlatformSlack, a.self().TeamID, t.user)}, msg, "")
		return err
	case resp.Visibility == bot.Private && !t.direct:
		opts := []slack.MsgOption{slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false)}
		if t.thread != "" {
			opts = append(opts, slack.MsgOptionTS(t.thread))
		}
		return a.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
			_, err := a.api.PostEphemeralContext(ctx, t.channel, t.user, opts...)
			return err
		})
	default:
		_, err := a.post(ctx, t.channel, t.thread, blocks, text)
		return err
	}
}

func (a *Adapter) post(ctx context.Context, channel, thread string, blocks []slack.Block, text string) (string, error) {
	var ts string
	err := a.call(ctx, "chat.postMessage", func(ctx context.Context) (err error) {
		opts := []slack.MsgOption{slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false)}
		if thread != "" {
			opts = append(opts, slack.MsgOptionTS(thread))
		}
		_, ts, err = a.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ts, err
}

func (a *Adapter) react(ctx context.Context, channel, ts, name string) error {
	err := a.call(ctx, "reactions.add", func(ctx context.Context) error {
		return a.api.AddReactionContext(ctx, name, slack.NewRefToMessage(channel, ts))
	})
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "already_reacted" {
		return nil
	}
	return err
}

func (a *Adapter) openModal(ctx context.Context, triggerID string, view slack.ModalViewRequest) error {
	return a.call(ctx, "views.open", func(ctx context.Context) error {
		_, err := a.api.OpenViewContext(ctx, triggerID, view)
		return err
	})
}

func (a *Adapter) publishHome(ctx context.Context, user string, msg bot.Message) error {
	view := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: renderBlocks(msg, a.catalog)}}
	return a.call(ctx, "views.publish", func(ctx context.Context) error {
		_, err := a.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: view})
		return err
	})
}

// Send posts msg to a person's DM (conversations.open, cached) or to a
// channel, in to.Thread when set. With a key, a send that already happened
// returns the earlier message instead of posting again.
func (a *Adapter) Send(ctx context.Context, to bot.Address, msg bot.Message, key string) (bot.MessageRef, error) {
	if key != "" {
		if raw, ok, err := a.cache.CacheGet(ctx, "slack:sent:"+key); err == nil && ok {
			if ch, ts, found := strings.Cut(raw, "|"); found {
				return bot.MessageRef{Platform: bot.PlatformSlack, Channel: ch, ID: ts}, nil
			}
		}
	}
	channel := to.Channel
	if to.User != "" {
		var err error
		if channel, err = a.dmChannel(ctx, to.User); err != nil {
			return bot.MessageRef{}, fmt.Errorf("slack send to %s: %w", to.User, err)
		}
	}
	if channel == "" {
		return bot.MessageRef{}, errors.New("slack send: address has neither user nor channel")
	}
	ts, err := a.post(ctx, channel, to.Thread, renderBlocks(msg, a.catalog), fallbackText(msg))
	if err != nil {
		return bot.MessageRef{}, fmt.Errorf("slack send to %s: %w", channel, err)
	}
	if key != "" {
		if err := a.cache.CacheSet(ctx, "slack:sent:"+key, channel+"|"+ts, sentTTL); err != nil {
			a.log.Warn().Err(err).Str("key", key).Msg("slack sent-key cache write failed")
		}
	}
	return bot.MessageRef{Platform: bot.PlatformSlack, Channel: channel, ID: ts}, nil
}

// dmChannel returns the id of the bot's direct chat with a person.
func (a *Adapter) dmChannel(ctx context.Context, id bot.UserID) (string, error) {
	key := "slack:dm:" + string(id)
	if ch, ok, err := a.cache.CacheGet(ctx, key); err == nil && ok {
		return ch, nil
	}
	var ch *slack.Channel
	err := a.call(ctx, "conversations.open", func(ctx context.Context) (err error) {
		ch, _, _, err = a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{id.Local()}, ReturnIM: true})
		return err
	})
	if err != nil {
		return "", err
	}
	if err := a.cache.CacheSet(ctx, key, ch.ID, dmChannelTTL); err != nil {
		a.log.Warn().Err(err).Msg("slack DM channel cache write failed")
	}
	return ch.ID, nil
}

// Retract deletes a message Pulse posted (chat.delete), such as the kudos
// DM and channel post of an undone kudos. A message already gone counts as
// taken back.
func (a *Adapter) Retract(ctx context.Context, ref bot.MessageRef) error {
	err := a.call(ctx, "chat.delete", func(ctx context.Context) error {
		_, _, err := a.api.DeleteMessageContext(ctx, ref.Channel, ref.ID)
		return err
	})
	var gone slack.SlackErrorResponse
	if errors.As(err, &gone) && gone.Err == "message_not_found" {
		return nil
	}
	return err
}
