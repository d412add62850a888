package bot

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/pulse-bot/pulse/bot/parse"
)

// Form actions added with the people pickers: a new goal (with its owner)
// and a feedback request (with the people asked) as forms.
const (
	ActionGoalNewForm           = "goal.new.form"
	ActionGoalNewSubmit         = "goal.new.submit"
	ActionFeedbackRequestForm   = "feedback.request.form"
	ActionFeedbackRequestSubmit = "feedback.request.submit"
)

// kudosForm asks for kudos as a form: recipients (a people picker), message.
func (s *Service) kudosForm(ctx context.Context, r *request) (Response, error) {
	people, err := s.formCandidates(ctx, r)
	if err != nil {
		return Response{}, err
	}
	msg := Message{Title: s.t(r, "kudos_form_title", nil), Blocks: []Block{
		Input{ID: "to", Label: s.t(r, "kudos_form_to", nil), Kind: InputPeople, People: people},
		Input{ID: "message", Label: s.t(r, "kudos_form_message", nil), Multiline: true},
		Buttons{{ID: ActionKudosSubmit, Label: s.t(r, "button_submit", nil), Command: "/kudos @name <message>"}},
	}}
	return Response{Reply: msg, Visibility: Private}, nil
}

// submitKudosForm gives kudos from the form, or says which field is wrong.
func (s *Service) submitKudosForm(ctx context.Context, r *request) (Response, error) {
	spec, err := parse.ParseKudos(formText(r, "to", "message"))
	if err != nil {
		return s.formError(r, err, "message", map[string]string{"kudos_recipient_missing": "to", "mention_unknown": "to"})
	}
	resp, err := s.recordKudos(ctx, r, spec, "")
	if err != nil {
		return s.formError(r, err, "to", nil)
	}
	return resp, nil
}

// goalUpdateForm asks for progress as a form: goal, value, status, note.
func (s *Service) goalUpdateForm(r *request) Response {
	msg := Message{Title: s.t(r, "goal_form_title", nil), Blocks: []Block{
		Input{ID: "goal", Label: s.t(r, "goal_form_goal", nil), Placeholder: "G7", Initial: r.ev.Action.Value},
		Input{ID: "value", Label: s.t(r, "goal_form_value", nil), Placeholder: "2.6% / +0.3"},
		Input{ID: "note", Label: s.t(r, "goal_form_note", nil), Multiline: true, Optional: true},
		Buttons{{ID: ActionGoalUpdateSubmit, Label: s.t(r, "button_submit", nil), Command: "/goal G<n> <value>"}},
	}}
	return Response{Reply: msg, Visibility: Private}
}

func (s *Service) submitGoalUpdateForm(ctx context.Context, r *request) (Response, error) {
	spec, err := parse.ParseProgress(formText(r, "goal", "value", "note"))
	if err != nil {
		return s.formError(r, err, "value", map[string]string{"goal_id_invalid": "goal", "goal_id_missing": "goal"})
	}
	resp, err := s.recordProgress(ctx, r, spec)
	if err != nil {
		return s.formError(r, err, "goal", map[string]string{"error_unit_mismatch": "value", "error_milestone_range": "value"})
	}
	return resp, nil
}

// goalNewForm asks for a new goal as a form: the goal in the command
// language ("Raise conversion from 2% to 3% by 2026-09-30") and, for a
// manager, whose goal it is.
func (s *Service) goalNewForm(ctx context.Context, r *request) (Response, error) {
	people, err := s.formCandidates(ctx, r)
	if err != nil {
		return Response{}, err
	}
	msg := Message{Title: s.t(r, "payloads_goal_new_title", nil), Blocks: []Block{
		Input{ID: "goal", Label: s.t(r, "payloads_goal_new_goal", nil), Placeholder: s.t(r, "payloads_goal_new_placeholder", nil), Multiline: true},
		Input{ID: "owner", Label: s.t(r, "payloads_goal_new_owner", nil), Kind: InputPerson, People: people, Optional: true},
		Buttons{{ID: ActionGoalNewSubmit, Label: s.t(r, "button_submit", nil), Command: "/goal new <title> to <target> by <date>"}},
	}}
	return Response{Reply: msg, Visibility: Private}, nil
}

func (s *Service) submitGoalNewForm(ctx context.Context, r *request) (Response, error) {
	text := strings.TrimSpace(r.ev.Action.Fields["goal"])
	if owner := strings.TrimSpace(r.ev.Action.Fields["owner"]); owner != "" {
		text += " for " + owner
	}
	resp, err := s.goalNew(ctx, r, text)
	if err != nil {
		return s.formError(r, err, "goal", map[string]string{
			"goal_owner_missing": "owner", "goal_owner_twice": "owner", "mention_unknown": "owner", "error_goal_for_other": "owner",
		})
	}
	return resp, nil
}

// feedbackRequestForm asks for feedback through a form: whom to ask (a
// people picker), about what, and by when.
func (s *Service) feedbackRequestForm(ctx context.Context, r *request) (Response, error) {
	people, err := s.formCandidates(ctx, r)
	if err != nil {
		return Response{}, err
	}
	msg := Message{Title: s.t(r, "payloads_feedback_request_title", nil), Blocks: []Block{
		Input{ID: "asked", Label: s.t(r, "payloads_feedback_request_asked", nil), Kind: InputPeople, People: people},
		Input{ID: "topic", Label: s.t(r, "payloads_feedback_request_topic", nil), Optional: true},
		Input{ID: "due", Label: s.t(r, "payloads_feedback_request_due", nil), Placeholder: "2026-12-31", Optional: true},
		Buttons{{ID: ActionFeedbackRequestSubmit, Label: s.t(r, "button_submit", nil), Command: "/feedback request @name about <topic> by <date>"}},
	}}
	return Response{Reply: msg, Visibility: Private}, nil
}

func (s *Service) submitFeedbackRequestForm(ctx context.Context, r *request) (Response, error) {
	f := r.ev.Action.Fields
	text := strings.TrimSpace(f["asked"])
	if topic := strings.TrimSpace(f["topic"]); topic != "" {
		text += " about " + topic
	}
	if due := strings.TrimSpace(f["due"]); due != "" {
		text += " by " + due
	}
	resp, err := s.requestFeedback(ctx, r, text)
	if err != nil {
		return s.formError(r, err, "asked", map[string]string{
			"date_missing": "due", "date_invalid": "due", "date_impossible": "due", "date_year_range": "due", "error_date_past": "due",
		})
	}
	return resp, nil
}

// formText joins a submitted form's fields, in order, into one command line.
func formText(r *request, ids ...string) string {
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		if v := strings.TrimSpace(r.ev.Action.Fields[id]); v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " ")
}

// formCandidates are the people a form's people picker offers: everyone in
// the person's teams on their platform, but not the person.
func (s *Service) formCandidates(ctx context.Context, r *request) ([]UserID, error) {
	teams, err := s.teamsOf(ctx, r)
	if err != nil {
		return nil, err
	}
	var out []UserID
	for _, t := range teams {
		for _, id := range slices.Concat(t.Members, t.Managers) {
			if id != r.actor.ID && id.Platform() == r.actor.ID.Platform() && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// formError shows a user's mistake beside the field it concerns; other errors pass through.
func (s *Service) formError(r *request, err error, field string, byKey map[string]string) (Response, error) {
	key, data := "", map[string]any(nil)
	var ue *userError
	var pe *parse.Error
	switch {
	case errors.As(err, &ue):
		key, data = ue.Key, ue.Data
	case errors.As(err, &pe):
		key, data = pe.Key, pe.Data
	default:
		return Response{}, err
	}
	if f, ok := byKey[key]; ok {
		field = f
	}
	return Response{FieldErrors: map[string]string{field: s.t(r, key, data)}, Visibility: Private}, nil
}

// reopenForm opens, for a form's submit action, the form it submits, so a
// rejected submission can be shown again; ok is false for other actions.
func (s *Service) reopenForm(ctx context.Context, r *request) (Response, bool, error) {
	switch r.ev.Action.ID {
	case ActionKudosSubmit:
		resp, err := s.kudosForm(ctx, r)
		return resp, true, err
	case ActionGoalNewSubmit:
		resp, err := s.goalNewForm(ctx, r)
		return resp, true, err
	case ActionFeedbackRequestSubmit:
		resp, err := s.feedbackRequestForm(ctx, r)
		return resp, true, err
	case ActionCheckInSubmit:
		resp, err := s.checkInForm(ctx, r)
		return resp, true, err
	case ActionGoalUpdateSubmit:
		return s.goalUpdateForm(r), true, nil
	case ActionReviewSubmit:
		// Without fields the review's submit action opens its form.
		resp, err := s.submitReviewForm(ctx, r)
		return resp, true, err
	}
	return Response{}, false, nil
}

// withFormAgain puts the form back beside field errors: the same form, the
// person's answers kept and each message under its field. Slack keeps its
// modal open and marks the fields itself; Feishu has no such thing, so the
// card is replaced by this one. When the form cannot be rebuilt the errors
// go alone, as before.
func (s *Service) withFormAgain(ctx context.Context, r *request, resp Response) Response {
	if len(resp.FieldErrors) == 0 || !resp.Reply.IsZero() {
		return resp
	}
	blank := *r
	blank.ev.Action.Fields = nil
	form, ok, err := s.reopenForm(ctx, &blank)
	if !ok || err != nil || !form.Reply.IsForm() {
		return resp
	}
	resp.Reply = keepAnswers(form.Reply, r.ev.Action.Fields)
	return resp
}

// keepAnswers fills a form's inputs with what was submitted.
func keepAnswers(form Message, fields map[string]string) Message {
	blocks := make([]Block, len(form.Blocks))
	for i, b := range form.Blocks {
		if in, ok := b.(Input); ok {
			if v, sent := fields[in.ID]; sent {
				in.Initial = v
			}
			b = in
		}
		blocks[i] = b
	}
	form.Blocks = blocks
	return form
}
