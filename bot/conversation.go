package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pulse-bot/pulse/bot/parse"
)

// The one rule of conversations (a check-in asked one question at a time
// in a direct chat): while one is open, a line that starts with "/" is a
// command, never an answer, and its reply says how to go back to the
// conversation; every other line is an answer. The first question says so.

// isSlashCommand reports whether a line starts with "/" (or the full-width "／").
func isSlashCommand(text string) bool {
	return strings.HasPrefix(text, "/") || strings.HasPrefix(text, "／")
}

// conversationRule handles a command event in a direct chat: an answer to
// the open conversation, or a command followed by the way back to it.
func (s *Service) conversationRule(ctx context.Context, r *request, text string) (Response, error) {
	conv, err := s.store.Conversation(ctx, r.actor.ID)
	open := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Response{}, fmt.Errorf("load conversation of %s: %w", r.actor.ID, err)
	}
	if open && !isSlashCommand(text) {
		return s.answerCheckIn(ctx, r, conv, text)
	}
	var resp Response
	if cmd, ok := parse.SplitCommand(text); ok {
		resp, err = s.handleCommand(ctx, r, cmd)
	} else {
		resp, err = s.handleFreeText(ctx, r, text)
	}
	if !open {
		return resp, err
	}
	// The command may have closed the conversation (a skip, a new check-in).
	if _, still := s.store.Conversation(ctx, r.actor.ID); still != nil {
		return resp, err
	}
	var ue *userError
	var pe *parse.Error
	if err != nil && !errors.As(err, &ue) && !errors.As(err, &pe) {
		return resp, err
	}
	if err != nil {
		// A refusal: its one sentence, then the way back.
		if resp, err = s.failure(ctx, r.locale, r.ev, err); err != nil {
			return resp, err
		}
	}
	if resp.Reply.IsZero() {
		return resp, nil
	}
	resp.Reply.Blocks = append(resp.Reply.Blocks, Context{Text: s.t(r, "conversation_still_open", nil)})
	return resp, nil
}
