package bot_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// The property test plays visibilityEpisodes sequences of visibilitySteps
// random commands by random roles, each from a fresh world, with the
// invariant checked after every step.
const (
	visibilityEpisodes = 20
	visibilitySteps    = 100
)

// dan writes reviews in the property test; he reads nothing of its own.
var dan = bot.NewUserID(bot.PlatformConsole, "demo", "dan")

// token marks the text of a record created by the property test.
var tokenRE = regexp.MustCompile(`vt\d+z`)

// visProp drives the visibility property test over the matrix world.
type visProp struct {
	w      *matrixWorld
	rng    *rand.Rand
	next   int
	people []bot.UserID
	// checked counts the records shown that were asked about.
	checked int
}

func (p *visProp) token() string { p.next++; return fmt.Sprintf("vt%dz", p.next) }

// TestPropertyNobodySeesWhatTheModelDenies drives random command sequences
// (a fixed seed, so a failure replays) by the nine roles of the permission
// matrix and checks after every step, on a way out (a different one each
// step, in turn) read by the actor and two random roles, and on every
// message a job plans
// (digest, summary, reminders, nudges, in turn): every record shown passes the
// CanSee… function of whoever reads it, and no line holding an anonymous
// answer names anyone who answered.
func TestPropertyNobodySeesWhatTheModelDenies(t *testing.T) {
	const seed = 12
	start, checked := time.Now(), 0
	for episode := 0; episode < visibilityEpisodes; episode++ {
		checked += runVisibilityEpisode(t, seed, episode)
		if t.Failed() {
			return
		}
	}
	t.Logf("%d steps in %v; %d records shown were checked against the model",
		visibilityEpisodes*visibilitySteps, time.Since(start).Round(time.Millisecond), checked)
}

// runVisibilityEpisode plays one sequence from a fresh matrix world, so
// the world stays small and each step cheap; it returns how many shown
// records it checked.
func runVisibilityEpisode(t *testing.T, seed uint64, episode int) int {
	rng := rand.New(rand.NewPCG(seed, uint64(episode)))
	w := newMatrixWorld(t)
	// dan joins growth, so a person there has three possible peers.
	w.say(admin, "/pulse team add growth "+bot.Mention(dan))
	p := &visProp{w: w, rng: rng}
	for _, r := range matrixRoles {
		p.people = append(p.people, r.id)
	}
	ways := p.ways()
	for step := 0; step < visibilitySteps; step++ {
		who, cmds := p.randomCommands(p.people[rng.IntN(len(p.people))])
		for _, cmd := range cmds {
			w.n++
			w.event(bot.Event{Key: fmt.Sprintf("vp:%d", w.n), Kind: bot.KindCommand, Platform: who.Platform(),
				User: who, Direct: true, Channel: "dm", Text: cmd})
		}
		where := fmt.Sprintf("seed %d episode %d step %d: %s said %q", seed, episode, step, who.Local(), cmds)
		// The records are read only when a step shows one.
		var loaded *propWorld
		world := func() propWorld {
			if loaded == nil {
				x := p.load()
				loaded = &x
			}
			return *loaded
		}
		// The actor and two others read a way out, a different one each
		// step: over the run every role reads every way many times.
		way := ways[(episode+step)%len(ways)]
		for _, reader := range []bot.UserID{who, p.people[rng.IntN(len(p.people))], p.people[rng.IntN(len(p.people))]} {
			p.check(where+" then read "+way.name, reader, func() bot.Viewer { return p.viewer(reader) }, way.read(reader), world)
		}
		p.checkJobs(where, episode+step, world)
		if t.Failed() {
			break
		}
	}
	return p.checked
}

type propWay struct {
	name string
	read func(bot.UserID) string
}

// ways are the ways out a person reads on demand.
func (p *visProp) ways() []propWay {
	w := p.w
	return []propWay{
		{"/goal list team growth", w.dm("/goal list team growth")},
		{"/goal list team sales", w.dm("/goal list team sales")},
		{"/goal tree", w.dm("/goal tree")},
		{"/kudos mine", w.dm("/kudos mine")},
		{"/feedback mine", w.dm("/feedback mine")},
		{"/feedback about alice", w.dm("/feedback about " + bot.Mention(alice))},
		{"/feedback about bob", w.dm("/feedback about " + bot.Mention(bob))},
		{"/scorecard team growth", w.dm("/scorecard team growth")},
		{"/scorecard export growth", w.file("/scorecard export json team growth")},
		{"/scorecard export sales", w.file("/scorecard export json team sales")},
		{"/scorecard me", w.dm("/scorecard me")},
		{"/pulse audit growth", w.dm("/pulse audit team growth")},
		{"App Home", w.action(bot.ActionHome)},
		{"/review show alice", w.dm("/review show " + bot.Mention(alice))},
		{"/review show bob", w.dm("/review show " + bot.Mention(bob))},
		{"/review mine", w.dm("/review mine")},
		{"/review write alice", w.dm("/review write " + bot.Mention(alice))},
	}
}

func (p *visProp) viewer(id bot.UserID) bot.Viewer {
	v, err := p.w.svc.ViewerOf(context.Background(), id)
	if err != nil {
		p.w.t.Fatal(err)
	}
	return v
}

// randomCommands picks one command for who (a check-in or a review is
// its whole conversation), often one that will be refused. Review steps
// pick their own actor among the people of a review — the subject, a
// peer, a manager — so that anonymous reviews do reach three.
func (p *visProp) randomCommands(who bot.UserID) (bot.UserID, []string) {
	cmds := p.commandsOf(&who)
	return who, cmds
}

func (p *visProp) commandsOf(actor *bot.UserID) []string {
	who := *actor
	rng := p.rng
	other := p.people[rng.IntN(len(p.people))]
	goal := fmt.Sprintf("G%d", 1+rng.IntN(12))
	subject := []bot.UserID{alice, bob}[rng.IntN(2)]
	writers := []bot.UserID{alice, bob, chen, dan, maya}
	switch rng.IntN(16) {
	case 10:
		return []string{fmt.Sprintf("/review start team %s Cycle %s due 2026-12-20 %s", []string{"Growth", "Sales"}[rng.IntN(2)],
			p.token(), []string{"anonymous", "named"}[rng.IntN(2)])}
	case 11:
		*actor = subject
		var peers []string
		for _, id := range []bot.UserID{alice, bob, chen, dan} {
			if id != subject {
				peers = append(peers, bot.Mention(id))
			}
		}
		return []string{"/review nominate " + strings.Join(peers[:3], " ")}
	case 12:
		*actor = []bot.UserID{maya, admin, who}[rng.IntN(3)]
		return []string{"/review approve " + bot.Mention(subject)}
	case 13, 14:
		// A whole review most of the time (three answers, two ratings),
		// else a part of one.
		*actor = writers[rng.IntN(len(writers))]
		var out []string
		for i, n := 0, 5-rng.IntN(2)*rng.IntN(5); i < n; i++ {
			answer := "rv " + p.token()
			if i >= 3 {
				answer = fmt.Sprint(1 + rng.IntN(5))
			}
			out = append(out, "/review answer "+bot.Mention(subject)+" "+answer)
		}
		return out
	case 15:
		return []string{"/review release " + bot.Mention(subject) + " anyway"}
	case 0, 1:
		return []string{fmt.Sprintf("/goal new Goal %s to 10 by 2027-06-30", p.token())}
	case 2:
		return []string{"/goal edit " + goal + " private " + []string{"on", "off"}[rng.IntN(2)]}
	case 3:
		return []string{"/kudos " + bot.Mention(other) + " thanks " + p.token()}
	case 4:
		return []string{"/feedback give " + bot.Mention(other) + " fb " + p.token()}
	case 5:
		asked := []bot.UserID{alice, bob, chen, maya, sam}
		rng.Shuffle(len(asked), func(i, j int) { asked[i], asked[j] = asked[j], asked[i] })
		return []string{fmt.Sprintf("/feedback request %s %s %s anonymous", bot.Mention(asked[0]), bot.Mention(asked[1]), bot.Mention(asked[2]))}
	case 6:
		return []string{fmt.Sprintf("/feedback answer FR%d an %s", 1+rng.IntN(4), p.token())}
	case 7:
		return []string{"/feedback visibility growth " + []string{"person", "managers"}[rng.IntN(2)]}
	case 8:
		team := []string{"growth", "sales"}[rng.IntN(2)]
		return []string{fmt.Sprintf("/pulse team %s %s %s", []string{"add", "remove"}[rng.IntN(2)], team, bot.Mention(other))}
	case 9:
		return []string{"/checkin", "ci " + p.token(), "nothing", "none", "3"}
	}
	p.w.clock.Advance(time.Duration(1+rng.IntN(48)) * time.Hour)
	return []string{"/goal list"}
}

// propWorld is every record the test created, by its token.
type propWorld struct {
	goals    map[string]bot.Goal
	kudos    map[string]bot.Kudos
	feedback map[string]bot.Feedback
	settings map[string]bot.ReviewSettings
	checkIns map[string]bot.CheckIn
	// anon maps an anonymous answer's token to its request and answers.
	anon map[string]anonRecord
	// reviews maps a named review sheet's token to it, reviewsAnon an
	// anonymous peer review's token to the reviews of its subject.
	reviews     map[string]reviewRecord
	reviewsAnon map[string]anonReviewRecord
	answerers   []bot.UserID
	now         time.Time
}

type reviewRecord struct {
	c  bot.ReviewCycle
	a  bot.ReviewAnswers
	sh bot.ReviewSheet
}

type anonReviewRecord struct {
	c       bot.ReviewCycle
	sh      bot.ReviewSheet
	count   int
	authors []bot.UserID
}

type anonRecord struct {
	q   bot.FeedbackRequest
	all bot.AnonymousAnswers
}

func (p *visProp) load() propWorld {
	ctx := context.Background()
	st := p.w.store
	x := propWorld{goals: map[string]bot.Goal{}, kudos: map[string]bot.Kudos{}, feedback: map[string]bot.Feedback{},
		settings: map[string]bot.ReviewSettings{}, checkIns: map[string]bot.CheckIn{}, anon: map[string]anonRecord{}, reviews: map[string]reviewRecord{},
		reviewsAnon: map[string]anonReviewRecord{}, now: p.w.clock.Now()}
	far := x.now.AddDate(1, 0, 0)
	for _, team := range []string{"growth", "sales"} {
		must := func(err error) {
			if err != nil {
				p.w.t.Fatalf("load %s: %v", team, err)
			}
		}
		goals, err := st.TeamGoals(ctx, team)
		must(err)
		for _, g := range goals {
			if tok := tokenRE.FindString(g.Title); tok != "" {
				x.goals[tok] = g
			}
		}
		kudos, err := st.TeamKudos(ctx, team, monday.AddDate(-1, 0, 0), far)
		must(err)
		for _, k := range kudos {
			if tok := tokenRE.FindString(k.Message); tok != "" {
				x.kudos[tok] = k
			}
		}
		fb, err := st.TeamFeedback(ctx, team, time.Time{}, far)
		must(err)
		for _, f := range fb {
			if tok := tokenRE.FindString(f.Text); tok != "" {
				x.feedback[tok] = f
			}
		}
		x.settings[team], err = st.ReviewSettings(ctx, team)
		must(err)
		for d := 0; d <= int(x.now.Sub(monday).Hours()/24)+7; d += 7 {
			period := bot.ISOWeek(monday.AddDate(0, 0, d), monday.Location())
			list, err := st.TeamCheckIns(ctx, team, period)
			must(err)
			for _, c := range list {
				for _, a := range c.Answers {
					if tok := tokenRE.FindString(a); tok != "" {
						x.checkIns[tok] = c
					}
				}
			}
		}
		cycles, err := st.ReviewCycles(ctx, team)
		must(err)
		for _, c := range cycles {
			sheets, err := st.ReviewSheets(ctx, team, c.ID)
			must(err)
			sheetOf := map[bot.UserID]bot.ReviewSheet{}
			for _, sh := range sheets {
				sheetOf[sh.Person] = sh
			}
			named, err := st.CycleAnswers(ctx, team, c.ID)
			must(err)
			for _, a := range named {
				for _, tok := range tokenRE.FindAllString(strings.Join(a.Answers, " "), -1) {
					x.reviews[tok] = reviewRecord{c: c, a: a, sh: sheetOf[a.Subject]}
				}
			}
			anon, err := st.CycleAnonymousReviews(ctx, team, c.ID)
			must(err)
			for _, r := range anon.Reviews {
				rec := anonReviewRecord{c: c, sh: sheetOf[r.Subject], count: len(anon.About(r.Subject))}
				for _, a := range anon.Answered {
					if a.Subject == r.Subject {
						rec.authors = append(rec.authors, a.Author)
					}
				}
				for _, tok := range tokenRE.FindAllString(strings.Join(r.Answers, " "), -1) {
					x.reviewsAnon[tok] = rec
				}
			}
		}
		reqs, err := st.TeamFeedbackRequests(ctx, team)
		must(err)
		for _, q := range reqs {
			all, err := st.RequestAnonymousAnswers(ctx, team, q.ID)
			must(err)
			for _, a := range append(append([]bot.AnonymousAnswer(nil), all.Released...), all.Held...) {
				if tok := tokenRE.FindString(a.Text); tok != "" {
					x.anon[tok] = anonRecord{q: q, all: all}
				}
			}
			who, err := st.RequestAnswerers(ctx, team, q.ID)
			must(err)
			x.answerers = append(x.answerers, who...)
		}
	}
	return x
}

// check fails when text, read by v, shows a record CanSee… denies v, or
// names an answerer on a line with an anonymous answer.
func (p *visProp) check(where string, reader bot.UserID, viewer func() bot.Viewer, text string, world func() propWorld) {
	t := p.w.t
	t.Helper()
	if !tokenRE.MatchString(text) && !strings.Contains(text, "feedback.answered") {
		return
	}
	x, v := world(), viewer()
	for _, line := range strings.Split(text, "\n") {
		for _, tok := range tokenRE.FindAllString(line, -1) {
			ok, known := true, true
			switch {
			case x.goals[tok].ID != "":
				ok = bot.CanSeeGoal(v, x.goals[tok])
			case x.kudos[tok].ID != "":
				ok = bot.CanSeeKudos(v, x.kudos[tok])
			case x.feedback[tok].ID != "":
				f := x.feedback[tok]
				ok = bot.CanSeeFeedback(v, f, x.settings[f.TeamID])
			case x.checkIns[tok].Person != "":
				ok = bot.CanSeeCheckIn(v, x.checkIns[tok])
			case x.anon[tok].q.ID != "":
				a := x.anon[tok]
				ok = slices.ContainsFunc(bot.ReleasedAnonymous(v, a.q, a.all), func(ans bot.AnonymousAnswer) bool {
					return strings.Contains(ans.Text, tok)
				})
				for _, who := range x.answerers {
					if strings.Contains(line, string(who)) || strings.Contains(line, capital(who.Local())+":") {
						t.Errorf("%s: %s reads an anonymous answer beside %s: %q", where, reader, who, line)
					}
				}
			case x.reviews[tok].a.Author != "":
				r := x.reviews[tok]
				ok = bot.CanSeeReviewAnswers(v, r.c, r.a, r.sh)
			case x.reviewsAnon[tok].sh.Person != "":
				r := x.reviewsAnon[tok]
				ok = bot.CanSeeAnonymousReviews(v, r.c, r.sh, r.count)
				for _, who := range r.authors {
					if strings.Contains(line, string(who)) || strings.Contains(line, capital(who.Local())) {
						t.Errorf("%s: %s reads an anonymous peer review beside %s: %q", where, reader, who, line)
					}
				}
			default:
				known = false // typed text echoed to its writer, never stored
			}
			if known {
				p.checked++
			}
			if known && !ok {
				t.Errorf("%s: %s reads %s, which the model denies them: %q", where, reader, tok, line)
			}
		}
		if strings.Contains(line, "feedback.answered") {
			for _, who := range x.answerers {
				if strings.Contains(line, string(who)) {
					t.Errorf("%s: the audit names who answered: %q", where, line)
				}
			}
		}
	}
}

func capital(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// checkJobs plans a job of both teams now and checks each message
// against its readers: a channel post against any member of the team, a
// direct message against its recipient.
func (p *visProp) checkJobs(where string, step int, world func() propWorld) {
	ctx := context.Background()
	jobs := []bot.Job{bot.JobScorecardDigest, bot.JobCheckInSummary, bot.JobFeedbackRemind, bot.JobGoalNudge, bot.JobReviewRemind}
	// One job a step, in turn, for both teams: every job is checked every
	// fourth step.
	for _, team := range []string{"growth", "sales"} {
		for _, job := range jobs[step%len(jobs) : step%len(jobs)+1] {
			plan, err := p.w.svc.PlanJob(ctx, bot.JobRequest{Job: job, TeamID: team, At: p.w.clock.Now()})
			if err != nil {
				p.w.t.Fatalf("%s: plan %s %s: %v", where, job, team, err)
			}
			for _, d := range plan {
				viewer, reader := func() bot.Viewer { return bot.ChannelViewer(team) }, bot.UserID("#"+team)
				if to := d.To.User; to != "" {
					viewer, reader = func() bot.Viewer { return p.viewer(to) }, to
				}
				texts := []string{bot.PlainText(d.Msg)}
				for _, m := range d.Thread {
					texts = append(texts, bot.PlainText(m))
				}
				p.check(where+" then job "+string(job), reader, viewer, strings.Join(texts, "\n"), world)
			}
		}
	}
}
