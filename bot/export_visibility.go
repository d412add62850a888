package bot

import "slices"

// filterExport keeps what v may read of an export (see visibility.go):
// a chat export is a way out like any other.
func filterExport(v Viewer, x Export) Export {
	goals := map[string]Goal{}
	for _, g := range x.Goals {
		goals[g.ID] = g
	}
	x.Goals = keep(x.Goals, func(g Goal) bool { return CanSeeGoal(v, g) })
	for id := range x.Figures {
		if !CanSeeGoal(v, goals[id]) {
			delete(x.Figures, id)
		}
	}
	x.Updates = keep(x.Updates, func(u Update) bool { return CanSeeUpdate(v, goals[u.GoalID]) })
	x.Kudos = keep(x.Kudos, func(k Kudos) bool { return CanSeeKudos(v, k) })
	x.CheckIns = keep(x.CheckIns, func(c CheckIn) bool { return CanSeeCheckIn(v, c) })
	for i, c := range x.CheckIns {
		if !CanSeeMood(v, c) {
			x.CheckIns[i].Mood = 0
		}
	}
	x.Teams = keep(x.Teams, func(t Team) bool { return CanSeeTeamRoster(v, t) })
	for i := range x.Reviews {
		x.Reviews[i] = filterReviewExport(v, x.Reviews[i])
	}
	return x
}

// filterScorecardData keeps the records of a scorecard that v may read:
// the digest in the team channel leaves out a member's private goal, which
// the team's managers see. Moods stay: the scorecard shows individual
// moods only to whom CanSeeMood allows (scorecardView), averages to all.
func filterScorecardData(v Viewer, d ScorecardData) ScorecardData {
	goals := map[string]Goal{}
	for _, g := range d.Goals {
		goals[g.ID] = g
	}
	d.Goals = keep(d.Goals, func(g Goal) bool { return CanSeeGoal(v, g) })
	d.Updates = keep(d.Updates, func(u Update) bool { return CanSeeUpdate(v, goals[u.GoalID]) })
	d.Kudos = keep(d.Kudos, func(k Kudos) bool { return CanSeeKudos(v, k) })
	checkIns := make(map[string][]CheckIn, len(d.CheckIns))
	for p, list := range d.CheckIns {
		checkIns[p] = keep(list, func(c CheckIn) bool { return CanSeeCheckIn(v, c) })
	}
	d.CheckIns = checkIns
	return d
}

func filterReviewExport(v Viewer, x ReviewExport) ReviewExport {
	x.Feedback = keep(x.Feedback, func(f Feedback) bool { return CanSeeFeedback(v, f, x.Settings) })
	requests := map[string]FeedbackRequest{}
	for _, q := range x.Requests {
		requests[q.ID] = q
	}
	x.Requests = keep(x.Requests, func(q FeedbackRequest) bool { return CanSeeFeedbackRequest(v, q) })
	sheets := map[string]ReviewSheet{}
	for _, sh := range x.Sheets {
		sheets[sh.CycleID+"|"+string(sh.Person)] = sh
	}
	x.Sheets = keep(x.Sheets, func(sh ReviewSheet) bool { return CanSeeReviewSheet(v, sh) })
	cycles := map[string]ReviewCycle{}
	for _, c := range x.Cycles {
		cycles[c.ID] = c
	}
	x.Answers = keep(x.Answers, func(a ReviewAnswers) bool {
		return CanSeeReviewAnswers(v, cycles[a.CycleID], a, sheets[a.CycleID+"|"+string(a.Subject)])
	})
	// Who reviewed whom in an anonymous cycle is for progress and
	// reminders only; the reviews, merged, for whom CanSeeAnonymousReviews allows.
	var reviews []AnonymousReviews
	for _, ar := range x.AnonymousReviews {
		shown := AnonymousReviews{CycleID: ar.CycleID, Answered: []ReviewAnswerer{}}
		for _, sh := range sheets {
			if about := ar.About(sh.Person); sh.CycleID == ar.CycleID && CanSeeAnonymousReviews(v, cycles[ar.CycleID], sh, len(about)) {
				shown.Reviews = append(shown.Reviews, about...)
			}
		}
		SortAnonymousReviews(&shown)
		if len(shown.Reviews) > 0 {
			reviews = append(reviews, shown)
		}
	}
	x.AnonymousReviews = reviews
	x.Cycles = keep(x.Cycles, func(c ReviewCycle) bool { return CanSeeReviewCycle(v, c) })
	x.Actions = keep(x.Actions, func(a DevAction) bool { return CanSeeDevAction(v, a) })
	x.Flags = keep(x.Flags, func(f ReviewFlag) bool { return v.ManagerOf(f.TeamID) })
	// Who answered an anonymous request is for reminders only.
	x.Answerers = nil
	var anon []AnonymousAnswers
	for _, a := range x.Anonymous {
		if shown := ReleasedAnonymous(v, requests[a.RequestID], a); len(shown) > 0 {
			anon = append(anon, AnonymousAnswers{RequestID: a.RequestID, Released: shown})
		}
	}
	x.Anonymous = anon
	return x
}

// keep returns the items ok accepts, in order, never nil.
func keep[T any](list []T, ok func(T) bool) []T {
	out := make([]T, 0, len(list))
	for _, item := range list {
		if ok(item) {
			out = append(out, item)
		}
	}
	return slices.Clip(out)
}
