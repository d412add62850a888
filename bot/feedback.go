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

// Feedback rules (SPEC.md "Feedback and reviews").
const (
	// AnonymityFloor is how many answers a request (or peers a review)
	// needs before anonymous answers are shown, so no one's answer can be
	// told apart from the others.
	AnonymityFloor = 3
	// FeedbackRequestWindow is a request's deadline when none is given.
	FeedbackRequestWindow = 7 * 24 * time.Hour
	// FeedbackReminderBefore is how long before a request's deadline the
	// colleagues who have not answered are reminded, once.
	FeedbackReminderBefore = 48 * time.Hour
)

func (s *Service) feedbackCommand(ctx context.Context, r *request, cmd Command) (Response, error) {
	switch cmd.Sub {
	case "give":
		return s.giveFeedback(ctx, r, cmd.Args)
	case "request":
		return s.requestFeedback(ctx, r, cmd.Args)
	case "answer":
		return s.answerFeedback(ctx, r, cmd.Args)
	case "mine":
		return s.myFeedback(ctx, r)
	case "about":
		return s.feedbackAbout(ctx, r, cmd.Args)
	case "visibility":
		return s.setFeedbackVisibility(ctx, r, cmd.Args)
	}
	return Response{}, refuse("feedback_usage", nil)
}

// oneMention reads "<@x> rest": exactly one person, then the text as
// typed; without a person first it refuses with missingKey.
func oneMention(args, missingKey string) (UserID, string, error) {
	id, rest, ok, err := parse.OneMention(args)
	if err != nil {
		return "", "", err
	}
	if !ok {
		return "", "", refuse(missingKey, nil)
	}
	return UserID(id), rest, nil
}

func (s *Service) giveFeedback(ctx context.Context, r *request, args string) (Response, error) {
	args, teamName := s.cutTeam(ctx, args)
	to, text, err := oneMention(args, "feedback_give_usage")
	if err != nil {
		return Response{}, err
	}
	if to == r.actor.ID {
		return Response{}, refuse("feedback_self", nil)
	}
	if text == "" {
		return Response{}, refuse("feedback_give_usage", nil)
	}
	if _, _, ok := parse.LeadingMention(text); ok {
		return Response{}, refuse("feedback_one_person", nil)
	}
	if _, err := s.ensurePeople(ctx, r, []UserID{to}); err != nil {
		return Response{}, err
	}
	team, err := s.feedbackTeam(ctx, r, to, teamName)
	if err != nil {
		return Response{}, err
	}
	f := Feedback{TeamID: team.ID, From: r.actor.ID, To: to, Text: text, At: r.now, Key: r.ev.Key}
	f.Values, f.Tags = splitValues(parse.Hashtags(text), team.Values)
	// A duplicate is this event's earlier delivery, which stored it and may
	// have died before telling anyone: the message below is keyed by the
	// event, so what went out then does not go out twice.
	if _, err := s.store.SaveFeedback(ctx, f, r.audit("feedback.given", "", string(to))); err != nil && !errors.Is(err, ErrDuplicate) {
		return Response{}, fmt.Errorf("give feedback: %w", err)
	}
	names, err := s.names(ctx, r, []UserID{r.actor.ID, to})
	if err != nil {
		return Response{}, err
	}
	people, err := s.store.People(ctx, []UserID{to})
	if err != nil {
		return Response{}, fmt.Errorf("load %s: %w", to, err)
	}
	l := localeOf(people[to], team)
	s.notify(ctx, Address{Platform: to.Platform(), User: to}, l, Message{
		Title:  s.catalog.T(l, "feedback_received_title", nil),
		Blocks: []Block{Text{Text: s.catalog.T(l, "feedback_received", map[string]any{"From": names[r.actor.ID], "Text": text})}},
	}, r.ev.Key+":feedback:"+string(to))
	settings, err := s.store.ReviewSettings(ctx, team.ID)
	if err != nil {
		return Response{}, fmt.Errorf("feedback settings of %s: %w", team.ID, err)
	}
	key := "feedback_given_managers"
	if settings.FeedbackVisibility == VisibilityPerson {
		key = "feedback_given_person"
	}
	return s.say(r, key, map[string]any{"To": names[to], "Team": team.Name}), nil
}

// feedbackTeam is the team feedback about a person is kept in, by the one
// rule among the person's teams: those the giver shares with them (as
// member or manager), else all of the person's. A person in no team gets
// it in the giver's team.
func (s *Service) feedbackTeam(ctx context.Context, r *request, to UserID, name string) (Team, error) {
	theirs, err := s.store.TeamsOf(ctx, to)
	if err != nil {
		return Team{}, fmt.Errorf("teams of %s: %w", to, err)
	}
	if len(theirs) == 0 {
		return s.resolveTeam(ctx, r, name, needView)
	}
	among := keep(theirs, func(t Team) bool { return t.HasMember(r.actor.ID) || t.HasManager(r.actor.ID) })
	if len(among) == 0 {
		among = theirs
	}
	return s.chooseTeam(ctx, r, teamQuery{
		name: name, among: among,
		fits: func(t Team) bool { return containsTeam(among, t.ID) },
		named: func(t Team) error {
			if t.HasMember(to) || t.HasManager(to) {
				return refuse("feedback_team_not_shared", map[string]any{"Team": t.Name})
			}
			names, _ := s.names(ctx, r, []UserID{to})
			return refuse("team_person_not_member", map[string]any{"Name": names[to], "Team": t.Name})
		},
	})
}

// feedbackRequestSpec is "@a [@b …] [about <topic>] [anonymous] [by <date>]".
type feedbackRequestSpec struct {
	Asked     []UserID
	Topic     string
	Anonymous bool
	Due       time.Time
}

func parseFeedbackRequest(args string, now time.Time, loc *time.Location) (feedbackRequestSpec, error) {
	typed, ok, err := parse.ParseFeedbackRequest(args, now, loc)
	if err != nil {
		return feedbackRequestSpec{}, err
	}
	if !ok {
		return feedbackRequestSpec{}, refuse("feedback_request_usage", nil)
	}
	spec := feedbackRequestSpec{Topic: typed.Topic, Anonymous: typed.Anonymous, Due: typed.Due}
	for _, id := range typed.Asked {
		spec.Asked = append(spec.Asked, UserID(id))
	}
	if spec.Due.IsZero() {
		spec.Due = now.Add(FeedbackRequestWindow)
	}
	if !spec.Due.After(now) {
		return spec, refuse("error_date_past", map[string]any{"Date": spec.Due.AddDate(0, 0, -1).Format("2006-01-02")})
	}
	return spec, nil
}

func (s *Service) requestFeedback(ctx context.Context, r *request, args string) (Response, error) {
	args, name := s.cutTeam(ctx, args)
	team, err := s.resolveTeam(ctx, r, name, needView)
	if err != nil {
		return Response{}, err
	}
	spec, err := parseFeedbackRequest(args, r.now, personLocation(r.actor, team))
	if err != nil {
		return Response{}, err
	}
	if slices.Contains(spec.Asked, r.actor.ID) {
		return Response{}, refuse("feedback_self", nil)
	}
	if spec.Anonymous && len(spec.Asked) < AnonymityFloor {
		return Response{}, refuse("feedback_request_too_few", map[string]any{"Min": AnonymityFloor})
	}
	people, err := s.ensurePeople(ctx, r, spec.Asked)
	if err != nil {
		return Response{}, err
	}
	q := FeedbackRequest{TeamID: team.ID, From: r.actor.ID, Asked: spec.Asked, Topic: spec.Topic,
		Anonymous: spec.Anonymous, Due: spec.Due, At: r.now}
	q, err = s.store.CreateFeedbackRequest(ctx, q, r.audit("feedback.requested", "", userList(spec.Asked)))
	if err != nil {
		return Response{}, fmt.Errorf("request feedback: %w", err)
	}
	names, err := s.names(ctx, r, append([]UserID{r.actor.ID}, spec.Asked...))
	if err != nil {
		return Response{}, err
	}
	for _, id := range q.Asked {
		l := localeOf(people[id], team)
		msg := s.feedbackRequestMessage(l, q, names[r.actor.ID], personLocation(people[id], team), "feedback_request_dm")
		s.notify(ctx, Address{Platform: id.Platform(), User: id}, l, msg, r.ev.Key+":request:"+string(id))
	}
	key := "feedback_requested"
	if q.Anonymous {
		key = "feedback_requested_anonymous"
	}
	return s.say(r, key, map[string]any{"ID": q.ID, "Names": joinNames(names, q.Asked),
		"Due": dueDay(q.Due, personLocation(r.actor, team)), "Min": AnonymityFloor}), nil
}

// userList writes ids for an audit entry's detail.
func userList(ids []UserID) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return strings.Join(out, ",")
}

// dueDay is the last day to answer by a deadline (which is midnight after it).
func dueDay(due time.Time, loc *time.Location) string {
	return due.In(loc).Add(-time.Second).Format("2006-01-02")
}

// feedbackRequestMessage asks a colleague for feedback (or reminds them).
func (s *Service) feedbackRequestMessage(l Locale, q FeedbackRequest, from string, loc *time.Location, key string) Message {
	data := map[string]any{"From": from, "ID": q.ID, "Due": dueDay(q.Due, loc), "Topic": q.Topic}
	msg := Message{Title: s.catalog.T(l, "feedback_request_title", data), Blocks: []Block{Text{Text: s.catalog.T(l, key, data)}}}
	if q.Topic != "" {
		msg.Blocks = append(msg.Blocks, Fields{{Label: s.catalog.T(l, "label_topic", nil), Value: q.Topic}})
	}
	how := "feedback_answer_how"
	if q.Anonymous {
		how = "feedback_answer_how_anonymous"
	}
	msg.Blocks = append(msg.Blocks, Context{Text: s.catalog.T(l, how, data)})
	return msg
}

func (s *Service) answerFeedback(ctx context.Context, r *request, args string) (Response, error) {
	answer, ok := parse.ParseIDAndText(args)
	if !ok {
		return Response{}, refuse("feedback_answer_usage", nil)
	}
	id, text := answer.ID, answer.Text
	q, err := s.store.GetFeedbackRequest(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Response{}, refuse("feedback_request_unknown", map[string]any{"ID": parse.Quote(answer.Typed)})
	}
	if err != nil {
		return Response{}, fmt.Errorf("load request %s: %w", id, err)
	}
	if !slices.Contains(q.Asked, r.actor.ID) {
		return Response{}, refuse("feedback_not_asked", map[string]any{"ID": q.ID})
	}
	team, err := s.store.GetTeam(ctx, q.TeamID)
	if err != nil {
		return Response{}, fmt.Errorf("load team %s: %w", q.TeamID, err)
	}
	switch v := requestAllows(ActAnswerRequest, q.StateAt(r.now), true, false); {
	case v.State == RequestClosed:
		return Response{}, refuse("feedback_request_forgotten_answer", map[string]any{"ID": q.ID})
	case !v.OK:
		return Response{}, refuse("feedback_request_closed", map[string]any{"ID": q.ID, "Due": dueDay(q.Due, personLocation(r.actor, team))})
	}
	if text == "" {
		// "/feedback answer FR3" alone shows the request and how to answer it.
		names, err := s.names(ctx, r, []UserID{q.From})
		if err != nil {
			return Response{}, err
		}
		msg := s.feedbackRequestMessage(r.locale, q, names[q.From], personLocation(r.actor, team), "feedback_request_dm")
		return Response{Reply: msg, Visibility: Private}, nil
	}
	text = s.mentionsAsNames(ctx, r, text)
	if q.Anonymous {
		return s.answerAnonymously(ctx, r, team, q, text)
	}
	f := Feedback{TeamID: q.TeamID, From: r.actor.ID, To: q.From, Text: text, RequestID: q.ID, At: r.now, Key: r.ev.Key}
	f.Values, f.Tags = splitValues(parse.Hashtags(text), team.Values)
	_, err = s.store.SaveFeedback(ctx, f, r.audit("feedback.answered", q.ID, ""))
	if errors.Is(err, ErrConflict) {
		return Response{}, refuse("feedback_already_answered", map[string]any{"ID": q.ID})
	}
	// A duplicate is this event's earlier delivery: carry on, as for /feedback give.
	if err != nil && !errors.Is(err, ErrDuplicate) {
		return Response{}, fmt.Errorf("answer %s: %w", q.ID, err)
	}
	names, err := s.names(ctx, r, []UserID{r.actor.ID, q.From})
	if err != nil {
		return Response{}, err
	}
	s.tellRequester(ctx, team, q, r.ev.Key+":answer:"+q.ID, "feedback_answer_dm", map[string]any{"From": names[r.actor.ID], "ID": q.ID, "Text": f.Text}, nil)
	return s.say(r, "feedback_answer_sent", map[string]any{"To": names[q.From]}), nil
}

// answerAnonymously stores an anonymous answer with no link to its author
// (see AnonymousStore) and, when it completes a batch of AnonymityFloor new
// answers, hands the whole batch to the requester in text order. The audit
// entry says that someone answered, not who, and carries no event key.
func (s *Service) answerAnonymously(ctx context.Context, r *request, team Team, q FeedbackRequest, text string) (Response, error) {
	ans := AnonymousAnswer{Text: text}
	ans.Values, ans.Tags = splitValues(parse.Hashtags(text), team.Values)
	a := AuditEntry{At: r.now, Action: "feedback.answered", Subject: q.ID}
	batch, err := s.store.AnswerAnonymously(ctx, q.TeamID, q.ID, r.actor.ID, ans, AnonymityFloor, a)
	if errors.Is(err, ErrConflict) {
		return Response{}, refuse("feedback_already_answered", map[string]any{"ID": q.ID})
	}
	if err != nil {
		return Response{}, fmt.Errorf("answer %s: %w", q.ID, err)
	}
	if len(batch) > 0 {
		lines := anonymousLinesOf(batch)
		s.tellRequester(ctx, team, q, "feedback-release:"+q.ID+":"+shortHash(strings.Join(lines, "\n")),
			"feedback_anonymous_batch", map[string]any{"ID": q.ID, "Count": len(batch)}, lines)
	}
	names, err := s.names(ctx, r, []UserID{q.From})
	if err != nil {
		return Response{}, err
	}
	return s.say(r, "feedback_answer_anonymous", map[string]any{"To": names[q.From], "Min": AnonymityFloor}), nil
}

// anonymousLines lists answers without names, in text order so the order
// says nothing about who answered first.
func anonymousLines(list []Feedback) []string {
	out := make([]string, len(list))
	for i, f := range list {
		out[i] = "• " + f.Text
	}
	sort.Strings(out)
	return out
}

func (s *Service) tellRequester(ctx context.Context, team Team, q FeedbackRequest, key, msgKey string, data map[string]any, lines []string) {
	people, err := s.store.People(ctx, []UserID{q.From})
	if err != nil {
		s.log.Warn().Err(err).Msg("load requester")
	}
	l := localeOf(people[q.From], team)
	msg := Message{Blocks: []Block{Text{Text: s.catalog.T(l, msgKey, data)}}}
	if len(lines) > 0 {
		msg.Blocks = append(msg.Blocks, Text{Text: strings.Join(lines, "\n")})
	}
	s.notify(ctx, Address{Platform: q.From.Platform(), User: q.From}, l, msg, key)
}

// visibleFeedback splits feedback into what may be shown and, per request,
// how many anonymous answers are held back under the floor. Anonymous
// answers that are shown lose their author.
func visibleFeedback(list []Feedback) (shown []Feedback, held map[string]int) {
	count := map[string]int{}
	for _, f := range list {
		if f.Anonymous {
			count[f.RequestID]++
		}
	}
	held = map[string]int{}
	for _, f := range list {
		switch {
		case !f.Anonymous:
			shown = append(shown, f)
		case count[f.RequestID] >= AnonymityFloor:
			f.From = ""
			shown = append(shown, f)
		default:
			held[f.RequestID]++
		}
	}
	return shown, held
}

// feedbackBlocks renders feedback someone may see: attributed lines with
// their author, anonymous ones without, then what is held back.
func (s *Service) feedbackBlocks(ctx context.Context, r *request, list []Feedback) ([]Block, error) {
	shown, held := visibleFeedback(list)
	var ids []UserID
	for _, f := range shown {
		if f.From != "" {
			ids = append(ids, f.From)
		}
	}
	names, err := s.names(ctx, r, ids)
	if err != nil {
		return nil, err
	}
	var lines []string
	var anon []Feedback
	for _, f := range shown {
		if f.From == "" {
			anon = append(anon, f)
			continue
		}
		lines = append(lines, "• "+names[f.From]+" ("+f.At.In(time.UTC).Format("2006-01-02")+"): "+f.Text)
	}
	lines = append(lines, anonymousLines(anon)...)
	var blocks []Block
	if len(lines) > 0 {
		blocks = append(blocks, Text{Text: strings.Join(lines, "\n")})
	}
	for _, id := range sortedKeys(held) {
		blocks = append(blocks, s.heldBackLine(ctx, r, id, held[id]))
	}
	return blocks, nil
}

// heldBackLine says why a request's anonymous answers are not shown: too
// few so far, or (once /pulse forget me closed it) never.
func (s *Service) heldBackLine(ctx context.Context, r *request, id string, count int) Block {
	if q, err := s.store.GetFeedbackRequest(ctx, id); err == nil && q.StateAt(r.now) == RequestClosed {
		return Context{Text: s.t(r, "feedback_request_forgotten", map[string]any{"ID": id})}
	}
	return Context{Text: s.t(r, "feedback_held_back", map[string]any{"ID": id, "Count": count, "Need": AnonymityFloor - count, "Min": AnonymityFloor})}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// feedbackOf returns the feedback a person received in a team, with from <= At < to.
func (s *Service) feedbackOf(ctx context.Context, teamID string, person UserID, from, to time.Time) ([]Feedback, error) {
	all, err := s.store.TeamFeedback(ctx, teamID, from, to)
	if err != nil {
		return nil, fmt.Errorf("feedback of %s: %w", teamID, err)
	}
	var out []Feedback
	for _, f := range all {
		if f.To == person {
			out = append(out, f)
		}
	}
	return out, nil
}

func (s *Service) myFeedback(ctx context.Context, r *request) (Response, error) {
	teams, err := s.feedbackTeamsOf(ctx, r.actor.ID)
	if err != nil {
		return Response{}, err
	}
	msg := Message{Title: s.t(r, "feedback_mine_title", nil)}
	var list []Feedback
	for _, t := range teams {
		got, _, err := s.readableFeedbackOf(ctx, r.viewer, t, r.actor.ID, r.now.Add(time.Second))
		if err != nil {
			return Response{}, err
		}
		list = append(list, got...)
		reqs, err := s.store.TeamFeedbackRequests(ctx, t.ID)
		if err != nil {
			return Response{}, fmt.Errorf("requests of %s: %w", t.ID, err)
		}
		for _, q := range reqs {
			if q.From != r.actor.ID || !CanSeeFeedbackRequest(r.viewer, q) {
				continue
			}
			switch q.StateAt(r.now) {
			case RequestClosed:
				msg.Blocks = append(msg.Blocks, Context{Text: s.t(r, "feedback_request_forgotten", map[string]any{"ID": q.ID})})
				continue
			case RequestExpired:
				continue
			}
			answerers, err := s.store.RequestAnswerers(ctx, t.ID, q.ID)
			if err != nil {
				return Response{}, fmt.Errorf("answers to %s: %w", q.ID, err)
			}
			msg.Blocks = append(msg.Blocks, Context{Text: s.t(r, "feedback_request_open", map[string]any{
				"ID": q.ID, "Count": len(answerers), "Asked": len(q.Asked), "Due": dueDay(q.Due, personLocation(r.actor, t))})})
		}
	}
	blocks, err := s.feedbackBlocks(ctx, r, list)
	if err != nil {
		return Response{}, err
	}
	anon, err := s.myAnonymousAnswers(ctx, r, teams)
	if err != nil {
		return Response{}, err
	}
	blocks = append(blocks, anon...)
	if len(blocks) == 0 {
		blocks = []Block{Text{Text: s.t(r, "feedback_none", nil)}}
	}
	msg.Blocks = append(blocks, msg.Blocks...)
	return Response{Reply: msg, Visibility: Private}, nil
}

// feedbackTeamsOf is every team feedback about a person may be kept in:
// theirs, or for someone in no team, none.
func (s *Service) feedbackTeamsOf(ctx context.Context, id UserID) ([]Team, error) {
	teams, err := s.store.TeamsOf(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("teams of %s: %w", id, err)
	}
	return teams, nil
}

// readableFeedbackOf is the feedback a person received in a team that v
// may read (CanSeeFeedback), and whether v may read feedback about them
// there at all: the same question asked of feedback from someone else.
func (s *Service) readableFeedbackOf(ctx context.Context, v Viewer, team Team, person UserID, to time.Time) ([]Feedback, bool, error) {
	settings, err := s.store.ReviewSettings(ctx, team.ID)
	if err != nil {
		return nil, false, fmt.Errorf("feedback settings of %s: %w", team.ID, err)
	}
	if !CanSeeFeedback(v, Feedback{TeamID: team.ID, To: person}, settings) {
		return nil, false, nil
	}
	list, err := s.feedbackOf(ctx, team.ID, person, time.Time{}, to)
	if err != nil {
		return nil, false, err
	}
	return keep(list, func(f Feedback) bool { return CanSeeFeedback(v, f, settings) }), true, nil
}

func (s *Service) feedbackAbout(ctx context.Context, r *request, args string) (Response, error) {
	who, rest, err := oneMention(args, "feedback_about_usage")
	if err != nil {
		return Response{}, err
	}
	if rest != "" {
		return Response{}, refuse("feedback_about_usage", nil)
	}
	teams, err := s.feedbackTeamsOf(ctx, who)
	if err != nil {
		return Response{}, err
	}
	var list []Feedback
	allowed := false
	for _, t := range teams {
		got, ok, err := s.readableFeedbackOf(ctx, r.viewer, t, who, r.now.Add(time.Second))
		if err != nil {
			return Response{}, err
		}
		allowed = allowed || ok
		list = append(list, got...)
	}
	if !allowed && !r.viewer.Admin && who != r.actor.ID {
		return Response{}, refuse("feedback_forbidden", nil)
	}
	names, err := s.names(ctx, r, []UserID{who})
	if err != nil {
		return Response{}, err
	}
	msg := Message{Title: s.t(r, "feedback_about_title", map[string]any{"Name": names[who]})}
	blocks, err := s.feedbackBlocks(ctx, r, list)
	if err != nil {
		return Response{}, err
	}
	if len(blocks) == 0 {
		blocks = []Block{Text{Text: s.t(r, "feedback_none", nil)}}
	}
	msg.Blocks = blocks
	return Response{Reply: msg, Visibility: Private}, nil
}

func (s *Service) setFeedbackVisibility(ctx context.Context, r *request, args string) (Response, error) {
	teamName, managers, ok := parse.FeedbackVisibility(args)
	if !ok {
		return Response{}, refuse("feedback_visibility_usage", nil)
	}
	value := VisibilityPerson
	if managers {
		value = VisibilityManagers
	}
	team, err := s.loadTeamForChange(ctx, r, teamName, true)
	if err != nil {
		return Response{}, err
	}
	settings, err := s.store.ReviewSettings(ctx, team.ID)
	if err != nil {
		return Response{}, fmt.Errorf("feedback settings of %s: %w", team.ID, err)
	}
	settings.FeedbackVisibility = value
	if err := s.store.SaveReviewSettings(ctx, team.ID, settings, r.audit("feedback.visibility", "feedback-visibility", value)); err != nil {
		return Response{}, fmt.Errorf("save feedback visibility: %w", err)
	}
	key := "feedback_visibility_managers"
	if value == VisibilityPerson {
		key = "feedback_visibility_person"
	}
	return s.say(r, key, map[string]any{"Team": team.Name}), nil
}

// PlanFeedbackReminders returns one reminder for each colleague who has not
// answered a request whose deadline is within FeedbackReminderBefore. The
// key names the request and the colleague, so however often the job runs,
// the scheduler's delivery markers send each reminder once.
func (s *Service) PlanFeedbackReminders(ctx context.Context, teamID string, at time.Time) ([]Delivery, error) {
	team, err := s.store.GetTeam(ctx, teamID)
	if err != nil {
		return nil, fmt.Errorf("plan feedback reminders for %s: %w", teamID, err)
	}
	reqs, err := s.store.TeamFeedbackRequests(ctx, teamID)
	if err != nil {
		return nil, fmt.Errorf("plan feedback reminders for %s: %w", teamID, err)
	}
	var out []Delivery
	for _, q := range reqs {
		if q.StateAt(at) != RequestOpen || q.Due.Sub(at) > FeedbackReminderBefore {
			continue
		}
		answerers, err := s.store.RequestAnswerers(ctx, teamID, q.ID)
		if err != nil {
			return nil, fmt.Errorf("answers to %s: %w", q.ID, err)
		}
		answered := map[UserID]bool{}
		for _, id := range answerers {
			answered[id] = true
		}
		people, err := s.store.People(ctx, append([]UserID{q.From}, q.Asked...))
		if err != nil {
			return nil, fmt.Errorf("load people of %s: %w", q.ID, err)
		}
		for _, id := range q.Asked {
			if !requestAllows(ActRemindRequest, q.StateAt(at), true, answered[id]).OK {
				continue
			}
			if ok, err := s.mayRead(ctx, id, func(v Viewer) bool { return CanSeeFeedbackRequest(v, q) }); err != nil || !ok {
				if err != nil {
					return nil, err
				}
				continue
			}
			l := localeOf(people[id], team)
			msg := s.feedbackRequestMessage(l, q, people[q.From].Name, personLocation(people[id], team), "feedback_reminder_dm")
			out = append(out, Delivery{Key: "feedback-remind:" + teamID + ":" + q.ID + ":" + string(id), Job: JobFeedbackRemind,
				TeamID: teamID, Period: q.ID, Person: id, To: Address{Platform: id.Platform(), User: id}, Msg: msg.In(l)})
		}
	}
	return out, nil
}
