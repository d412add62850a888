package feishu

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"

	"github.com/pulse-bot/pulse/bot"
)

// The events Pulse subscribes to. Every one has a handler: over the long
// connection an unhandled type is answered 500 and pushed again. The card
// callback, card.action.trigger, is registered with OnP2CardActionTrigger.
const (
	eventMessageReceive = "im.message.receive_v1"
	eventBotMenu        = "application.bot.menu_v6"
	eventP2PChatEntered = "im.chat.access_event.bot_p2p_chat_entered_v1"
	// eventMessageUpdated is an edit of a sent message. It is acknowledged
	// and never acted on, like Slack's message_changed: an edit is not a new
	// update, and acting on it would record a second value for one message
	// (or, when the original was never seen, a value nobody posted as such).
	eventMessageUpdated = "im.message.updated_v1"
)

// eventsNotActedOn are the other messaging events an operator may well
// subscribe to: the bot added to or removed from a group, members coming
// and going, reactions, recalls, read receipts. Pulse acts on none of
// them, but each has a handler that acknowledges it with a log line: over
// the long connection the SDK answers an event without a handler 500, and
// Feishu pushes it again for hours, where the webhook answers it 200.
var eventsNotActedOn = []string{
	"im.chat.disbanded_v1",
	"im.chat.updated_v1",
	"im.chat.member.bot.added_v1",
	"im.chat.member.bot.deleted_v1",
	"im.chat.member.user.added_v1",
	"im.chat.member.user.deleted_v1",
	"im.chat.member.user.withdrawn_v1",
	"im.message.message_read_v1",
	"im.message.reaction.created_v1",
	"im.message.reaction.deleted_v1",
	"im.message.recalled_v1",
}

// header is the schema 2.0 event header.
type header struct {
	EventID    string `json:"event_id"`
	EventType  string `json:"event_type"`
	CreateTime string `json:"create_time"`
	TenantKey  string `json:"tenant_key"`
	AppID      string `json:"app_id"`
}

type userIDs struct {
	OpenID  string `json:"open_id"`
	UnionID string `json:"union_id"`
	UserID  string `json:"user_id"`
}

// messageEvent is im.message.receive_v1.
type messageEvent struct {
	Header header `json:"header"`
	Event  struct {
		Sender struct {
			SenderID   userIDs `json:"sender_id"`
			SenderType string  `json:"sender_type"`
			TenantKey  string  `json:"tenant_key"`
		} `json:"sender"`
		Message struct {
			MessageID string `json:"message_id"`
			// RootID and ParentID name the first message and the one
			// replied to when this is a reply; ThreadID is set when the
			// message was posted in a thread (a topic), where the answer goes too.
			RootID      string `json:"root_id"`
			ParentID    string `json:"parent_id"`
			ThreadID    string `json:"thread_id"`
			ChatID      string `json:"chat_id"`
			ChatType    string `json:"chat_type"`
			MessageType string `json:"message_type"`
			// Content is a JSON document in a string, shaped by MessageType.
			Content  string    `json:"content"`
			Mentions []mention `json:"mentions"`
			// UserAgent names the sender's client, with its language ("LarkLocale/zh_CN").
			UserAgent string `json:"user_agent"`
		} `json:"message"`
	} `json:"event"`
}

type mention struct {
	Key       string  `json:"key"`
	ID        userIDs `json:"id"`
	Name      string  `json:"name"`
	TenantKey string  `json:"tenant_key"`
}

// menuEvent is application.bot.menu_v6. Its timestamp is documented as a
// string but the SDK's model (and real pushes) have a number, which breaks
// the SDK's typed handler when the other form arrives; RawMessage takes both.
type menuEvent struct {
	Header header `json:"header"`
	Event  struct {
		Operator struct {
			OperatorName string  `json:"operator_name"`
			OperatorID   userIDs `json:"operator_id"`
		} `json:"operator"`
		EventKey  string          `json:"event_key"`
		Timestamp json.RawMessage `json:"timestamp"`
	} `json:"event"`
}

// chatEnteredEvent is im.chat.access_event.bot_p2p_chat_entered_v1.
type chatEnteredEvent struct {
	Header header `json:"header"`
	Event  struct {
		ChatID     string  `json:"chat_id"`
		OperatorID userIDs `json:"operator_id"`
	} `json:"event"`
}

func (a *Adapter) newDispatcher() *dispatcher.EventDispatcher {
	// The token and key are left empty: the dispatcher is only used through
	// Do, after the webhook has checked and decrypted the push itself (the
	// long connection is authenticated when it is opened).
	d := dispatcher.NewEventDispatcher("", "")
	d.InitConfig(larkevent.WithLogger(sdkLogger{log: a.log}), larkevent.WithLogLevel(1))
	d.OnCustomizedEvent(eventMessageReceive, a.onMessage)
	d.OnCustomizedEvent(eventBotMenu, a.onMenu)
	d.OnCustomizedEvent(eventP2PChatEntered, a.onChatEntered)
	d.OnCustomizedEvent(eventMessageUpdated, a.onMessageUpdated)
	d.OnP2CardActionTrigger(a.onCardAction)
	for _, t := range eventsNotActedOn {
		d.OnCustomizedEvent(t, a.notActedOn(t))
	}
	return d
}

// notActedOn acknowledges an event of eventsNotActedOn and logs it with
// its type and id, whatever its body holds.
func (a *Adapter) notActedOn(eventType string) func(context.Context, *larkevent.EventReq) error {
	return func(_ context.Context, req *larkevent.EventReq) error {
		var ev struct {
			Header struct {
				EventID string `json:"event_id"`
			} `json:"header"`
		}
		_ = json.Unmarshal(req.Body, &ev) // the id is only for the log line
		a.log.Info().Str("event_type", eventType).Str("event_id", ev.Header.EventID).
			Msg("feishu push of an event Pulse does not act on; acknowledged")
		return nil
	}
}

// onMessage queues a received message. A re-push (even under a new
// event_id) carries the same message id and finds it already queued.
func (a *Adapter) onMessage(ctx context.Context, req *larkevent.EventReq) error {
	var ev messageEvent
	if err := json.Unmarshal(req.Body, &ev); err != nil {
		return fmt.Errorf("parse %s: %w", eventMessageReceive, err)
	}
	if ev.Event.Sender.SenderType != "user" {
		return nil // the bot's own messages and other apps' are not commands
	}
	_, err := a.queue(ctx, "feishu:msg:"+ev.Event.Message.MessageID, eventMessageReceive, req.Body)
	return err
}

// onMessageUpdated acknowledges an edit and acts on nothing: see
// eventMessageUpdated. The log line names the message, so an operator can
// tell an ignored edit from a lost update. It reads only the two ids, and
// a body it cannot read is still acknowledged: an edit is never acted on,
// so refusing it would only have Feishu push it again for hours.
func (a *Adapter) onMessageUpdated(_ context.Context, req *larkevent.EventReq) error {
	var ev struct {
		Header struct {
			EventID string `json:"event_id"`
		} `json:"header"`
		Event struct {
			Message struct {
				MessageID string `json:"message_id"`
			} `json:"message"`
		} `json:"event"`
	}
	line := a.log.Info()
	if err := json.Unmarshal(req.Body, &ev); err != nil {
		line = a.log.Warn().Err(err)
	}
	line.Str("event_type", eventMessageUpdated).Str("event_id", ev.Header.EventID).
		Str("message_id", ev.Event.Message.MessageID).Msg("feishu message edit ignored: an edit is not a new update")
	return nil
}

// processMessage handles a queued message. A message posted in a thread
// is answered in that thread.
func (a *Adapter) processMessage(ctx context.Context, ev messageEvent, last bool) error {
	msg := ev.Event.Message
	botID, err := a.ensureBotOpenID(ctx)
	if err != nil {
		return err
	}
	e, ok := messageToEvent(ev, botID)
	if !ok {
		// Cards (interactive), shared chats, system messages…: nothing to read.
		a.log.Info().Str("event_type", eventMessageReceive).Str("message_type", msg.MessageType).
			Str("message_id", msg.MessageID).Str("chat_type", msg.ChatType).Msg("feishu message of a type Pulse does not read; ignored")
		return nil
	}
	e.Profile = a.profile(ctx, e.User, "")
	e.Profile.Locale = clientLocale(msg.UserAgent)
	return a.handle(ctx, e, replyTarget{chat: msg.ChatID, message: msg.MessageID, user: e.User, direct: e.Direct, thread: msg.ThreadID != ""}, last)
}

// messageToEvent turns a received message into an Event. ok is false for
// messages Pulse does not read (images, files, stickers).
func messageToEvent(ev messageEvent, botOpenID string) (bot.Event, bool) {
	msg := ev.Event.Message
	content, ok := decodeContent(msg.MessageType, msg.Content)
	if !ok {
		return bot.Event{}, false
	}
	// The sender's own tenant, not the header's (the app's tenant): a
	// person of another tenant in an external chat stays an outsider.
	tenant := ev.Event.Sender.TenantKey
	if tenant == "" {
		tenant = ev.Header.TenantKey
	}
	text, names, atBot := resolveMentions(content.Text, append(msg.Mentions, content.Mentions...), tenant, botOpenID)
	direct := msg.ChatType == "p2p"
	kind := bot.MessageKind(direct, atBot)
	if content.NotText {
		kind = bot.KindNotText
	}
	return bot.Event{
		Key:      "feishu:" + ev.Header.EventID,
		Kind:     kind,
		Platform: bot.PlatformFeishu,
		User:     bot.NewUserID(bot.PlatformFeishu, tenant, ev.Event.Sender.SenderID.OpenID),
		Channel:  msg.ChatID,
		Direct:   direct,
		Text:     strings.TrimSpace(text),
		Names:    names,
		Message:  bot.MessageRef{Platform: bot.PlatformFeishu, Channel: msg.ChatID, ID: msg.MessageID},
	}, true
}

// clientLocale reads the language of the sender's Feishu client from the
// message's user agent ("… Lark/6.7.5 LarkLocale/en_US …"); "" when absent
// or neither English nor Chinese.
func clientLocale(userAgent string) bot.Locale {
	_, rest, ok := strings.Cut(userAgent, "LarkLocale/")
	if !ok {
		return ""
	}
	switch lang := strings.ToLower(rest); {
	case strings.HasPrefix(lang, "zh"):
		return bot.Chinese
	case strings.HasPrefix(lang, "en"):
		return bot.English
	}
	return ""
}

// resolveMentions rewrites "@_user_N" placeholders: the bot's own mention is
// removed (and reported), other people become bot.Mention tokens with their
// display names in names. "@_all" is left as text the core will escape.
func resolveMentions(text string, mentions []mention, tenant, botOpenID string) (string, map[bot.UserID]string, bool) {
	// Longest keys first, so "@_user_1" does not eat the front of "@_user_10".
	sorted := append([]mention(nil), mentions...)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i].Key) > len(sorted[j].Key) })
	var names map[bot.UserID]string
	atBot := false
	for _, m := range sorted {
		if m.Key == "" {
			continue
		}
		if botOpenID != "" && m.ID.OpenID == botOpenID {
			atBot = true
			text = strings.ReplaceAll(text, m.Key, "")
			continue
		}
		if m.ID.OpenID == "" {
			continue
		}
		t := m.TenantKey
		if t == "" {
			t = tenant
		}
		id := bot.NewUserID(bot.PlatformFeishu, t, m.ID.OpenID)
		if names == nil {
			names = map[bot.UserID]string{}
		}
		names[id] = m.Name
		text = strings.ReplaceAll(text, m.Key, bot.Mention(id))
	}
	return strings.Join(strings.Fields(text), " "), names, atBot
}

func (a *Adapter) onMenu(ctx context.Context, req *larkevent.EventReq) error {
	var ev menuEvent
	if err := json.Unmarshal(req.Body, &ev); err != nil {
		return fmt.Errorf("parse %s: %w", eventBotMenu, err)
	}
	_, err := a.queue(ctx, "feishu:event:"+ev.Header.EventID, eventBotMenu, req.Body)
	return err
}

// processMenu handles a queued menu press.
func (a *Adapter) processMenu(ctx context.Context, ev menuEvent, last bool) error {
	user := bot.NewUserID(bot.PlatformFeishu, ev.Header.TenantKey, ev.Event.Operator.OperatorID.OpenID)
	e := menuToEvent(ev, user)
	e.Profile = a.profile(ctx, user, ev.Event.Operator.OperatorName)
	// The menu event has no chat id: the reply goes to the person by open_id.
	return a.handle(ctx, e, replyTarget{user: user, direct: true}, last)
}

// menuActions are the menu event keys that name an action rather than a
// command: the admin sets these as the menu items' event ids.
var menuActions = map[string]bool{
	bot.ActionHome:           true,
	bot.ActionCheckInForm:    true,
	bot.ActionKudosForm:      true,
	bot.ActionGoalUpdateForm: true,
}

// menuToEvent reads the menu item's event key as an action id ("home",
// "checkin.form") or, for anything else, as command text ("goal list").
func menuToEvent(ev menuEvent, user bot.UserID) bot.Event {
	e := bot.Event{
		Key:      "feishu:" + ev.Header.EventID,
		Platform: bot.PlatformFeishu,
		User:     user,
		Direct:   true,
	}
	key := strings.TrimSpace(ev.Event.EventKey)
	if menuActions[key] {
		e.Kind = bot.KindAction
		e.Action = bot.Action{ID: key}
		return e
	}
	e.Kind = bot.KindCommand
	e.Text = strings.ReplaceAll(key, "_", " ")
	return e
}

func (a *Adapter) onChatEntered(ctx context.Context, req *larkevent.EventReq) error {
	var ev chatEnteredEvent
	if err := json.Unmarshal(req.Body, &ev); err != nil {
		return fmt.Errorf("parse %s: %w", eventP2PChatEntered, err)
	}
	_, err := a.queue(ctx, "feishu:event:"+ev.Header.EventID, eventP2PChatEntered, req.Body)
	return err
}

// processChatEntered sends the welcome card, at most once a day per person:
// the event fires every time someone opens the chat.
func (a *Adapter) processChatEntered(ctx context.Context, ev chatEnteredEvent, last bool) error {
	user := bot.NewUserID(bot.PlatformFeishu, ev.Header.TenantKey, ev.Event.OperatorID.OpenID)
	day := a.cfg.Clock.Now().UTC().Format("2006-01-02")
	fresh, err := a.cfg.Dedup.FirstSeen(ctx, "feishu:welcome:"+string(user)+":"+day, welcomeTTL)
	if err != nil {
		return fmt.Errorf("welcome of %s: %w", user, err)
	}
	if !fresh {
		return nil
	}
	e := bot.Event{
		Key:      "feishu:" + ev.Header.EventID,
		Kind:     bot.KindAction,
		Platform: bot.PlatformFeishu,
		User:     user,
		Channel:  ev.Event.ChatID,
		Direct:   true,
		Action:   bot.Action{ID: bot.ActionHome},
	}
	e.Profile = a.profile(ctx, user, "")
	return a.handle(ctx, e, replyTarget{chat: ev.Event.ChatID, user: user, direct: true}, last)
}

// replyTarget is where an event's answer goes.
type replyTarget struct {
	chat    string
	message string
	user    bot.UserID
	direct  bool
	// thread is set when the message was posted in a thread: the answer
	// goes into it (reply_in_thread) rather than quoting it in the chat.
	thread bool
}

// handle calls the core and delivers its response by the core's delivery
// rule (bot.Deliver): the reaction on the source message, the reply (in the
// direct chat, quoted under the message in a group, or privately to the
// person), then its file; a failed part is logged and the next one sent.
func (a *Adapter) handle(ctx context.Context, e bot.Event, to replyTarget, last bool) error {
	o, retry := a.handled(ctx, e, last)
	if retry != nil {
		return retry
	}
	bot.Deliver(ctx, responder{a: a, key: e.Key, to: to}, o.Response, e.Key, a.log)
	return nil
}

func replyAddress(to replyTarget, v bot.Visibility) bot.Address {
	switch {
	case to.thread && to.message != "" && (to.direct || v != bot.Private):
		// In the thread the message came from (a direct chat's thread is as private as the chat).
		return bot.Address{Platform: bot.PlatformFeishu, Channel: to.chat, Thread: to.message}
	case to.direct && to.chat != "":
		return bot.Address{Platform: bot.PlatformFeishu, Channel: to.chat}
	case to.direct || v == bot.Private || to.chat == "":
		// Feishu has no ephemeral messages: private replies go to the direct chat.
		return bot.Address{Platform: bot.PlatformFeishu, User: to.user}
	case to.message != "":
		return bot.Address{Platform: bot.PlatformFeishu, Channel: to.chat, Thread: to.message}
	default:
		return bot.Address{Platform: bot.PlatformFeishu, Channel: to.chat}
	}
}
