package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/pulse-bot/pulse/bot/parse"
)

// kudosForm asks for kudos as a form: recipients, message, values.
func (s *Service) kudosForm(r *request) Response {
	msg := Message{Title: s.t(r, "kudos_form_title", nil), Blocks: []Block{
		Input{ID: "to", Label: s.t(r, "kudos_form_to", nil), Placeholder: "@alice @bob"},
		Input{ID: "message", Label: s.t(r, "kudos_form_message", nil), Multiline: true},
		Buttons{{ID: ActionKudosSubmit, Label: s.t(r, "button_submit", nil), Command: "/kudos @name <message>"}},
	}}
	return Response{Reply: msg, Visibility: Private}
}

// submitKudosForm gives kudos from the form, or says which field is wrong.
func (s *Service) submitKudosForm(ctx context.Context, r *request) (Response, error) {
	text := strings.TrimSpace(r.ev.Action.Fields["to"]) + " " + strings.TrimSpace(r.ev.Action.Fields["message"])
	spec, err := parse.ParseKudos(text)
	if err != nil {
		return s.formError(r, err, "message", map[string]string{"kudos_no_recipient": "to", "mention_unknown": "to"})
	}
	resp, err := s.recordKudos(ctx, r, spec)
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
	f := r.ev.Action.Fields
	text := strings.TrimSpace(f["goal"]) + " " + strings.TrimSpace(f["value"]) + " " + strings.TrimSpace(f["note"])
	spec, err := parse.ParseProgress(text)
	if err != nil {
		return s.formError(r, err, "value", map[string]string{"goal_id_invalid": "goal"})
	}
	resp, err := s.recordProgress(ctx, r, spec)
	if err != nil {
		return s.formError(r, err, "goal", map[string]string{"error_unit_mismatch": "value", "error_milestone_range": "value"})
	}
	return resp, nil
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
