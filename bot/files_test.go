package bot_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
)

// fileMessenger is a Messenger that can also send files (a FileSender). It
// records every call; err, when set, fails SendFile.
type fileMessenger struct {
	mu    sync.Mutex
	sends []sent
	files []sentFile
	err   error
}

type sentFile struct {
	to   bot.Address
	file bot.File
	key  string
}

func (m *fileMessenger) Send(_ context.Context, to bot.Address, msg bot.Message, key string) (bot.MessageRef, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sends = append(m.sends, sent{to: to, msg: msg, key: key})
	return bot.MessageRef{Platform: to.Platform, Channel: to.Channel, ID: "m1"}, nil
}

func (m *fileMessenger) SendFile(_ context.Context, to bot.Address, f bot.File, key string) (bot.MessageRef, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return bot.MessageRef{}, m.err
	}
	m.files = append(m.files, sentFile{to: to, file: f, key: key})
	return bot.MessageRef{Platform: to.Platform, Channel: to.Channel, ID: "f1"}, nil
}

var _ bot.FileSender = (*fileMessenger)(nil)

// stubChart draws a fixed "PNG" and remembers the locale it was asked for.
type stubChart struct {
	locale bot.Locale
	err    error
}

var stubPNG = []byte("\x89PNG\r\n\x1a\nstub chart")

func (c *stubChart) ScorecardChart(_ bot.Scorecard, _ []bot.Scorecard, l bot.Locale) ([]byte, error) {
	c.locale = l
	return stubPNG, c.err
}

// serviceWith builds a second service on the harness's store that sends
// through m, so the seeded team and history are shared.
func serviceWith(t *testing.T, h *harness, m bot.Messenger, chart bot.ChartRenderer) *bot.Service {
	t.Helper()
	svc, err := bot.NewService(bot.Config{Store: h.store, Messenger: m, Clock: h.clock, Log: zerolog.Nop(), Admins: []bot.UserID{admin}})
	if err != nil {
		t.Fatal(err)
	}
	if chart != nil {
		svc.SetChartRenderer(chart)
	}
	return svc
}

func planDigest(t *testing.T, svc *bot.Service) bot.Delivery {
	t.Helper()
	ds, err := svc.PlanJob(context.Background(), bot.JobRequest{Job: bot.JobScorecardDigest, TeamID: "growth", At: at(2026, 11, 27, 16, 0)})
	if err != nil || len(ds) != 1 {
		t.Fatalf("plan digest: %v %v", ds, err)
	}
	return ds[0]
}

// TestDigestCarriesChartAndDeliverSendsItOnce checks the weekly digest
// attaches the same chart as /scorecard and Deliver posts it once, after
// the message, to the team channel, with a key of its own.
func TestDigestCarriesChartAndDeliverSendsItOnce(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)
	out := &fileMessenger{}
	chart := &stubChart{}
	svc := serviceWith(t, h, out, chart)

	d := planDigest(t, svc)
	if d.File == nil || d.File.Name != "scorecard-growth-2026-W48.png" || d.File.MIME != "image/png" || string(d.File.Data) != string(stubPNG) {
		t.Fatalf("digest file %+v, want the chart scorecard-growth-2026-W48.png", d.File)
	}
	if chart.locale != bot.English {
		t.Errorf("chart drawn in %q, want the team's language", chart.locale)
	}
	mustContain(t, bot.PlainText(d.Msg), "Scorecard of Growth, 2026-W48", "Mood: 4.0/5")

	if err := svc.Deliver(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if len(out.sends) != 1 || len(out.files) != 1 {
		t.Fatalf("%d messages and %d files sent, want 1 and 1", len(out.sends), len(out.files))
	}
	f := out.files[0]
	if f.key != "digest:growth:2026-W48:file" || f.key == out.sends[0].key {
		t.Errorf("file key %q (message key %q)", f.key, out.sends[0].key)
	}
	if f.to != out.sends[0].to || f.to.Channel == "" || f.file.Name != d.File.Name {
		t.Errorf("file went to %+v as %q; the message went to %+v", f.to, f.file.Name, out.sends[0].to)
	}
}

// TestDigestWithoutChartRendererHasNoFile checks a text-only service plans
// a text-only digest.
func TestDigestWithoutChartRendererHasNoFile(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)
	out := &fileMessenger{}
	svc := serviceWith(t, h, out, nil)
	d := planDigest(t, svc)
	if d.File != nil {
		t.Fatalf("file %+v without a chart renderer", d.File)
	}
	if err := svc.Deliver(context.Background(), d); err != nil || len(out.files) != 0 {
		t.Fatalf("deliver: %v, %d files", err, len(out.files))
	}
}

// TestDigestChartFailureStillPostsText checks a chart that fails to draw
// leaves the digest as text.
func TestDigestChartFailureStillPostsText(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)
	svc := serviceWith(t, h, &fileMessenger{}, &stubChart{err: errors.New("no font")})
	if d := planDigest(t, svc); d.File != nil || d.Msg.IsZero() {
		t.Fatalf("digest %+v", d)
	}
}

// TestDeliverSkipsFileWithoutFileSender checks a messenger that cannot send
// files still gets the message, and the file is skipped, not an error;
// through a Router too, whose platform messenger lacks the capability.
func TestDeliverSkipsFileWithoutFileSender(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)
	for name, m := range map[string]bot.Messenger{
		"plain":  &recordingMessenger{},
		"router": bot.Router{bot.PlatformConsole: &recordingMessenger{}},
	} {
		svc := serviceWith(t, h, m, &stubChart{})
		d := planDigest(t, svc)
		if err := svc.Deliver(context.Background(), d); err != nil {
			t.Errorf("%s: deliver: %v", name, err)
		}
	}
}

// TestDeliverReturnsFailedUpload checks a failed upload fails the delivery
// (the scheduler retries it; the keys keep the message from posting twice).
func TestDeliverReturnsFailedUpload(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)
	out := &fileMessenger{err: errors.New("upload refused")}
	svc := serviceWith(t, h, out, &stubChart{})
	err := svc.Deliver(context.Background(), planDigest(t, svc))
	if err == nil || !errors.Is(err, out.err) {
		t.Fatalf("deliver error %v, want the upload's", err)
	}
}

// TestRouterSendFile checks the router forwards files to a platform's
// messenger that can send them and says clearly when it cannot.
func TestRouterSendFile(t *testing.T) {
	files := &fileMessenger{}
	r := bot.Router{bot.PlatformSlack: files, bot.PlatformConsole: &recordingMessenger{}}
	f := bot.File{Name: "a.png", MIME: "image/png", Data: stubPNG}
	if _, err := r.SendFile(context.Background(), bot.Address{Platform: bot.PlatformSlack, Channel: "C1"}, f, "k"); err != nil || len(files.files) != 1 {
		t.Fatalf("slack: %v, %d files", err, len(files.files))
	}
	var nf *bot.NoFileSenderError
	if _, err := r.SendFile(context.Background(), bot.Address{Platform: bot.PlatformConsole, Channel: "team"}, f, "k"); !errors.As(err, &nf) {
		t.Errorf("console without files: %v", err)
	}
	var nm *bot.NoMessengerError
	if _, err := r.SendFile(context.Background(), bot.Address{Platform: bot.PlatformFeishu, Channel: "oc_1"}, f, "k"); !errors.As(err, &nm) {
		t.Errorf("no feishu messenger: %v", err)
	}
}
