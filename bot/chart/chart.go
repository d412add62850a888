// Package chart draws a scorecard as a PNG with github.com/go-analyze/charts:
// goal progress against pace as horizontal bars, and participation and mood
// over the scorecard's weeks as lines. Text is drawn with an embedded subset
// of WenQuanYi Micro Hei (see fonts/README.md), so Chinese names and labels
// render as characters, not boxes. It implements bot.ChartRenderer; the core
// never imports it, cmd/pulse wires it in.
package chart

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/go-analyze/charts"
	"github.com/golang/freetype/truetype"

	"github.com/pulse-bot/pulse/bot"
)

//go:embed fonts/wqy-microhei-gb2312.ttf.gz
var fontGzip []byte

// Layout of the picture, in pixels.
const (
	width        = 960
	titleHeight  = 50
	goalRow      = 34
	goalsMin     = 170
	weeksHeight  = 320
	maxGoals     = 12
	maxLabelRune = 22
)

// Renderer draws scorecard charts. It is safe for concurrent use: each
// chart gets its own painter, and the font is read-only once parsed.
type Renderer struct {
	catalog *bot.Catalog
	font    *truetype.Font
}

var _ bot.ChartRenderer = (*Renderer)(nil)

// New parses the embedded font once and returns a Renderer that labels
// charts through the catalogue, in the reader's language.
func New(c *bot.Catalog) (*Renderer, error) {
	if c == nil {
		return nil, fmt.Errorf("new chart renderer: a catalogue is required")
	}
	zr, err := gzip.NewReader(bytes.NewReader(fontGzip))
	if err != nil {
		return nil, fmt.Errorf("new chart renderer: open font: %w", err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("new chart renderer: read font: %w", err)
	}
	f, err := truetype.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("new chart renderer: parse font: %w", err)
	}
	return &Renderer{catalog: c, font: f}, nil
}

// ScorecardChart draws sc's goals against pace (most at risk first, at most
// maxGoals) above the participation and mood of history and sc, oldest first.
func (r *Renderer) ScorecardChart(sc bot.Scorecard, history []bot.Scorecard, l bot.Locale) ([]byte, error) {
	goals := sc.Goals
	if len(goals) > maxGoals {
		goals = goals[:maxGoals]
	}
	goalsHeight := max(goalsMin, 90+goalRow*len(goals))
	height := titleHeight + goalsHeight + weeksHeight
	p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputPNG, Width: width, Height: height},
		charts.PainterFontOption(r.font))
	p.FilledRect(0, 0, width, height, charts.ColorWhite, charts.ColorWhite, 0)
	name := sc.TeamName
	if sc.Person != "" {
		name = sc.Names[sc.Person]
	}
	title := r.catalog.T(l, "sc_chart_title", map[string]any{"Team": name, "Period": sc.Period})
	p.Text(title, 20, 34, 0, charts.FontStyle{FontSize: 18, FontColor: charts.ColorBlack, Font: r.font})
	top := p.Child(charts.PainterBoxOption(charts.NewBox(0, titleHeight, width, titleHeight+goalsHeight)))
	if err := r.drawGoals(top, goals, l); err != nil {
		return nil, fmt.Errorf("draw goals of %s %s: %w", sc.TeamID, sc.Period, err)
	}
	bottom := p.Child(charts.PainterBoxOption(charts.NewBox(0, titleHeight+goalsHeight, width, height)))
	if err := r.drawWeeks(bottom, sc, history, l); err != nil {
		return nil, fmt.Errorf("draw weeks of %s %s: %w", sc.TeamID, sc.Period, err)
	}
	png, err := p.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode chart of %s %s: %w", sc.TeamID, sc.Period, err)
	}
	return png, nil
}

// drawGoals draws one pair of bars per goal: rolled-up progress and pace.
func (r *Renderer) drawGoals(p *charts.Painter, goals []bot.GoalCard, l bot.Locale) error {
	heading := r.catalog.T(l, "sc_chart_goals", nil)
	if len(goals) == 0 {
		p.Text(heading, 20, 30, 0, charts.FontStyle{FontSize: 14, FontColor: charts.ColorBlack, Font: r.font})
		p.Text(r.catalog.T(l, "sc_chart_no_goals", nil), 20, 80, 0, charts.FontStyle{FontSize: 13, FontColor: charts.ColorGray, Font: r.font})
		return nil
	}
	// The bar chart draws its first category at the bottom; list the most
	// at-risk goal last so it appears on top.
	n := len(goals)
	labels := make([]string, n)
	progress := make([]float64, n)
	pace := make([]float64, n)
	for i, g := range goals {
		j := n - 1 - i
		labels[j] = shorten(g.ID + " " + g.Title)
		progress[j] = clamp(g.Progress)
		pace[j] = charts.GetNullValue()
		if g.HasPace {
			pace[j] = clamp(g.Pace)
		}
	}
	opt := charts.NewBarChartOptionWithData([][]float64{progress, pace})
	opt.Horizontal = true
	opt.Padding = charts.Box{Top: 10, Right: 40, Bottom: 10, Left: 20}
	opt.Title = charts.TitleOption{Text: heading, FontStyle: charts.FontStyle{FontSize: 14, Font: r.font}}
	opt.Legend = charts.LegendOption{
		SeriesNames: []string{r.catalog.T(l, "sc_chart_progress", nil), r.catalog.T(l, "sc_chart_pace", nil)},
		Offset:      charts.OffsetRight, FontStyle: charts.FontStyle{FontSize: 12, Font: r.font},
	}
	opt.CategoryAxis = charts.CategoryAxisOption{Labels: labels, LabelFontStyle: charts.FontStyle{FontSize: 12, Font: r.font}}
	opt.ValueAxis = []charts.ValueAxisOption{{Min: charts.Ptr(0.0), Max: charts.Ptr(100.0), Unit: 20,
		LabelFontStyle: charts.FontStyle{FontSize: 11, Font: r.font}}}
	opt.SeriesLabelPosition = "right"
	for i := range opt.SeriesList {
		opt.SeriesList[i].Label.Show = charts.Ptr(true)
		opt.SeriesList[i].Label.FontStyle = charts.FontStyle{FontSize: 10, Font: r.font}
		opt.SeriesList[i].Label.ValueFormatter = func(v float64) string { return fmt.Sprintf("%.0f%%", v) }
	}
	return p.BarChart(opt)
}

// drawWeeks draws participation (left axis, percent) and mood (right axis,
// 1–5; gaps where fewer than bot.MinMoodAnswers answered) over the weeks.
func (r *Renderer) drawWeeks(p *charts.Painter, sc bot.Scorecard, history []bot.Scorecard, l bot.Locale) error {
	weeks := sc.Weeks
	if len(weeks) == 0 {
		for _, h := range append(append([]bot.Scorecard{}, history...), sc) {
			weeks = append(weeks, bot.WeekFigures{Period: h.Period, Answered: h.Headline.Answered,
				Expected: h.Headline.Expected, Mood: h.Headline.Mood, MoodCount: h.Headline.MoodCount})
		}
	}
	labels := make([]string, len(weeks))
	part := make([]float64, len(weeks))
	mood := make([]float64, len(weeks))
	for i, w := range weeks {
		labels[i] = weekLabel(w.Period)
		part[i] = w.Participation()
		mood[i] = charts.GetNullValue()
		if w.MoodShown() || (sc.Person != "" && w.MoodCount > 0) {
			mood[i] = w.Mood
		}
	}
	opt := charts.NewLineChartOptionWithData([][]float64{part, mood})
	opt.Padding = charts.Box{Top: 10, Right: 20, Bottom: 10, Left: 20}
	opt.Title = charts.TitleOption{Text: r.catalog.T(l, "sc_chart_weeks", map[string]any{"Weeks": len(weeks)}),
		FontStyle: charts.FontStyle{FontSize: 14, Font: r.font}}
	opt.Legend = charts.LegendOption{
		SeriesNames: []string{r.catalog.T(l, "sc_chart_participation", nil), r.catalog.T(l, "sc_chart_mood", nil)},
		Offset:      charts.OffsetRight, FontStyle: charts.FontStyle{FontSize: 12, Font: r.font},
	}
	opt.XAxis = charts.XAxisOption{Labels: labels, LabelFontStyle: charts.FontStyle{FontSize: 11, Font: r.font}}
	opt.SeriesList[1].YAxisIndex = 1
	opt.YAxis = []charts.YAxisOption{
		{Min: charts.Ptr(0.0), Max: charts.Ptr(100.0), LabelFontStyle: charts.FontStyle{FontSize: 11, Font: r.font}},
		{Min: charts.Ptr(1.0), Max: charts.Ptr(5.0), LabelFontStyle: charts.FontStyle{FontSize: 11, Font: r.font}},
	}
	opt.LineStrokeWidth = 2.5
	return p.LineChart(opt)
}

// weekLabel shortens "2026-W48" to "W48".
func weekLabel(period string) string {
	if i := strings.Index(period, "-"); i >= 0 {
		return period[i+1:]
	}
	return period
}

// shorten keeps a goal label to maxLabelRune characters.
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= maxLabelRune {
		return s
	}
	return string([]rune(s)[:maxLabelRune-1]) + "…"
}

func clamp(v float64) float64 { return min(max(v, 0), 100) }
