package bot

import (
	"context"
	"strconv"
)

// home is the person's own page: goals with progress, kudos received this
// week and left today, this week's check-in, and buttons for the forms.
func (s *Service) home(ctx context.Context, r *request) (Response, error) {
	goals, err := s.goalsOfPerson(ctx, r, r.actor.ID)
	if err != nil {
		return Response{}, err
	}
	teams, err := s.teamsOf(ctx, r)
	if err != nil {
		return Response{}, err
	}
	msg := Message{Title: s.t(r, "home_title", map[string]any{"Name": r.actor.Name})}
	if len(teams) == 0 {
		msg.Blocks = append(msg.Blocks, Text{Text: s.t(r, "error_no_team", nil)})
	}
	msg.Blocks = append(msg.Blocks, Text{Text: s.t(r, "goal_list_mine", nil)})
	if len(goals) == 0 {
		msg.Blocks = append(msg.Blocks, Context{Text: s.t(r, "goal_list_empty", nil)})
	}
	figures, err := s.figuresOf(ctx, r, goals)
	if err != nil {
		return Response{}, err
	}
	sortByRisk(goals, r.now)
	for _, g := range goals {
		msg.Blocks = append(msg.Blocks, s.figuresBlock(r, g, figures[g.ID]))
	}
	for _, t := range teams {
		msg.Blocks = append(msg.Blocks, Divider{}, s.homeTeamFields(ctx, r, t))
		if line, ok := s.checkInStatusLine(ctx, r, t); ok {
			msg.Blocks = append(msg.Blocks, Context{Text: line})
		}
	}
	msg.Blocks = append(msg.Blocks, Buttons{
		{ID: ActionCheckInForm, Label: s.t(r, "button_checkin_form", nil), Command: "/checkin"},
		{ID: ActionKudosForm, Label: s.t(r, "button_give_kudos", nil), Command: "/kudos @name <message>"},
		{ID: ActionGoalUpdateForm, Label: s.t(r, "button_update_goal", nil), Command: "/goal G<n> <value>"},
		{ID: ActionGoalNewForm, Label: s.t(r, "payloads_button_new_goal", nil), Command: "/goal new <title> to <target> by <date>"},
		{ID: ActionFeedbackRequestForm, Label: s.t(r, "payloads_button_ask_feedback", nil), Command: "/feedback request @name about <topic>"},
	})
	return Response{Reply: msg, Visibility: Private}, nil
}

func (s *Service) homeTeamFields(ctx context.Context, r *request, t Team) Fields {
	received := 0
	if list, err := s.periodKudos(ctx, r, []Team{t}, currentPeriod(t, r.now)); err == nil {
		received = CountKudos(list, r.actor.ID).Received[r.actor.ID]
	}
	left := t.KudosAllowance
	if used, err := s.store.KudosUsed(ctx, t.ID, r.actor.ID, r.now.In(personLocation(r.actor, t)).Format("2006-01-02")); err == nil {
		left = max(t.KudosAllowance-used, 0)
	}
	return Fields{
		{Label: s.t(r, "label_team", nil), Value: t.Name},
		{Label: s.t(r, "label_kudos_week", nil), Value: strconv.Itoa(received)},
		{Label: s.t(r, "label_kudos_left", nil), Value: strconv.Itoa(left)},
		{Label: s.t(r, "label_checkin", nil), Value: t.CheckInSchedule + " (" + t.TimeZone + ")"},
	}
}
