package console

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/pulse-bot/pulse/bot"
)

// inlineLimit is the largest text file printed in the terminal; anything
// bigger, and every binary file (the scorecard chart), is saved instead.
const inlineLimit = 16 << 10

var _ bot.FileSender = (*Console)(nil)

// SendFile shows a file Pulse sends on its own (the digest's chart) under
// the same heading as Send: a small text file inline, anything else saved
// to a file whose path is printed. A key seen before does nothing again.
func (c *Console) SendFile(_ context.Context, to bot.Address, f bot.File, key string) (bot.MessageRef, error) {
	return c.post(to, c.cfg.Locale, key, func() string { return c.fileText(f) }), nil
}

// printFile shows a reply's attachment, as SendFile does.
func (c *Console) printFile(f bot.File) {
	c.println(c.fileText(f))
}

// fileText is what the terminal shows for a file: a small text file (a CSV
// or JSON export) with its content, since a terminal has no downloads;
// anything else is written to a file in FileDir and its path is shown.
func (c *Console) fileText(f bot.File) string {
	if isText(f.MIME) && len(f.Data) <= inlineLimit {
		return c.text("file", "name", f.Name, "size", strconv.Itoa(len(f.Data))) + "\n" + strings.TrimRight(string(f.Data), "\n")
	}
	path, err := saveFile(c.cfg.FileDir, f)
	if err != nil {
		return c.text("file_save_failed", "name", f.Name, "size", c.humanSize(len(f.Data)), "error", err.Error())
	}
	return c.text("file_saved", "name", f.Name, "size", c.humanSize(len(f.Data)), "path", path)
}

func isText(mime string) bool {
	return strings.HasPrefix(mime, "text/") || strings.HasPrefix(mime, "application/json")
}

// saveFile writes f to a new file in dir (os.TempDir() when empty), named
// after f with a random part and f's extension kept, so the system opens
// it with the right program and two saves never overwrite each other.
func saveFile(dir string, f bot.File) (string, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	name := safeName(filepath.Base(f.Name))
	ext := filepath.Ext(name)
	pattern := "pulse-" + strings.TrimSuffix(name, ext) + "-*" + ext
	out, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", fmt.Errorf("create a file for %s: %w", f.Name, err)
	}
	if _, err := out.Write(f.Data); err != nil {
		out.Close()
		return "", fmt.Errorf("write %s: %w", out.Name(), err)
	}
	if err := out.Close(); err != nil {
		return "", fmt.Errorf("write %s: %w", out.Name(), err)
	}
	return out.Name(), nil
}

// safeName keeps letters, digits, dots, dashes and underscores of a file
// name (Chinese team names stay readable) and turns the rest into dashes.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, s)
	s = strings.Trim(s, ".-")
	if s == "" {
		return "file"
	}
	return s
}

// humanSize writes a size the way file managers do: "512 bytes", "54 KB", "1.3 MB".
func (c *Console) humanSize(n int) string {
	switch {
	case n < 1024:
		return c.text("bytes", "n", strconv.Itoa(n))
	case n < 1024*1024:
		return strconv.Itoa((n+512)/1024) + " KB"
	default:
		return strconv.FormatFloat(float64(n)/(1024*1024), 'f', 1, 64) + " MB"
	}
}

// Retract shows that Pulse took back a message it posted (an undone
// kudos's DM or channel post), as a chat would by removing it.
func (c *Console) Retract(_ context.Context, ref bot.MessageRef) error {
	c.println(c.text("retracted", "channel", ref.Channel))
	return nil
}
