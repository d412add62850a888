package bot

import (
	"context"

	"github.com/rs/zerolog"
)

// The delivery rule every adapter (Slack, Feishu, console) follows, in one
// place:
//
//  1. What a chat message is: MessageKind. A direct chat, a mention of the
//     bot or a slash command is a command; anything else in a channel is a
//     plain message, from which only progress and kudos are picked up.
//  2. Acknowledged means stored: Receive queues the delivery in the inbox
//     before the platform hears 2xx. When the inbox cannot answer in time
//     the delivery is refused (5xx, or a "not saved" reply where the
//     platform shows the body) — never handled anyway, never dropped silently.
//  3. The response goes out as Deliver does it: the reaction, then the
//     reply, then the file; a failed step is logged with the event key and
//     the next step still runs, so a failed reaction never costs the reply.

// MessageKind says whether a chat message is a command: one in a direct
// chat or that mentions the bot is; any other channel message is
// KindMessage. (A slash command is always KindCommand.)
func MessageKind(direct, mentionsBot bool) EventKind {
	if direct || mentionsBot {
		return KindCommand
	}
	return KindMessage
}

// Responder is what an adapter can do with the response to one event.
// Each method sends one part; Deliver decides the order and what a failure
// means.
type Responder interface {
	// React puts the named reaction ("check") on the event's source
	// message; it does nothing when the event has none.
	React(ctx context.Context, name string) error
	// Reply sends resp.Reply where resp.Visibility says.
	Reply(ctx context.Context, resp Response) error
	// SendFile sends resp.File after the reply.
	SendFile(ctx context.Context, resp Response) error
}

// Deliver sends a response in the one order: reaction, reply, file. Each
// failure is logged with the event key (never the text) and the next part
// is still sent.
func Deliver(ctx context.Context, r Responder, resp Response, eventKey string, log zerolog.Logger) {
	if resp.Reaction != "" {
		if err := r.React(ctx, resp.Reaction); err != nil {
			log.Error().Err(err).Str("event_key", eventKey).Msg("reaction not sent; sending the reply anyway")
		}
	}
	if !resp.Reply.IsZero() {
		if err := r.Reply(ctx, resp); err != nil {
			log.Error().Err(err).Str("event_key", eventKey).Msg("reply not sent")
		}
	}
	if resp.File != nil {
		if err := r.SendFile(ctx, resp); err != nil {
			log.Error().Err(err).Str("event_key", eventKey).Str("file", resp.File.Name).Msg("file not sent")
		}
	}
}
