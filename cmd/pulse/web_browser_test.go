package main

// The web view in a real browser: headless Chromium (driven by chromedp)
// against a whole `pulse serve` on a real Redis, signed in through the link
// the fake Slack received in the person's DM. Each role opens each page;
// the test checks what it shows and what it must not (another team's
// scorecard, anonymous authors, private goals), tries an expired, a reused and a forged
// link and a forged cookie, and saves a screenshot of every page in the
// test's temp dir (the path is logged).

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
)

const webTeams = `teams:
  - name: Growth
    platform: slack
    channel: C0123
    members: [slack:T1:U1, slack:T1:U2, slack:T1:U3]
    managers: [slack:T1:UM]
  - name: Design
    platform: slack
    channel: C0456
    members: [slack:T1:UD1]
    managers: [slack:T1:UDM]
`

// chromium finds the browser scripts/test installs (Debian's chromium).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: install it (apt-get install -y chromium); scripts/test does")
	return ""
}

// browser is one headless Chromium; each session in it is its own
// browser context, with its own cookies.
type browser struct {
	ctx   context.Context
	shots string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	b := &browser{ctx: ctx, shots: t.TempDir()}
	t.Logf("screenshots in %s", b.shots)
	return b
}

// tab is one signed-in (or not) person's browser context.
type tab struct {
	b    *browser
	ctx  context.Context
	base string
}

func (b *browser) session(t *testing.T, base string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(cancelTimeout)
	return &tab{b: b, ctx: ctx, base: base}
}

// open loads a path (or a whole URL) and returns the main element's text.
func (tb *tab) open(t *testing.T, path string) string {
	t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = tb.base + path
	}
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(u), chromedp.WaitVisible("main")); err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return tb.text(t, "main")
}

func (tb *tab) text(t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// signIn opens a sign-in link and presses the button; it returns the
// text of the page the browser lands on.
func (tb *tab) signIn(t *testing.T, link string) string {
	t.Helper()
	tb.open(t, link)
	// The click posts the form; the next page has no sign-in button.
	if err := chromedp.Do(tb.ctx, chromedp.Click("#signin"), chromedp.WaitNotPresent("#signin"), chromedp.WaitVisible("main")); err != nil {
		t.Fatalf("press sign in: %v", err)
	}
	return tb.text(t, "main")
}

// shot saves a full-page screenshot as name.png.
func (tb *tab) shot(t *testing.T, name string) {
	t.Helper()
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(tb.b.shots, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	// PULSE_WEB_SCREENSHOTS keeps a copy, for the README's pictures.
	if dir := os.Getenv("PULSE_WEB_SCREENSHOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var linkRE = regexp.MustCompile(`https?://[^\s<>|"]+/app/signin\?t=[A-Za-z0-9_-]+`)

// linkFromSlack types `pulse web` in the person's DM with the bot and
// returns the link Pulse posted there.
func linkFromSlack(t *testing.T, p *replica, slack *wireSlack, user string, n int) string {
	t.Helper()
	ts := fmt.Sprintf("1700000%03d.000100", n)
	if code := postSigned(p.base, slackEvent(fmt.Sprintf("EvWEB%s%d", user, n), user, "pulse web", ts), 0); code != 200 {
		t.Fatalf("Slack delivery answered %d", code)
	}
	var link string
	eventually(t, 10*time.Second, "the sign-in link in "+user+"'s DM", func() bool {
		posts := slack.postsTo("D" + user)
		for i := len(posts) - 1; i >= 0; i-- {
			if m := linkRE.FindString(posts[i].Text + posts[i].Blocks); m != "" {
				link = m
				// A link already used by an earlier call is not this one.
				return !strings.Contains(strings.Join(seenLinks, " "), m)
			}
		}
		return false
	})
	seenLinks = append(seenLinks, link)
	return link
}

// seenLinks are the links the test already took from the DMs.
var seenLinks []string

// seedWebData fills the teams through the core, as chat would, over the
// last seven weeks: goals and their weekly progress, check-ins with moods,
// kudos; then an anonymous feedback request with three answers and a
// review cycle. The teams are created seven weeks ago (serve keeps that
// when it applies the team file).
func seedWebData(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	clock := bot.NewManualClock(now.AddDate(0, 0, -7*7))
	svc, err := bot.NewService(bot.Config{Store: st, Clock: clock, Admins: []bot.UserID{"slack:T1:UADMIN"}})
	if err != nil {
		t.Fatal(err)
	}
	growth := bot.NewTeam("Growth", bot.PlatformSlack, "C0123", clock.Now())
	growth.Members, growth.Managers = []bot.UserID{"slack:T1:U1", "slack:T1:U2", "slack:T1:U3"}, []bot.UserID{"slack:T1:UM"}
	design := bot.NewTeam("Design", bot.PlatformSlack, "C0456", clock.Now())
	design.Members, design.Managers = []bot.UserID{"slack:T1:UD1"}, []bot.UserID{"slack:T1:UDM"}
	for _, team := range []bot.Team{growth, design} {
		if err := svc.ApplyTeam(ctx, team); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	say := func(user, text string) {
		t.Helper()
		n++
		id := bot.UserID("slack:T1:" + user)
		resp, err := svc.Handle(ctx, bot.Event{Key: fmt.Sprintf("seed:%d", n), Kind: bot.KindCommand, Platform: bot.PlatformSlack,
			User: id, Profile: bot.Profile{Name: user, TimeZone: "UTC"}, Channel: "D" + user, Direct: true, Text: text,
			Names: map[bot.UserID]string{"slack:T1:U1": "U1", "slack:T1:U2": "U2", "slack:T1:U3": "U3", "slack:T1:UM": "UM"}})
		if err != nil {
			t.Fatalf("%s: %q: %v (%s)", user, text, err, bot.PlainText(resp.Reply))
		}
	}
	for w := 6; w >= 0; w-- {
		clock.Set(now.AddDate(0, 0, -7*w))
		if w == 6 {
			say("U1", "/goal new Ship checkout from 0 to 10 orders by 2027-03-31")
			say("U2", "/goal new Grow signups from 100 to 200 signups by 2027-03-31")
			say("UD1", "/goal new Design system from 0 to 100 % by 2027-03-31")
			say("U3", "/goal new Checkout page from 0 to 100 % by 2027-02-28 under G1")
			continue
		}
		say("U1", fmt.Sprintf("/goal G1 %d orders so far", 6-w))
		say("U2", fmt.Sprintf("/goal G2 %d", 100+10*(6-w)))
		say("U3", fmt.Sprintf("/goal G4 %d%%", 12*(6-w)))
		say("U2", "/kudos <@slack:T1:U1> great checkout demo #teamwork")
		for i, u := range []string{"U1", "U2", "U3"} {
			if w == 3 && u == "U3" {
				continue // one missed week
			}
			say(u, "/checkin")
			say(u, "shipped step "+strconv.Itoa(6-w))
			say(u, "next step")
			say(u, "none")
			say(u, strconv.Itoa(3+(i+w)%3))
		}
	}
	// A private goal: only U2, Growth's managers and admins may see it.
	say("U2", "/goal new Personal reading plan from 0 to 10 books by 2027-03-31")
	g, err := st.GetGoal(ctx, "G5")
	if err != nil {
		t.Fatal(err)
	}
	g.Private = true
	if err := st.SaveGoal(ctx, g, bot.AuditEntry{At: clock.Now(), Actor: g.Owner, Action: "goal.private", Subject: g.ID}); err != nil {
		t.Fatal(err)
	}
	say("U1", "/feedback request <@slack:T1:U2> <@slack:T1:U3> <@slack:T1:UM> about the launch anonymous")
	for _, u := range []string{"U2", "U3", "UM"} {
		say(u, "/feedback answer FR1 secret words from "+strings.ToLower(u))
	}
	say("UADMIN", "/review start team Growth H2 review due 2027-01-15 peers 1 named")
}

func TestWebViewInABrowser(t *testing.T) {
	slack := newWireSlack(t)
	env, st := replicaEnv(t, slack.url())
	env["PULSE_ADMINS"] = "slack:T1:UADMIN"
	env["PULSE_CONFIG"] = writeFile(t, "teams.yaml", webTeams)
	seedWebData(t, st)
	p := startReplica(t, env)
	b := newBrowser(t)

	// A member: their own page, the company tree; no team page, no anonymous authors.
	alice := b.session(t, p.base)
	aliceLink := linkFromSlack(t, p, slack, "U1", 1)
	page := alice.signIn(t, aliceLink)
	assertContains(t, page, "U1's page", "G1", "Ship checkout", "6 orders", "great checkout demo", "secret words from u2", "secret words from u3")
	feedback := alice.text(t, "#feedback")
	for _, author := range []string{"U2", "U3", "UM"} {
		if strings.Contains(feedback, author) {
			t.Errorf("an anonymous author (%s) shows in alice's feedback:\n%s", author, feedback)
		}
	}
	alice.shot(t, "member-my-page")
	refused := alice.open(t, "/app/team/growth")
	assertContains(t, refused, "Growth")
	if strings.Contains(refused, "Scorecard") || strings.Contains(refused, "Check-ins") {
		t.Errorf("a member sees the team scorecard:\n%s", refused)
	}
	alice.shot(t, "member-team-refused")
	company := alice.open(t, "/app/company")
	assertContains(t, company, "G1", "G2", "G3", "Ship checkout", "Design system", "Checkout page", "rolled up")
	if strings.Contains(company, "Personal reading plan") {
		t.Errorf("a member sees another member's private goal:\n%s", company)
	}
	alice.shot(t, "member-company")
	if nav := alice.text(t, "nav"); strings.Contains(nav, "Reviews") {
		t.Errorf("a member's menu offers review status: %q", nav)
	}
	filtered := alice.open(t, "/app/company?team=design")
	if !strings.Contains(filtered, "Design system") || strings.Contains(filtered, "Ship checkout") {
		t.Errorf("the team filter did not narrow the tree to design:\n%s", filtered)
	}

	// The same link again, in another browser: already used.
	thief := b.session(t, p.base)
	assertContains(t, thief.signIn(t, aliceLink), "already used")
	thief.shot(t, "reused-link")

	// A manager: their team's scorecard and trends; not another team's.
	maya := b.session(t, p.base)
	maya.signIn(t, linkFromSlack(t, p, slack, "UM", 2))
	team := maya.open(t, "/app/team/growth")
	assertContains(t, team, "Growth", "Scorecard", "Trends (weeks shown: 8)", "Ship checkout", "Grow signups", "H2 review", "3/3", "2/3")
	if strings.Contains(team, "Design system") {
		t.Errorf("the Growth scorecard shows Design's goal:\n%s", team)
	}
	maya.shot(t, "manager-team")
	other := maya.open(t, "/app/team/design")
	if strings.Contains(other, "Scorecard") || strings.Contains(other, "Design system") {
		t.Errorf("Growth's manager sees Design's scorecard:\n%s", other)
	}
	assertContains(t, maya.open(t, "/app/company"), "Personal reading plan")
	reviews := maya.open(t, "/app/reviews")
	assertContains(t, reviews, "Growth", "H2 review")
	maya.shot(t, "manager-reviews")
	year := maya.open(t, "/app/team/growth?weeks=52")
	assertContains(t, year, "Trends (weeks shown")

	// An admin: every team's scorecard and the company.
	admin := b.session(t, p.base)
	admin.signIn(t, linkFromSlack(t, p, slack, "UADMIN", 3))
	design := admin.open(t, "/app/team/design")
	assertContains(t, design, "Design", "Scorecard", "Design system")
	admin.shot(t, "admin-team-design")
	assertContains(t, admin.open(t, "/app/company"), "Personal reading plan", "Checkout page")
	admin.shot(t, "admin-company")
	admin.open(t, "/app/")
	admin.shot(t, "admin-my-page")

	// An expired link (issued 11 minutes ago), a forged link and a forged cookie.
	token := randomToken(t)
	hash := sha256.Sum256([]byte(token))
	if err := st.WebSessions().SaveLink(context.Background(), hex.EncodeToString(hash[:]), "slack:T1:U1",
		time.Now().Add(-11*time.Minute), time.Hour); err != nil {
		t.Fatal(err)
	}
	late := b.session(t, p.base)
	assertContains(t, late.signIn(t, p.base+"/app/signin?t="+token), "expired")
	late.shot(t, "expired-link")
	forger := b.session(t, p.base)
	assertContains(t, forger.signIn(t, p.base+"/app/signin?t="+randomToken(t)), "already used or is unknown")
	if _, err := chromedp.Call(forger.ctx, network.SetCookie, network.SetCookieParams{
		Name: "pulse_session", Value: randomToken(t), URL: p.base + "/app/"}); err != nil {
		t.Fatal(err)
	}
	assertContains(t, forger.open(t, "/app/"), "Please sign in")
	if strings.Contains(forger.text(t, "body"), "Ship checkout") {
		t.Error("a forged cookie shows a page")
	}
	forger.shot(t, "forged-cookie")

	// `/pulse web signout` in chat ends alice's session.
	if code := postSigned(p.base, slackEvent("EvWEBOUT", "U1", "pulse web signout", "1700000999.000100"), 0); code != 200 {
		t.Fatalf("Slack delivery answered %d", code)
	}
	eventually(t, 10*time.Second, "the sign-out reply", func() bool {
		for _, post := range slack.postsTo("DU1") {
			if strings.Contains(post.Text+post.Blocks, "Signed out of the web view") {
				return true
			}
		}
		return false
	})
	assertContains(t, alice.open(t, "/app/"), "Please sign in")

	// Every sign-in is in the audit log of the person's teams.
	log, err := st.AuditLog(context.Background(), "growth", 0)
	if err != nil {
		t.Fatal(err)
	}
	signins := 0
	for _, a := range log {
		if a.Action == "web.signin" {
			signins++
		}
	}
	if signins != 2 {
		t.Errorf("%d web.signin entries in growth's audit log, want 2 (alice and maya)", signins)
	}
}

func randomToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
