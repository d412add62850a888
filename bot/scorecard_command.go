package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pulse-bot/pulse/bot/parse"
)

func (s *Service) scorecardCommand(ctx context.Context, r *request, cmd Command) (Response, error) {
	switch cmd.Sub {
	case "":
		return s.teamScorecard(ctx, r, cmd.Args)
	case "me":
		return s.myScorecard(ctx, r, cmd.Args)
	case "export":
		return s.exportCommand(ctx, r, cmd.Args)
	}
	return Response{}, refuse("scorecard_usage", nil)
}

// teamScorecard is "/scorecard [team <name>] [period]": for the team's
// managers and admins only. Managers also see their members' moods; an
// admin who does not manage the team sees only the average.
func (s *Service) teamScorecard(ctx context.Context, r *request, args string) (Response, error) {
	id, rest, ok, err := parse.OneMention(args)
	if err != nil {
		// "@zoe" typed without a link: name them, not the period.
		return Response{}, err
	}
	if ok {
		return s.personScorecard(ctx, r, UserID(id), rest)
	}
	name, rest := parse.TeamPrefix(args)
	rest, trailing := s.cutTeam(ctx, rest)
	if name == "" {
		name = trailing
	}
	team, err := s.resolveTeam(ctx, r, name, needManager)
	if err != nil {
		return Response{}, err
	}
	if !CanSeeScorecard(r.viewer, team.ID, "") {
		return Response{}, refuse("scorecard_forbidden", map[string]any{"Team": team.Name})
	}
	period, err := parse.ParsePeriod(rest, r.now, team.Location())
	if err != nil {
		return Response{}, err
	}
	return s.scorecardResponse(ctx, r, team, period, "", scorecardView{moods: CanSeeMood(r.viewer, CheckIn{TeamID: team.ID})})
}

// myScorecard is "/scorecard me [period] [team <name>]": anyone's own, with
// their own mood, over every team they are a member of (one section each),
// or the one named.
func (s *Service) myScorecard(ctx context.Context, r *request, args string) (Response, error) {
	name, args := parse.TeamPrefix(args)
	args, trailing := s.cutTeam(ctx, args)
	if name == "" {
		name = trailing
	}
	if name != "" {
		team, err := s.resolveTeam(ctx, r, name, needView)
		if err != nil {
			return Response{}, err
		}
		if !team.HasMember(r.actor.ID) && !team.HasManager(r.actor.ID) {
			// An admin's or outsider's own scorecard of a team they are not in is empty.
			return Response{}, s.notMember(ctx, r, team)
		}
		return s.personScorecards(ctx, r, []Team{team}, r.actor.ID, args)
	}
	teams, err := s.teamsOf(ctx, r)
	if err != nil {
		return Response{}, err
	}
	teams = keep(teams, func(t Team) bool { return t.HasMember(r.actor.ID) })
	if len(teams) == 0 {
		// A manager who is no member: their own goals in the teams they are in.
		if teams, err = s.teamsOf(ctx, r); err != nil {
			return Response{}, err
		}
	}
	if len(teams) == 0 {
		return Response{}, refuse("error_no_team", nil)
	}
	return s.personScorecards(ctx, r, teams, r.actor.ID, args)
}

// personScorecards is one person's scorecard in each of teams, the teams
// named in their sections when there are several; a period outside a
// team's life says so in that team's section.
func (s *Service) personScorecards(ctx context.Context, r *request, teams []Team, person UserID, args string) (Response, error) {
	view := func(t Team) scorecardView {
		return scorecardView{moods: person == r.actor.ID || t.HasManager(r.actor.ID)}
	}
	if len(teams) == 1 {
		period, err := parse.ParsePeriod(args, r.now, teams[0].Location())
		if err != nil {
			return Response{}, err
		}
		return s.scorecardResponse(ctx, r, teams[0], period, person, view(teams[0]))
	}
	var out Message
	for _, t := range teams {
		period, err := parse.ParsePeriod(args, r.now, t.Location())
		if err != nil {
			return Response{}, err
		}
		section := []Block{Text{Text: s.t(r, "sc_team_section", map[string]any{"Team": t.Name})}}
		resp, err := s.scorecardResponse(ctx, r, t, period, person, view(t))
		var ue *userError
		switch {
		case errors.As(err, &ue):
			section = append(section, Context{Text: s.t(r, ue.Key, ue.Data)})
		case err != nil:
			return Response{}, err
		default:
			if out.Title == "" {
				out.Title = resp.Reply.Title
			}
			section = append(section, resp.Reply.Blocks...)
		}
		if len(out.Blocks) > 0 {
			out.Blocks = append(out.Blocks, Divider{})
		}
		out.Blocks = append(out.Blocks, section...)
	}
	// One chart per reply: with several teams there is none to pick.
	return Response{Reply: out, Visibility: Private}, nil
}

// personScorecard is "/scorecard @person [period]": one member's own
// scorecard, for their managers and admins (and for the person, like
// "/scorecard me"). The team is the one of the person's teams the asker
// manages; someone who manages none of them is refused, by name.
func (s *Service) personScorecard(ctx context.Context, r *request, person UserID, args string) (Response, error) {
	if person == r.actor.ID {
		return s.myScorecard(ctx, r, args)
	}
	teams, err := s.store.TeamsOf(ctx, person)
	if err != nil {
		return Response{}, fmt.Errorf("teams of %s: %w", person, err)
	}
	names, err := s.names(ctx, r, []UserID{person})
	if err != nil {
		return Response{}, err
	}
	// A second mention would be echoed as "not a period" in its raw,
	// internal form: refuse it by what was meant instead.
	if parse.HasMention(args) {
		return Response{}, refuse("scorecard_one_person", map[string]any{"Name": names[person]})
	}
	name, args := parse.TeamPrefix(args)
	args, trailing := s.cutTeam(ctx, args)
	if name == "" {
		name = trailing
	}
	visible := keep(teams, func(t Team) bool {
		return t.HasMember(person) && CanSeeScorecard(r.viewer, t.ID, person) && (name == "" || t.ID == TeamID(name))
	})
	if len(visible) == 0 {
		return Response{}, refuse("scorecard_person_forbidden", map[string]any{"Name": names[person]})
	}
	return s.personScorecards(ctx, r, visible, person, args)
}

// scorecardResponse builds, renders and (with a chart renderer) draws a scorecard.
func (s *Service) scorecardResponse(ctx context.Context, r *request, team Team, period string, person UserID, v scorecardView) (Response, error) {
	if err := periodInTeamLife(team, period, r.now); err != nil {
		return Response{}, err
	}
	sc, history, err := s.buildScorecard(ctx, r.viewer, team, period, person, r.now)
	if err != nil {
		return Response{}, err
	}
	resp := Response{Reply: s.renderScorecard(r, sc, v), Visibility: Private}
	if s.chart == nil {
		return resp, nil
	}
	png, err := s.chart.ScorecardChart(sc, history, r.locale)
	if err != nil {
		// The text is the scorecard; a chart that fails to draw is only logged.
		s.log.Warn().Err(err).Str("team", team.ID).Str("period", period).Msg("draw scorecard chart")
		return resp, nil
	}
	resp.File = &File{Name: "scorecard-" + team.ID + "-" + period + ".png", MIME: "image/png", Data: png}
	return resp, nil
}

// periodInTeamLife refuses, with a sentence, a period that has not started
// or that ended before the team existed: its scorecard would show figures
// that never were.
func periodInTeamLife(team Team, period string, now time.Time) error {
	from, to, err := WeekBounds(period, team.Location())
	if err != nil {
		return refuse("sc_period_invalid", map[string]any{"Period": period})
	}
	if from.After(now) {
		return refuse("sc_period_future", map[string]any{"Period": period, "Now": ISOWeek(now, team.Location())})
	}
	if !team.CreatedAt.IsZero() && !to.After(team.CreatedAt) {
		return refuse("sc_period_before_team", map[string]any{"Period": period, "Team": team.Name,
			"Since": ISOWeek(team.CreatedAt, team.Location())})
	}
	return nil
}
