package web_test

// Adversarial tests: each one is an attack on the web view, against the real
// handler on a real Redis, and asserts that it fails.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

func TestAttackOneLinkRedeemedConcurrentlySignsInOnce(t *testing.T) {
	h := newHarness(t)
	token := h.token(alice)
	const tries = 8
	codes := make([]int, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = h.redeem(token, "http://example.com").Code
		}()
	}
	wg.Wait()
	won := 0
	for _, c := range codes {
		if c == http.StatusSeeOther {
			won++
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent redemptions signed in (%v), want exactly 1", won, tries, codes)
	}
}

func TestAttackForgedTamperedAndEndedCookiesAreRefused(t *testing.T) {
	h := newHarness(t)
	random := make([]byte, 32)
	_, _ = rand.Read(random)
	linkToken := h.token(alice)
	good := h.signIn(alice)
	flipped := []byte(good.Value)
	if flipped[5] == 'A' {
		flipped[5] = 'B'
	} else {
		flipped[5] = 'A'
	}
	for name, value := range map[string]string{
		"random well-formed": base64.RawURLEncoding.EncodeToString(random),
		"one character off":  string(flipped),
		"the link token":     linkToken,
		"too short":          good.Value[:20],
		"padded":             good.Value + "==",
		"huge":               strings.Repeat("A", 4000),
	} {
		rec := h.get("/app/", &http.Cookie{Name: "pulse_session", Value: value})
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%s cookie: %d, want 401", name, rec.Code)
		}
	}
	h.say(alice, "/pulse web signout")
	if rec := h.get("/app/", good); rec.Code != http.StatusUnauthorized {
		t.Errorf("cookie of a signed-out session: %d, want 401", rec.Code)
	}
}

func TestAttackExpiredAndGuessedLinksAreRefused(t *testing.T) {
	h := newHarness(t)
	token := h.token(alice)
	h.clock.Advance(10*time.Minute + time.Second)
	if rec := h.redeem(token, "http://example.com"); rec.Code == http.StatusSeeOther {
		t.Errorf("an expired link signed in")
	}
	random := make([]byte, 32)
	_, _ = rand.Read(random)
	for _, tok := range []string{base64.RawURLEncoding.EncodeToString(random), "", "../../etc", strings.Repeat("x", 10000)} {
		if rec := h.redeem(tok, "http://example.com"); rec.Code == http.StatusSeeOther || rec.Code >= 500 {
			t.Errorf("guessed link %.20q: %d", tok, rec.Code)
		}
	}
}

func TestAttackSignOutNeedsItsOwnSessionsTokenAndSameOrigin(t *testing.T) {
	h := newHarness(t)
	c := h.signIn(alice)
	other := h.signIn(bob)
	// The CSRF token sits in every page of the session; take it from one.
	body := h.get("/app/", c).Body.String()
	i := strings.Index(body, `name="csrf" value="`)
	if i < 0 {
		t.Fatal("no CSRF field on the page")
	}
	csrf := body[i+len(`name="csrf" value="`):]
	csrf = csrf[:strings.IndexByte(csrf, '"')]
	otherBody := h.get("/app/", other).Body.String()
	j := strings.Index(otherBody, `name="csrf" value="`)
	otherCSRF := otherBody[j+len(`name="csrf" value="`):]
	otherCSRF = otherCSRF[:strings.IndexByte(otherCSRF, '"')]
	for name, attempt := range map[string]struct {
		csrf, origin string
	}{
		"no token":                {"", "http://example.com"},
		"another session's token": {otherCSRF, "http://example.com"},
		"cross-site origin":       {csrf, "https://evil.example"},
		"null origin":             {csrf, "null"},
	} {
		if rec := h.post("/app/signout", url.Values{"csrf": {attempt.csrf}}, attempt.origin, c); rec.Code != http.StatusForbidden {
			t.Errorf("sign-out with %s: %d, want 403", name, rec.Code)
		}
	}
	if rec := h.get("/app/", c); rec.Code != http.StatusOK {
		t.Fatalf("a forged sign-out ended the session: %d", rec.Code)
	}
	if rec := h.post("/app/signout", url.Values{"csrf": {csrf}}, "http://example.com", c); rec.Code != http.StatusOK {
		t.Errorf("a real sign-out: %d", rec.Code)
	}
	if rec := h.get("/app/", c); rec.Code != http.StatusUnauthorized {
		t.Errorf("after sign-out: %d, want 401", rec.Code)
	}
}

func TestAttackUserTextCannotInjectMarkup(t *testing.T) {
	h := newHarness(t)
	const evil = `<script>alert(1)</script>"><img src=x onerror=alert(2)>`
	team := bot.NewTeam(`Ops <b onmouseover=alert(3)>`, bot.PlatformSlack, "C2", h.clock.Now())
	team.Members, team.Managers = []bot.UserID{alice}, []bot.UserID{maya}
	if err := h.svc.ApplyTeam(context.Background(), team); err != nil {
		t.Fatal(err)
	}
	h.say(alice, "/goal new "+evil+" from 0 to 10 orders by 2027-03-31")
	h.say(alice, "/goal G1 5")
	for _, who := range []bot.UserID{alice, maya} {
		c := h.signIn(who)
		for _, path := range []string{"/app/", "/app/company", "/app/team/growth", "/app/team/" + url.PathEscape(team.ID)} {
			body := h.get(path, c).Body.String()
			for _, bad := range []string{"<script>alert", "<img src=x", "<b onmouseover", "onerror=alert(2)>"} {
				if strings.Contains(body, bad) {
					t.Errorf("%s as %s carries %q unescaped", path, who, bad)
				}
			}
		}
	}
}

func TestAttackTeamPathTricksReachNoOtherTeam(t *testing.T) {
	h := newHarness(t)
	c := h.signIn(alice) // a member, not a manager
	for _, path := range []string{"/app/team/growth", "/app/team/GROWTH", "/app/team/%20growth%20", "/app/team/growth/figures?format=json",
		"/app/team/growth/figures?format=csv", "/app/company/../team/growth"} {
		rec := h.get(path, c)
		if rec.Code == http.StatusOK || strings.Contains(rec.Body.String(), "answered") {
			t.Errorf("%s as a member: %d", path, rec.Code)
		}
	}
}

func TestAttackManagerWhoLeftLosesTheTeamPageAtOnce(t *testing.T) {
	h := newHarness(t)
	c := h.signIn(maya)
	if rec := h.get("/app/team/growth", c); rec.Code != http.StatusOK {
		t.Fatalf("manager's team page: %d", rec.Code)
	}
	team, err := h.st.GetTeam(context.Background(), "growth")
	if err != nil {
		t.Fatal(err)
	}
	team.Managers = nil
	if err := h.svc.ApplyTeam(context.Background(), team); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/app/team/growth", "/app/team/growth/figures", "/app/reviews"} {
		rec := h.get(path, c)
		if strings.Contains(rec.Body.String(), "answered") || (path != "/app/reviews" && rec.Code == http.StatusOK) {
			t.Errorf("%s after leaving: %d", path, rec.Code)
		}
	}
}

func TestAttackMalformedWeekAndWeeksAreBoundedAndAnsweredInOneSentence(t *testing.T) {
	h := newHarness(t)
	c := h.signIn(maya)
	for _, q := range []string{"week=9999-W99", "week=2026-W00", "week=0000-W01", "week=" + strings.Repeat("9", 5000), "week=%00",
		"week=<script>", "weeks=-5", "weeks=99999999999999999999999", "weeks=abc", "weeks=1000000"} {
		rec := h.get("/app/team/growth?"+q, c)
		if rec.Code >= 500 || strings.Contains(rec.Body.String(), "<script>") {
			t.Errorf("%.40s: %d", q, rec.Code)
		}
		if rec.Code == http.StatusOK && strings.Count(rec.Body.String(), "<tr><td>") > bot.MaxTrendWeeks {
			t.Errorf("%.40s: more than %d weeks of trend", q, bot.MaxTrendWeeks)
		}
	}
}

func TestAttackFiguresFileNameCannotBeInjected(t *testing.T) {
	h := newHarness(t)
	team := bot.NewTeam(`x"; filename="evil.html`, bot.PlatformSlack, "C3", h.clock.Now())
	team.Managers = []bot.UserID{maya}
	if err := h.svc.ApplyTeam(context.Background(), team); err != nil {
		t.Fatal(err)
	}
	c := h.signIn(maya)
	for _, format := range []string{"csv", "json"} {
		rec := h.get("/app/team/"+url.PathEscape(team.ID)+"/figures?format="+format, c)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s download: %d\n%s", format, rec.Code, rec.Body)
		}
		_, params, err := mime.ParseMediaType(rec.Header().Get("Content-Disposition"))
		if err != nil {
			t.Fatalf("%s Content-Disposition %q: %v", format, rec.Header().Get("Content-Disposition"), err)
		}
		if name := params["filename"]; !strings.HasPrefix(name, "pulse-") || !strings.HasSuffix(name, "."+format) {
			t.Errorf("%s file name %q, want pulse-….%s", format, name, format)
		}
	}
}

func TestAttackAPlantedCookieIsNotKeptAtSignIn(t *testing.T) {
	h := newHarness(t)
	planted := make([]byte, 32)
	_, _ = rand.Read(planted)
	fixed := &http.Cookie{Name: "pulse_session", Value: base64.RawURLEncoding.EncodeToString(planted)}
	rec := h.post("/app/signin", url.Values{"t": {h.token(alice)}}, "http://example.com", fixed)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("redeem: %d", rec.Code)
	}
	if got := h.get("/app/", fixed); got.Code != http.StatusUnauthorized {
		t.Errorf("the planted session id became a session: %d", got.Code)
	}
}

func TestAttackForwardedForDoesNotBypassTheRedemptionLimit(t *testing.T) {
	h := newHarness(t)
	random := make([]byte, 32)
	limited := false
	for i := range 30 {
		_, _ = rand.Read(random)
		req := httptest.NewRequest(http.MethodPost, "/app/signin", strings.NewReader(url.Values{"t": {base64.RawURLEncoding.EncodeToString(random)}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://example.com")
		req.Header.Set("X-Forwarded-For", "10.0.0."+strconv.Itoa(i))
		req.Header.Set("X-Real-IP", "10.0.1."+strconv.Itoa(i))
		rec := httptest.NewRecorder()
		h.mux.ServeHTTP(rec, req)
		if rec.Code == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("30 guesses with changing forwarding headers were never limited")
	}
}

func TestAttackCrossSiteFetchWithoutOriginIsRefused(t *testing.T) {
	h := newHarness(t)
	req := httptest.NewRequest(http.MethodPost, "/app/signin", strings.NewReader(url.Values{"t": {h.token(alice)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec := httptest.NewRecorder()
	h.mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Errorf("cross-site sign-in without Origin: %d, want 403", rec.Code)
	}
}
