package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// importError lists every problem of an export, one line each, so an
// operator fixes the file in one go; nothing was imported.
type importError struct{ problems []string }

func (e *importError) Error() string {
	return fmt.Sprintf("the export has %d problem(s); nothing was imported:\n  %s", len(e.problems), strings.Join(e.problems, "\n  "))
}

var (
	reGoalID   = regexp.MustCompile(`^G[1-9][0-9]*$`)
	reISOWeek  = regexp.MustCompile(`^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$`)
	goalStates = map[bot.GoalState]bool{bot.GoalOpen: true, bot.GoalDone: true, bot.GoalDropped: true}
)

// validateExport checks every record of an export before anything is
// written: teams by the team file's rules (name, platform, channel, people
// as platform ids, zone, language, schedules, allowance, holidays), and
// every other record for the fields it cannot live without and for
// pointing at a team (and goal) of the same export.
func validateExport(data bot.Export) error {
	var p problems
	teams := map[string]bot.Team{}
	for i, t := range data.Teams {
		field := fmt.Sprintf("teams[%d]", i)
		if t.ID != "" {
			field = fmt.Sprintf("teams[%d] (%s)", i, t.ID)
		}
		checkImportedTeam(&p, field, t)
		if _, dup := teams[t.ID]; dup && t.ID != "" {
			p.add(field+".id", "team %q is in the export twice", t.ID)
		}
		teams[t.ID] = t
	}
	team := func(field, id string) (bot.Team, bool) {
		t, ok := teams[id]
		if !ok {
			p.add(field+".team", "%q is not a team of this export", id)
		}
		return t, ok
	}
	person := func(field string, id bot.UserID, required bool) {
		if id == "" && !required {
			return
		}
		if !id.Valid() {
			p.add(field, "%q is not a platform-qualified user id such as slack:T0123:U0456", id)
		}
	}
	seenPerson := map[bot.UserID]bool{}
	for i, x := range data.People {
		field := fmt.Sprintf("people[%d]", i)
		person(field+".id", x.ID, true)
		if seenPerson[x.ID] && x.ID != "" {
			p.add(field+".id", "person %q is in the export twice", x.ID)
		}
		seenPerson[x.ID] = true
		if x.TimeZone != "" {
			checkZone(&p, field+".time_zone", x.TimeZone)
		}
		if x.Locale != "" {
			checkLocale(&p, field+".locale", x.Locale)
		}
	}
	goals := map[string]bool{}
	goalTeam := map[string]string{}
	for _, g := range data.Goals {
		goals[g.ID] = true
		goalTeam[g.ID] = g.TeamID
	}
	seenGoal := map[string]bool{}
	for i, g := range data.Goals {
		field := fmt.Sprintf("goals[%d]", i)
		if !reGoalID.MatchString(g.ID) {
			p.add(field+".id", "%q is not a goal id such as G7", g.ID)
		} else {
			field = fmt.Sprintf("goals[%d] (%s)", i, g.ID)
			// A second record with the same id would silently replace the first.
			if seenGoal[g.ID] {
				p.add(field+".id", "goal %q is in the export twice", g.ID)
			}
			seenGoal[g.ID] = true
		}
		team(field, g.TeamID)
		if strings.TrimSpace(g.Title) == "" {
			p.add(field+".title", "is required")
		}
		if !goalStates[g.State] {
			p.add(field+".state", "%q is not open, done or dropped", g.State)
		}
		person(field+".owner", g.Owner, false)
		if g.Owner == "" && g.OwnerTeam == "" {
			p.add(field+".owner", "is required (or owner_team for a team goal)")
		}
		if g.Parent != "" && !goals[g.Parent] {
			p.add(field+".parent", "%q is not a goal of this export", g.Parent)
		}
	}
	for i, u := range data.Updates {
		field := fmt.Sprintf("updates[%d]", i)
		team(field, u.TeamID)
		if !goals[u.GoalID] {
			p.add(field+".goal", "%q is not a goal of this export", u.GoalID)
		} else if goalTeam[u.GoalID] != u.TeamID {
			// Filed under another team, the update would hang off no goal.
			p.add(field+".team", "%q is not the team of goal %s (%s)", u.TeamID, u.GoalID, goalTeam[u.GoalID])
		}
		person(field+".author", u.Author, false)
		checkTime(&p, field+".at", u.At)
	}
	seenKudos := map[string]bool{}
	for i, k := range data.Kudos {
		field := fmt.Sprintf("kudos[%d]", i)
		if k.ID == "" {
			p.add(field+".id", "is required")
		} else if seenKudos[k.ID] {
			p.add(field+".id", "kudos %q is in the export twice", k.ID)
		}
		seenKudos[k.ID] = true
		team(field, k.TeamID)
		person(field+".from", k.From, true)
		if len(k.To) == 0 {
			p.add(field+".to", "names nobody; kudos need at least one recipient")
		}
		for j, to := range k.To {
			person(fmt.Sprintf("%s.to[%d]", field, j), to, true)
		}
		checkTime(&p, field+".at", k.At)
	}
	seenCheckIn := map[string]bool{}
	for i, c := range data.CheckIns {
		field := fmt.Sprintf("checkins[%d]", i)
		// One check-in per person, team and week: a second would replace the first.
		if k := c.TeamID + "|" + string(c.Person) + "|" + c.Period; seenCheckIn[k] {
			p.add(field, "%s's check-in of %s in team %s is in the export twice", c.Person, c.Period, c.TeamID)
		} else {
			seenCheckIn[k] = true
		}
		team(field, c.TeamID)
		person(field+".person", c.Person, true)
		if !reISOWeek.MatchString(c.Period) {
			p.add(field+".period", "%q is not an ISO week such as 2026-W48", c.Period)
		}
		if c.Mood < 0 || c.Mood > 5 {
			p.add(field+".mood", "%d is not 0 (none) to 5", c.Mood)
		}
		checkAskedQuestions(&p, field, c.Questions)
	}
	for i, r := range data.Reviews {
		field := fmt.Sprintf("reviews[%d]", i)
		team(field, r.TeamID)
		checkReviews(&p, person, field, r)
	}
	if len(p) == 0 {
		return nil
	}
	return &importError{problems: p}
}

// checkReviews applies the rules the store enforces while writing a
// team's review records (store.ImportReviews), so such a record is found
// before the first team is written, not after.
func checkReviews(p *problems, person func(string, bot.UserID, bool), field string, r bot.ReviewExport) {
	sameTeam := func(f, team string) {
		if team != r.TeamID {
			p.add(f+".team", "%q is not the team %s these records are filed under", team, r.TeamID)
		}
	}
	id := func(f, id, prefix string) {
		if !hasIDNumber(id, prefix) {
			p.add(f, "%q is not an id such as %s1", id, prefix)
		}
	}
	for i, x := range r.Feedback {
		f := fmt.Sprintf("%s.feedback[%d]", field, i)
		id(f+".id", x.ID, "F")
		sameTeam(f, x.TeamID)
		person(f+".from", x.From, true)
		person(f+".to", x.To, true)
	}
	for i, x := range r.Requests {
		f := fmt.Sprintf("%s.feedback_requests[%d]", field, i)
		id(f+".id", x.ID, "FR")
		sameTeam(f, x.TeamID)
	}
	for i, x := range r.Cycles {
		f := fmt.Sprintf("%s.review_cycles[%d]", field, i)
		id(f+".id", x.ID, "C")
		sameTeam(f, x.TeamID)
	}
	for i, x := range r.Sheets {
		f := fmt.Sprintf("%s.review_sheets[%d]", field, i)
		id(f+".cycle", x.CycleID, "C")
		sameTeam(f, x.TeamID)
		person(f+".person", x.Person, true)
	}
	for i, x := range r.Answers {
		f := fmt.Sprintf("%s.review_answers[%d]", field, i)
		id(f+".cycle", x.CycleID, "C")
		sameTeam(f, x.TeamID)
		person(f+".subject", x.Subject, true)
		person(f+".author", x.Author, true)
	}
	for i, x := range r.Actions {
		f := fmt.Sprintf("%s.development_actions[%d]", field, i)
		id(f+".id", x.ID, "A")
		sameTeam(f, x.TeamID)
		person(f+".person", x.Person, true)
	}
	for i, x := range r.Answerers {
		id(fmt.Sprintf("%s.feedback_answerers[%d].request", field, i), x.RequestID, "FR")
	}
	for i, x := range r.Anonymous {
		id(fmt.Sprintf("%s.feedback_anonymous[%d].request", field, i), x.RequestID, "FR")
	}
	for i, x := range r.AnonymousReviews {
		id(fmt.Sprintf("%s.review_anonymous[%d].cycle", field, i), x.CycleID, "C")
	}
	for i, x := range r.Flags {
		f := fmt.Sprintf("%s.review_flags[%d]", field, i)
		sameTeam(f, x.TeamID)
		person(f+".person", x.Person, true)
		if x.Period == "" {
			p.add(f+".period", "is required")
		}
	}
}

// hasIDNumber reports whether id is prefix and a number above 0, as the
// store numbers review records.
func hasIDNumber(id, prefix string) bool {
	n, err := strconv.ParseInt(strings.TrimPrefix(id, prefix), 10, 64)
	return strings.HasPrefix(id, prefix) && err == nil && n > 0
}

// checkImportedTeam applies the team file's rules to a stored team, which
// also carries its id and the fields the file leaves to defaults.
func checkImportedTeam(p *problems, field string, t bot.Team) {
	if strings.TrimSpace(t.Name) == "" {
		p.add(field+".name", "is required")
	} else if t.ID != bot.TeamID(t.Name) {
		p.add(field+".id", "%q is not the team's name %q in lower case", t.ID, t.Name)
	}
	if !knownPlatform(t.Platform) {
		p.add(field+".platform", "%q is not slack, feishu or console", t.Platform)
	}
	if strings.TrimSpace(t.Channel) == "" {
		p.add(field+".channel", "is required: the platform's channel id where digests and summaries go")
	}
	for _, list := range []struct {
		name string
		ids  []bot.UserID
	}{{"members", t.Members}, {"managers", t.Managers}} {
		raw := make([]string, len(list.ids))
		for i, id := range list.ids {
			raw[i] = string(id)
		}
		if knownPlatform(t.Platform) {
			userIDs(p, field+"."+list.name, raw, t.Platform)
		}
	}
	checkZone(p, field+".time_zone", t.TimeZone)
	checkLocale(p, field+".locale", t.Locale)
	checkSchedule(p, field+".check_in_schedule", t.CheckInSchedule)
	checkSchedule(p, field+".digest_schedule", t.DigestSchedule)
	for j, q := range t.Questions {
		if strings.TrimSpace(q) == "" {
			p.add(fmt.Sprintf("%s.questions[%d]", field, j), "is empty")
		}
	}
	checkQuestionRoles(p, field, t)
	if t.KudosAllowance < 0 {
		p.add(field+".kudos_allowance", "%d is negative; use 0 or more recipients a day", t.KudosAllowance)
	}
	checkHolidays(p, field+".holidays", t.Holidays)
}

func checkZone(p *problems, field, zone string) {
	if zone == "" {
		p.add(field, "is required: an IANA time zone such as Europe/Berlin or Asia/Shanghai")
		return
	}
	if _, err := time.LoadLocation(zone); err != nil {
		p.add(field, "%q is not an IANA time zone such as Europe/Berlin or Asia/Shanghai", zone)
	}
}

func checkLocale(p *problems, field string, l bot.Locale) {
	if l != bot.English && l != bot.Chinese {
		p.add(field, "%q is not en or zh", l)
	}
}

func checkTime(p *problems, field string, t time.Time) {
	if t.IsZero() {
		p.add(field, "is required: an RFC 3339 time")
	}
}

// checkAskedQuestions refuses a question kept with a check-in that has no
// text nor key, or a role other than highlight and blockers.
func checkAskedQuestions(p *problems, field string, qs []bot.Question) {
	for j, q := range qs {
		f := fmt.Sprintf("%s.questions[%d]", field, j)
		if strings.TrimSpace(q.Text) == "" && q.Key == "" {
			p.add(f, "has neither text nor key")
		}
		if q.Key != "" && !bot.IsDefaultQuestionKey(q.Key) {
			p.add(f+".key", "%q is not a default question (checkin_q_done, checkin_q_next, checkin_q_blockers)", q.Key)
		}
		if q.Role != "" && q.Role != bot.RoleHighlight && q.Role != bot.RoleBlockers {
			p.add(f+".role", "%q is not highlight, blockers or empty", q.Role)
		}
	}
}
