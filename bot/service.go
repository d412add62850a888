package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot/parse"
)

// MaxTextLength is the longest text Pulse accepts in one command or answer.
const MaxTextLength = 3000

// Config is what a Service needs from the outside.
type Config struct {
	Store     Store
	Messenger Messenger
	Clock     Clock
	Log       zerolog.Logger
	// Admins have admin rights everywhere (PULSE_ADMINS).
	Admins []UserID
	// Organisation lists the workspaces Pulse runs for, "<platform>:<workspace>"
	// (PULSE_ORGANISATION). Empty means the workspaces of Admins. See Organisation.
	Organisation []string
	// ValidateSchedule checks a cron expression before a team saves it. The
	// scheduler package provides it; bot itself knows no cron syntax.
	ValidateSchedule func(expr string) error
	// RunStatus, when set, describes the latest scheduled runs of a team for
	// `/pulse status`, one line each.
	RunStatus func(ctx context.Context, teamID string) ([]string, error)
	// DeadLetters, when set, counts the inbox's dead letters (events that
	// failed after every delivery), which `/pulse status` shows admins.
	DeadLetters func(ctx context.Context) (int64, error)
}

// Service applies SPEC.md's rules to events. It is the one place where
// permissions are checked and records are changed; adapters only translate.
type Service struct {
	store            Store
	messenger        Messenger
	clock            Clock
	log              zerolog.Logger
	admins           map[UserID]bool
	org              Organisation
	catalog          *Catalog
	validateSchedule func(string) error
	runStatus        func(context.Context, string) ([]string, error)
	deadLetters      func(context.Context) (int64, error)
	chart            ChartRenderer
	web              WebSignIn
	// sources are the metric sources each team declared (SetMetricSources).
	sources map[string][]string
	// templates are each team's own goal templates (SetTeamTemplates).
	templates map[string][]GoalTemplate
}

// NewService checks cfg and returns a ready Service.
func NewService(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("new service: a store is required")
	}
	if cfg.Messenger == nil {
		cfg.Messenger = Router{}
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.ValidateSchedule == nil {
		cfg.ValidateSchedule = validateFiveFields
	}
	catalog, err := LoadCatalog()
	if err != nil {
		return nil, fmt.Errorf("new service: %w", err)
	}
	admins := make(map[UserID]bool, len(cfg.Admins))
	workspaces := cfg.Organisation
	for _, a := range cfg.Admins {
		admins[a] = true
		if len(cfg.Organisation) == 0 {
			workspaces = append(workspaces, WorkspaceOf(a))
		}
	}
	return &Service{
		store:            cfg.Store,
		messenger:        cfg.Messenger,
		clock:            cfg.Clock,
		log:              cfg.Log,
		admins:           admins,
		org:              NewOrganisation(workspaces...),
		catalog:          catalog,
		validateSchedule: cfg.ValidateSchedule,
		runStatus:        cfg.RunStatus,
		deadLetters:      cfg.DeadLetters,
	}, nil
}

// Catalog returns the message catalogue, for adapters' and tests' use.
func (s *Service) Catalog() *Catalog { return s.catalog }

// userError is a refusal or a mistake the user can fix. Key names the
// catalogue sentence that says what was wrong and what to type instead.
type userError struct {
	Key  string
	Data map[string]any
	// Kind is how the API answers it (ProblemInvalid unless set).
	Kind ProblemKind
}

func (e *userError) Error() string { return "user error: " + e.Key }

func refuse(key string, data map[string]any) error { return &userError{Key: key, Data: data} }

// request is one event being handled, with what the handlers share.
type request struct {
	ev     Event
	now    time.Time
	actor  Person
	locale Locale
	teams  []Team
	loaded bool
	// channel is the team of the event's channel, looked up once (see channelTeam).
	channel       Team
	channelLoaded bool
	// viewer is the actor as the visibility model sees them.
	viewer Viewer
	// picked is the team chosen with a team button (see askTeam), which the
	// re-run command treats as named.
	picked string
	// goalID names the goal the event updates, as parsed before begin
	// (see updatedGoalID), and goal is that goal as begin read it with the
	// sender's membership, for the first load of it only (see requestGoal).
	goalID string
	goal   GoalRead
}

// errOutsider stops an event from someone outside the organisation before
// anything is stored about them.
var errOutsider = errors.New("sender is outside the organisation")

// Handle answers one event. The error is for logging: the Response already
// holds a reply in the user's language that says what to do, and the reply
// carries that language.
func (s *Service) Handle(ctx context.Context, ev Event) (Response, error) {
	resp, err := s.handle(ctx, ev)
	resp.Reply = resp.Reply.In(resp.Locale)
	return resp, err
}

func (s *Service) handle(ctx context.Context, ev Event) (Response, error) {
	ev = s.cleanEvent(ctx, ev)
	r, err := s.begin(ctx, ev, updatedGoalID(ev))
	if errors.Is(err, errOutsider) {
		return s.outsiderReply(ev), nil
	}
	if err != nil {
		return s.failure(ctx, English, ev, err)
	}
	resp, err := s.dispatch(ctx, r)
	var choice *teamChoice
	if errors.As(err, &choice) {
		resp, err = s.askTeam(ctx, r, choice)
	}
	if err != nil {
		return s.failure(ctx, r.locale, ev, err)
	}
	resp.Locale = r.locale
	return resp, nil
}

// failure turns an error into the reply the user sees.
func (s *Service) failure(ctx context.Context, l Locale, ev Event, err error) (Response, error) {
	var ue *userError
	if errors.As(err, &ue) {
		return s.textReply(l, ue.Key, s.nameMentions(ctx, ev, ue.Data)), nil
	}
	var pe *parse.Error
	if errors.As(err, &pe) {
		return s.textReply(l, pe.Key, s.nameMentions(ctx, ev, pe.Data)), nil
	}
	if errors.Is(err, ErrDuplicate) {
		// A platform retry of something already done: say nothing twice.
		return Response{Locale: l}, nil
	}
	s.log.Error().Err(err).Str("event", ev.Key).Str("platform", string(ev.Platform)).Msg("handle event")
	return s.textReply(l, "error_internal", nil), err
}

// mentionToken is a person reference as the parsers see it (parse.Mention).
var mentionToken = regexp.MustCompile(`<@([^<>\s]+)>`)

// nameMentions rewrites the mentions in a refusal's echoed text ("I can't
// read “<@slack:T1:U1>” as a date") as "@Name": a reply never shows an
// internal id. A failed name lookup falls back to the platform's user id.
func (s *Service) nameMentions(ctx context.Context, ev Event, data map[string]any) map[string]any {
	var ids []UserID
	for _, v := range data {
		if text, ok := v.(string); ok {
			for _, m := range mentionToken.FindAllStringSubmatch(text, -1) {
				ids = append(ids, UserID(m[1]))
			}
		}
	}
	if len(ids) == 0 {
		return data
	}
	names, err := s.names(ctx, &request{ev: ev}, ids)
	if err != nil {
		s.log.Warn().Err(err).Str("event", ev.Key).Msg("names for a refusal")
	}
	out := make(map[string]any, len(data))
	for k, v := range data {
		if text, ok := v.(string); ok {
			v = mentionToken.ReplaceAllStringFunc(text, func(tok string) string {
				id := UserID(tok[2 : len(tok)-1])
				if name := names[id]; name != "" {
					return "@" + name
				}
				return "@" + id.Local()
			})
		}
		out[k] = v
	}
	return out
}

func (s *Service) textReply(l Locale, key string, data map[string]any) Response {
	return Response{Reply: Message{Blocks: []Block{Text{Text: s.catalog.T(l, key, data)}}}, Visibility: Private, Locale: l}
}

// begin loads the actor, creating or refreshing their profile from the
// platform's. When the event updates a goal (goalID), the store reads the
// goal in the same round trip if it can.
func (s *Service) begin(ctx context.Context, ev Event, goalID string) (*request, error) {
	if !ev.User.Valid() {
		return nil, fmt.Errorf("begin: event %s has no valid user", ev.Key)
	}
	r := &request{ev: ev, now: s.clock.Now(), goalID: goalID}
	m, err := s.membership(ctx, r)
	if err != nil {
		return r, fmt.Errorf("begin %s: %w", ev.Key, err)
	}
	r.teams, r.loaded = m.Teams, true
	r.viewer = s.viewerFrom(ev.User, m.Teams)
	if !r.viewer.Inside {
		return r, errOutsider
	}
	p := m.Person
	switch {
	case !m.Known:
		p = Person{ID: ev.User, Name: ev.Profile.Name, TimeZone: ev.Profile.TimeZone}
		if p.Name == "" {
			p.Name = ev.User.Local()
		}
		if err := s.store.SavePerson(ctx, p); err != nil {
			return r, fmt.Errorf("save new person %s: %w", ev.User, err)
		}
	case ev.Profile.Name != "" && ev.Profile.Name != p.Name:
		p.Name = ev.Profile.Name
		if err := s.store.SavePerson(ctx, p); err != nil {
			return r, fmt.Errorf("refresh person %s: %w", ev.User, err)
		}
	}
	r.actor = p
	r.locale = s.localeFor(ctx, r)
	return r, nil
}

// membership reads the sender's Membership, with the goal the event
// updates when the store can read both in one round trip.
func (s *Service) membership(ctx context.Context, r *request) (Membership, error) {
	reader, ok := s.store.(MembershipGoalReader)
	if !ok || r.goalID == "" {
		return s.store.Membership(ctx, r.ev.User)
	}
	m, goal, err := reader.MembershipWithGoal(ctx, r.ev.User, r.goalID)
	r.goal = goal
	return m, err
}

// updatedGoalID is the goal a progress update names — in chat ("G7 2.5%
// note") or as "/goal G7 …", "/goal update G7 …" — read from the text
// the way dispatch will read it, or "" for any other event. It is parsed
// before the sender is read so that read can fetch the goal too.
func updatedGoalID(ev Event) string {
	if ev.Kind != KindCommand && ev.Kind != KindMessage {
		return ""
	}
	text := strings.TrimSpace(ev.Text)
	if text == "" || utf8.RuneCountInString(text) > MaxTextLength {
		return ""
	}
	if ev.Kind == KindCommand {
		if cmd, ok := parse.SplitCommand(text); ok {
			if cmd.Verb != parse.VerbGoal || cmd.Sub != "update" {
				return ""
			}
			spec, err := parse.ParseProgress(cmd.Args)
			if err != nil {
				return ""
			}
			return spec.GoalID
		}
	}
	if spec, ok := parse.MatchProgress(text); ok {
		return spec.GoalID
	}
	return ""
}

// localeFor picks the reply language: the person's choice, the platform
// profile's, their team's, then the platform's default.
func (s *Service) localeFor(ctx context.Context, r *request) Locale {
	if r.actor.Locale != "" {
		return r.actor.Locale
	}
	if r.ev.Profile.Locale != "" {
		return r.ev.Profile.Locale
	}
	if teams, err := s.teamsOf(ctx, r); err == nil && len(teams) > 0 {
		if t, ok := s.channelTeam(ctx, r); ok {
			return t.Locale
		}
		return teams[0].Locale
	}
	return DefaultLocale(r.ev.Platform)
}

func (s *Service) teamsOf(ctx context.Context, r *request) ([]Team, error) {
	if r.loaded {
		return r.teams, nil
	}
	teams, err := s.store.TeamsOf(ctx, r.actor.ID)
	if err != nil {
		return nil, fmt.Errorf("teams of %s: %w", r.actor.ID, err)
	}
	r.teams, r.loaded = teams, true
	return teams, nil
}

// channelTeam is the team whose channel the event came from, if any.
func (s *Service) channelTeam(ctx context.Context, r *request) (Team, bool) {
	if r.ev.Direct || r.ev.Channel == "" {
		return Team{}, false
	}
	if !r.channelLoaded && r.loaded {
		// A channel belongs to one team, whose record names it: when the
		// actor is in that team, it is among the teams begin read already.
		for _, t := range r.teams {
			if t.Platform == r.ev.Platform && t.Channel == r.ev.Channel {
				r.channel, r.channelLoaded = t, true
				break
			}
		}
	}
	if !r.channelLoaded {
		t, err := s.store.TeamByChannel(ctx, r.ev.Platform, r.ev.Channel)
		if err != nil && !errors.Is(err, ErrNotFound) {
			s.log.Warn().Err(err).Str("channel", r.ev.Channel).Msg("look up the channel's team")
			return Team{}, false
		}
		r.channel, r.channelLoaded = t, true
	}
	return r.channel, r.channel.ID != ""
}

// teamOfRequest returns team id as this event already read it (the
// actor's teams, or the channel's), else from the store: a chat update
// reads its team once, not once per check.
func (s *Service) teamOfRequest(ctx context.Context, r *request, id string) (Team, error) {
	if r.loaded {
		for _, t := range r.teams {
			if t.ID == id {
				return t, nil
			}
		}
	}
	if r.channelLoaded && r.channel.ID == id {
		return r.channel, nil
	}
	return s.store.GetTeam(ctx, id)
}

// dispatch routes an event to its handler.
func (s *Service) dispatch(ctx context.Context, r *request) (Response, error) {
	switch r.ev.Kind {
	case KindAction:
		return s.handleAction(ctx, r)
	case KindMessage:
		return s.handleChatMessage(ctx, r)
	case KindNotText:
		return s.notText(r), nil
	}
	text := strings.TrimSpace(r.ev.Text)
	if text == "" {
		return Response{}, refuse("error_empty", nil)
	}
	if utf8.RuneCountInString(text) > MaxTextLength {
		return Response{}, refuse("error_too_long", map[string]any{"Max": MaxTextLength})
	}
	if r.ev.Direct {
		return s.conversationRule(ctx, r, text)
	}
	cmd, ok := parse.SplitCommand(text)
	if !ok {
		return s.handleFreeText(ctx, r, text)
	}
	return s.handleCommand(ctx, r, cmd)
}

func (s *Service) handleCommand(ctx context.Context, r *request, cmd Command) (Response, error) {
	switch cmd.Verb {
	case parse.VerbGoal:
		return s.goalCommand(ctx, r, cmd)
	case parse.VerbKudos:
		return s.kudosCommand(ctx, r, cmd)
	case parse.VerbCheckIn:
		return s.checkInCommand(ctx, r, cmd)
	case parse.VerbScorecard:
		return s.scorecardCommand(ctx, r, cmd)
	case parse.VerbPulse:
		return s.pulseCommand(ctx, r, cmd)
	case parse.VerbFeedback:
		return s.feedbackCommand(ctx, r, cmd)
	case parse.VerbReview:
		return s.reviewCommand(ctx, r, cmd)
	case parse.VerbHelp:
		return s.help(r), nil
	}
	return Response{}, refuse("error_not_available", map[string]any{"Command": string(cmd.Verb)})
}

// handleFreeText answers text addressed to the bot that is not a command: a
// check-in answer when a conversation is open, progress, kudos, or a hint.
func (s *Service) handleFreeText(ctx context.Context, r *request, text string) (Response, error) {
	if r.ev.Direct {
		conv, err := s.store.Conversation(ctx, r.actor.ID)
		switch {
		case err == nil:
			return s.answerCheckIn(ctx, r, conv, text)
		case !errors.Is(err, ErrNotFound):
			return Response{}, fmt.Errorf("load conversation of %s: %w", r.actor.ID, err)
		}
	}
	if spec, ok := parse.MatchProgress(text); ok {
		return s.reactedUpdate(ctx, r, spec)
	}
	if args, ok := parse.MatchKudos(text); ok {
		return s.giveKudos(ctx, r, args)
	}
	if r.ev.Direct {
		period, done, err := s.finishedCheckInOf(ctx, r)
		if err != nil {
			return Response{}, err
		}
		if done {
			return s.say(r, "checkin_thanks", map[string]any{"Period": period}), nil
		}
	}
	return Response{}, refuse("error_unknown_command", nil)
}

// reactedUpdate records progress; in a channel the source message also
// gets a ✅, whether or not the bot was mentioned, so the group sees it
// was taken.
func (s *Service) reactedUpdate(ctx context.Context, r *request, spec parse.ProgressSpec) (Response, error) {
	resp, err := s.recordProgress(ctx, r, spec)
	if err == nil && !r.ev.Direct {
		resp.Reaction = "check"
	}
	return resp, err
}

// handleChatMessage picks progress and kudos out of ordinary channel
// messages; everything else is left alone, silently.
func (s *Service) handleChatMessage(ctx context.Context, r *request) (Response, error) {
	text := strings.TrimSpace(r.ev.Text)
	if text == "" || utf8.RuneCountInString(text) > MaxTextLength {
		return Response{}, nil
	}
	if r.ev.Direct {
		return s.handleFreeText(ctx, r, text)
	}
	if spec, ok := parse.MatchProgress(text); ok {
		return s.reactedUpdate(ctx, r, spec)
	}
	if args, ok := parse.MatchKudos(text); ok {
		return s.giveKudos(ctx, r, args)
	}
	return Response{}, nil
}

func (s *Service) handleAction(ctx context.Context, r *request) (Response, error) {
	switch r.ev.Action.ID {
	case ActionHome:
		return s.home(ctx, r)
	case ActionCheckInForm:
		return s.checkInForm(ctx, r)
	case ActionKudosForm:
		return s.kudosForm(ctx, r)
	case ActionGoalUpdateForm:
		return s.goalUpdateForm(r), nil
	case ActionGoalNewForm:
		return s.goalNewForm(ctx, r)
	case ActionFeedbackRequestForm:
		return s.feedbackRequestForm(ctx, r)
	case ActionForgetConfirm:
		return s.forgetMe(ctx, r)
	case ActionCheckInSkipConfirm:
		return s.skipCheckIn(ctx, r, "confirm "+r.ev.Action.Value)
	case ActionPickTeam:
		return s.pickTeam(ctx, r)
	}
	resp, err := s.submitForm(ctx, r)
	if err != nil {
		return resp, err
	}
	return s.withFormAgain(ctx, r, resp), nil
}

// submitForm handles a submitted form.
func (s *Service) submitForm(ctx context.Context, r *request) (Response, error) {
	switch r.ev.Action.ID {
	case ActionCheckInSubmit:
		return s.submitCheckInForm(ctx, r)
	case ActionKudosSubmit:
		return s.submitKudosForm(ctx, r)
	case ActionGoalUpdateSubmit:
		return s.submitGoalUpdateForm(ctx, r)
	case ActionGoalNewSubmit:
		return s.submitGoalNewForm(ctx, r)
	case ActionFeedbackRequestSubmit:
		return s.submitFeedbackRequestForm(ctx, r)
	case ActionReviewSubmit:
		return s.submitReviewForm(ctx, r)
	}
	return Response{}, refuse("error_unknown_action", nil)
}

// t translates key in the request's language.
func (s *Service) t(r *request, key string, data map[string]any) string {
	return s.catalog.T(r.locale, key, data)
}

// say is a private reply of one translated sentence.
func (s *Service) say(r *request, key string, data map[string]any) Response {
	return s.textReply(r.locale, key, data)
}

// isAdmin reports whether the person has deployment-wide admin rights.
func (s *Service) isAdmin(id UserID) bool { return s.admins[id] }

// canManage reports whether the person may manage the team.
func (s *Service) canManage(t Team, id UserID) bool { return s.isAdmin(id) || t.HasManager(id) }

// names returns display names for people, falling back to what the event said
// and then to the platform's id.
func (s *Service) names(ctx context.Context, r *request, ids []UserID) (map[UserID]string, error) {
	people, err := s.store.People(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load names: %w", err)
	}
	out := make(map[UserID]string, len(ids))
	for _, id := range ids {
		switch {
		case people[id].Name != "":
			out[id] = people[id].Name
		case r != nil && r.ev.Names[id] != "":
			out[id] = r.ev.Names[id]
		default:
			out[id] = id.Local()
		}
	}
	return out, nil
}

// ensurePeople records people mentioned for the first time, with the names
// the platform gave, and returns everyone asked for.
func (s *Service) ensurePeople(ctx context.Context, r *request, ids []UserID) (map[UserID]Person, error) {
	known, err := s.store.People(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load people: %w", err)
	}
	for _, id := range ids {
		if _, ok := known[id]; ok {
			continue
		}
		p := Person{ID: id, Name: r.ev.Names[id]}
		if p.Name == "" {
			p.Name = id.Local()
		}
		if err := s.store.SavePerson(ctx, p); err != nil {
			return nil, fmt.Errorf("save person %s: %w", id, err)
		}
		known[id] = p
	}
	return known, nil
}

// audit builds an audit entry for a change made by the request's actor.
func (r *request) audit(action, subject, detail string) AuditEntry {
	return AuditEntry{At: r.now, Actor: r.actor.ID, Action: action, Subject: subject, Detail: detail, Key: r.ev.Key}
}

// personLocation is the person's zone, else the team's.
func personLocation(p Person, t Team) *time.Location {
	if p.TimeZone != "" {
		return loadLocation(p.TimeZone)
	}
	return t.Location()
}

// notify sends a message, written in l, to someone else and returns where
// it went; a failure is logged, never fatal, because what it reports is
// already saved (and the reference is then zero).
func (s *Service) notify(ctx context.Context, to Address, l Locale, msg Message, key string) MessageRef {
	ref, err := s.messenger.Send(ctx, to, msg.In(l), key)
	if err != nil {
		s.log.Warn().Err(err).Str("platform", string(to.Platform)).Str("key", key).Msg("send notification")
	}
	return ref
}

// localeOf is the language to write to a person in when they did not ask.
func localeOf(p Person, t Team) Locale {
	if p.Locale != "" {
		return p.Locale
	}
	if t.Locale != "" {
		return t.Locale
	}
	return DefaultLocale(p.ID.Platform())
}

// validateFiveFields is the fallback schedule check when no scheduler is
// wired: five space-separated fields.
func validateFiveFields(expr string) error {
	if !parse.HasFiveFields(expr) {
		return fmt.Errorf("schedule %q: want five cron fields", expr)
	}
	return nil
}
