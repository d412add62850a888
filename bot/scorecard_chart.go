package bot

// ChartRenderer draws a scorecard as a PNG: goal progress against pace, and
// participation and mood over the weeks of history. The core only asks for
// the picture; the bot/chart package draws it, and cmd/pulse wires it in, so
// the core imports no drawing or font code.
type ChartRenderer interface {
	// ScorecardChart returns PNG bytes for sc, with history the scorecards
	// of the weeks before it (oldest first), labelled in l.
	ScorecardChart(sc Scorecard, history []Scorecard, l Locale) ([]byte, error)
}

// SetChartRenderer lets on-demand scorecards carry a chart as Response.File.
// Without one, scorecards are text only. Call it before serving events.
func (s *Service) SetChartRenderer(r ChartRenderer) { s.chart = r }
