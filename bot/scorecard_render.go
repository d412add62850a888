package bot

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// scorecardView says what the reader of a scorecard may see beyond the
// team's figures.
type scorecardView struct {
	// moods shows individual moods: only for the members' managers (and a
	// person's own scorecard, which shows their own mood).
	moods bool
}

// renderScorecard draws a scorecard: headline figures first, then goals by
// risk, then people, then blockers and kudos, each headline figure with its
// change from the previous period. Individual moods only with v.moods.
func (s *Service) renderScorecard(r *request, sc Scorecard, v scorecardView) Message {
	title := s.t(r, "scorecard_title", map[string]any{"Team": sc.TeamName, "Period": sc.Period})
	if sc.Person != "" {
		title = s.t(r, "scorecard_me_title", map[string]any{"Name": sc.Names[sc.Person], "Period": sc.Period})
	}
	msg := Message{Title: title}
	msg.Blocks = append(msg.Blocks,
		Context{Text: s.t(r, "sc_range", map[string]any{
			"From": sc.From.Format("2006-01-02"), "To": sc.To.AddDate(0, 0, -1).Format("2006-01-02"), "Zone": sc.From.Location().String()})},
		s.scorecardHeadline(r, sc, v))
	msg.Blocks = append(msg.Blocks, s.scorecardFlags(r, sc)...)
	msg.Blocks = append(msg.Blocks, s.scorecardGoalBlocks(r, sc)...)
	msg.Blocks = append(msg.Blocks, s.scorecardPeople(r, sc, v)...)
	msg.Blocks = append(msg.Blocks, s.scorecardBlockers(r, sc)...)
	msg.Blocks = append(msg.Blocks, s.scorecardRecentCheckIns(r, sc)...)
	msg.Blocks = append(msg.Blocks, s.scorecardKudos(r, sc)...)
	return msg
}

// scorecardHeadline shows the figures a manager reads first, with their change.
func (s *Service) scorecardHeadline(r *request, sc Scorecard, v scorecardView) Fields {
	h, p := sc.Headline, sc.Previous
	checkins := fmt.Sprintf("%d/%d %s", h.Answered, h.Expected, delta(h.Answered-p.Answered))
	if sc.Person != "" {
		checkins = s.personStatus(r, sc, sc.Person)
	}
	fields := Fields{
		{Label: s.t(r, "label_checkins", nil), Value: checkins},
		{Label: s.t(r, "label_updates", nil), Value: fmt.Sprintf("%d %s", h.Updates, delta(h.Updates-p.Updates))},
		// Kudos given and received apart, never summed (KudosCounts).
		{Label: s.t(r, "label_kudos", nil), Value: s.t(r, "sc_kudos_headline", map[string]any{
			"Given": h.KudosGiven, "Delta": delta(h.KudosGiven - p.KudosGiven), "Received": h.KudosReceived})},
	}
	if sc.Person != "" {
		fields[2].Value = s.t(r, "sc_kudos_given_received", map[string]any{"Given": h.KudosGiven, "Received": h.KudosReceived})
	}
	mood := s.t(r, "scorecard_mood_hidden", map[string]any{"Min": MinMoodAnswers})
	switch {
	case sc.Person != "" && h.MoodCount > 0 && v.moods:
		mood = fmt.Sprintf("%.0f/5", h.Mood)
		if p.MoodCount > 0 {
			mood += " " + deltaFloat(h.Mood-p.Mood)
		}
	case sc.Person != "":
		mood = "—"
	case h.MoodShown():
		mood = fmt.Sprintf("%.1f/5", h.Mood)
		if p.MoodShown() {
			mood += " " + deltaFloat(h.Mood-p.Mood)
		}
	}
	fields = append(fields, Field{Label: s.t(r, "label_mood", nil), Value: mood})
	if len(sc.Goals) > 0 {
		fields = append(fields,
			Field{Label: s.t(r, "sc_label_goals", nil), Value: s.t(r, "sc_goal_counts", map[string]any{
				"OffTrack": h.OffTrack, "AtRisk": h.AtRisk, "OnTrack": h.OnTrack, "Done": h.Done})},
			Field{Label: s.t(r, "sc_label_progress", nil), Value: fmt.Sprintf("%.0f%% %s", h.Progress, deltaFloat0(h.Progress-p.Progress))})
	}
	return fields
}

func delta(d int) string {
	if d == 0 {
		return "(±0)"
	}
	return fmt.Sprintf("(%+d)", d)
}

func deltaFloat(d float64) string {
	if fmt.Sprintf("%.1f", d) == "0.0" || fmt.Sprintf("%.1f", d) == "-0.0" {
		return "(±0)"
	}
	return fmt.Sprintf("(%+.1f)", d)
}

func deltaFloat0(d float64) string {
	if fmt.Sprintf("%.0f", d) == "0" || fmt.Sprintf("%.0f", d) == "-0" {
		return "(±0)"
	}
	return fmt.Sprintf("(%+.0f)", d)
}

// scorecardGoalBlocks lists goals most at risk first, each with baseline →
// value → target, pace, computed and stated status, roll-up and trend.
func (s *Service) scorecardGoalBlocks(r *request, sc Scorecard) []Block {
	blocks := []Block{Divider{}, Text{Text: s.t(r, "sc_goals", nil)}}
	if len(sc.Goals) == 0 {
		return append(blocks, Context{Text: s.t(r, "sc_goals_none", nil)})
	}
	for _, g := range sc.Goals {
		p := Progress{Label: g.ID + " " + g.Title, Percent: g.Progress, Pace: -1, Status: g.Computed}
		if p.Percent == 0 {
			p.Percent = 0 // not "-0%" for a goal that has not moved towards a lower target
		}
		var parts []string
		if !g.Metric.Milestone {
			parts = append(parts, FormatValue(g.Metric.Baseline, g.Metric.Unit)+" → "+FormatValue(g.Value, g.Metric.Unit)+" → "+FormatValue(g.Metric.Target, g.Metric.Unit))
		}
		if g.HasPace {
			p.Pace = g.Pace
			parts = append(parts, s.t(r, "goal_pace", map[string]any{"Pace": fmt.Sprintf("%.0f", g.Pace)}))
		}
		parts = append(parts, s.statusName(r, g.Computed))
		if g.Stated != "" && g.Stated != g.Computed && g.State == GoalOpen {
			parts = append(parts, s.t(r, "goal_stated", map[string]any{"Status": s.statusName(r, g.Stated)}))
		}
		if g.Children > 0 {
			parts = append(parts, s.t(r, "figures_rolled", map[string]any{"Percent": fmt.Sprintf("%.0f", g.Rolled), "N": g.Children}))
		}
		if spark := trendSparkline(g.Trend); spark != "" {
			parts = append(parts, s.t(r, "sc_trend", map[string]any{"Weeks": len(g.Trend), "Spark": spark}))
		}
		if owner := goalOwnerName(g.Goal, sc.Names); owner != "" {
			p.Label += " (" + owner + ")"
		}
		p.Detail = strings.Join(parts, " · ")
		blocks = append(blocks, p)
	}
	return blocks
}

func goalOwnerName(g Goal, names map[UserID]string) string {
	if g.OwnerTeam != "" {
		return g.OwnerTeam
	}
	if g.Owner == "" {
		return ""
	}
	if n := names[g.Owner]; n != "" {
		return n
	}
	return g.Owner.Local()
}

// trendSparkline draws progress over the weeks as eight-level blocks, "·" for
// weeks before the goal existed; empty when there is no history to draw.
func trendSparkline(points []TrendPoint) string {
	if len(points) < 2 {
		return ""
	}
	const levels = "▁▂▃▄▅▆▇█"
	bars := []rune(levels)
	var b strings.Builder
	for _, p := range points {
		if !p.OK {
			b.WriteRune('·')
			continue
		}
		v := p.Progress
		v = min(max(v, 0), 100)
		b.WriteRune(bars[int(v/100*float64(len(bars)-1)+0.5)])
	}
	return b.String()
}

// personStatus is one member's check-in state this period, with their streak.
func (s *Service) personStatus(r *request, sc Scorecard, id UserID) string {
	key := "sc_status_missing"
	switch {
	case !slices.Contains(sc.Answered, id) && !slices.Contains(sc.Skipped, id) && !slices.Contains(sc.Away, id) && !slices.Contains(sc.Missing, id):
		return "—" // not a member: managers owe no check-in
	case slices.Contains(sc.Answered, id):
		key = "sc_status_answered"
	case slices.Contains(sc.Skipped, id):
		key = "sc_status_skipped"
	case slices.Contains(sc.Away, id):
		key = "sc_status_away"
	}
	out := s.t(r, key, nil)
	if n := sc.Streaks[id]; n > 1 {
		streakKey := "sc_streak"
		if n >= TrendWeeks {
			streakKey = "sc_streak_max"
		}
		out += " · " + s.t(r, streakKey, map[string]any{"Weeks": n})
	}
	return out
}

// scorecardPeople has one line per member: check-in, streak, updates,
// kudos and, for those allowed to see it, mood.
func (s *Service) scorecardPeople(r *request, sc Scorecard, v scorecardView) []Block {
	if sc.Person != "" {
		return nil
	}
	ids := append(append(append(append([]UserID{}, sc.Missing...), sc.Skipped...), sc.Answered...), sc.Away...)
	if len(ids) == 0 {
		return nil
	}
	lines := make([]string, 0, len(ids))
	for _, id := range ids {
		parts := []string{s.personStatus(r, sc, id),
			s.t(r, "sc_person_updates", map[string]any{"N": sc.Updates[id]}),
			s.t(r, "sc_person_kudos", map[string]any{"Received": sc.KudosReceived[id], "Given": sc.KudosGiven[id]})}
		if m, ok := sc.Moods[id]; ok && v.moods && sc.MoodShown() {
			parts = append(parts, s.t(r, "sc_person_mood", map[string]any{"Mood": m}))
		}
		lines = append(lines, "• "+sc.Names[id]+" — "+strings.Join(parts, " · "))
	}
	return []Block{Divider{}, Text{Text: s.t(r, "sc_people", nil) + "\n" + strings.Join(lines, "\n")}}
}

// scorecardBlockers lists open blockers, the longest-standing first.
func (s *Service) scorecardBlockers(r *request, sc Scorecard) []Block {
	if len(sc.Blockers) == 0 {
		return nil
	}
	lines := make([]string, 0, len(sc.Blockers))
	for _, b := range sc.Blockers {
		age := s.t(r, "sc_blocker_new", nil)
		if b.Weeks > 1 {
			age = s.t(r, "sc_blocker_age", map[string]any{"Weeks": b.Weeks})
		}
		lines = append(lines, "• "+sc.Names[b.Person]+": "+b.Text+" ("+age+")")
	}
	return []Block{Divider{}, Text{Text: s.t(r, "scorecard_blockers", nil) + "\n" + strings.Join(lines, "\n")}}
}

// scorecardKudos shows who received kudos, the values named, and kudos that crossed teams.
func (s *Service) scorecardKudos(r *request, sc Scorecard) []Block {
	if len(sc.KudosReceived) == 0 && len(sc.CrossTeam) == 0 {
		return nil
	}
	received := keys(sc.KudosReceived)
	sort.SliceStable(received, func(i, j int) bool { return sc.KudosReceived[received[i]] > sc.KudosReceived[received[j]] })
	var lines []string
	for _, id := range received {
		lines = append(lines, fmt.Sprintf("• %s: %d", sc.Names[id], sc.KudosReceived[id]))
	}
	text := s.t(r, "scorecard_kudos", nil) + "\n" + strings.Join(lines, "\n")
	if len(sc.Values) > 0 {
		vals := make([]string, 0, len(sc.Values))
		for v, n := range sc.Values {
			vals = append(vals, fmt.Sprintf("#%s ×%d", v, n))
		}
		sort.Strings(vals)
		text += "\n" + s.t(r, "kudos_values", map[string]any{"Values": strings.Join(vals, " ")})
	}
	blocks := []Block{Divider{}, Text{Text: text}}
	if len(sc.CrossTeam) > 0 {
		blocks = append(blocks, Context{Text: s.t(r, "sc_kudos_cross", map[string]any{"N": len(sc.CrossTeam), "Names": joinNames(sc.Names, sc.Outsiders)})})
	}
	return blocks
}

func keys(m map[UserID]int) []UserID {
	out := make([]UserID, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
