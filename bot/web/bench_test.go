package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/web"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

// perTeamStore hides the store's batched TeamsWithGoals, so the core falls
// back to one read per team: the baseline the batched read is measured against.
type perTeamStore struct{ bot.Store }

// companySite is a web view over teams × goals, each team's goals aligned
// under its first goal, and a signed-in admin's cookie.
type companySite struct {
	mux    *http.ServeMux
	cookie *http.Cookie
	trips  *storetest.RoundTrips
}

func newCompanySite(tb testing.TB, st *store.Store, core bot.Store, teams, goals int) companySite {
	tb.Helper()
	ctx := context.Background()
	clock := bot.NewManualClock(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	svc, err := bot.NewService(bot.Config{Store: core, Clock: clock, Admins: []bot.UserID{admin}})
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	say := func(id bot.UserID, text string) {
		n++
		if _, err := svc.Handle(ctx, bot.Event{Key: fmt.Sprintf("b:%d", n), Platform: bot.PlatformSlack, User: id,
			Profile: bot.Profile{Name: id.Local()}, Channel: "D", Direct: true, Text: text}); err != nil {
			tb.Fatal(err)
		}
	}
	first := 0
	for i := range teams {
		owner := bot.UserID(fmt.Sprintf("slack:T1:U%d", i))
		team := bot.NewTeam(fmt.Sprintf("team%03d", i), bot.PlatformSlack, fmt.Sprintf("C%d", i), clock.Now())
		team.Members = []bot.UserID{owner}
		if err := svc.ApplyTeam(ctx, team); err != nil {
			tb.Fatal(err)
		}
		for g := range goals {
			under := ""
			if g > 0 {
				under = fmt.Sprintf(" under G%d", first)
			}
			say(owner, fmt.Sprintf("/goal new Goal %d of team %d from 0 to 100 orders by 2027-06-30%s", g, i, under))
			if g == 0 {
				first = i*goals + 1
			}
		}
	}
	say(admin, "/pulse help")
	w, err := web.New(web.Config{Service: svc, Sessions: st.WebSessions(), Clock: clock, Log: zerolog.Nop(), BaseURL: "http://pulse.test"})
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	w.Routes(mux)
	link, _, err := w.NewLink(ctx, admin)
	if err != nil {
		tb.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/app/signin", strings.NewReader("t="+link[strings.Index(link, "?t=")+3:]))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		tb.Fatalf("sign-in answered %d without a cookie", rec.Code)
	}
	return companySite{mux: mux, cookie: cookies[0], trips: storetest.CountRoundTrips(st)}
}

// page renders the company page once and checks it drew every goal.
func (c companySite) page(tb testing.TB, wantGoals int) {
	req := httptest.NewRequest(http.MethodGet, "/app/company", nil)
	req.AddCookie(c.cookie)
	rec := httptest.NewRecorder()
	c.mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("company page: %d", rec.Code)
	}
	if got := strings.Count(rec.Body.String(), `<span class="id">`); got != wantGoals {
		tb.Fatalf("company page drew %d goals, want %d", got, wantGoals)
	}
}

// TestCompanyPageRoundTripsDoNotGrowWithTeams: the session, the teams with
// their goals, and the names are at most five round trips, for any number of teams.
func TestCompanyPageRoundTripsDoNotGrowWithTeams(t *testing.T) {
	for _, teams := range []int{2, 20} {
		st := storetest.MustOpen(t)
		site := newCompanySite(t, st, st, teams, 3)
		site.trips.Reset()
		site.page(t, teams*3)
		if n := site.trips.N(); n > 5 {
			t.Errorf("%d teams: %d round trips, want at most 5", teams, n)
		}
	}
}

// BenchmarkCompanyPage renders the company tree of 100 teams × 10 goals
// through the whole handler (session, reads, tree, template), batched and,
// as the baseline, with one read per team.
func BenchmarkCompanyPage(b *testing.B) {
	for _, tc := range []struct {
		name    string
		batched bool
	}{{"batched", true}, {"per-team-baseline", false}} {
		b.Run(tc.name, func(b *testing.B) {
			st := storetest.MustOpen(b)
			var core bot.Store = st
			if !tc.batched {
				core = perTeamStore{st}
			}
			site := newCompanySite(b, st, core, 100, 10)
			site.trips.Reset()
			b.ResetTimer()
			for b.Loop() {
				site.page(b, 1000)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/page")
			b.ReportMetric(float64(site.trips.N())/float64(b.N), "roundtrips/page")
		})
	}
}
