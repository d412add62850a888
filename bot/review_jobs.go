package bot

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// PlanReviewReminders reminds everyone with a step of the team's open cycle
// still to do: once when the due date is within ReviewReminderBefore
// ("soon"), and once more after it passed ("late"). One message per person
// and stage lists all their steps; its key names the cycle, the stage and
// the person, so the scheduler sends it once however often the job runs.
func (s *Service) PlanReviewReminders(ctx context.Context, teamID string, at time.Time) ([]Delivery, error) {
	team, err := s.store.GetTeam(ctx, teamID)
	if err != nil {
		return nil, fmt.Errorf("plan review reminders for %s: %w", teamID, err)
	}
	c, ok, err := s.activeCycle(ctx, teamID)
	if err != nil || !ok {
		return nil, err
	}
	stage := "soon"
	switch {
	case !at.Before(c.Due):
		stage = "late"
	case c.Due.Sub(at) > ReviewReminderBefore:
		return nil, nil
	}
	st, err := s.cycleStatus(ctx, team, c)
	if err != nil {
		return nil, err
	}
	tasks := reviewTasks(team, st)
	var ids []UserID
	for id := range tasks {
		ids = append(ids, id)
	}
	for _, p := range st.peersMissing {
		ids = append(ids, p.subject)
	}
	people, err := s.store.People(ctx, append(ids, team.People()...))
	if err != nil {
		return nil, fmt.Errorf("load people of %s: %w", teamID, err)
	}
	name := func(id UserID) string {
		if people[id].Name != "" {
			return people[id].Name
		}
		return id.Local()
	}
	var out []Delivery
	for _, id := range sortedUsers(tasks) {
		v, err := s.ViewerOf(ctx, id)
		if err != nil {
			return nil, err
		}
		l := localeOf(people[id], team)
		var lines []string
		for _, t := range tasks[id] {
			if !reviewTaskVisible(v, c, t) {
				continue
			}
			lines = append(lines, "• "+s.catalog.T(l, t.key, map[string]any{"Name": name(t.about), "Mention": "@" + name(t.about), "Count": t.count}))
		}
		if len(lines) == 0 {
			continue
		}
		intro := s.catalog.T(l, "review_reminder_"+stage, map[string]any{"Title": c.Title, "Due": dueDay(c.Due, team.Location())})
		out = append(out, Delivery{Key: "review-remind:" + teamID + ":" + c.ID + ":" + stage + ":" + string(id), Job: JobReviewRemind,
			TeamID: teamID, Period: c.ID, Person: id, To: Address{Platform: id.Platform(), User: id},
			Msg: Message{Blocks: []Block{Text{Text: intro}, Text{Text: strings.Join(lines, "\n")}}}.In(l)})
	}
	return out, nil
}

// reviewTask is one step a person still owes.
type reviewTask struct {
	key   string
	about UserID
	count int
}

// reviewTasks turns a cycle's progress into each person's open steps:
// members their self-review and nominations, peers their peer reviews,
// managers approvals (of those who nominated) and manager reviews (as
// counts). cycleStatus asked the transition table, so a released sheet or
// a done step never appears here.
func reviewTasks(team Team, st cycleProgress) map[UserID][]reviewTask {
	tasks := map[UserID][]reviewTask{}
	for _, id := range st.selfMissing {
		tasks[id] = append(tasks[id], reviewTask{key: "review_task_self"})
	}
	for _, id := range st.nominationsMissing {
		tasks[id] = append(tasks[id], reviewTask{key: "review_task_nominate"})
	}
	for _, p := range st.peersMissing {
		tasks[p.peer] = append(tasks[p.peer], reviewTask{key: "review_task_peer", about: p.subject})
	}
	for _, m := range team.Managers {
		if n := len(st.approvalsMissing); n > 0 {
			tasks[m] = append(tasks[m], reviewTask{key: "review_task_approve", count: n})
		}
		if n := len(st.managerMissing); n > 0 {
			tasks[m] = append(tasks[m], reviewTask{key: "review_task_manager", count: n})
		}
	}
	return tasks
}

func sortedUsers[V any](m map[UserID]V) []UserID {
	out := make([]UserID, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// PlanActionNudges nudges the owner of each open development action whose
// due day has come. The key names the action, so each is nudged once.
func (s *Service) PlanActionNudges(ctx context.Context, teamID string, at time.Time) ([]Delivery, error) {
	team, err := s.store.GetTeam(ctx, teamID)
	if err != nil {
		return nil, fmt.Errorf("plan action nudges for %s: %w", teamID, err)
	}
	actions, err := s.store.DevActions(ctx, teamID)
	if err != nil {
		return nil, fmt.Errorf("plan action nudges for %s: %w", teamID, err)
	}
	var owners []UserID
	for _, x := range actions {
		owners = append(owners, x.Person)
	}
	people, err := s.store.People(ctx, owners)
	if err != nil {
		return nil, fmt.Errorf("load action owners of %s: %w", teamID, err)
	}
	var out []Delivery
	for _, x := range actions {
		if !x.Done.IsZero() || at.Before(x.Due) {
			continue
		}
		if ok, err := s.mayRead(ctx, x.Person, func(v Viewer) bool { return CanSeeDevAction(v, x) }); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		l := localeOf(people[x.Person], team)
		data := map[string]any{"ID": x.ID, "Text": x.Text, "Due": x.Due.In(team.Location()).Format("2006-01-02")}
		msg := Message{Blocks: []Block{
			Text{Text: s.catalog.T(l, "action_nudge", data)},
			Context{Text: s.catalog.T(l, "action_nudge_hint", data)},
		}}
		out = append(out, Delivery{Key: "action-nudge:" + teamID + ":" + x.ID, Job: JobActionNudge, TeamID: teamID,
			Period: x.ID, Person: x.Person, To: Address{Platform: x.Person.Platform(), User: x.Person}, Msg: msg.In(l)})
	}
	return out, nil
}

// ReviewExport is one team's feedback and review records, for `pulse export`.
type ReviewExport struct {
	TeamID   string            `json:"team"`
	Settings ReviewSettings    `json:"settings"`
	Feedback []Feedback        `json:"feedback"`
	Requests []FeedbackRequest `json:"feedback_requests"`
	Cycles   []ReviewCycle     `json:"review_cycles"`
	Sheets   []ReviewSheet     `json:"review_sheets"`
	Answers  []ReviewAnswers   `json:"review_answers"`
	Actions  []DevAction       `json:"development_actions"`
	Flags    []ReviewFlag      `json:"review_flags"`
	// Answerers and Anonymous are what an anonymous request stores, kept
	// apart as in the store: who has answered, and the answers with no author.
	Answerers []RequestAnswerers `json:"feedback_answerers,omitempty"`
	Anonymous []AnonymousAnswers `json:"feedback_anonymous,omitempty"`
	// AnonymousReviews are what anonymous cycles store of peer reviews:
	// who reviewed whom, and the reviews with no author, apart.
	AnonymousReviews []AnonymousReviews `json:"review_anonymous,omitempty"`
}

// RequestAnswerers is who has answered an anonymous request, sorted by id.
type RequestAnswerers struct {
	RequestID string   `json:"request"`
	People    []UserID `json:"people"`
}

// ExportReviews returns a team's (or, with teamID empty, every team's)
// feedback and review records, in full: anonymous answers keep their
// author, because exports are for admins and the audit trail.
func (s *Service) ExportReviews(ctx context.Context, teamID string) ([]ReviewExport, error) {
	var ids []string
	if teamID != "" {
		ids = []string{teamID}
	} else {
		teams, err := s.store.ListTeams(ctx)
		if err != nil {
			return nil, fmt.Errorf("export reviews: %w", err)
		}
		for _, t := range teams {
			ids = append(ids, t.ID)
		}
	}
	out := make([]ReviewExport, 0, len(ids))
	for _, id := range ids {
		x, err := s.exportTeamReviews(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("export reviews of %s: %w", id, err)
		}
		out = append(out, x)
	}
	return out, nil
}

func (s *Service) exportTeamReviews(ctx context.Context, teamID string) (ReviewExport, error) {
	x := ReviewExport{TeamID: teamID, Feedback: []Feedback{}, Requests: []FeedbackRequest{}, Cycles: []ReviewCycle{},
		Sheets: []ReviewSheet{}, Answers: []ReviewAnswers{}, Actions: []DevAction{}, Flags: []ReviewFlag{}}
	var err error
	if x.Settings, err = s.store.ReviewSettings(ctx, teamID); err != nil {
		return x, err
	}
	fb, err := s.store.TeamFeedback(ctx, teamID, time.Time{}, s.clock.Now().Add(time.Second))
	if err != nil {
		return x, err
	}
	x.Feedback = append(x.Feedback, fb...)
	reqs, err := s.store.TeamFeedbackRequests(ctx, teamID)
	if err != nil {
		return x, err
	}
	x.Requests = append(x.Requests, reqs...)
	if err := s.exportAnonymous(ctx, &x, reqs); err != nil {
		return x, err
	}
	cycles, err := s.store.ReviewCycles(ctx, teamID)
	if err != nil {
		return x, err
	}
	x.Cycles = append(x.Cycles, cycles...)
	for _, c := range cycles {
		sheets, err := s.store.ReviewSheets(ctx, teamID, c.ID)
		if err != nil {
			return x, err
		}
		x.Sheets = append(x.Sheets, sheets...)
		answers, err := s.loadCycleAnswers(ctx, teamID, c.ID)
		if err != nil {
			return x, err
		}
		x.Answers = append(x.Answers, answers.named...)
		if len(answers.anon.Answered)+len(answers.anon.Reviews) > 0 {
			SortAnonymousReviews(&answers.anon)
			x.AnonymousReviews = append(x.AnonymousReviews, answers.anon)
		}
	}
	actions, err := s.store.DevActions(ctx, teamID)
	if err != nil {
		return x, err
	}
	x.Actions = append(x.Actions, actions...)
	flags, err := s.store.ReviewFlags(ctx, teamID)
	if err != nil {
		return x, err
	}
	x.Flags = append(x.Flags, flags...)
	return x, nil
}
