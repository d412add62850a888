package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/web"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

const (
	alice = bot.UserID("slack:T1:UA")
	bob   = bot.UserID("slack:T1:UB")
	maya  = bot.UserID("slack:T1:UM")
	admin = bot.UserID("slack:T1:UADMIN")
)

// harness is the web view on a real Redis, with the core on a manual clock.
type harness struct {
	t     *testing.T
	st    *store.Store
	svc   *bot.Service
	clock *bot.ManualClock
	web   *web.Server
	mux   *http.ServeMux
	sent  *sentMessages
	n     int
}

// sentMessages records what the core sends, as a platform would deliver it.
type sentMessages struct {
	mu   sync.Mutex
	list []sent
}

type sent struct {
	to   bot.Address
	text string
}

func (m *sentMessages) Send(_ context.Context, to bot.Address, msg bot.Message, key string) (bot.MessageRef, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.list = append(m.list, sent{to: to, text: bot.PlainText(msg)})
	return bot.MessageRef{Platform: to.Platform, ID: key}, nil
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	st := storetest.MustOpen(t)
	clock := bot.NewManualClock(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	sentList := &sentMessages{}
	svc, err := bot.NewService(bot.Config{Store: st, Messenger: sentList, Clock: clock, Admins: []bot.UserID{admin}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := web.New(web.Config{Service: svc, Sessions: st.WebSessions(), Clock: clock, Log: zerolog.Nop(), BaseURL: "http://pulse.test"})
	if err != nil {
		t.Fatal(err)
	}
	svc.SetWebSignIn(w)
	mux := http.NewServeMux()
	w.Routes(mux)
	h := &harness{t: t, st: st, svc: svc, clock: clock, web: w, mux: mux, sent: sentList}
	team := bot.NewTeam("Growth", bot.PlatformSlack, "C1", clock.Now())
	team.Members, team.Managers = []bot.UserID{alice, bob}, []bot.UserID{maya}
	if err := svc.ApplyTeam(context.Background(), team); err != nil {
		t.Fatal(err)
	}
	for _, id := range []bot.UserID{alice, bob, maya, admin} {
		h.say(id, "/pulse help")
	}
	return h
}

// say handles a direct command as the person.
func (h *harness) say(id bot.UserID, text string) string {
	h.t.Helper()
	h.n++
	resp, err := h.svc.Handle(context.Background(), bot.Event{Key: fmt.Sprintf("t:%d", h.n), Platform: bot.PlatformSlack,
		User: id, Profile: bot.Profile{Name: id.Local()}, Channel: "D" + id.Local(), Direct: true, Text: text})
	if err != nil {
		h.t.Fatalf("%s %q: %v", id, text, err)
	}
	return bot.PlainText(resp.Reply)
}

// token asks for a link in chat and returns its token.
func (h *harness) token(id bot.UserID) string {
	h.t.Helper()
	reply := h.say(id, "/pulse web")
	i := strings.Index(reply, "?t=")
	if i < 0 {
		h.t.Fatalf("no link in %q", reply)
	}
	return strings.Fields(reply[i+3:])[0]
}

func (h *harness) redeem(token, origin string) *httptest.ResponseRecorder {
	return h.post("/app/signin", url.Values{"t": {token}}, origin, nil)
}

// post sends a form the way a browser does, with an Origin when origin is
// not empty and the session cookie c when not nil.
func (h *harness) post(path string, form url.Values, origin string, c *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if c != nil {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.mux.ServeHTTP(rec, req)
	return rec
}

// signIn redeems a fresh link and returns the session cookie.
func (h *harness) signIn(id bot.UserID) *http.Cookie {
	h.t.Helper()
	rec := h.redeem(h.token(id), "http://example.com")
	if rec.Code != http.StatusSeeOther {
		h.t.Fatalf("redeem answered %d:\n%s", rec.Code, rec.Body)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == "pulse_session" {
			return c
		}
	}
	h.t.Fatal("no session cookie")
	return nil
}

func (h *harness) get(path string, c *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if c != nil {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.mux.ServeHTTP(rec, req)
	return rec
}

func TestSignInLinkWorksOnceAndSetsAStrictCookie(t *testing.T) {
	h := newHarness(t)
	token := h.token(alice)
	rec := h.redeem(token, "http://example.com")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/app/" {
		t.Fatalf("first redemption: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	set := rec.Header().Get("Set-Cookie")
	for _, want := range []string{"pulse_session=", "HttpOnly", "SameSite=Lax", "Max-Age=43200", "Path=/"} {
		if !strings.Contains(set, want) {
			t.Errorf("cookie %q lacks %s", set, want)
		}
	}
	if again := h.redeem(token, "http://example.com"); again.Code != http.StatusUnauthorized || !strings.Contains(again.Body.String(), "already used") {
		t.Errorf("second redemption: %d\n%s", again.Code, again.Body)
	}
}

func TestSignInLinkExpiresAfterTenMinutes(t *testing.T) {
	h := newHarness(t)
	token := h.token(alice)
	h.clock.Advance(web.LinkValidity + time.Second)
	rec := h.redeem(token, "http://example.com")
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "expired") {
		t.Errorf("late redemption: %d\n%s", rec.Code, rec.Body)
	}
}

func TestSessionEndsAfterTwelveHoursAndOnSignOutFromChat(t *testing.T) {
	h := newHarness(t)
	c := h.signIn(alice)
	if rec := h.get("/app/", c); rec.Code != http.StatusOK {
		t.Fatalf("signed-in page: %d", rec.Code)
	}
	h.clock.Advance(web.SessionValidity + time.Second)
	if rec := h.get("/app/", c); rec.Code != http.StatusUnauthorized {
		t.Errorf("page 12 h later: %d, want 401", rec.Code)
	}
	c = h.signIn(alice)
	if reply := h.say(alice, "/pulse web signout"); !strings.Contains(reply, "sessions ended") {
		t.Errorf("sign-out reply %q", reply)
	}
	if rec := h.get("/app/", c); rec.Code != http.StatusUnauthorized {
		t.Errorf("page after /pulse web signout: %d, want 401", rec.Code)
	}
}

func TestLinkFromAChannelGoesToTheDirectChat(t *testing.T) {
	h := newHarness(t)
	resp, err := h.svc.Handle(context.Background(), bot.Event{Key: "chan", Platform: bot.PlatformSlack, User: alice, Channel: "C1", Text: "/pulse web"})
	if err != nil {
		t.Fatal(err)
	}
	if reply := bot.PlainText(resp.Reply); strings.Contains(reply, "/app/signin") || !strings.Contains(reply, "direct message") {
		t.Errorf("the reply in the channel: %q", reply)
	}
	h.sent.mu.Lock()
	defer h.sent.mu.Unlock()
	if len(h.sent.list) != 1 || h.sent.list[0].to.User != alice || h.sent.list[0].to.Channel != "" ||
		!strings.Contains(h.sent.list[0].text, "http://pulse.test/app/signin?t=") {
		t.Errorf("sent %+v, want one sign-in link to alice's direct chat", h.sent.list)
	}
}

func TestRedemptionIsRateLimitedPerAddress(t *testing.T) {
	h := newHarness(t)
	forged := strings.Repeat("A", 43)
	for i := range web.RedeemLimit {
		if rec := h.redeem(forged, "http://example.com"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i+1, rec.Code)
		}
	}
	rec := h.redeem(h.token(alice), "http://example.com")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Errorf("attempt over the limit: %d (Retry-After %q), want 429", rec.Code, rec.Header().Get("Retry-After"))
	}
}

func TestCrossSiteSignInAndSignOutAreRefused(t *testing.T) {
	h := newHarness(t)
	if rec := h.redeem(h.token(alice), "https://evil.example"); rec.Code != http.StatusForbidden {
		t.Errorf("cross-site redemption: %d, want 403", rec.Code)
	}
	c := h.signIn(alice)
	if rec := h.post("/app/signout", url.Values{"csrf": {"wrong"}}, "", c); rec.Code != http.StatusForbidden {
		t.Errorf("sign-out without the CSRF token: %d, want 403", rec.Code)
	}
	if rec := h.get("/app/", c); rec.Code != http.StatusOK {
		t.Errorf("the session ended on a forged sign-out: %d", rec.Code)
	}
}

func TestPagesCarryAStrictPolicyAndNoScript(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Ship it from 0 to 10 orders by 2027-03-31")
	c := h.signIn(maya)
	for _, path := range []string{"/app/", "/app/team/growth", "/app/company", "/app/reviews", "/app/signin?t=x"} {
		rec := h.get(path, c)
		csp := rec.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if rec.Header().Get("X-Frame-Options") != "DENY" || rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: headers %v", path, rec.Header())
		}
		if body := rec.Body.String(); strings.Contains(body, "<script") || strings.Contains(body, "style=") {
			t.Errorf("%s: the page has script or inline style", path)
		}
	}
}

func TestTeamPageOnlyForItsManagersAndAdmins(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Ship it from 0 to 10 orders by 2027-03-31")
	for _, tc := range []struct {
		who  bot.UserID
		code int
	}{{alice, http.StatusForbidden}, {maya, http.StatusOK}, {admin, http.StatusOK}} {
		rec := h.get("/app/team/growth", h.signIn(tc.who))
		if rec.Code != tc.code {
			t.Errorf("%s: team page %d, want %d", tc.who, rec.Code, tc.code)
		}
		if shown := strings.Contains(rec.Body.String(), "Ship it"); shown != (tc.code == http.StatusOK) {
			t.Errorf("%s: goal shown = %v", tc.who, shown)
		}
		csv := h.get("/app/team/growth/figures?format=csv", h.signIn(tc.who))
		if csv.Code != tc.code {
			t.Errorf("%s: CSV download %d, want %d", tc.who, csv.Code, tc.code)
		}
	}
}

func TestFiguresDownloadAsCSVAndJSON(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Ship it from 0 to 10 orders by 2027-03-31")
	h.say(alice, "/goal G1 5")
	c := h.signIn(maya)
	csv := h.get("/app/team/growth/figures?format=csv&weeks=2", c)
	if got := csv.Body.String(); !strings.HasPrefix(got, "period,answered,expected,mood,progress") || !strings.Contains(got, "2026-W49,0,2,,50,") {
		t.Errorf("CSV:\n%s", got)
	}
	js := h.get("/app/team/growth/figures?format=json", c)
	if got := js.Body.String(); js.Header().Get("Content-Type") != "application/json" || !strings.Contains(got, `"period":"2026-W49"`) || !strings.Contains(got, `"mood":null`) {
		t.Errorf("JSON:\n%s", got)
	}
}

func TestPagesSpeakThePersonsLanguage(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/pulse me language zh")
	body := h.get("/app/", h.signIn(alice)).Body.String()
	for _, want := range []string{`lang="zh-CN"`, "我的目标", "退出登录"} {
		if !strings.Contains(body, want) {
			t.Errorf("Chinese page lacks %q", want)
		}
	}
}

func TestCompanyFilters(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Ship it from 0 to 10 orders by 2027-03-31")
	h.say(bob, "/goal new Grow signups from 100 to 200 signups by 2027-06-30")
	c := h.signIn(alice)
	for _, tc := range []struct{ query, shown, hidden string }{
		{"owner=UB", "Grow signups", "Ship it"},
		{"due=2027-04-01", "Ship it", "Grow signups"},
		{"status=off_track", "", "Ship it"},
	} {
		body := h.get("/app/company?"+tc.query, c).Body.String()
		if (tc.shown != "" && !strings.Contains(body, tc.shown)) || strings.Contains(body, tc.hidden) {
			t.Errorf("%s: want %q shown and %q hidden", tc.query, tc.shown, tc.hidden)
		}
	}
}

// TestWebImportsOnlyTheCore keeps the adapter thin: no store, Redis or chat platform.
func TestWebImportsOnlyTheCore(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "github.com/pulse-bot/pulse/bot/web").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"pulse/store", "redis", "slack", "larksuite", "pulse/bot/feishu", "pulse/bot/console"} {
			if strings.Contains(dep, bad) {
				t.Errorf("bot/web depends on %s", dep)
			}
		}
	}
}

// makePrivate marks a goal private in the store, as the goal's owner can.
func (h *harness) makePrivate(id string) {
	h.t.Helper()
	ctx := context.Background()
	g, err := h.st.GetGoal(ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	g.Private = true
	if err := h.st.SaveGoal(ctx, g, bot.AuditEntry{At: h.clock.Now(), Actor: g.Owner, Action: "goal.private", Subject: id}); err != nil {
		h.t.Fatal(err)
	}
}

func TestPrivateGoalsShowOnlyToOwnerManagersAndAdmins(t *testing.T) {
	h := newHarness(t)
	h.say(alice, "/goal new Read ten books from 0 to 10 books by 2027-03-31")
	h.makePrivate("G1")
	for _, tc := range []struct {
		who   bot.UserID
		shown bool
	}{{alice, true}, {bob, false}, {maya, true}, {admin, true}} {
		body := h.get("/app/company", h.signIn(tc.who)).Body.String()
		if got := strings.Contains(body, "Read ten books"); got != tc.shown {
			t.Errorf("%s: private goal on the company page = %v, want %v", tc.who, got, tc.shown)
		}
	}
	if body := h.get("/app/", h.signIn(alice)).Body.String(); !strings.Contains(body, "Read ten books") {
		t.Error("the owner's page lacks her private goal")
	}
}

func TestSomeoneOutsideTheOrganisationSeesOneSentence(t *testing.T) {
	h := newHarness(t)
	outsider := bot.UserID("slack:T9:UX")
	link, _, err := h.web.NewLink(context.Background(), outsider)
	if err != nil {
		t.Fatal(err)
	}
	rec := h.redeem(link[strings.Index(link, "?t=")+3:], "http://example.com")
	c := rec.Result().Cookies()
	if len(c) != 1 {
		t.Fatalf("redeem: %d", rec.Code)
	}
	for _, path := range []string{"/app/", "/app/company", "/app/team/growth", "/app/reviews"} {
		got := h.get(path, c[0])
		if got.Code != http.StatusForbidden || !strings.Contains(got.Body.String(), "Pulse is not set up for you") || strings.Contains(got.Body.String(), "Growth") {
			t.Errorf("%s for an outsider: %d\n%s", path, got.Code, got.Body)
		}
	}
}
