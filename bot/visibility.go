package bot

// Who sees what. Every way a record leaves Pulse — a reply, a form, the home
// view, a digest or summary, a chart, a chat export, the audit log, a
// reminder, the web view and the API — asks one of the CanSee functions
// below with the Viewer who will read it. They are pure functions of the
// viewer and the record, so every adapter and every test gets the same
// answer. README.md "Who sees what" is the same table in prose.
//
// The model in short:
//   - An Organisation is the set of workspaces and tenants the operator runs
//     Pulse for. People outside it (another Slack workspace, a Slack Connect
//     guest, another Feishu tenant) see nothing but one sentence saying Pulse
//     is not set up for them — unless an admin added them to a team.
//   - Goals and their updates are visible to everyone inside the
//     organisation, except private goals: their owner, the managers of the
//     goal's team and admins (and, for a private team goal, the team).
//   - Kudos are visible to the team they were given in, the giver, the
//     recipients and admins.
//   - Check-in answers are visible to the person, their team (the summary is
//     posted in the team channel), its managers and admins; the mood score
//     only to the person and the team's managers (admins see averages).
//   - Feedback: the recipient and the giver; the team's managers and admins
//     unless the team set visibility to "person". Anonymous answers have no
//     author at all and reach only the requester, in batches.
//   - Review answers: the author, the team's managers and admins, and the
//     subject once released; anonymous peer answers have no author.
//   - The audit log: admins. Team roster and settings: the team and admins.

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Organisation is the set of workspaces (Slack team or Enterprise Grid
// ids, Feishu tenant keys, console workspaces) the operator runs Pulse for,
// each written "<platform>:<workspace>". It is the explicit setting
// PULSE_ORGANISATION when given, else the workspaces of PULSE_ADMINS: being
// a member of a team never widens it, so adding one Slack Connect guest to a
// team does not let their whole company in.
type Organisation struct {
	workspaces map[string]bool
}

// NewOrganisation returns the organisation of the given workspaces
// ("slack:T0123", "feishu:tk1").
func NewOrganisation(workspaces ...string) Organisation {
	o := Organisation{workspaces: map[string]bool{}}
	for _, w := range workspaces {
		if w = strings.TrimSpace(w); w != "" {
			o.workspaces[w] = true
		}
	}
	return o
}

// WorkspaceOf is the "<platform>:<workspace>" a person belongs to.
func WorkspaceOf(id UserID) string {
	return string(id.Platform()) + ":" + id.Workspace()
}

// Contains reports whether the person's own workspace is the organisation's.
func (o Organisation) Contains(id UserID) bool { return o.workspaces[WorkspaceOf(id)] }

// Workspaces lists the organisation's workspaces, sorted.
func (o Organisation) Workspaces() []string {
	out := make([]string, 0, len(o.workspaces))
	for w := range o.workspaces {
		out = append(out, w)
	}
	slices.Sort(out)
	return out
}

// Viewer is a person about to read something, with everything the CanSee
// functions decide on. Build one with Service.ViewerOf.
type Viewer struct {
	ID UserID
	// Admin is a deployment-wide admin (PULSE_ADMINS).
	Admin bool
	// Inside is set for people of the organisation: its workspaces, its
	// admins and every member or manager of a team.
	Inside bool
	// Teams are the ids of the teams the person is a member of; Manages
	// the ids of the teams they manage.
	Teams   []string
	Manages []string
}

// InTeam reports whether the viewer is a member or a manager of the team.
func (v Viewer) InTeam(teamID string) bool {
	return slices.Contains(v.Teams, teamID) || slices.Contains(v.Manages, teamID)
}

// ManagerOf reports whether the viewer manages the team (admins manage every team).
func (v Viewer) ManagerOf(teamID string) bool {
	return v.Admin || slices.Contains(v.Manages, teamID)
}

// ViewerOf builds the viewer for a person from their teams and the admin list.
func (s *Service) ViewerOf(ctx context.Context, id UserID) (Viewer, error) {
	teams, err := s.store.TeamsOf(ctx, id)
	if err != nil {
		return Viewer{}, fmt.Errorf("viewer %s: %w", id, err)
	}
	return s.viewerFrom(id, teams), nil
}

// viewerFrom builds a viewer from teams already loaded.
func (s *Service) viewerFrom(id UserID, teams []Team) Viewer {
	v := Viewer{ID: id, Admin: s.isAdmin(id)}
	for _, t := range teams {
		if t.HasMember(id) {
			v.Teams = append(v.Teams, t.ID)
		}
		if t.HasManager(id) {
			v.Manages = append(v.Manages, t.ID)
		}
	}
	v.Inside = v.Admin || len(teams) > 0 || s.org.Contains(id)
	return v
}

// ChannelViewer is whoever reads what Pulse posts in a team's channel (the
// check-in summary, the digest): any member of the team, so a post there
// holds only what every member may read.
func ChannelViewer(teamID string) Viewer {
	return Viewer{Inside: true, Teams: []string{teamID}}
}

// CanSeeGoal: everyone inside the organisation; a private goal only its
// owner, the managers of its team, admins and, for a team goal, the team.
func CanSeeGoal(v Viewer, g Goal) bool {
	if !v.Inside {
		return false
	}
	if !g.Private {
		return true
	}
	if v.Admin || v.ID == g.Owner || v.ID == g.CreatedBy || v.ManagerOf(g.TeamID) {
		return true
	}
	return g.OwnerTeam != "" && v.InTeam(g.OwnerTeam)
}

// CanFeederSeeGoal: an API token or a metric source reads and feeds
// exactly the goals of its own team, private ones included (a manager of
// the team made it); the operator's CLI (a feeder without a team) every goal.
func CanFeederSeeGoal(f Feeder, g Goal) bool { return f.Team == "" || f.Team == g.TeamID }

// CanSeeUpdate: whoever may see the goal the update was posted on.
func CanSeeUpdate(v Viewer, g Goal) bool { return CanSeeGoal(v, g) }

// CanSeeKudos: the team the kudos were given in, the giver, the recipients and admins.
func CanSeeKudos(v Viewer, k Kudos) bool {
	if !v.Inside {
		return false
	}
	return v.Admin || v.ID == k.From || slices.Contains(k.To, v.ID) || v.InTeam(k.TeamID)
}

// CanSeeCheckIn: the written answers of a check-in are for the person, their
// team (the summary goes to the team channel), its managers and admins.
func CanSeeCheckIn(v Viewer, c CheckIn) bool {
	if !v.Inside {
		return false
	}
	return v.Admin || v.ID == c.Person || v.InTeam(c.TeamID)
}

// CanSeeMood: a person's mood score is for them and the team's managers;
// everyone else (admins included) sees averages of at least MinMoodAnswers.
func CanSeeMood(v Viewer, c CheckIn) bool {
	if !v.Inside {
		return false
	}
	return v.ID == c.Person || slices.Contains(v.Manages, c.TeamID)
}

// CanSeeMoodInAverage: a mood counts in an average shown to v when v may
// read it on its own (CanSeeMood) or, for everyone else inside, once the
// week is settled: nobody is missing any more, or the week is over. An
// average shown while an answer can still arrive, set beside a later one,
// gives the latecomer's mood away (4·b − 3·a), and the summary names who
// is missing.
func CanSeeMoodInAverage(v Viewer, c CheckIn, settled bool) bool {
	return CanSeeMood(v, c) || (v.Inside && settled)
}

// CanSeeFeedback: the recipient and the giver; the team's managers and
// admins unless the team keeps feedback to the person. Anonymous answers
// carry no giver and reach only the requester (released in batches, see
// ReleasedAnonymous).
func CanSeeFeedback(v Viewer, f Feedback, rs ReviewSettings) bool {
	if !v.Inside {
		return false
	}
	if v.ID == f.To {
		return true
	}
	if f.Anonymous {
		return false
	}
	if f.From != "" && v.ID == f.From {
		return true
	}
	if rs.FeedbackVisibility == VisibilityPerson {
		return false
	}
	return v.ManagerOf(f.TeamID)
}

// CanSeeFeedbackRequest: that a request exists (its topic, who was asked,
// how many answered) is for the requester, the people asked, the team's
// managers and admins.
func CanSeeFeedbackRequest(v Viewer, q FeedbackRequest) bool {
	if !v.Inside {
		return false
	}
	return v.ID == q.From || slices.Contains(q.Asked, v.ID) || v.ManagerOf(q.TeamID)
}

// CanSeeReviewSheet: a person's place in a cycle (nominations, peers,
// release) is for them, the team's managers and admins.
func CanSeeReviewSheet(v Viewer, sh ReviewSheet) bool {
	if !v.Inside {
		return false
	}
	return v.ID == sh.Person || v.ManagerOf(sh.TeamID)
}

// CanSeeReviewAnswers: the author sees what they wrote; the team's managers
// and admins see every sheet; the subject sees them once their results are
// released. In an anonymous cycle a peer's sheet kept under its author is
// a draft (submitting stores it with no author, see anonymous_review.go):
// only its author may read it.
func CanSeeReviewAnswers(v Viewer, c ReviewCycle, a ReviewAnswers, sh ReviewSheet) bool {
	if !v.Inside {
		return false
	}
	if a.Author != "" && v.ID == a.Author {
		return true
	}
	if c.Anonymous && a.Role == RolePeer {
		return false
	}
	if v.ManagerOf(a.TeamID) {
		return true
	}
	return v.ID == a.Subject && !sh.Released.IsZero()
}

// CanSeeReviewCycle: a cycle's progress (every sheet's steps, who still
// owes which review) is for the team's managers and admins.
func CanSeeReviewCycle(v Viewer, c ReviewCycle) bool { return v.Inside && v.ManagerOf(c.TeamID) }

// CanSeeAnonymousReviews: the anonymous peer reviews about a person
// (count of them), merged per question and without authors, are for the
// person and for the team's managers and admins — only when at least
// AnonymityFloor peers answered, and only once no further review can ever
// arrive: the person's results are released, or (for managers) the cycle
// is over. Shown any earlier, a review that appeared between two readings
// would point at whoever had answered in between — a manager could even
// approve one more peer after the others answered, and read the difference.
func CanSeeAnonymousReviews(v Viewer, c ReviewCycle, sh ReviewSheet, count int) bool {
	if !v.Inside || count < AnonymityFloor {
		return false
	}
	released := !sh.Released.IsZero()
	if v.ID == sh.Person {
		return released
	}
	return v.ManagerOf(sh.TeamID) && (released || c.State() != CycleOpen)
}

// CanSeeDevAction: the person, whoever agreed it, the team's managers and admins.
func CanSeeDevAction(v Viewer, x DevAction) bool {
	if !v.Inside {
		return false
	}
	return v.ID == x.Person || v.ID == x.By || v.ManagerOf(x.TeamID)
}

// CanSeeAudit: a team's audit log is for admins.
func CanSeeAudit(v Viewer, teamID string) bool { return v.Inside && v.Admin }

// CanSeeTeamName: that a team exists, its name and size, is visible inside
// the organisation (goal trees and team lists show it).
func CanSeeTeamName(v Viewer, t Team) bool { return v.Inside }

// CanSeeTeamRoster: members, managers and settings of a team are for the
// team and admins.
func CanSeeTeamRoster(v Viewer, t Team) bool {
	if !v.Inside {
		return false
	}
	return v.Admin || t.HasMember(v.ID) || t.HasManager(v.ID)
}

// CanSeeScorecard: a team's scorecard (person empty) is for its managers
// and admins; a person's own scorecard for them, their managers and admins.
func CanSeeScorecard(v Viewer, teamID string, person UserID) bool {
	if !v.Inside {
		return false
	}
	if person != "" && v.ID == person {
		return true
	}
	return v.ManagerOf(teamID)
}

// canAlignUnder reports whether the actor may align a goal of team childTeam
// under parent: the parent must be visible to them and belong to their own
// team, to a team above it (one that a goal of childTeam already aligns
// under, directly or further up), or to a team they manage (admins manage
// every team). Anyone else could move another team's roll-up.
func (s *Service) canAlignUnder(ctx context.Context, v Viewer, childTeam string, parent Goal) (bool, error) {
	if !CanSeeGoal(v, parent) {
		return false, nil
	}
	if v.ManagerOf(parent.TeamID) || (v.InTeam(parent.TeamID) && parent.TeamID == childTeam) {
		return true, nil
	}
	if !v.InTeam(childTeam) {
		return false, nil
	}
	above, err := s.teamsAbove(ctx, childTeam)
	if err != nil {
		return false, err
	}
	return above[parent.TeamID] || parent.TeamID == childTeam, nil
}

// teamsAbove are the teams whose goals the team's goals align under,
// directly or further up the tree.
func (s *Service) teamsAbove(ctx context.Context, teamID string) (map[string]bool, error) {
	goals, err := s.store.TeamGoals(ctx, teamID)
	if err != nil {
		return nil, fmt.Errorf("teams above %s: %w", teamID, err)
	}
	above := map[string]bool{}
	seen := map[string]bool{}
	for _, g := range goals {
		for id := g.Parent; id != "" && !seen[id]; {
			seen[id] = true
			p, err := s.store.GetGoal(ctx, id)
			if err != nil {
				break // a parent deleted since: the chain ends here
			}
			if p.TeamID != teamID {
				above[p.TeamID] = true
			}
			id = p.Parent
		}
	}
	return above, nil
}
