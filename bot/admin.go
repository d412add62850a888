package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot/parse"
)

func (s *Service) pulseCommand(ctx context.Context, r *request, cmd Command) (Response, error) {
	switch cmd.Sub {
	case "team create":
		return s.teamCreate(ctx, r, cmd.Args)
	case "team add", "team remove", "team managers":
		return s.teamPeople(ctx, r, strings.TrimPrefix(cmd.Sub, "team "), cmd.Args)
	case "team set":
		return s.teamSet(ctx, r, cmd.Args)
	case "team show":
		return s.teamShow(ctx, r, cmd.Args)
	case "team list":
		return s.teamList(ctx, r)
	case "me timezone":
		return s.setMyTimeZone(ctx, r, cmd.Args)
	case "me language":
		return s.setMyLanguage(ctx, r, cmd.Args)
	case "me team":
		return s.setPrimaryTeam(ctx, r, cmd.Args)
	case "me":
		return s.showMe(ctx, r)
	case "forget":
		return s.forgetPrompt(r), nil
	case "forget confirm":
		return s.forgetMe(ctx, r)
	case "status":
		return s.status(ctx, r)
	case "help", "":
		return s.help(r), nil
	case "audit":
		return s.auditLog(ctx, r, cmd.Args)
	case "web", "web signout":
		return s.webCommand(ctx, r, cmd.Sub == "web signout")
	}
	if cmd.Sub == "token" || strings.HasPrefix(cmd.Sub, "token ") {
		return s.tokenCommand(ctx, r, cmd.Sub, cmd.Args)
	}
	return Response{}, refuse("pulse_usage", nil)
}

// ApplyTeam creates or replaces a team declared in the configuration file.
func (s *Service) ApplyTeam(ctx context.Context, t Team) error {
	if t.ID == "" {
		t.ID = TeamID(t.Name)
	}
	if err := s.validateSchedule(t.CheckInSchedule); err != nil {
		return fmt.Errorf("team %s checkin: %w", t.Name, err)
	}
	if err := s.validateSchedule(t.DigestSchedule); err != nil {
		return fmt.Errorf("team %s digest: %w", t.Name, err)
	}
	if t.CreatedAt.IsZero() {
		// Keep the first creation time across restarts: the scheduler
		// catches up missed fires only as far back as the team existed.
		existing, err := s.store.GetTeam(ctx, t.ID)
		switch {
		case err == nil:
			t.CreatedAt = existing.CreatedAt
		case errors.Is(err, ErrNotFound):
			t.CreatedAt = s.clock.Now()
		default:
			return fmt.Errorf("apply team %s: %w", t.Name, err)
		}
	}
	if err := s.keepQuestionsSince(ctx, &t); err != nil {
		return err
	}
	a := AuditEntry{At: s.clock.Now(), Actor: "config:file:pulse", Action: "team.configured", Subject: t.ID}
	if err := s.store.SaveTeam(ctx, t, a); err != nil {
		return fmt.Errorf("apply team %s: %w", t.Name, err)
	}
	return nil
}

func (s *Service) teamCreate(ctx context.Context, r *request, args string) (Response, error) {
	if !s.isAdmin(r.actor.ID) {
		return Response{}, refuse("error_admin_only", nil)
	}
	spec, err := parse.ParseTeamCreate(args)
	if err != nil {
		return Response{}, err
	}
	name, channel := spec.Name, spec.Channel
	if channel == "" {
		if r.ev.Direct {
			return Response{}, refuse("channel_is_direct", nil)
		}
		channel = r.ev.Channel
	}
	if err := s.checkChannelFree(ctx, r.ev.Platform, channel, TeamID(name)); err != nil {
		return Response{}, err
	}
	if _, err := s.store.GetTeam(ctx, TeamID(name)); err == nil {
		return Response{}, refuse("team_exists", map[string]any{"Team": name})
	} else if !errors.Is(err, ErrNotFound) {
		return Response{}, fmt.Errorf("check team %s: %w", name, err)
	}
	t := NewTeam(name, r.ev.Platform, channel, r.now)
	if r.locale != "" {
		t.Locale = r.locale
	}
	if err := s.store.SaveTeam(ctx, t, r.audit("team.created", t.ID, channel)); err != nil {
		return Response{}, fmt.Errorf("create team %s: %w", name, err)
	}
	return s.say(r, "team_created", map[string]any{"Team": t.Name}), nil
}

// checkChannelFree refuses a channel that already belongs to another team:
// one channel holds one team.
func (s *Service) checkChannelFree(ctx context.Context, p Platform, channel, teamID string) error {
	if channel == "" {
		return nil
	}
	owner, err := s.store.TeamByChannel(ctx, p, channel)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("check channel %s: %w", channel, err)
	case owner.ID != teamID:
		return refuse("channel_taken", map[string]any{"Team": owner.Name})
	}
	return nil
}

// loadTeamForChange loads a named team and checks the actor may change it.
func (s *Service) loadTeamForChange(ctx context.Context, r *request, name string, managersToo bool) (Team, error) {
	t, err := s.resolveTeam(ctx, r, name, needManager)
	if err != nil {
		return Team{}, err
	}
	if s.isAdmin(r.actor.ID) || (managersToo && t.HasManager(r.actor.ID)) {
		return t, nil
	}
	if managersToo {
		return Team{}, refuse("error_not_manager", map[string]any{"Team": t.Name})
	}
	return Team{}, refuse("error_admin_only", nil)
}

func (s *Service) teamPeople(ctx context.Context, r *request, op, args string) (Response, error) {
	spec, err := parse.ParseTeamPeople(args)
	if err != nil {
		return Response{}, err
	}
	people := make([]UserID, len(spec.People))
	for i, id := range spec.People {
		people[i] = UserID(id)
	}
	t, err := s.loadTeamForChange(ctx, r, spec.Team, op != "managers")
	if err != nil {
		return Response{}, err
	}
	if _, err := s.ensurePeople(ctx, r, people); err != nil {
		return Response{}, err
	}
	switch op {
	case "add":
		for _, p := range people {
			if !t.HasMember(p) {
				t.Members = append(t.Members, p)
			}
		}
	case "remove":
		t.Members = removeUsers(t.Members, people)
		t.Managers = removeUsers(t.Managers, people)
	case "managers":
		t.Managers = people
	}
	if err := s.store.SaveTeam(ctx, t, r.audit("team."+op, t.ID, kudosDetail(Kudos{To: people}))); err != nil {
		return Response{}, fmt.Errorf("change team %s: %w", t.ID, err)
	}
	if op == "remove" {
		s.clearPrimary(ctx, r, t, people)
	}
	names, err := s.names(ctx, r, people)
	if err != nil {
		return Response{}, err
	}
	return s.say(r, "team_people_"+op, map[string]any{"Team": t.Name, "Names": joinNames(names, people)}), nil
}

func removeUsers(list, gone []UserID) []UserID {
	out := list[:0:0]
	for _, id := range list {
		if !slices.Contains(gone, id) {
			out = append(out, id)
		}
	}
	return out
}

func (s *Service) teamSet(ctx context.Context, r *request, args string) (Response, error) {
	spec, err := parse.ParseTeamSet(args)
	if err != nil {
		return Response{}, err
	}
	t, err := s.loadTeamForChange(ctx, r, spec.Team, true)
	if err != nil {
		return Response{}, err
	}
	key, value := spec.Key, spec.Value
	if err := s.setTeamField(&t, key, value, r.locale); err != nil {
		return Response{}, err
	}
	switch key {
	case "checkin":
		value = t.CheckInSchedule
	case "digest":
		value = t.DigestSchedule
	case "questions":
		t.QuestionsSince = r.now
		value = s.markedQuestions(r.locale, t)
	}
	if err := s.store.SaveTeam(ctx, t, r.audit("team.set", t.ID, key+"="+value)); err != nil {
		return Response{}, fmt.Errorf("set %s of team %s: %w", key, t.ID, err)
	}
	return s.say(r, "team_set_done", map[string]any{"Team": t.Name, "Key": s.t(r, "team_key_"+key, nil), "Value": value}), nil
}

// setTeamField validates and applies one team setting.
func (s *Service) setTeamField(t *Team, key, value string, l Locale) error {
	switch key {
	case "timezone":
		if _, err := time.LoadLocation(value); err != nil || value == "" || value == "Local" {
			return refuse("error_timezone", map[string]any{"Zone": value})
		}
		t.TimeZone = value
	case "language":
		l, ok := ParseLocale(value)
		if !ok {
			return refuse("error_language", nil)
		}
		t.Locale = l
	case "checkin", "digest":
		expr, err := scheduleExpr(value, s.validateSchedule)
		if err != nil {
			return err
		}
		if key == "checkin" {
			t.CheckInSchedule = expr
		} else {
			t.DigestSchedule = expr
		}
	case "questions":
		return s.setQuestions(t, value, l)
	case "allowance":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 || n > 100 {
			return refuse("error_allowance", nil)
		}
		t.KudosAllowance = n
	case "values":
		t.Values = parse.ValueList(value)
	case "holidays":
		if value != "none" && value != "cn" {
			return refuse("error_holidays", nil)
		}
		t.Holidays = value
	case "leaderboard":
		on, ok := parse.OnOff(value)
		if !ok {
			return refuse("error_on_off", map[string]any{"Key": s.catalog.T(l, "team_key_"+key, nil)})
		}
		t.Leaderboard = on
	case "announce_kudos":
		on, ok := parse.OnOff(value)
		if !ok {
			return refuse("error_on_off", map[string]any{"Key": s.catalog.T(l, "team_key_"+key, nil)})
		}
		t.AnnounceKudos = on
	default:
		return refuse("team_set_usage", nil)
	}
	return nil
}

// scheduleExpr accepts "<weekday> HH:MM" or a five-field cron expression.
func scheduleExpr(value string, validate func(string) error) (string, error) {
	expr, weekly := parse.Schedule(value)
	if weekly {
		return expr, nil
	}
	if err := validate(value); err != nil {
		return "", refuse("error_schedule", nil)
	}
	return expr, nil
}

func (s *Service) teamShow(ctx context.Context, r *request, args string) (Response, error) {
	t, err := s.resolveTeam(ctx, r, strings.TrimSpace(args), needView)
	if err != nil {
		return Response{}, err
	}
	if !CanSeeTeamRoster(r.viewer, t) {
		return Response{}, refuse("team_roster_forbidden", map[string]any{"Team": t.Name})
	}
	names, err := s.names(ctx, r, t.People())
	if err != nil {
		return Response{}, err
	}
	questions := s.markedQuestions(r.locale, t)
	msg := Message{Title: s.t(r, "team_show_title", map[string]any{"Team": t.Name}), Blocks: []Block{Fields{
		{Label: s.t(r, "label_members", nil), Value: listOrDash(names, t.Members)},
		{Label: s.t(r, "label_managers", nil), Value: listOrDash(names, t.Managers)},
		{Label: s.t(r, "label_timezone", nil), Value: t.TimeZone},
		{Label: s.t(r, "label_language", nil), Value: string(t.Locale)},
		{Label: s.t(r, "label_checkin", nil), Value: t.CheckInSchedule},
		{Label: s.t(r, "label_digest", nil), Value: t.DigestSchedule},
		{Label: s.t(r, "label_questions", nil), Value: questions},
		{Label: s.t(r, "label_allowance", nil), Value: strconv.Itoa(t.KudosAllowance)},
		{Label: s.t(r, "label_values", nil), Value: firstNonEmpty(hashJoin(t.Values), "—")},
		{Label: s.t(r, "label_holidays", nil), Value: t.Holidays},
		{Label: s.t(r, "label_leaderboard", nil), Value: s.onOff(r, t.Leaderboard)},
	}}}
	return Response{Reply: msg, Visibility: Private}, nil
}

func (s *Service) onOff(r *request, on bool) string {
	if on {
		return s.t(r, "value_on", nil)
	}
	return s.t(r, "value_off", nil)
}

func (s *Service) teamList(ctx context.Context, r *request) (Response, error) {
	teams, err := s.store.ListTeams(ctx)
	if err != nil {
		return Response{}, fmt.Errorf("list teams: %w", err)
	}
	msg := Message{Title: s.t(r, "team_list_title", nil)}
	if len(teams) == 0 {
		msg.Blocks = append(msg.Blocks, Text{Text: s.t(r, "team_list_empty", nil)})
	}
	var lines []string
	for _, t := range teams {
		if !CanSeeTeamName(r.viewer, t) {
			continue
		}
		lines = append(lines, s.t(r, "team_list_line", map[string]any{"Team": t.Name, "Members": len(t.Members), "Platform": string(t.Platform)}))
	}
	if len(lines) > 0 {
		msg.Blocks = append(msg.Blocks, Text{Text: strings.Join(lines, "\n")})
	}
	return Response{Reply: msg, Visibility: Private}, nil
}

func (s *Service) setMyTimeZone(ctx context.Context, r *request, args string) (Response, error) {
	zone := strings.TrimSpace(args)
	if _, err := time.LoadLocation(zone); err != nil || zone == "" || zone == "Local" {
		return Response{}, refuse("error_timezone", map[string]any{"Zone": zone})
	}
	r.actor.TimeZone = zone
	if err := s.store.SavePerson(ctx, r.actor); err != nil {
		return Response{}, fmt.Errorf("save time zone of %s: %w", r.actor.ID, err)
	}
	return s.say(r, "me_timezone_done", map[string]any{"Zone": zone}), nil
}

func (s *Service) setMyLanguage(ctx context.Context, r *request, args string) (Response, error) {
	l, ok := ParseLocale(args)
	if !ok {
		return Response{}, refuse("error_language", nil)
	}
	r.actor.Locale, r.locale = l, l
	if err := s.store.SavePerson(ctx, r.actor); err != nil {
		return Response{}, fmt.Errorf("save language of %s: %w", r.actor.ID, err)
	}
	return s.say(r, "me_language_done", nil), nil
}

// forgetPrompt asks for confirmation before deleting someone's data.
func (s *Service) forgetPrompt(r *request) Response {
	msg := Message{Blocks: []Block{
		Text{Text: s.t(r, "forget_confirm_question", nil)},
		Buttons{{ID: ActionForgetConfirm, Label: s.t(r, "button_forget", nil), Command: "/pulse forget confirm", Danger: true}},
	}}
	return Response{Reply: msg, Visibility: Private}
}

func (s *Service) forgetMe(ctx context.Context, r *request) (Response, error) {
	if err := s.store.ForgetPerson(ctx, r.actor.ID, r.audit("person.forgotten", "", "")); err != nil {
		return Response{}, fmt.Errorf("forget %s: %w", r.actor.ID, err)
	}
	return s.say(r, "forget_done", nil), nil
}

func (s *Service) status(ctx context.Context, r *request) (Response, error) {
	teams, err := s.teamsOf(ctx, r)
	if err != nil {
		return Response{}, err
	}
	goals, err := s.goalsOfPerson(ctx, r, r.actor.ID)
	if err != nil {
		return Response{}, err
	}
	msg := Message{Title: s.t(r, "status_title", nil)}
	var teamNames []string
	for _, t := range teams {
		teamNames = append(teamNames, t.Name)
	}
	msg.Blocks = append(msg.Blocks, Fields{
		{Label: s.t(r, "label_teams", nil), Value: firstNonEmpty(strings.Join(teamNames, ", "), "—")},
		{Label: s.t(r, "label_open_goals", nil), Value: strconv.Itoa(len(goals))},
	})
	for _, t := range teams {
		if line, ok := s.checkInStatusLine(ctx, r, t); ok {
			msg.Blocks = append(msg.Blocks, Context{Text: line})
		}
		if s.runStatus != nil && s.canManage(t, r.actor.ID) {
			runs, err := s.runStatus(ctx, t.ID)
			if err == nil && len(runs) > 0 {
				msg.Blocks = append(msg.Blocks, Text{Text: s.t(r, "status_runs", map[string]any{"Team": t.Name}) + "\n" + strings.Join(runs, "\n")})
			}
		}
	}
	if line, ok := s.deadLetterLine(ctx, r); ok {
		msg.Blocks = append(msg.Blocks, Context{Text: line})
	}
	return Response{Reply: msg, Visibility: Private}, nil
}

// deadLetterLine tells an admin how many inbox events failed for good.
func (s *Service) deadLetterLine(ctx context.Context, r *request) (string, bool) {
	if s.deadLetters == nil || !s.isAdmin(r.actor.ID) {
		return "", false
	}
	n, err := s.deadLetters(ctx)
	if err != nil {
		s.log.Warn().Err(err).Msg("count inbox dead letters")
		return "", false
	}
	if n == 0 {
		return "", false
	}
	return s.t(r, "inbox_dead_letters", map[string]any{"Count": n}), true
}

func (s *Service) checkInStatusLine(ctx context.Context, r *request, t Team) (string, bool) {
	period := personPeriod(r.actor, t, r.now)
	c, err := s.loadCheckIn(ctx, t, period, r.actor.ID)
	if err != nil {
		return "", false
	}
	key := "status_checkin_open"
	switch {
	case c.Done():
		key = "status_checkin_done"
	case c.Skipped:
		key = "status_checkin_skipped"
	}
	return s.t(r, key, map[string]any{"Team": t.Name, "Period": period}), true
}

func (s *Service) auditLog(ctx context.Context, r *request, args string) (Response, error) {
	name, _ := parse.TeamPrefix(args)
	t, err := s.resolveTeam(ctx, r, name, needManager)
	if err != nil {
		return Response{}, err
	}
	if !CanSeeAudit(r.viewer, t.ID) {
		return Response{}, refuse("error_admin_only", nil)
	}
	entries, err := s.store.AuditLog(ctx, t.ID, 20)
	if err != nil {
		return Response{}, fmt.Errorf("audit log of %s: %w", t.ID, err)
	}
	msg := Message{Title: s.t(r, "audit_title", map[string]any{"Team": t.Name})}
	var lines []string
	for _, e := range entries {
		actor := string(e.Actor)
		if actor == "" {
			actor = s.t(r, "audit_someone", nil)
		}
		line := fmt.Sprintf("%s  %s  %s %s", e.At.In(t.Location()).Format("2006-01-02 15:04"), actor, e.Action, e.Subject)
		if e.Detail != "" {
			line += "  " + e.Detail
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		lines = append(lines, s.t(r, "audit_empty", nil))
	}
	msg.Blocks = append(msg.Blocks, Text{Text: strings.Join(lines, "\n")})
	return Response{Reply: msg, Visibility: Private}, nil
}

// help lists the command language in the user's language.
func (s *Service) help(r *request) Response {
	msg := Message{Title: s.t(r, "help_title", nil), Blocks: []Block{
		Text{Text: s.t(r, "help_goals", nil)},
		Text{Text: s.t(r, "help_kudos", nil)},
		Text{Text: s.t(r, "help_checkin", nil)},
		Text{Text: s.t(r, "help_scorecard", nil)},
		Text{Text: s.t(r, "help_feedback", nil)},
		Text{Text: s.t(r, "help_review", nil)},
		Text{Text: s.t(r, "help_pulse", nil)},
		Text{Text: s.t(r, "help_feeds", nil)},
	}}
	return Response{Reply: msg, Visibility: Private}
}
