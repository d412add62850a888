package bot_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

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
	out := &bottest.FileMessenger{}
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
	sends, files := out.Sent(), out.Files()
	if len(sends) != 1 || len(files) != 1 {
		t.Fatalf("%d messages and %d files sent, want 1 and 1", len(sends), len(files))
	}
	f := files[0]
	if f.Key != "digest:growth:2026-W48:file" || f.Key == sends[0].Key {
		t.Errorf("file key %q (message key %q)", f.Key, sends[0].Key)
	}
	if f.To != sends[0].To || f.To.Channel == "" || f.File.Name != d.File.Name {
		t.Errorf("file went to %+v as %q; the message went to %+v", f.To, f.File.Name, sends[0].To)
	}
}

// TestDigestWithoutChartRendererHasNoFile checks a text-only service plans
// a text-only digest.
func TestDigestWithoutChartRendererHasNoFile(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)
	out := &bottest.FileMessenger{}
	svc := serviceWith(t, h, out, nil)
	d := planDigest(t, svc)
	if d.File != nil {
		t.Fatalf("file %+v without a chart renderer", d.File)
	}
	if err := svc.Deliver(context.Background(), d); err != nil || len(out.Files()) != 0 {
		t.Fatalf("deliver: %v, %d files", err, len(out.Files()))
	}
}

// TestDigestChartFailureStillPostsText checks a chart that fails to draw
// leaves the digest as text.
func TestDigestChartFailureStillPostsText(t *testing.T) {
	h := newHarness(t)
	seedGrowth(h)
	svc := serviceWith(t, h, &bottest.FileMessenger{}, &stubChart{err: errors.New("no font")})
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
		"plain":  &bottest.Messenger{},
		"router": bot.Router{bot.PlatformConsole: &bottest.Messenger{}},
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
	out := &bottest.FileMessenger{FileErr: errors.New("upload refused")}
	svc := serviceWith(t, h, out, &stubChart{})
	err := svc.Deliver(context.Background(), planDigest(t, svc))
	if err == nil || !errors.Is(err, out.FileErr) {
		t.Fatalf("deliver error %v, want the upload's", err)
	}
}

// TestRouterSendFile checks the router forwards files to a platform's
// messenger that can send them and says clearly when it cannot.
func TestRouterSendFile(t *testing.T) {
	files := &bottest.FileMessenger{}
	r := bot.Router{bot.PlatformSlack: files, bot.PlatformConsole: &bottest.Messenger{}}
	f := bot.File{Name: "a.png", MIME: "image/png", Data: stubPNG}
	if _, err := r.SendFile(context.Background(), bot.Address{Platform: bot.PlatformSlack, Channel: "C1"}, f, "k"); err != nil || len(files.Files()) != 1 {
		t.Fatalf("slack: %v, %d files", err, len(files.Files()))
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
