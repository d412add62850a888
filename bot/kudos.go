package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot/parse"
)

// KudosUndoWindow is how long a giver can take kudos back.
const KudosUndoWindow = 10 * time.Minute

func (s *Service) kudosCommand(ctx context.Context, r *request, cmd Command) (Response, error) {
	switch cmd.Sub {
	case "give":
		return s.giveKudos(ctx, r, cmd.Args)
	case "undo":
		return s.undoKudos(ctx, r)
	case "mine":
		return s.myKudos(ctx, r, cmd.Args)
	case "board":
		return s.kudosBoard(ctx, r, cmd.Args)
	}
	return Response{}, refuse("kudos_usage", nil)
}

func (s *Service) giveKudos(ctx context.Context, r *request, args string) (Response, error) {
	args, name := s.cutTeam(ctx, args)
	spec, err := parse.ParseKudos(args)
	if err != nil {
		return Response{}, err
	}
	return s.recordKudos(ctx, r, spec, name)
}

// recordKudos gives kudos in the team named (or found by the one rule):
// the giver must be a member of it, whose allowance they spend.
func (s *Service) recordKudos(ctx context.Context, r *request, spec parse.KudosSpec, teamName string) (Response, error) {
	recipients := userIDs(spec.To)
	for _, to := range recipients {
		if to == r.actor.ID {
			return Response{}, refuse("kudos_self", nil)
		}
	}
	team, err := s.resolveTeam(ctx, r, teamName, needBelong)
	if err != nil {
		return Response{}, err
	}
	people, err := s.ensurePeople(ctx, r, recipients)
	if err != nil {
		return Response{}, err
	}
	k := Kudos{TeamID: team.ID, From: r.actor.ID, To: recipients, Message: s.mentionsAsNames(ctx, r, spec.Message), At: r.now, Source: r.ev.Message, Key: r.ev.Key}
	k.Values, k.Tags = splitValues(spec.Tags, team.Values)
	day := r.now.In(personLocation(r.actor, team)).Format("2006-01-02")
	remaining, err := s.store.GiveKudos(ctx, k, day, team.KudosAllowance, r.audit("kudos.given", "", kudosDetail(k)))
	if errors.Is(err, ErrAllowanceExceeded) {
		return Response{}, refuse("kudos_allowance", map[string]any{"Left": remaining, "Allowance": team.KudosAllowance})
	}
	if err != nil && !errors.Is(err, ErrDuplicate) {
		return Response{}, fmt.Errorf("give kudos: %w", err)
	}
	// A duplicate is this event's earlier delivery, which stored the kudos
	// and may have died before telling anyone: the messages below are
	// keyed by the event, so what went out then does not go out twice.
	people[r.actor.ID] = r.actor
	names := make(map[UserID]string, len(people))
	for id, p := range people {
		names[id] = p.Name
	}
	s.announceKudos(ctx, r, team, k, people, names)
	reply := Message{Title: s.t(r, "kudos_sent_title", nil), Blocks: []Block{
		Text{Text: s.t(r, "kudos_sent", map[string]any{"To": joinNames(names, k.To), "Message": k.Message})},
	}}
	if len(k.Values) > 0 {
		reply.Blocks = append(reply.Blocks, Context{Text: s.t(r, "kudos_values", map[string]any{"Values": hashJoin(k.Values)})})
	}
	reply.Blocks = append(reply.Blocks, Context{Text: s.t(r, "kudos_left", map[string]any{"Left": remaining})})
	return Response{Reply: reply, Visibility: Private}, nil
}

// announceKudos tells each recipient by direct message, and the team
// channel when the team wants it, and remembers where those posts went so
// an undo can take them back.
func (s *Service) announceKudos(ctx context.Context, r *request, team Team, k Kudos, people map[UserID]Person, names map[UserID]string) {
	var posts []MessageRef
	defer func() { s.rememberKudosPosts(ctx, k, posts) }()
	for _, to := range k.To {
		l := localeOf(people[to], team)
		msg := Message{Title: s.catalog.T(l, "kudos_received_title", nil), Blocks: []Block{
			Text{Text: s.catalog.T(l, "kudos_received", map[string]any{"From": names[k.From], "Message": k.Message})},
		}}
		if len(k.Values) > 0 {
			msg.Blocks = append(msg.Blocks, Context{Text: s.catalog.T(l, "kudos_values", map[string]any{"Values": hashJoin(k.Values)})})
		}
		posts = append(posts, s.notify(ctx, Address{Platform: to.Platform(), User: to}, l, msg, r.ev.Key+":dm:"+string(to)))
	}
	if !team.AnnounceKudos || team.Channel == "" || team.Platform != r.ev.Platform {
		return
	}
	msg := Message{Title: s.catalog.T(team.Locale, "kudos_announce_title", nil), Blocks: []Block{
		Text{Text: s.catalog.T(team.Locale, "kudos_announce", map[string]any{"From": names[k.From], "To": joinNames(names, k.To), "Message": k.Message})},
	}}
	if len(k.Values) > 0 {
		msg.Blocks = append(msg.Blocks, Context{Text: s.catalog.T(team.Locale, "kudos_values", map[string]any{"Values": hashJoin(k.Values)})})
	}
	posts = append(posts, s.notify(ctx, Address{Platform: team.Platform, Channel: team.Channel}, team.Locale, msg, r.ev.Key+":channel"))
}

// kudosPostsKey names where a kudos's direct messages and channel post are
// remembered, by the event that gave it, for as long as it can be undone
// (and a day more, for an undo redelivered late).
func kudosPostsKey(k Kudos) string { return "kudos-posts:" + k.TeamID + ":" + k.Key }

const kudosPostsTTL = KudosUndoWindow + 24*time.Hour

// rememberKudosPosts keeps the references of the posts a kudos made, one
// per line as "platform|channel|id". A failure is logged: the kudos stands.
func (s *Service) rememberKudosPosts(ctx context.Context, k Kudos, posts []MessageRef) {
	var lines []string
	for _, p := range posts {
		if !p.IsZero() {
			lines = append(lines, string(p.Platform)+"|"+p.Channel+"|"+p.ID)
		}
	}
	if len(lines) == 0 || k.Key == "" {
		return
	}
	if err := s.store.CacheSet(ctx, kudosPostsKey(k), strings.Join(lines, "\n"), kudosPostsTTL); err != nil {
		s.log.Warn().Err(err).Str("kudos", k.ID).Msg("remember kudos posts")
	}
}

// retractKudosPosts takes back the direct messages and channel post of an
// undone kudos where the platform can. Each failure is logged and the
// others still go: the undo itself is already saved.
func (s *Service) retractKudosPosts(ctx context.Context, k Kudos) {
	rt, ok := s.messenger.(Retractor)
	if !ok {
		return
	}
	if k.Key == "" {
		return
	}
	raw, found, err := s.store.CacheGet(ctx, kudosPostsKey(k))
	if err != nil || !found {
		if err != nil {
			s.log.Warn().Err(err).Str("kudos", k.ID).Msg("read kudos posts")
		}
		return
	}
	for _, line := range strings.Split(raw, "\n") {
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			continue
		}
		ref := MessageRef{Platform: Platform(parts[0]), Channel: parts[1], ID: parts[2]}
		if err := rt.Retract(ctx, ref); err != nil {
			s.log.Warn().Err(err).Str("kudos", k.ID).Str("platform", parts[0]).Msg("take back kudos post")
		}
	}
}

// splitValues separates tags naming a company value from plain tags.
func splitValues(tags, values []string) (matched, plain []string) {
	for _, tag := range tags {
		found := ""
		for _, v := range values {
			if strings.EqualFold(v, tag) {
				found = v
				break
			}
		}
		if found != "" {
			matched = append(matched, found)
		} else {
			plain = append(plain, tag)
		}
	}
	return matched, plain
}

func kudosDetail(k Kudos) string {
	to := make([]string, len(k.To))
	for i, id := range k.To {
		to[i] = string(id)
	}
	return strings.Join(to, ",")
}

func joinNames(names map[UserID]string, ids []UserID) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = names[id]
	}
	return strings.Join(out, ", ")
}

func hashJoin(tags []string) string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = "#" + t
	}
	return strings.Join(out, " ")
}

func (s *Service) undoKudos(ctx context.Context, r *request) (Response, error) {
	team, err := s.undoTeam(ctx, r)
	if err != nil {
		return Response{}, err
	}
	// The event may be a redelivery of an undo that was done: answer as then.
	k, err := s.store.KudosUndoneBy(ctx, team.ID, r.ev.Key)
	switch {
	case errors.Is(err, ErrNotFound):
		if k, err = s.takeBackLastKudos(ctx, r, team); err != nil {
			return Response{}, err
		}
	case err != nil:
		return Response{}, fmt.Errorf("undo kudos by %s: %w", r.ev.Key, err)
	}
	s.retractKudosPosts(ctx, k)
	used, err := s.store.KudosUsed(ctx, team.ID, r.actor.ID, r.now.In(personLocation(r.actor, team)).Format("2006-01-02"))
	if err != nil {
		return Response{}, fmt.Errorf("kudos used by %s: %w", r.actor.ID, err)
	}
	names, err := s.names(ctx, r, k.To)
	if err != nil {
		return Response{}, err
	}
	return s.say(r, "kudos_undone", map[string]any{"To": joinNames(names, k.To), "Left": max(team.KudosAllowance-used, 0)}), nil
}

// undoTeam is the team of the kudos an undo takes back, which needs no
// choosing: the one this event already undid in (a redelivery), else the
// team (of those the actor is still in) where they gave their newest kudos.
func (s *Service) undoTeam(ctx context.Context, r *request) (Team, error) {
	teams, err := s.teamsOf(ctx, r)
	if err != nil {
		return Team{}, err
	}
	if len(teams) == 0 {
		return Team{}, refuse("kudos_undo_none", map[string]any{"Minutes": int(KudosUndoWindow.Minutes())})
	}
	newest, at := teams[0], time.Time{}
	for _, t := range teams {
		if _, err := s.store.KudosUndoneBy(ctx, t.ID, r.ev.Key); err == nil {
			return t, nil
		} else if !errors.Is(err, ErrNotFound) {
			return Team{}, fmt.Errorf("undo kudos by %s: %w", r.ev.Key, err)
		}
		k, err := s.store.LastKudosBy(ctx, t.ID, r.actor.ID)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return Team{}, fmt.Errorf("last kudos of %s: %w", r.actor.ID, err)
		case k.At.After(at):
			newest, at = t, k.At
		}
	}
	return newest, nil
}

// takeBackLastKudos undoes the actor's newest kudos in team, if it is
// recent enough, and returns the kudos it took back (keyed by the event:
// see Store.UndoKudos).
func (s *Service) takeBackLastKudos(ctx context.Context, r *request, team Team) (Kudos, error) {
	none := refuse("kudos_undo_none", map[string]any{"Minutes": int(KudosUndoWindow.Minutes())})
	k, err := s.store.LastKudosBy(ctx, team.ID, r.actor.ID)
	if errors.Is(err, ErrNotFound) || (err == nil && r.now.Sub(k.At) > KudosUndoWindow) {
		return Kudos{}, none
	}
	if err != nil {
		return Kudos{}, fmt.Errorf("last kudos of %s: %w", r.actor.ID, err)
	}
	day := k.At.In(personLocation(r.actor, team)).Format("2006-01-02")
	undone, err := s.store.UndoKudos(ctx, k, day, r.audit("kudos.undone", k.ID, kudosDetail(k)))
	if errors.Is(err, ErrNotFound) {
		return Kudos{}, none
	}
	if err != nil {
		return Kudos{}, fmt.Errorf("undo kudos %s: %w", k.ID, err)
	}
	return undone, nil
}

// periodKudos returns the kudos of the given teams in a period that the
// actor may read (CanSeeKudos).
func (s *Service) periodKudos(ctx context.Context, r *request, teams []Team, period string) ([]Kudos, error) {
	var out []Kudos
	for _, t := range teams {
		from, to, err := WeekBounds(period, t.Location())
		if err != nil {
			return nil, err
		}
		list, err := s.store.TeamKudos(ctx, t.ID, from, to)
		if err != nil {
			return nil, fmt.Errorf("kudos of %s: %w", t.ID, err)
		}
		out = append(out, keep(list, func(k Kudos) bool { return CanSeeKudos(r.viewer, k) })...)
	}
	return out, nil
}

func (s *Service) myKudos(ctx context.Context, r *request, args string) (Response, error) {
	loc, err := s.homeLocation(ctx, r)
	if err != nil {
		return Response{}, err
	}
	period, err := parse.ParsePeriod(args, r.now, loc)
	if err != nil {
		return Response{}, err
	}
	teams, err := s.teamsOf(ctx, r)
	if err != nil {
		return Response{}, err
	}
	all, err := s.periodKudos(ctx, r, teams, period)
	if err != nil {
		return Response{}, err
	}
	var received, given []Kudos
	ids := []UserID{}
	for _, k := range all {
		if k.From == r.actor.ID {
			given = append(given, k)
			ids = append(ids, k.To...)
		}
		if slices.Contains(k.To, r.actor.ID) {
			received = append(received, k)
			ids = append(ids, k.From)
		}
	}
	names, err := s.names(ctx, r, ids)
	if err != nil {
		return Response{}, err
	}
	msg := Message{Title: s.t(r, "kudos_mine_title", map[string]any{"Period": period})}
	counts := CountKudos(all, r.actor.ID)
	msg.Blocks = append(msg.Blocks, Fields{
		{Label: s.t(r, "label_received", nil), Value: fmt.Sprint(counts.Received[r.actor.ID])},
		{Label: s.t(r, "label_given", nil), Value: fmt.Sprint(counts.Given[r.actor.ID])},
	})
	var lines []string
	for _, k := range received {
		lines = append(lines, s.t(r, "kudos_line_from", map[string]any{"From": names[k.From], "Message": k.Message}))
	}
	for _, k := range given {
		lines = append(lines, s.t(r, "kudos_line_to", map[string]any{"To": joinNames(names, k.To), "Message": k.Message}))
	}
	if len(lines) > 0 {
		msg.Blocks = append(msg.Blocks, Text{Text: strings.Join(lines, "\n")})
	}
	return Response{Reply: msg, Visibility: Private}, nil
}

func (s *Service) kudosBoard(ctx context.Context, r *request, args string) (Response, error) {
	name, args := parse.TeamPrefix(args)
	args, trailing := s.cutTeam(ctx, args)
	if name == "" {
		name = trailing
	}
	team, err := s.resolveTeam(ctx, r, name, needView)
	if err != nil {
		return Response{}, err
	}
	if !team.Leaderboard {
		return Response{}, refuse("kudos_board_off", map[string]any{"Team": team.Name})
	}
	period, err := parse.ParsePeriod(args, r.now, team.Location())
	if err != nil {
		return Response{}, err
	}
	list, err := s.periodKudos(ctx, r, []Team{team}, period)
	if err != nil {
		return Response{}, err
	}
	counts := map[UserID]int{}
	for _, k := range list {
		for _, to := range k.To {
			counts[to]++
		}
	}
	ranked := make([]UserID, 0, len(counts))
	for id := range counts {
		ranked = append(ranked, id)
	}
	sort.Slice(ranked, func(i, j int) bool {
		if counts[ranked[i]] != counts[ranked[j]] {
			return counts[ranked[i]] > counts[ranked[j]]
		}
		return ranked[i] < ranked[j]
	})
	names, err := s.names(ctx, r, ranked)
	if err != nil {
		return Response{}, err
	}
	msg := Message{Title: s.t(r, "kudos_board_title", map[string]any{"Team": team.Name, "Period": period})}
	if len(ranked) == 0 {
		msg.Blocks = append(msg.Blocks, Text{Text: s.t(r, "kudos_board_empty", nil)})
		return Response{Reply: msg, Visibility: Public}, nil
	}
	var lines []string
	for i, id := range ranked {
		lines = append(lines, fmt.Sprintf("%d. %s — %d", i+1, names[id], counts[id]))
	}
	msg.Blocks = append(msg.Blocks, Text{Text: strings.Join(lines, "\n")})
	return Response{Reply: msg, Visibility: Public}, nil
}
