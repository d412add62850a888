package bot

import (
	"context"

	"github.com/pulse-bot/pulse/bot/parse"
)

// EventKind says how an event reached Pulse.
type EventKind int

// Event kinds.
const (
	// KindCommand is an explicit command: a Slack slash command, or a message
	// addressed to the bot (a direct chat or an @mention) on any platform.
	KindCommand EventKind = iota
	// KindMessage is a plain message in a channel the bot is in; only goal
	// progress ("G7 2.6% …") and kudos ("kudos @a …") are picked up from it.
	KindMessage
	// KindAction is a button press or a submitted form.
	KindAction
	// KindNotText is a message with nothing Pulse can read (an image, a
	// file, a sticker, audio), in a direct chat or a channel.
	KindNotText
)

// Event is one thing a person did, in platform-neutral form. Adapters build
// it; the Service handles it.
type Event struct {
	// Key identifies the event for idempotency ("slack:Ev0123", "feishu:<event_id>").
	// The same key twice records once.
	Key      string
	Kind     EventKind
	Platform Platform
	User     UserID
	// Profile is what the platform says about the user, used to fill in a
	// person Pulse meets for the first time or whose name changed.
	Profile Profile
	// Channel is the platform's channel or chat id; Direct is set for a
	// direct chat with the bot.
	Channel string
	Direct  bool
	// Text is the command or message text. Mentions of people are written
	// as Mention(id) tokens: adapters translate their own mention syntax.
	// A slash command's name is part of the text ("/goal list").
	Text string
	// Names holds every person the platform itself marked as mentioned (a
	// Slack <@U…> in the raw event, an entry of Feishu's mentions array),
	// with the display name it gave. A Mention token in Text whose id is not
	// a key here was typed, and the core treats it as text.
	Names map[UserID]string
	// Action is set for KindAction.
	Action Action
	// Message is the source chat message, for reactions and threads.
	Message MessageRef
}

// Profile is what a platform tells about a person.
type Profile struct {
	Name     string
	TimeZone string
	Locale   Locale
}

// Action is a button press or a form submission.
type Action struct {
	// ID says which button ("checkin.start", "forget.confirm").
	ID    string
	Value string
	// Fields holds a submitted form's values by field id.
	Fields map[string]string
}

// Action ids the service understands. Buttons in replies carry them and
// adapters send them back in Event.Action.ID.
const (
	// ActionHome asks for the person's home view (Slack App Home, a Feishu
	// welcome card): goals, kudos, next check-in.
	ActionHome = "home"
	// ActionCheckInForm asks for the check-in as a form; ActionCheckInSubmit submits it.
	ActionCheckInForm   = "checkin.form"
	ActionCheckInSubmit = "checkin.submit"
	// ActionKudosForm and ActionKudosSubmit give kudos through a form.
	ActionKudosForm   = "kudos.form"
	ActionKudosSubmit = "kudos.submit"
	// ActionGoalUpdateForm and ActionGoalUpdateSubmit post progress through a form.
	ActionGoalUpdateForm   = "goal.update.form"
	ActionGoalUpdateSubmit = "goal.update.submit"
	// ActionCheckInSkipConfirm confirms skipping a check-in already answered;
	// its value is the skip reason.
	ActionCheckInSkipConfirm = "checkin.skip.confirm"
	// ActionForgetConfirm confirms "/pulse forget me".
	ActionForgetConfirm = "forget.confirm"
	// ActionPickTeam answers "which team?": its value is "<ref>|<team id>",
	// ref naming the command kept while the person chose (see askTeam).
	ActionPickTeam = "team.pick"
)

// Mention writes a person reference in the form the command language
// understands: "<@slack:T1:U1>". Adapters rewrite their mentions to it.
func Mention(id UserID) string { return parse.Mention(string(id)) }

// ParseMention reads a Mention token; ok is false for anything else. It is
// syntax only: by the time a handler reads Event.Text, cleanEvent has turned
// every token the platform did not mark as a real mention (Event.Names) into
// plain text, so a typed "<@slack:T9:U1>" never reaches it as a token.
func ParseMention(tok string) (UserID, bool) {
	id, ok := parse.ParseMention(tok)
	return UserID(id), ok
}

// Visibility says who sees a reply.
type Visibility int

// Visibilities.
const (
	// Private replies are for the asker only (Slack ephemeral, a direct message elsewhere).
	Private Visibility = iota
	// Public replies are posted where the command was typed.
	Public
)

// Response is what the Service answers to an event.
type Response struct {
	// Reply goes back to the asker where they typed; empty when there is nothing to say.
	Reply      Message
	Visibility Visibility
	// Reaction, when set, is put on the source message (a captured update).
	// It is a neutral name: "check".
	Reaction string
	// Locale is the language of the asker, which the reply is written in;
	// Service.Handle copies it onto Reply.Locale, which adapters read.
	Locale Locale
	// FieldErrors, for a submitted form, maps an Input.ID to what is wrong
	// with it; adapters show them beside the fields and keep the form open.
	FieldErrors map[string]string
	// File, when set, is sent to the asker as an attachment (a scorecard
	// chart, an export), after the reply: where the command was typed when
	// the reply is public, else in the asker's direct chat, since no
	// platform has private attachments in a channel.
	File *File
}

// File is a document sent as an attachment.
type File struct {
	Name string
	// MIME is the content type, e.g. "text/csv; charset=utf-8".
	MIME string
	Data []byte
}

// Handler is what adapters call with each event.
type Handler interface {
	Handle(ctx context.Context, ev Event) (Response, error)
}

// Address is where a message goes: a person's direct chat (User set) or a
// channel, optionally as a reply in a thread.
type Address struct {
	Platform Platform
	User     UserID
	Channel  string
	Thread   string
}

// Messenger sends messages on one platform (or, routed, on all of them).
// The scheduler and the service use it for prompts, digests and notices.
type Messenger interface {
	// Send posts msg and returns a reference to the posted message. key, when
	// not empty, makes the send idempotent where the platform supports it.
	Send(ctx context.Context, to Address, msg Message, key string) (MessageRef, error)
}

// Router is a Messenger that hands each message to its platform's messenger.
type Router map[Platform]Messenger

// Send routes msg by to.Platform.
func (r Router) Send(ctx context.Context, to Address, msg Message, key string) (MessageRef, error) {
	m, ok := r[to.Platform]
	if !ok {
		return MessageRef{}, &NoMessengerError{Platform: to.Platform}
	}
	return m.Send(ctx, to, msg, key)
}

// FileSender is the optional capability of a Messenger that can also send
// files (a scorecard chart, an export). It is separate from Messenger so a
// platform without attachments still satisfies Messenger; callers ask for
// it with a type assertion and skip the file when it is missing, the way
// chat frameworks expose optional adapter features.
type FileSender interface {
	// SendFile posts f to the address, after any message sent there. key,
	// when not empty, makes the send idempotent as in Messenger.Send.
	SendFile(ctx context.Context, to Address, f File, key string) (MessageRef, error)
}

// SendFile routes f by to.Platform to that platform's messenger when it can
// send files; otherwise it returns a *NoFileSenderError, so callers can tell
// "this platform has no attachments" from a failed upload.
func (r Router) SendFile(ctx context.Context, to Address, f File, key string) (MessageRef, error) {
	m, ok := r[to.Platform]
	if !ok {
		return MessageRef{}, &NoMessengerError{Platform: to.Platform}
	}
	fs, ok := m.(FileSender)
	if !ok {
		return MessageRef{}, &NoFileSenderError{Platform: to.Platform}
	}
	return fs.SendFile(ctx, to, f, key)
}

// Retractor is the optional capability of a Messenger that can take back
// a message it sent (Slack chat.delete, Feishu recall): an undone kudos
// leaves no thank-you behind in anyone's chat.
type Retractor interface {
	// Retract deletes the message ref points to. A message that is already
	// gone counts as retracted.
	Retract(ctx context.Context, ref MessageRef) error
}

// Retract routes ref by its platform to that platform's messenger when it
// can take messages back; otherwise it returns a *NoRetractorError.
func (r Router) Retract(ctx context.Context, ref MessageRef) error {
	m, ok := r[ref.Platform]
	if !ok {
		return &NoMessengerError{Platform: ref.Platform}
	}
	rt, ok := m.(Retractor)
	if !ok {
		return &NoRetractorError{Platform: ref.Platform}
	}
	return rt.Retract(ctx, ref)
}

// NoRetractorError says the messenger of a platform cannot take messages back.
type NoRetractorError struct{ Platform Platform }

func (e *NoRetractorError) Error() string {
	return "the messenger for platform " + string(e.Platform) + " cannot take messages back"
}

// NoFileSenderError says the messenger of a platform cannot send files.
type NoFileSenderError struct{ Platform Platform }

func (e *NoFileSenderError) Error() string {
	return "the messenger for platform " + string(e.Platform) + " cannot send files"
}

// NoMessengerError says no messenger is wired for a platform.
type NoMessengerError struct{ Platform Platform }

func (e *NoMessengerError) Error() string {
	return "no messenger for platform " + string(e.Platform)
}
