package bot

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"
)

// TrendWeeks is how many weeks a scorecard looks back for goal trends,
// participation, mood, streaks and blocker ages: enough to see a direction,
// few enough that the read stays small whatever the history.
const TrendWeeks = 8

// MinMoodAnswers is how many answers it takes before a mood average is shown,
// so no one's mood can be read from it.
const MinMoodAnswers = 3

// Scorecard is a team's or a person's summary of one period (an ISO week in
// the team's time zone). It is the model that the message, the chart and the
// digest are drawn from; visibility (individual moods) is decided when it is
// rendered, not here.
type Scorecard struct {
	TeamID   string
	TeamName string
	// Person is set for a personal scorecard.
	Person UserID
	Period string
	From   time.Time
	To     time.Time
	// At is when the figures stand: the period's end, or the build time
	// while the period is still running.
	At time.Time
	// Goals are the goals in view, most at risk first. The history
	// scorecards that come with a scorecard leave them out and keep only
	// their figures in Headline.
	Goals []GoalCard
	// Updates counts updates posted in the period, by author.
	Updates map[UserID]int
	// Participation of the team's members in the period's check-in.
	Answered, Skipped, Away, Missing []UserID
	// Streaks counts, for each member, the weeks in a row up to this period
	// they answered, at most TrendWeeks.
	Streaks map[UserID]int
	// Mood is the average mood of those who answered; MoodCount how many did.
	Mood      float64
	MoodCount int
	// Moods are individual moods: only a person's managers may see them.
	Moods    map[UserID]int
	Blockers []Blocker
	// KudosGiven and KudosReceived count kudos by person (KudosCounts);
	// Values counts named company values.
	KudosGiven    map[UserID]int
	KudosReceived map[UserID]int
	Values        map[string]int
	// CrossTeam are the period's kudos with a recipient outside the team;
	// Outsiders those recipients.
	CrossTeam []Kudos
	Outsiders []UserID
	// Headline holds the figures read first; Previous the same for the period before.
	Headline Headline
	Previous Headline
	// Weeks are participation and mood over TrendWeeks weeks, oldest first,
	// this period last.
	Weeks []WeekFigures
	// Names are display names of everyone the scorecard mentions.
	Names map[UserID]string
	// Recent and Flags are set on a person's scorecard only: their check-ins
	// of the last PersonWeeks weeks, newest first, and what to ask about.
	Recent []PersonWeek
	Flags  []Flag
}

// GoalCard is one goal as a scorecard shows it: its numbers as they stood
// at the scorecard's time.
type GoalCard struct {
	Goal
	// Value is the goal's value at the scorecard's time.
	Value float64
	// Progress is the goal's own progress; Rolled the progress rolled up
	// from the Children goals aligned under it (see GoalFigures), shown
	// beside it.
	Progress float64
	Rolled   float64
	Children int
	// Pace is the expected progress, when HasPace (the goal has a due date).
	Pace     float64
	HasPace  bool
	Computed Status
	// Trend is the value and own progress at the end of each of
	// TrendWeeks weeks, oldest first; OK is false for weeks before the goal
	// existed.
	Trend []TrendPoint
}

// Gap is how many points progress trails pace (negative when ahead).
func (g GoalCard) Gap() float64 {
	if !g.HasPace {
		return 0
	}
	return g.Pace - g.Progress
}

// TrendPoint is a goal's value and own progress at the end of one week.
type TrendPoint struct {
	Period   string
	Value    float64
	Progress float64
	OK       bool
}

// Blocker is an open blocker from a check-in, with how many weeks in a row
// its author has reported one.
type Blocker struct {
	Person UserID
	Text   string
	Weeks  int
}

// Headline is the figures a manager reads first.
type Headline struct {
	Answered int
	// Expected is how many members owed a check-in: answered, skipped or missing (not away).
	Expected int
	Updates  int
	// KudosGiven and KudosReceived are the period's kudos as KudosCounts
	// counts them: given once each, received once per person thanked.
	KudosGiven    int
	KudosReceived int
	Mood          float64
	MoodCount     int
	OnTrack       int
	AtRisk        int
	OffTrack      int
	Done          int
	// Progress is the average progress of the goals in view, done ones
	// counting 100 and dropped ones left out.
	Progress float64
}

// MoodShown reports whether enough people answered to show the average.
func (h Headline) MoodShown() bool { return h.MoodCount >= MinMoodAnswers }

// WeekFigures are one week's participation and mood, for the trend chart.
type WeekFigures struct {
	Period    string
	Answered  int
	Expected  int
	Mood      float64
	MoodCount int
}

// Participation is the share of expected check-ins answered, 0–100.
func (w WeekFigures) Participation() float64 {
	if w.Expected == 0 {
		return 0
	}
	return float64(w.Answered) / float64(w.Expected) * 100
}

// MoodShown reports whether enough people answered to show the week's mood.
func (w WeekFigures) MoodShown() bool { return w.MoodCount >= MinMoodAnswers }

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

// BuildScorecard gathers a team's (or, with person set, one person's)
// scorecard for a period, as it stands now, in one batched store read.
// It holds every record of the team, as its managers read it.
func (s *Service) BuildScorecard(ctx context.Context, team Team, period string, person UserID) (Scorecard, error) {
	sc, _, err := s.buildScorecard(ctx, managerOf(team.ID), team, period, person, s.clock.Now())
	return sc, err
}

// managerOf is a viewer who manages the team and nothing else.
func managerOf(teamID string) Viewer { return Viewer{Inside: true, Manages: []string{teamID}} }

// buildScorecard returns the scorecard and, for the chart, the weeks before
// it as lighter scorecards (headline figures only), from the records v may
// read (filterScorecardData).
func (s *Service) buildScorecard(ctx context.Context, v Viewer, team Team, period string, person UserID, now time.Time) (Scorecard, []Scorecard, error) {
	loc := team.Location()
	weeks, err := trendPeriods(period, loc)
	if err != nil {
		return Scorecard{}, nil, err
	}
	ends := make([]time.Time, len(weeks))
	for i, w := range weeks {
		ends[i] = w.to
	}
	cur, prev := weeks[len(weeks)-1], weeks[len(weeks)-2]
	q := ScorecardQuery{TeamID: team.ID, From: cur.from, CountFrom: prev.from, To: cur.to,
		Periods: periodNames(weeks), ValuesAt: ends, People: team.People()}
	if person != "" {
		// A person's previous counts need the records, to pick theirs.
		q.From, q.CountFrom = prev.from, time.Time{}
	}
	data, err := s.store.ScorecardData(ctx, q)
	if err != nil {
		return Scorecard{}, nil, fmt.Errorf("scorecard %s %s: %w", team.ID, period, err)
	}
	b := newScorecardBuilder(v, team, person, filterScorecardData(v, data), weeks, now)
	history := make([]Scorecard, 0, len(weeks)-1)
	for i := range weeks[:len(weeks)-1] {
		history = append(history, b.week(i, false))
	}
	sc := b.week(len(weeks)-1, true)
	b.details(&sc)
	sc.Previous = history[len(history)-1].Headline
	sc.Previous.Updates, sc.Previous.KudosGiven = data.UpdatesBefore, data.KudosBefore
	if person != "" {
		sc.Previous.Updates, sc.Previous.KudosGiven = b.activityCounts(prev)
	}
	return sc, history, nil
}

// week is one ISO week's bounds.
type week struct {
	period   string
	from, to time.Time
}

// trendPeriods returns the TrendWeeks weeks ending with period, oldest first.
func trendPeriods(period string, loc *time.Location) ([]week, error) {
	from, _, err := WeekBounds(period, loc)
	if err != nil {
		return nil, refuse("sc_period_invalid", map[string]any{"Period": period})
	}
	out := make([]week, TrendWeeks)
	for i := range out {
		// Thursday of the week, i weeks back: always inside that ISO week.
		p := ISOWeek(from.AddDate(0, 0, 3-7*(TrendWeeks-1-i)), loc)
		f, t, err := WeekBounds(p, loc)
		if err != nil {
			return nil, fmt.Errorf("trend week %s: %w", p, err)
		}
		out[i] = week{period: p, from: f, to: t}
	}
	return out, nil
}

func periodNames(weeks []week) []string {
	out := make([]string, len(weeks))
	for i, w := range weeks {
		out[i] = w.period
	}
	return out
}

// previousPeriod is the ISO week before period.
func previousPeriod(period string, loc *time.Location) string {
	from, _, err := WeekBounds(period, loc)
	if err != nil {
		return period
	}
	return ISOWeek(from.AddDate(0, 0, -4), loc)
}

// scorecardBuilder turns one batched read into scorecards.
type scorecardBuilder struct {
	// viewer decides which moods count in the averages (CanSeeMoodInAverage).
	viewer Viewer
	team   Team
	person UserID
	data   ScorecardData
	weeks  []week
	now    time.Time
	// trees are the goal trees at the end of each week.
	trees []trendTree
	// checkIns are each week's check-ins by person.
	checkIns []map[UserID]CheckIn
}

func newScorecardBuilder(v Viewer, team Team, person UserID, data ScorecardData, weeks []week, now time.Time) scorecardBuilder {
	b := scorecardBuilder{viewer: v, team: team, person: person, data: data, weeks: weeks, now: now}
	b.trees = make([]trendTree, len(weeks))
	b.checkIns = make([]map[UserID]CheckIn, len(weeks))
	for i, w := range weeks {
		goals := b.goalsAt(i)
		index := make(map[string]int, len(goals))
		for j, g := range goals {
			index[g.ID] = j
		}
		b.trees[i] = trendTree{list: goals, tree: newGoalTree(liveGoals(aligned(goals))), index: index}
		byPerson := make(map[UserID]CheckIn, len(data.CheckIns[w.period]))
		for _, c := range data.CheckIns[w.period] {
			byPerson[c.Person] = c
		}
		b.checkIns[i] = byPerson
	}
	return b
}

// week builds the scorecard of weeks[i]: participation, mood and the
// headline, and with withTrend its goal cards with their trends.
func (b scorecardBuilder) week(i int, withTrend bool) Scorecard {
	w := b.weeks[i]
	at := w.to
	if b.now.Before(at) {
		at = b.now
	}
	sc := Scorecard{TeamID: b.team.ID, TeamName: b.team.Name, Person: b.person, Period: w.period,
		From: w.from, To: w.to, At: at}
	var tally goalTally
	tree := b.trees[i].tree
	for _, g := range b.trees[i].list {
		if (b.person != "" && g.Owner != b.person) || closedBefore(g, w.from) {
			continue
		}
		c := cardOf(g, tree, at)
		tally.add(c)
		if withTrend {
			c.Trend = trendOf(g, b.trees[:i+1], b.weeks[:i+1], b.now)
			sc.Goals = append(sc.Goals, c)
		}
	}
	sortCardsByRisk(sc.Goals)
	b.participation(&sc, i)
	sc.Headline = headlineOf(sc)
	tally.fill(&sc.Headline)
	return sc
}

// closedBefore reports whether g was closed before t: such goals still take
// part in their parents' roll-up, but a period after it does not list them.
func closedBefore(g Goal, t time.Time) bool {
	return g.State != GoalOpen && g.UpdatedAt.Before(t)
}

// goalsAt returns the team's goals as they stood at the end of weeks[i]
// (goalsStoodAt).
func (b scorecardBuilder) goalsAt(i int) []Goal {
	return goalsStoodAt(b.data.Goals, b.data.ValuesAt, i, b.weeks[i].to, b.now)
}

// goalsStoodAt returns goals as they stood at end (value, measure, and
// open when closed only later), leaving out goals not yet started then;
// values are the store's ValuesAt, whose i-th entry is each goal's value
// at end. At or after now, a goal is as stored: the stored value is the
// value now, also when an edit started a new measure since the last
// update. The scorecard and the export's figures of a past period both
// read goals through it, so they show the same numbers.
func goalsStoodAt(goals []Goal, values map[string][]GoalValue, i int, end, now time.Time) []Goal {
	out := make([]Goal, 0, len(goals))
	for _, g := range goals {
		if !g.Start.IsZero() && !g.Start.Before(end) {
			continue
		}
		if end.Before(now) {
			g = g.AsOf(end) // the measure it had then
		}
		if g.State != GoalOpen && !g.UpdatedAt.Before(end) {
			g.State = GoalOpen // still open at the end
		}
		v := values[g.ID]
		switch {
		case end.After(now):
		case i < len(v) && v[i].OK && !measureBegan(g).After(v[i].At):
			g.Current = v[i].Value
		default:
			g.Current = startValue(g)
		}
		out = append(out, g)
	}
	return out
}

// measureBegan is when g's measure began: when the one before it ended,
// zero for a goal's first measure.
func measureBegan(g Goal) time.Time {
	if len(g.Measures) == 0 {
		return time.Time{}
	}
	return g.Measures[len(g.Measures)-1].Until
}

// startValue is a goal's value before its first update (of its measure).
func startValue(g Goal) float64 {
	if g.Metric.Milestone {
		return 0
	}
	return g.Metric.Baseline
}

// cardOf is a goal as it stood at the end of a week (tree is that week's):
// its value and its figures (GoalFigures) at at.
func cardOf(g Goal, tree goalTreeIndex, at time.Time) GoalCard {
	f := tree.figures(g, at)
	return GoalCard{Goal: g, Value: g.Current, Progress: f.Progress, Rolled: f.Rolled, Children: f.Children,
		Pace: f.Pace, HasPace: f.HasPace, Computed: f.Status}
}

// goalTally adds up goal statuses and progress for a headline.
type goalTally struct {
	onTrack, atRisk, offTrack, done, counted int
	progress                                 float64
}

func (t *goalTally) add(c GoalCard) {
	switch c.Computed {
	case OnTrack:
		t.onTrack++
	case AtRisk:
		t.atRisk++
	case OffTrack:
		t.offTrack++
	case Done:
		t.done++
	}
	if c.State != GoalDropped {
		t.progress += c.Progress
		t.counted++
	}
}

func (t goalTally) fill(h *Headline) {
	h.OnTrack, h.AtRisk, h.OffTrack, h.Done = t.onTrack, t.atRisk, t.offTrack, t.done
	if t.counted > 0 {
		h.Progress = t.progress / float64(t.counted)
	}
}

// sortCardsByRisk orders goals off track first, then at risk, on track and
// closed; within a status the widest gap to pace first, then by number. It
// sorts indexes, not the (large) cards.
func sortCardsByRisk(cards []GoalCard) {
	order := make([]int, len(cards))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool {
		a, b := &cards[order[x]], &cards[order[y]]
		if ra, rb := riskRank(a.Computed), riskRank(b.Computed); ra != rb {
			return ra < rb
		}
		if ga, gb := a.Gap(), b.Gap(); ga != gb {
			return ga > gb
		}
		return goalNumber(a.ID) < goalNumber(b.ID)
	})
	sorted := make([]GoalCard, len(cards))
	for i, j := range order {
		sorted[i] = cards[j]
	}
	copy(cards, sorted)
}

// statusFromGap applies SPEC's pace thresholds to a gap in points.
func statusFromGap(gap float64) Status {
	switch {
	case gap > OffTrackGap:
		return OffTrack
	case gap > AtRiskGap:
		return AtRisk
	}
	return OnTrack
}

// trendTree is the goal tree at the end of one week, with its goals listed
// and their places in the list by id.
type trendTree struct {
	list  []Goal
	tree  goalTreeIndex
	index map[string]int
}

// aligned keeps the goals that take part in alignment: those under a parent
// and the parents. The others roll up to their own progress, so the tree
// (and its copies of goals) needs only these.
func aligned(goals []Goal) []Goal {
	parents := map[string]bool{}
	for _, g := range goals {
		if g.Parent != "" {
			parents[g.Parent] = true
		}
	}
	if len(parents) == 0 {
		return nil
	}
	var out []Goal
	for _, g := range goals {
		if g.Parent != "" || parents[g.ID] {
			out = append(out, g)
		}
	}
	return out
}

func trendOf(g Goal, trees []trendTree, weeks []week, now time.Time) []TrendPoint {
	if trees == nil {
		return nil
	}
	out := make([]TrendPoint, len(trees))
	for j, t := range trees {
		out[j].Period = weeks[j].period
		if k, ok := t.index[g.ID]; ok {
			then := t.list[k]
			at := weeks[j].to
			if now.Before(at) {
				at = now
			}
			out[j].Value, out[j].Progress, out[j].OK = then.Current, then.FiguresAt(at).Progress, true
		}
	}
	return out
}

// moodSettled reports whether no further mood can join weeks[i]'s
// average: the week is over or no member is missing (CanSeeMoodInAverage).
func (b scorecardBuilder) moodSettled(i int, states map[UserID]CheckInState) bool {
	if !b.now.Before(b.weeks[i].to) {
		return true
	}
	for _, st := range states {
		if st == StateMissing {
			return false
		}
	}
	return true
}

// participation sorts members by their check-in for weeks[i] and averages moods.
func (b scorecardBuilder) participation(sc *Scorecard, i int) {
	byPerson := b.checkIns[i]
	sc.Moods = map[UserID]int{}
	sum := 0
	states := make(map[UserID]CheckInState, len(b.team.Members))
	for _, id := range b.team.Members {
		states[id] = b.state(id, i)
	}
	settled := b.moodSettled(i, states)
	for _, id := range b.team.Members {
		c := byPerson[id]
		var into *[]UserID
		switch states[id] {
		case StateAnswered:
			into = &sc.Answered
			if c.Mood > 0 && CanSeeMoodInAverage(b.viewer, c, settled) {
				sum += c.Mood
				sc.MoodCount++
				sc.Moods[id] = c.Mood
			}
		case StateSkipped:
			into = &sc.Skipped
		case StateAway:
			into = &sc.Away
		default:
			into = &sc.Missing
		}
		if b.person == "" || id == b.person {
			*into = append(*into, id)
		}
	}
	if sc.MoodCount > 0 {
		sc.Mood = float64(sum) / float64(sc.MoodCount)
	}
	if b.person != "" {
		// A personal scorecard's mood is the person's own.
		sc.Mood, sc.MoodCount = 0, 0
		if m, ok := sc.Moods[b.person]; ok {
			sc.Mood, sc.MoodCount = float64(m), 1
		}
		sc.Moods = map[UserID]int{b.person: sc.Moods[b.person]}
		if sc.Moods[b.person] == 0 {
			delete(sc.Moods, b.person)
		}
	}
}

// headlineOf is the participation and mood part of a headline.
func headlineOf(sc Scorecard) Headline {
	return Headline{Answered: len(sc.Answered), Expected: len(sc.Answered) + len(sc.Skipped) + len(sc.Missing),
		Mood: sc.Mood, MoodCount: sc.MoodCount}
}

// details fills what only the scorecard's own period shows: updates, streaks,
// blockers, kudos, weekly figures and names.
func (b scorecardBuilder) details(sc *Scorecard) {
	last := len(b.weeks) - 1
	sc.Updates = map[UserID]int{}
	for _, u := range b.data.Updates {
		if !u.At.Before(sc.From) && (b.person == "" || u.Author == b.person) {
			sc.Updates[u.Author]++
		}
	}
	b.kudos(sc)
	sc.Streaks = map[UserID]int{}
	for _, id := range b.team.Members {
		if b.person != "" && id != b.person {
			continue
		}
		if n := b.runOfWeeks(id, last, func(c CheckIn) bool { return c.Done() }); n > 0 {
			sc.Streaks[id] = n
		}
	}
	for _, id := range sc.Answered {
		c := b.checkIn(last, id)
		if c.Blockers(b.team) == "" {
			continue
		}
		weeks := b.runOfWeeks(id, last, func(c CheckIn) bool { return c.Done() && c.Blockers(b.team) != "" })
		sc.Blockers = append(sc.Blockers, Blocker{Person: id, Text: c.Blockers(b.team), Weeks: weeks})
	}
	sort.SliceStable(sc.Blockers, func(i, j int) bool { return sc.Blockers[i].Weeks > sc.Blockers[j].Weeks })
	for i := range b.weeks {
		w := WeekFigures{Period: b.weeks[i].period}
		mood := 0
		states := make(map[UserID]CheckInState, len(b.team.Members))
		for _, id := range b.team.Members {
			states[id] = b.state(id, i)
		}
		settled := b.moodSettled(i, states)
		for _, id := range b.team.Members {
			if b.person != "" && id != b.person {
				continue
			}
			c := b.checkIn(i, id)
			switch states[id] {
			case StateAnswered:
				w.Answered++
				w.Expected++
				if c.Mood > 0 && CanSeeMoodInAverage(b.viewer, c, settled) {
					mood += c.Mood
					w.MoodCount++
				}
			case StateSkipped, StateMissing:
				w.Expected++
			}
		}
		if w.MoodCount > 0 {
			w.Mood = float64(mood) / float64(w.MoodCount)
		}
		sc.Weeks = append(sc.Weeks, w)
	}
	sc.Headline.Updates = sc.TotalUpdates()
	sc.Names = b.names(sc)
	if b.person != "" {
		b.personDetails(sc)
	}
}

// state is id's check-in state in weeks[i] (see checkInState).
func (b scorecardBuilder) state(id UserID, i int) CheckInState {
	p := b.data.People[id]
	p.ID = id
	w := b.weeks[i]
	return checkInState(b.checkIn(i, id), p, b.team, w.from, w.to, b.now)
}

func (b scorecardBuilder) checkIn(i int, id UserID) CheckIn { return b.checkIns[i][id] }

// runOfWeeks counts the weeks in a row, back from weeks[i], whose check-in by id passes ok.
func (b scorecardBuilder) runOfWeeks(id UserID, i int, ok func(CheckIn) bool) int {
	n := 0
	for j := i; j >= 0 && ok(b.checkIn(j, id)); j-- {
		n++
	}
	return n
}

// activityCounts counts updates and kudos given in a week, by the person
// when set.
func (b scorecardBuilder) activityCounts(w week) (updates, kudosGiven int) {
	for _, u := range b.data.Updates {
		if !u.At.Before(w.from) && u.At.Before(w.to) && (b.person == "" || u.Author == b.person) {
			updates++
		}
	}
	for _, k := range b.data.Kudos {
		if !k.At.Before(w.from) && k.At.Before(w.to) && (b.person == "" || k.From == b.person) {
			kudosGiven++
		}
	}
	return updates, kudosGiven
}

func (b scorecardBuilder) kudos(sc *Scorecard) {
	sc.Values = map[string]int{}
	people := b.team.People()
	var period []Kudos
	for _, k := range b.data.Kudos {
		if k.At.Before(sc.From) || (b.person != "" && k.From != b.person && !slices.Contains(k.To, b.person)) {
			continue
		}
		period = append(period, k)
		crossed := false
		for _, to := range k.To {
			if !slices.Contains(people, to) {
				crossed = true
				if !slices.Contains(sc.Outsiders, to) {
					sc.Outsiders = append(sc.Outsiders, to)
				}
			}
		}
		if b.person == "" || slices.Contains(k.To, b.person) {
			// A person's values are those they were recognised for.
			for _, v := range k.Values {
				sc.Values[v]++
			}
		}
		if crossed {
			sc.CrossTeam = append(sc.CrossTeam, k)
		}
	}
	counts := CountKudos(period, b.person)
	sc.KudosGiven, sc.KudosReceived = counts.Given, counts.Received
	sc.Headline.KudosGiven, sc.Headline.KudosReceived = counts.TotalGiven(), counts.TotalReceived()
}

// names are display names of the team and of everyone the kudos mention.
func (b scorecardBuilder) names(sc *Scorecard) map[UserID]string {
	out := map[UserID]string{}
	add := func(id UserID) {
		if _, ok := out[id]; ok {
			return
		}
		if p, ok := b.data.People[id]; ok && p.Name != "" {
			out[id] = p.Name
		} else {
			out[id] = id.Local()
		}
	}
	for _, id := range b.team.People() {
		add(id)
	}
	for id := range sc.KudosGiven {
		add(id)
	}
	for id := range sc.KudosReceived {
		add(id)
	}
	for id := range sc.Updates {
		add(id)
	}
	for _, g := range sc.Goals {
		if g.Owner != "" {
			add(g.Owner)
		}
	}
	return out
}
