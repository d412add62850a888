package chart_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/chart"
)

// sampleScorecard is a team scorecard with Chinese names and goal titles,
// eight weeks of participation and a week with too few moods to show.
func sampleScorecard() (bot.Scorecard, []bot.Scorecard) {
	wang := bot.NewUserID(bot.PlatformFeishu, "t1", "ou_wang")
	sc := bot.Scorecard{TeamID: "增长组", TeamName: "增长组", Period: "2026-W48",
		From: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		Names: map[bot.UserID]string{wang: "王小明"}}
	goals := []struct {
		id, title       string
		rolled, pace    float64
		status          bot.Status
		hasPace, closed bool
	}{
		{"G3", "新用户转化率提升到百分之三", 20, 60, bot.OffTrack, true, false},
		{"G7", "结账页加载时间降到一秒以内", 45, 58, bot.AtRisk, true, false},
		{"G2", "Raise checkout conversion", 70, 55, bot.OnTrack, true, false},
		{"G9", "客服满意度", 100, 0, bot.Done, false, true},
	}
	for _, g := range goals {
		sc.Goals = append(sc.Goals, bot.GoalCard{Goal: bot.Goal{ID: g.id, Title: g.title, Owner: wang},
			Rolled: g.rolled, Pace: g.pace, HasPace: g.hasPace, Computed: g.status})
	}
	var history []bot.Scorecard
	for i := 0; i < bot.TrendWeeks; i++ {
		w := bot.WeekFigures{Period: fmt.Sprintf("2026-W%02d", 41+i), Answered: 4 + i%3, Expected: 7,
			Mood: 3 + float64(i%4)*0.4, MoodCount: 4 + i%3}
		if i == 2 {
			w.MoodCount = 2 // hidden: fewer than MinMoodAnswers
		}
		sc.Weeks = append(sc.Weeks, w)
		if i < bot.TrendWeeks-1 {
			history = append(history, bot.Scorecard{Period: w.Period})
		}
	}
	return sc, history
}

func newRenderer(t *testing.T) *chart.Renderer {
	t.Helper()
	c, err := bot.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	r, err := chart.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestChineseChartIsAPNGWithInk decodes the chart drawn with Chinese labels,
// checks its size and that it is not blank, and writes it to
// /tmp/pulse-scorecard-zh.png for a person to look at.
func TestChineseChartIsAPNGWithInk(t *testing.T) {
	r := newRenderer(t)
	sc, history := sampleScorecard()
	data, err := r.ScorecardChart(sc, history, bot.Chinese)
	if err != nil {
		t.Fatal(err)
	}
	img := mustDecode(t, data)
	if b := img.Bounds(); b.Dx() != 960 || b.Dy() < 500 {
		t.Fatalf("chart is %v, want 960 wide and at least 500 high", b)
	}
	if dark := darkShare(img); dark < 0.01 {
		t.Fatalf("only %.4f of the pixels are drawn on: the chart looks blank", dark)
	}
	if err := os.WriteFile("/tmp/pulse-scorecard-zh.png", data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestChartOfEmptyWeekStillDraws covers a team with no goals and no answers.
func TestChartOfEmptyWeekStillDraws(t *testing.T) {
	r := newRenderer(t)
	sc := bot.Scorecard{TeamID: "growth", TeamName: "Growth", Period: "2026-W48"}
	for i := 0; i < bot.TrendWeeks; i++ {
		sc.Weeks = append(sc.Weeks, bot.WeekFigures{Period: fmt.Sprintf("2026-W%02d", 41+i)})
	}
	data, err := r.ScorecardChart(sc, nil, bot.English)
	if err != nil {
		t.Fatal(err)
	}
	img := mustDecode(t, data)
	if dark := darkShare(img); dark == 0 {
		t.Fatal("the empty-week chart has no ink at all")
	}
}

func mustDecode(t *testing.T, data []byte) image.Image {
	t.Helper()
	cfgImg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || format != "png" {
		t.Fatalf("chart is not a PNG (format %q): %v", format, err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != cfgImg.Width {
		t.Fatalf("decoded width %d, header says %d", img.Bounds().Dx(), cfgImg.Width)
	}
	return img
}

// darkShare is the share of pixels clearly darker than the white background.
func darkShare(img image.Image) float64 {
	b := img.Bounds()
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g := color.GrayModel.Convert(img.At(x, y)).(color.Gray)
			if g.Y < 200 {
				dark++
			}
		}
	}
	return float64(dark) / float64(b.Dx()*b.Dy())
}
