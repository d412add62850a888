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
)

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
			MessageID   string `json:"message_id"`
			RootID      string `json:"root_id"`
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
	d.OnP2CardActionTrigger(a.onCardAction)
	return d
}

// firstSeen reports whether key is new, remembering it for dedupTTL.
func (a *Adapter) firstSeen(ctx context.Context, key string) (bool, error) {
	ok, err := a.cfg.Dedup.FirstSeen(ctx, key, dedupTTL)
	if err != nil {
		return false, fmt.Errorf("dedupe %s: %w", key, err)
	}
	return ok, nil
}

// later runs work after the push is acknowledged, detached from the push's
// context, and tracked so Run can wait for it on shutdown. An error here is
// only logged: Feishu must not push an event we already took.
func (a *Adapter) later(eventID string, work func(ctx context.Context) error) {
	a.work.Add(1)
	go func() {
		defer a.work.Done()
		ctx, cancel := context.WithTimeout(context.Background(), workTimeout)
		defer cancel()
		if err := work(ctx); err != nil {
			a.log.Error().Err(err).Str("event_id", eventID).Msg("feishu event failed")
		}
	}()
}

func (a *Adapter) onMessage(ctx context.Context, req *larkevent.EventReq) error {
	var ev messageEvent
	if err := json.Unmarshal(req.Body, &ev); err != nil {
		return fmt.Errorf("parse %s: %w", eventMessageReceive, err)
	}
	msg := ev.Event.Message
	if ev.Event.Sender.SenderType != "user" {
		return nil // the bot's own messages and other apps' are not commands
	}
	if fresh, err := a.firstSeen(ctx, "feishu:event:"+ev.Header.EventID); err != nil || !fresh {
		return err
	}
	if fresh, err := a.firstSeen(ctx, "feishu:msg:"+msg.MessageID); err != nil || !fresh {
		return err
	}
	a.later(ev.Header.EventID, func(ctx context.Context) error {
		botID, err := a.ensureBotOpenID(ctx)
		if err != nil {
			return err
		}
		e, ok := messageToEvent(ev, botID)
		if !ok {
			return nil
		}
		e.Profile = a.profile(ctx, e.User, "")
		e.Profile.Locale = clientLocale(msg.UserAgent)
		return a.handle(ctx, e, replyTarget{chat: msg.ChatID, message: msg.MessageID, user: e.User, direct: e.Direct})
	})
	return nil
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
	kind := bot.KindMessage
	switch {
	case content.NotText:
		kind = bot.KindNotText
	case direct || atBot:
		kind = bot.KindCommand
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
	if fresh, err := a.firstSeen(ctx, "feishu:event:"+ev.Header.EventID); err != nil || !fresh {
		return err
	}
	a.later(ev.Header.EventID, func(ctx context.Context) error {
		user := bot.NewUserID(bot.PlatformFeishu, ev.Header.TenantKey, ev.Event.Operator.OperatorID.OpenID)
		e := menuToEvent(ev, user)
		e.Profile = a.profile(ctx, user, ev.Event.Operator.OperatorName)
		// The menu event has no chat id: the reply goes to the person by open_id.
		return a.handle(ctx, e, replyTarget{user: user, direct: true})
	})
	return nil
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
	if fresh, err := a.firstSeen(ctx, "feishu:event:"+ev.Header.EventID); err != nil || !fresh {
		return err
	}
	user := bot.NewUserID(bot.PlatformFeishu, ev.Header.TenantKey, ev.Event.OperatorID.OpenID)
	day := a.cfg.Clock.Now().UTC().Format("2006-01-02")
	fresh, err := a.cfg.Dedup.FirstSeen(ctx, "feishu:welcome:"+string(user)+":"+day, welcomeTTL)
	if err != nil || !fresh {
		return err
	}
	a.later(ev.Header.EventID, func(ctx context.Context) error {
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
		return a.handle(ctx, e, replyTarget{chat: ev.Event.ChatID, user: user, direct: true})
	})
	return nil
}

// replyTarget is where an event's answer goes.
type replyTarget struct {
	chat    string
	message string
	user    bot.UserID
	direct  bool
}

// handle calls the core and delivers its response: the reaction on the
// source message, the reply (in the direct chat, quoted under the message
// in a group, or privately to the person), then its file, if any.
func (a *Adapter) handle(ctx context.Context, e bot.Event, to replyTarget) error {
	resp, herr := a.cfg.Handler.Handle(ctx, e)
	if herr != nil {
		a.log.Warn().Err(herr).Str("key", e.Key).Msg("handler reported an error")
	}
	if resp.Reaction != "" && to.message != "" {
		if err := a.react(ctx, to.message, resp.Reaction); err != nil {
			return err
		}
	}
	if !resp.Reply.IsZero() {
		addr := replyAddress(to, resp.Visibility)
		// A reply to a group message quotes it rather than opening a thread.
		if _, err := a.deliver(ctx, addr, resp.Reply, e.Key+":reply", false); err != nil {
			return fmt.Errorf("send reply to %s: %w", e.Key, err)
		}
	}
	a.sendResponseFile(ctx, e.Key, to, resp)
	return nil
}

func replyAddress(to replyTarget, v bot.Visibility) bot.Address {
	switch {
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
