package bot

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Scorecard is a team's or a person's summary of one period.
type Scorecard struct {
	TeamID string
	// Person is set for a personal scorecard.
	Person UserID
	Period string
	From   time.Time
	To     time.Time
	Goals  []Goal
	// Updates counts updates posted in the period, by author.
	Updates map[UserID]int
	// Participation of the team's members in the period's check-in.
	Answered, Skipped, Away, Missing []UserID
	// Mood is the average mood when at least MinMoodAnswers answered; MoodCount how many did.
	Mood      float64
	MoodCount int
	Blockers  []CheckIn
	// KudosGiven and KudosReceived count kudos by person; Values counts named company values.
	KudosGiven    map[UserID]int
	KudosReceived map[UserID]int
	Values        map[string]int
	KudosTotal    int
}

// MinMoodAnswers is how many answers it takes before a mood average is shown,
// so no one's mood can be read from it.
const MinMoodAnswers = 3

// TotalUpdates sums updates over people.
func (sc Scorecard) TotalUpdates() int {
	n := 0
	for _, c := range sc.Updates {
		n += c
	}
	return n
}

// MoodShown reports whether enough people answered to show the mood.
func (sc Scorecard) MoodShown() bool { return sc.MoodCount >= MinMoodAnswers }

// BuildScorecard gathers a team's (or, with person set, one person's) scorecard for a period.
func (s *Service) BuildScorecard(ctx context.Context, team Team, period string, person UserID) (Scorecard, error) {
	from, to, err := WeekBounds(period, team.Location())
	if err != nil {
		return Scorecard{}, err
	}
	sc := Scorecard{TeamID: team.ID, Person: person, Period: period, From: from, To: to,
		Updates: map[UserID]int{}, KudosGiven: map[UserID]int{}, KudosReceived: map[UserID]int{}, Values: map[string]int{}}
	if err := s.scorecardGoals(ctx, &sc, team, from, to); err != nil {
		return Scorecard{}, err
	}
	if err := s.scorecardCheckIns(ctx, &sc, team, to); err != nil {
		return Scorecard{}, err
	}
	if err := s.scorecardKudos(ctx, &sc, team, from, to); err != nil {
		return Scorecard{}, err
	}
	return sc, nil
}

func (s *Service) scorecardGoals(ctx context.Context, sc *Scorecard, team Team, from, to time.Time) error {
	goals, err := s.store.TeamGoals(ctx, team.ID)
	if err != nil {
		return fmt.Errorf("goals of %s: %w", team.ID, err)
	}
	for _, g := range goals {
		if sc.Person != "" && g.Owner != sc.Person {
			continue
		}
		if g.State == GoalOpen || !g.UpdatedAt.Before(from) {
			sc.Goals = append(sc.Goals, g)
		}
	}
	updates, err := s.store.TeamUpdates(ctx, team.ID, from, to)
	if err != nil {
		return fmt.Errorf("updates of %s: %w", team.ID, err)
	}
	for _, u := range updates {
		if sc.Person == "" || u.Author == sc.Person {
			sc.Updates[u.Author]++
		}
	}
	return nil
}

func (s *Service) scorecardCheckIns(ctx context.Context, sc *Scorecard, team Team, end time.Time) error {
	p, err := s.participation(ctx, team, sc.Period, end.Add(-time.Second))
	if err != nil {
		return err
	}
	keep := func(ids []UserID) []UserID {
		if sc.Person == "" {
			return ids
		}
		if containsUser(ids, sc.Person) {
			return []UserID{sc.Person}
		}
		return nil
	}
	sc.Answered, sc.Skipped, sc.Away, sc.Missing = keep(p.answered), keep(p.skipped), keep(p.away), keep(p.missing)
	sum := 0
	for _, id := range p.answered {
		c := p.checkIns[id]
		sum += c.Mood
		sc.MoodCount++
		if c.Blockers() != "" && (sc.Person == "" || id == sc.Person) {
			sc.Blockers = append(sc.Blockers, c)
		}
	}
	if sc.MoodCount > 0 {
		sc.Mood = float64(sum) / float64(sc.MoodCount)
	}
	return nil
}

func (s *Service) scorecardKudos(ctx context.Context, sc *Scorecard, team Team, from, to time.Time) error {
	list, err := s.store.TeamKudos(ctx, team.ID, from, to)
	if err != nil {
		return fmt.Errorf("kudos of %s: %w", team.ID, err)
	}
	for _, k := range list {
		if sc.Person != "" && k.From != sc.Person && !containsUser(k.To, sc.Person) {
			continue
		}
		sc.KudosTotal++
		sc.KudosGiven[k.From]++
		for _, to := range k.To {
			sc.KudosReceived[to]++
		}
		for _, v := range k.Values {
			sc.Values[v]++
		}
	}
	return nil
}

// previousPeriod is the ISO week before period.
func previousPeriod(period string, loc *time.Location) string {
	from, _, err := WeekBounds(period, loc)
	if err != nil {
		return period
	}
	return ISOWeek(from.AddDate(0, 0, -3), loc)
}

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

// splitTeamArg takes "team <name>" off the front of args: the name runs
// until a period word.
func splitTeamArg(args string) (team, rest string) {
	toks := Tokens(args)
	if len(toks) < 2 || (toks[0] != "team" && toks[0] != "团队") {
		return "", strings.TrimSpace(args)
	}
	return toks[1], strings.Join(toks[2:], " ")
}

func (s *Service) teamScorecard(ctx context.Context, r *request, args string) (Response, error) {
	name, rest := splitTeamArg(args)
	team, err := s.resolveTeam(ctx, r, name)
	if err != nil {
		return Response{}, err
	}
	if !s.canManage(team, r.actor.ID) {
		return Response{}, refuse("scorecard_forbidden", map[string]any{"Team": team.Name})
	}
	period, err := ParsePeriod(rest, r.now, team.Location())
	if err != nil {
		return Response{}, err
	}
	msg, err := s.ScorecardMessage(ctx, team, period, "", r.locale, r.now)
	if err != nil {
		return Response{}, err
	}
	return Response{Reply: msg, Visibility: Private}, nil
}

func (s *Service) myScorecard(ctx context.Context, r *request, args string) (Response, error) {
	team, err := s.resolveTeam(ctx, r, "")
	if err != nil {
		return Response{}, err
	}
	period, err := ParsePeriod(args, r.now, personLocation(r.actor, team))
	if err != nil {
		return Response{}, err
	}
	msg, err := s.ScorecardMessage(ctx, team, period, r.actor.ID, r.locale, r.now)
	if err != nil {
		return Response{}, err
	}
	return Response{Reply: msg, Visibility: Private}, nil
}

// ScorecardMessage renders a scorecard: headline figures first, then goals by
// risk, then people, then blockers and kudos, each with its change from the
// previous period.
func (s *Service) ScorecardMessage(ctx context.Context, team Team, period string, person UserID, l Locale, now time.Time) (Message, error) {
	sc, err := s.BuildScorecard(ctx, team, period, person)
	if err != nil {
		return Message{}, err
	}
	prev, err := s.BuildScorecard(ctx, team, previousPeriod(period, team.Location()), person)
	if err != nil {
		return Message{}, err
	}
	ids := append(append(append([]UserID{}, team.People()...), keys(sc.KudosReceived)...), keys(sc.KudosGiven)...)
	names, err := s.names(ctx, nil, ids)
	if err != nil {
		return Message{}, err
	}
	r := &request{now: now, locale: l}
	title := s.t(r, "scorecard_title", map[string]any{"Team": team.Name, "Period": period})
	if person != "" {
		title = s.t(r, "scorecard_me_title", map[string]any{"Name": names[person], "Period": period})
	}
	msg := Message{Title: title}
	msg.Blocks = append(msg.Blocks, s.headline(r, sc, prev))
	msg.Blocks = append(msg.Blocks, s.scorecardGoalBlocks(r, sc)...)
	msg.Blocks = append(msg.Blocks, s.scorecardPeople(r, sc, names)...)
	return msg, nil
}

func keys(m map[UserID]int) []UserID {
	out := make([]UserID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// headline shows the figures a manager reads first, with their change.
func (s *Service) headline(r *request, sc, prev Scorecard) Fields {
	total := len(sc.Answered) + len(sc.Skipped) + len(sc.Missing)
	fields := Fields{
		{Label: s.t(r, "label_checkins", nil), Value: fmt.Sprintf("%d/%d %s", len(sc.Answered), total, delta(len(sc.Answered)-len(prev.Answered)))},
		{Label: s.t(r, "label_updates", nil), Value: fmt.Sprintf("%d %s", sc.TotalUpdates(), delta(sc.TotalUpdates()-prev.TotalUpdates()))},
		{Label: s.t(r, "label_kudos", nil), Value: fmt.Sprintf("%d %s", sc.KudosTotal, delta(sc.KudosTotal-prev.KudosTotal))},
	}
	mood := s.t(r, "scorecard_mood_hidden", map[string]any{"Min": MinMoodAnswers})
	if sc.MoodShown() && sc.Person == "" {
		mood = fmt.Sprintf("%.1f/5", sc.Mood)
		if prev.MoodShown() {
			mood += fmt.Sprintf(" (%+.1f)", sc.Mood-prev.Mood)
		}
	}
	if sc.Person == "" {
		fields = append(fields, Field{Label: s.t(r, "label_mood", nil), Value: mood})
	}
	return fields
}

func delta(d int) string {
	if d == 0 {
		return "(±0)"
	}
	return fmt.Sprintf("(%+d)", d)
}

func (s *Service) scorecardGoalBlocks(r *request, sc Scorecard) []Block {
	if len(sc.Goals) == 0 {
		return []Block{Context{Text: s.t(r, "goal_list_empty", nil)}}
	}
	goals := append([]Goal(nil), sc.Goals...)
	sortByRisk(goals, r.now)
	blocks := []Block{Divider{}}
	for _, g := range goals {
		p := s.progressBlock(r, g)
		if !g.Metric.Milestone {
			p.Detail = s.formatValue(g, g.Metric.Baseline) + " → " + s.formatValue(g, g.Current) + " → " + s.formatValue(g, g.Metric.Target) + " · " + p.Detail
		}
		blocks = append(blocks, p)
	}
	return blocks
}

// scorecardPeople lists who has not checked in, open blockers, and kudos with values.
func (s *Service) scorecardPeople(r *request, sc Scorecard, names map[UserID]string) []Block {
	blocks := []Block{Divider{}}
	if sc.Person == "" && len(sc.Missing) > 0 {
		blocks = append(blocks, Text{Text: s.t(r, "scorecard_missing", map[string]any{"Names": joinNames(names, sc.Missing)})})
	}
	if len(sc.Blockers) > 0 {
		var lines []string
		for _, c := range sc.Blockers {
			lines = append(lines, "• "+names[c.Person]+": "+c.Blockers())
		}
		blocks = append(blocks, Text{Text: s.t(r, "scorecard_blockers", nil) + "\n" + strings.Join(lines, "\n")})
	}
	if sc.KudosTotal > 0 {
		var lines []string
		for _, id := range keys(sc.KudosReceived) {
			lines = append(lines, fmt.Sprintf("• %s: %d", names[id], sc.KudosReceived[id]))
		}
		text := s.t(r, "scorecard_kudos", nil) + "\n" + strings.Join(lines, "\n")
		if len(sc.Values) > 0 {
			var vals []string
			for v, n := range sc.Values {
				vals = append(vals, fmt.Sprintf("#%s ×%d", v, n))
			}
			sort.Strings(vals)
			text += "\n" + s.t(r, "kudos_values", map[string]any{"Values": strings.Join(vals, " ")})
		}
		blocks = append(blocks, Text{Text: text})
	}
	return blocks
}
