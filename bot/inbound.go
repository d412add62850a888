package bot

// The way in: every event's text is cleaned once before any handler reads
// it, so nothing downstream meets control characters, broadcast syntax or
// a mention the platform did not make.

import (
	"context"
	"regexp"
	"strings"
	"unicode"

	"github.com/pulse-bot/pulse/bot/parse"
)

// cleanEvent cleans the text of an event once on the way in: control
// characters (except newline and tab) go, platform broadcast syntax loses
// its power, and a "<@…>" token the platform did not mark as a real mention
// of someone the sender may address becomes plain text.
func (s *Service) cleanEvent(ctx context.Context, ev Event) Event {
	ev.Text = neutraliseBroadcasts(CleanText(ev.Text))
	ev.Action.Value = CleanText(ev.Action.Value)
	if len(ev.Action.Fields) > 0 {
		fields := make(map[string]string, len(ev.Action.Fields))
		for k, v := range ev.Action.Fields {
			fields[k] = neutraliseBroadcasts(CleanText(v))
		}
		ev.Action.Fields = fields
	}
	ev.Profile.Name = CleanText(ev.Profile.Name)
	allowed := s.allowedMentions(ctx, ev)
	ev.Text = keepRealMentions(ev.Text, allowed)
	for k, v := range ev.Action.Fields {
		ev.Action.Fields[k] = keepRealMentions(v, allowed)
	}
	names := make(map[UserID]string, len(allowed))
	for id := range allowed {
		names[id] = CleanText(ev.Names[id])
	}
	ev.Names = names
	return ev
}

// CleanText drops NUL and every other control character except newline and
// tab; a carriage return before a newline goes too. Bidirectional
// embeddings, overrides and isolates go as well: echoed in a channel they
// can make "2.1 → 3.5" display as something else (Trojan Source);
// the plain marks LRM and RLM stay.
func CleanText(s string) string {
	if !strings.ContainsFunc(s, isDroppedControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isDroppedControl(r) {
			return -1
		}
		return r
	}, s)
}

func isDroppedControl(r rune) bool {
	return (unicode.IsControl(r) && r != '\n' && r != '\t') || r == '\u2028' || r == '\u2029' ||
		('\u202a' <= r && r <= '\u202e') || ('\u2066' <= r && r <= '\u2069')
}

// broadcastRE matches the ways a message can notify a whole channel: Slack's
// <!channel>, <!here>, <!everyone> (with an optional label), the same typed
// with an @, Feishu's <at user_id="all"> tag, "@_all" and "@all"/"@所有人".
var broadcastRE = regexp.MustCompile(`(?i)<!(channel|here|everyone)(\|[^>]*)?>|<at\b[^>]*\b(?:user_id|id)\s*=\s*"?all"?[^>]*>([^<]*)</at>|@_?(channel|here|everyone|all)\b|@所有人`)

// neutraliseBroadcasts writes broadcast syntax as the plain word, so echoing
// the text can never notify everyone, whatever the platform does with "@".
func neutraliseBroadcasts(s string) string {
	if !strings.ContainsAny(s, "<@") {
		return s
	}
	return broadcastRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := broadcastRE.FindStringSubmatch(m)
		switch {
		case sub[1] != "":
			return strings.ToLower(sub[1])
		case sub[4] != "":
			return strings.ToLower(sub[4])
		case strings.HasPrefix(m, "@"):
			return strings.TrimPrefix(m, "@")
		}
		return "all"
	})
}

// mentionTokenRE matches a Mention token as written in Event.Text.
var mentionTokenRE = regexp.MustCompile(`<@([^<>\s]*)>`)

// allowedMentions is the set of people the event really mentions: those the
// adapter resolved from the platform's own mention data (the keys of
// ev.Names), in the sender's own workspace or sharing a team with the sender
// (a cross-workspace or cross-platform team an admin configured). Admins may
// mention anyone: that is how a guest of another workspace joins a team.
func (s *Service) allowedMentions(ctx context.Context, ev Event) map[UserID]bool {
	allowed := map[UserID]bool{}
	var senderTeams []Team
	loaded := false
	for id := range ev.Names {
		if !id.Valid() {
			continue
		}
		if WorkspaceOf(id) == WorkspaceOf(ev.User) || s.isAdmin(ev.User) {
			allowed[id] = true
			continue
		}
		if !loaded {
			teams, err := s.store.TeamsOf(ctx, ev.User)
			if err != nil {
				s.log.Warn().Err(err).Str("event", ev.Key).Msg("load teams to check a cross-workspace mention")
			}
			senderTeams, loaded = teams, true
		}
		for _, t := range senderTeams {
			if t.HasMember(id) || t.HasManager(id) {
				allowed[id] = true
				break
			}
		}
	}
	return allowed
}

// keepRealMentions turns every Mention token whose id is not allowed into
// the plain text "@id": typed text stays text.
func keepRealMentions(text string, allowed map[UserID]bool) string {
	if !strings.Contains(text, "<@") {
		return text
	}
	return mentionTokenRE.ReplaceAllStringFunc(text, func(m string) string {
		id := UserID(m[2 : len(m)-1])
		if allowed[id] {
			return m
		}
		return "@" + string(id)
	})
}

// mentionsAsNames writes the Mention tokens left in free text (a kudos
// message, a note, feedback) as "@Name", so what is stored and echoed
// carries names, never internal ids.
func (s *Service) mentionsAsNames(ctx context.Context, r *request, text string) string {
	if !strings.Contains(text, "<@") {
		return text
	}
	var ids []UserID
	for _, m := range mentionTokenRE.FindAllStringSubmatch(text, -1) {
		ids = append(ids, UserID(m[1]))
	}
	names, err := s.names(ctx, r, ids)
	if err != nil {
		names = map[UserID]string{}
	}
	return mentionTokenRE.ReplaceAllStringFunc(text, func(m string) string {
		id := UserID(m[2 : len(m)-1])
		if n := names[id]; n != "" {
			return "@" + n
		}
		return "@" + id.Local()
	})
}

// outsiderReply is all someone outside the organisation gets: one sentence,
// in their language, for a command, a form or the home view. Ordinary
// channel chatter (a shared channel) gets nothing, unless it tried to give
// kudos or post progress.
func (s *Service) outsiderReply(ev Event) Response {
	l := ev.Profile.Locale
	if l == "" {
		l = DefaultLocale(ev.Platform)
	}
	if ev.Kind == KindMessage && !ev.Direct {
		text := strings.TrimSpace(ev.Text)
		if !parse.LooksLikeProgress(text) && !parse.LooksLikeKudos(text) {
			return Response{Locale: l}
		}
	}
	return s.textReply(l, "outsider", nil)
}
