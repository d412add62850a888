package console

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

// chart is a binary attachment of 54 KB.
func chart() bot.File {
	data := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 54*1024-8)...)
	return bot.File{Name: "scorecard-growth-2026-W48.png", MIME: "image/png", Data: data}
}

var savedLine = regexp.MustCompile(`📎 saved scorecard-growth-2026-W48\.png \(54 KB\) to (\S+)`)

// savedPath finds the printed path and checks the file holds f's bytes.
func savedPath(t *testing.T, out, dir string, f bot.File) string {
	t.Helper()
	m := savedLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no saved-file line in:\n%s", out)
	}
	path := m[1]
	if filepath.Dir(path) != dir || !strings.HasPrefix(filepath.Base(path), "pulse-scorecard-growth-2026-W48-") || filepath.Ext(path) != ".png" {
		t.Fatalf("path %s: want pulse-scorecard-growth-2026-W48-*.png in %s", path, dir)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, f.Data) {
		t.Fatalf("saved file: %v, %d bytes, want %d", err, len(got), len(f.Data))
	}
	return path
}

func TestRunSavesBinaryFileAndPrintsPath(t *testing.T) {
	dir := t.TempDir()
	f := chart()
	rec := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		return bot.Response{Reply: bot.Message{Blocks: []bot.Block{bot.Text{Text: "Scorecard of Growth"}}}, File: &f}, nil
	}}
	c, out := newTestConsole("/scorecard team growth\n/scorecard team growth", rec, func(cfg *Config) { cfg.FileDir = dir })
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	first := savedPath(t, out.String(), dir, f)
	if strings.Contains(out.String(), "\x89PNG") {
		t.Fatal("binary bytes were printed")
	}
	// A second scorecard never overwrites the first file.
	all := savedLine.FindAllStringSubmatch(out.String(), -1)
	if len(all) != 2 || all[1][1] == first {
		t.Fatalf("saves %v: want two distinct files", all)
	}
}

func TestLargeTextFileIsSavedNotPrinted(t *testing.T) {
	dir := t.TempDir()
	big := bot.File{Name: "growth 增长/2026.csv", MIME: "text/csv; charset=utf-8", Data: bytes.Repeat([]byte("goal,G1,提高转化率\n"), 2000)}
	rec := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) { return bot.Response{File: &big}, nil }}
	c, out := newTestConsole("/scorecard export csv", rec, func(cfg *Config) { cfg.FileDir = dir; cfg.Locale = bot.Chinese })
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`📎 已将 growth 增长/2026\.csv（(\d+) KB）保存到 (\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no saved line:\n%s", out.String())
	}
	if base := filepath.Base(m[2]); filepath.Dir(m[2]) != dir || !strings.HasPrefix(base, "pulse-2026-") || !strings.HasSuffix(base, ".csv") {
		t.Fatalf("path %s", m[2])
	}
	if strings.Count(out.String(), "提高转化率") != 0 {
		t.Fatal("a large file was printed inline")
	}
}

func TestSendFileShowsDigestChartOncePerKey(t *testing.T) {
	dir := t.TempDir()
	c, out := newTestConsole("", echo(), func(cfg *Config) { cfg.FileDir = dir })
	var fs bot.FileSender = c
	to := bot.Address{Platform: bot.PlatformConsole, Channel: "growth"}
	f := chart()
	ref, err := fs.SendFile(context.Background(), to, f, "digest:growth:2026-W48:file")
	if err != nil {
		t.Fatal(err)
	}
	again, err := fs.SendFile(context.Background(), to, f, "digest:growth:2026-W48:file")
	if err != nil || again != ref || ref.Channel != "growth" {
		t.Fatalf("refs %+v %+v %v", ref, again, err)
	}
	if !strings.HasPrefix(out.String(), "→ #growth:\n  📎 saved scorecard-growth-2026-W48.png (54 KB) to ") {
		t.Fatalf("output:\n%s", out.String())
	}
	savedPath(t, out.String(), dir, f)
	if n := len(savedLine.FindAllString(out.String(), -1)); n != 1 {
		t.Fatalf("%d saves for one key", n)
	}
	// A small text file to a person is shown inline under the DM heading.
	small := bot.File{Name: "me.json", MIME: "application/json", Data: []byte(`{"goals":[]}`)}
	if _, err := fs.SendFile(context.Background(), bot.Address{Platform: bot.PlatformConsole, User: "console:demo:bob"}, small, ""); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "→ DM to bob:\n  📎 me.json (12 bytes):\n  {\"goals\":[]}\n") {
		t.Fatalf("output:\n%s", out.String())
	}
}

func TestSaveFailureIsShown(t *testing.T) {
	c, out := newTestConsole("", echo(), func(cfg *Config) { cfg.FileDir = filepath.Join(t.TempDir(), "missing") })
	c.printFile(chart())
	if !strings.Contains(out.String(), "📎 scorecard-growth-2026-W48.png (54 KB) could not be saved: ") {
		t.Fatalf("output:\n%s", out.String())
	}
}

func TestHumanSizeAndSafeName(t *testing.T) {
	en, _ := newTestConsole("", echo(), nil)
	zh, _ := newTestConsole("", echo(), func(cfg *Config) { cfg.Locale = bot.Chinese })
	for n, want := range map[int]string{0: "0 bytes", 1023: "1023 bytes", 1024: "1 KB", 55296: "54 KB", 3 << 20: "3.0 MB"} {
		if got := en.humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
	if got := zh.humanSize(12); got != "12 字节" {
		t.Errorf("Chinese size %q", got)
	}
	for in, want := range map[string]string{"a b*c.png": "a-b-c.png", "增长.csv": "增长.csv", "..": "file", "": "file"} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}
