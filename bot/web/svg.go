package web

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// point is one value of a series; OK false leaves a gap (a week with no
// figure, such as a mood below the answer floor).
type point struct {
	Label string
	Value float64
	OK    bool
}

// Chart size in SVG user units; the stylesheet scales it to the page.
const (
	chartWidth  = 640
	chartHeight = 180
	chartPad    = 32
)

// chart is a drawn chart with its caption.
type chart struct {
	Title string
	SVG   template.HTML
}

// lineChart draws a series as an SVG line with dots, labelled for screen
// readers by title and summary. Each dot is also a distinct shape and the
// page shows the same figures in a table, so nothing depends on colour.
// yMax <= 0 scales to the data. Axis labels are bare numbers: the title
// names the unit. The SVG is built from numbers and escaped
// labels only.
func lineChart(title, summary string, points []point, yMax float64) chart {
	if yMax <= 0 {
		for _, p := range points {
			if p.OK && p.Value > yMax {
				yMax = p.Value
			}
		}
		if yMax <= 0 {
			yMax = 1
		}
		yMax = niceCeil(yMax)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s"><title>%s</title><desc>%s</desc>`,
		chartWidth, chartHeight, html.EscapeString(title), html.EscapeString(title), html.EscapeString(summary))
	plotW, plotH := float64(chartWidth-2*chartPad), float64(chartHeight-2*chartPad)
	// Axes and the top and middle gridlines with their values.
	for _, f := range []float64{0, 0.5, 1} {
		y := float64(chartPad) + plotH*(1-f)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, chartPad, y, chartWidth-chartPad, y)
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%s</text>`, chartPad-4, y+4, html.EscapeString(formatAxis(yMax*f)))
	}
	n := len(points)
	x := func(i int) float64 {
		if n <= 1 {
			return float64(chartPad) + plotW/2
		}
		return float64(chartPad) + plotW*float64(i)/float64(n-1)
	}
	y := func(v float64) float64 {
		v = math.Max(0, math.Min(v, yMax))
		return float64(chartPad) + plotH*(1-v/yMax)
	}
	var path []string
	for i, p := range points {
		if !p.OK {
			if len(path) > 1 {
				fmt.Fprintf(&b, `<polyline class="line" points="%s"/>`, strings.Join(path, " "))
			}
			path = path[:0]
			continue
		}
		path = append(path, fmt.Sprintf("%.1f,%.1f", x(i), y(p.Value)))
	}
	if len(path) > 1 {
		fmt.Fprintf(&b, `<polyline class="line" points="%s"/>`, strings.Join(path, " "))
	}
	for i, p := range points {
		if p.OK {
			fmt.Fprintf(&b, `<rect class="dot" x="%.1f" y="%.1f" width="6" height="6"><title>%s: %s</title></rect>`,
				x(i)-3, y(p.Value)-3, html.EscapeString(p.Label), html.EscapeString(formatAxis(p.Value)))
		}
	}
	if n > 0 {
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="start">%s</text>`, x(0), chartHeight-8, html.EscapeString(points[0].Label))
		if n > 1 {
			fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="end">%s</text>`, x(n-1), chartHeight-8, html.EscapeString(points[n-1].Label))
		}
	}
	b.WriteString(`</svg>`)
	return chart{Title: title, SVG: template.HTML(b.String())} // #nosec: built from numbers and escaped text only
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten, for a readable axis.
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// formatAxis writes a value with at most one decimal; the caption names the unit.
func formatAxis(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(strings.TrimSuffix(s, "0"), ".")
}
