package pull_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
	"github.com/pulse-bot/pulse/pull"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

var now = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

type fixture struct {
	t     *testing.T
	st    *store.Store
	svc   *bot.Service
	out   *bottest.Messenger
	logs  *bottest.LogBuffer
	goal  string
	clock *bot.ManualClock
}

// newFixture stores team growth with a conversion goal (2.1% → 3.2%)
// linked to source "shop-conversion".
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, st: storetest.MustOpen(t), out: &bottest.Messenger{}, logs: &bottest.LogBuffer{}, clock: bot.NewManualClock(now)}
	svc, err := bot.NewService(bot.Config{Store: f.st, Messenger: f.out, Clock: f.clock, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	team := bot.NewTeam("growth", bot.PlatformConsole, "growth-channel", now.AddDate(0, -1, 0))
	if err := svc.ApplyTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	g, err := f.st.CreateGoal(ctx, bot.Goal{TeamID: "growth", Title: "Checkout conversion", OwnerTeam: "growth",
		Metric: bot.Metric{Baseline: 2.1, Target: 3.2, Unit: "%"}, Current: 2.1, State: bot.GoalOpen,
		Start: now.AddDate(0, -1, 0), Due: now.AddDate(0, 2, 0), UpdatedAt: now.AddDate(0, -1, 0)}, bot.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	f.goal = g.ID
	if err := svc.LinkSource(ctx, "growth", "shop-conversion", []string{g.ID}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) runner(src pull.Source, timeout time.Duration, maxBytes int64) *pull.Runner {
	f.t.Helper()
	r, err := pull.New(pull.Config{Feed: f.svc, Claims: f.st, Sources: []pull.Source{src}, Clock: f.clock,
		Log: zerolog.New(f.logs), Timeout: timeout, MaxBytes: maxBytes})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *fixture) updates() []bot.Update {
	f.t.Helper()
	ups, err := f.st.GoalUpdates(context.Background(), f.goal, time.Time{}, now.Add(24*time.Hour))
	if err != nil {
		f.t.Fatal(err)
	}
	return ups
}

func jsonSource(url string) pull.Source {
	path, err := pull.ParsePath("data.conversion.rate")
	if err != nil {
		panic(err)
	}
	return pull.Source{Team: "growth", Name: "shop-conversion", Kind: pull.KindJSON, URL: url, Path: path,
		Schedule: "*/15 * * * *", Headers: map[string]string{"X-Api-Key": "s3cret"}}
}

func TestAPullThatReturnsTheSameValueTwiceRecordsOnce(t *testing.T) {
	f := newFixture(t)
	var value atomic.Value
	value.Store("2.6")
	var badKey atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "s3cret" {
			badKey.Add(1)
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"data": {"conversion": {"rate": %s, "orders": 120}}}`, value.Load())
	}))
	defer srv.Close()
	r := f.runner(jsonSource(srv.URL), time.Second, 1<<20)
	ctx := context.Background()
	for i, v := range []string{"2.6", "2.6", "2.8", "2.8"} {
		value.Store(v)
		f.clock.Advance(15 * time.Minute)
		if _, err := r.Pull(ctx, jsonSource(srv.URL), f.clock.Now()); err != nil {
			t.Fatalf("pull %d: %v", i, err)
		}
	}
	ups := f.updates()
	if len(ups) != 2 || ups[0].Value != 2.6 || ups[1].Value != 2.8 || ups[1].Via != "shop-conversion" {
		t.Fatalf("updates %+v, want 2.6 then 2.8 from shop-conversion", ups)
	}
	if badKey.Load() != 0 {
		t.Fatal("the header secret from the environment was not sent")
	}
	posts := 0
	for _, s := range f.out.Sent() {
		if s.To.Channel == "growth-channel" && strings.Contains(bot.PlainText(s.Msg), "from shop-conversion") {
			posts++
		}
	}
	if posts != 2 {
		t.Fatalf("%d channel posts, want one per recorded change (2)", posts)
	}
	if strings.Contains(f.logs.String(), "s3cret") {
		t.Fatal("a header secret reached the log")
	}
}

func TestSourcesThatHangAreHugeOrRedirectElsewhereAreCutOffWithALoggedReason(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	trickle := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"data": {"conversion": {"rate": 2.6`))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer trickle.Close()
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"data": {"conversion": {"rate": 2.6, "pad": "`))
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for i := 0; i < 160; i++ { // 10 MB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		w.Write([]byte(`"}}}`))
	}))
	defer huge.Close()
	var elsewhereHits atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhereHits.Add(1)
		fmt.Fprint(w, `{"data": {"conversion": {"rate": 9.9}}}`)
	}))
	defer elsewhere.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/same-host" {
			http.Redirect(w, r, "/final", http.StatusFound)
			return
		}
		if r.URL.Path == "/final" {
			fmt.Fprint(w, `{"data": {"conversion": {"rate": 2.4}}}`)
			return
		}
		http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusFound)
	}))
	defer redirect.Close()

	for _, c := range []struct {
		name, url, reason string
	}{
		{"hangs", hang.URL, "no answer within 300ms"},
		{"10 MB", huge.URL, "body larger than 1048576 bytes"},
		{"sends half a body, then hangs", trickle.URL, "body not read within 300ms"},
		{"redirects elsewhere", redirect.URL + "/elsewhere", "redirected to another host (" + strings.TrimPrefix(elsewhere.URL, "http://") + ")"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			src := jsonSource(c.url)
			_, err := f.runner(src, 300*time.Millisecond, 1<<20).Pull(context.Background(), src, now)
			var cut *pull.CutOff
			if !errors.As(err, &cut) || cut.Reason != c.reason {
				t.Fatalf("err %v, want cut off: %s", err, c.reason)
			}
			if !strings.Contains(f.logs.String(), `"reason":"`+c.reason+`"`) || !strings.Contains(f.logs.String(), "metric pull cut off") {
				t.Fatalf("log lacks the reason %q:\n%s", c.reason, f.logs.String())
			}
			if n := len(f.updates()); n != 0 {
				t.Fatalf("a cut-off pull recorded %d updates", n)
			}
		})
	}
	if elsewhereHits.Load() != 0 {
		t.Fatal("the redirect to another host was followed")
	}
	// A redirect on the source's own host is followed.
	f := newFixture(t)
	src := jsonSource(redirect.URL + "/same-host")
	if _, err := f.runner(src, time.Second, 1<<20).Pull(context.Background(), src, now); err != nil {
		t.Fatalf("same-host redirect: %v", err)
	}
	if ups := f.updates(); len(ups) != 1 || ups[0].Value != 2.4 {
		t.Fatalf("updates %+v", ups)
	}
}

func TestTwoReplicasPullEachFireOnce(t *testing.T) {
	f := newFixture(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{"data": {"conversion": {"rate": "2.7"}}}`)
	}))
	defer srv.Close()
	src := jsonSource(srv.URL)
	// Two replicas: two stores on the same Redis and prefix, two services, two runners.
	other := store.New(f.st.Client(), store.Options{Prefix: f.st.Key()})
	svc2, err := bot.NewService(bot.Config{Store: other, Messenger: f.out, Clock: f.clock, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := pull.New(pull.Config{Feed: svc2, Claims: other, Sources: []pull.Source{src}, Clock: f.clock, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	runners := []*pull.Runner{f.runner(src, time.Second, 1<<20), r2}
	for fire := 0; fire < 5; fire++ {
		at := now.Add(time.Duration(fire) * 15 * time.Minute)
		var wg sync.WaitGroup
		var claimed atomic.Int32
		for _, r := range runners {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := r.Pull(context.Background(), src, at)
				switch {
				case err == nil:
					claimed.Add(1)
				case !errors.Is(err, pull.ErrNotClaimed):
					t.Errorf("pull: %v", err)
				}
			}()
		}
		wg.Wait()
		if claimed.Load() != 1 {
			t.Fatalf("fire %d pulled by %d replicas, want 1", fire, claimed.Load())
		}
	}
	if hits.Load() != 5 {
		t.Fatalf("the source was fetched %d times for 5 fires on 2 replicas, want 5", hits.Load())
	}
	if n := len(f.updates()); n != 1 {
		t.Fatalf("%d updates, want 1 (the value never changed after the first)", n)
	}
}

func TestAPrometheusQueryIsASource(t *testing.T) {
	f := newFixture(t)
	var query atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		query.Store(r.URL.Query().Get("query"))
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1764579600.123,"2.95"]}]}}`)
	}))
	defer srv.Close()
	src := pull.Source{Team: "growth", Name: "shop-conversion", Kind: pull.KindPrometheus, URL: srv.URL,
		Query: `sum(rate(orders_total[1h])) / sum(rate(sessions_total[1h])) * 100`, Schedule: "0 * * * *"}
	if _, err := f.runner(src, time.Second, 1<<20).Pull(context.Background(), src, now); err != nil {
		t.Fatal(err)
	}
	if ups := f.updates(); len(ups) != 1 || ups[0].Value != 2.95 {
		t.Fatalf("updates %+v, want 2.95", ups)
	}
	if query.Load() != src.Query {
		t.Fatalf("query sent %q", query.Load())
	}
}

func TestRunPullsEachSourceAtItsScheduledTime(t *testing.T) {
	f := newFixture(t)
	fetched := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"data": {"conversion": {"rate": 2.5}}}`)
		select {
		case fetched <- struct{}{}:
		default:
		}
	}))
	defer srv.Close()
	// A millisecond before the minute: the every-minute schedule is due at once.
	f.clock.Set(time.Date(2026, 12, 1, 9, 0, 59, 999_000_000, time.UTC))
	src := jsonSource(srv.URL)
	src.Schedule = "* * * * *"
	r := f.runner(src, time.Second, 1<<20)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	select {
	case <-fetched:
	case <-time.After(10 * time.Second):
		t.Fatal("the source was not pulled at its scheduled minute")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("run ended with %v", err)
	}
	if first, _ := f.st.FirstSeen(context.Background(), "pull:growth:shop-conversion:"+fmt.Sprint(time.Date(2026, 12, 1, 9, 1, 0, 0, time.UTC).Unix()), time.Minute); first {
		t.Fatal("the fire at 09:01 was not claimed under its scheduled time")
	}
}
