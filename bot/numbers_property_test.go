package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store/storetest"
)

// The property test runs propertySeeds sequences of propertySteps random
// steps each, every sequence on fresh state and seeded by its number, so a
// failure names the subtest (seed) and step to replay it:
// go test -race -run 'TestPropertyViewsAgreeOnEveryFigure/seed=17$' ./bot
// The first propertyRedisSeeds sequences run on the real Redis, the rest on
// the embedded store: the views do not depend on which. propertyWorkers
// sequences run at a time: most of a step is waiting on a store. Under
// the race detector the first propertyRaceSeeds sequences run (it looks
// for data races, which a sample finds as well); scripts/test runs all
// 2,000 steps again without it.
const (
	propertyRaceSeeds  = 10
	propertySeeds      = 100
	propertySteps      = 20
	propertyRedisSeeds = 2
	propertyWorkers    = 4
)

// dave has a profile but is in no team: an outsider.
var dave = bot.NewUserID(bot.PlatformConsole, "demo", "dave")

// TestPropertyViewsAgreeOnEveryFigure drives random command sequences by
// random people in every role (manager, admin, member, outsider) and checks
// after every step: nothing panics or fails, and list, show, tree,
// scorecard, digest, App Home and export agree on every goal's progress and
// status, and scorecard, digest, /scorecard me, summary and export on the
// check-in states and kudos counts — of this week, and of a past week when
// a step reads one.
func TestPropertyViewsAgreeOnEveryFigure(t *testing.T) {
	seeds := make(chan uint64)
	var wg sync.WaitGroup
	for range propertyWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range seeds {
				// Each sequence has its own store, service and clock.
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runPropertySequence(t, seed) })
			}
		}()
	}
	seedCount := uint64(propertySeeds)
	if raceEnabled {
		seedCount = propertyRaceSeeds
	}
	for seed := uint64(1); seed <= seedCount; seed++ {
		seeds <- seed
	}
	close(seeds)
	wg.Wait()
}

func runPropertySequence(t *testing.T, seed uint64) {
	var st bot.Store
	if seed <= propertyRedisSeeds {
		st = storetest.MustOpen(t)
	} else {
		st = storetest.MustOpenEmbedded(t)
	}
	h := newTeamHarnessOn(t, st, monday, []bot.UserID{admin}, []bot.UserID{alice, bob, chen}, []bot.UserID{maya},
		func(team *bot.Team) { team.KudosAllowance = 3 }, map[bot.UserID]bot.Locale{chen: bot.Chinese},
		maya, alice, bob, chen, admin, dave)
	// Design: chen is a member of two teams, bob a member of one and the
	// manager of the other.
	design := bot.NewTeam("Design", bot.PlatformConsole, "design", monday)
	design.TimeZone, design.Members, design.Managers = "Asia/Shanghai", []bot.UserID{chen}, []bot.UserID{bob}
	if err := h.svc.ApplyTeam(context.Background(), design); err != nil {
		t.Fatal(err)
	}
	p := &propertyRun{t: t, h: h, rng: rand.New(rand.NewPCG(seed, seed))}
	for step := 0; step < propertySteps; step++ {
		who := []bot.UserID{maya, admin, alice, alice, bob, bob, chen, dave}[p.rng.IntN(8)]
		cmds := p.randomStep(who)
		p.history = append(p.history, fmt.Sprintf("%s: %s", who.Local(), strings.Join(cmds, " ⏎ ")))
		where := fmt.Sprintf("seed %d step %d (%s); the steps so far:\n  %s", seed, step, h.clock.Now().Format(time.RFC3339),
			strings.Join(p.history, "\n  "))
		var last string
		for _, c := range cmds {
			last = text(h.say(who, c))
		}
		if t.Failed() {
			t.Fatalf("%s", where)
		}
		p.checkNow(where, step, p.goalOf(cmds))
		if strings.HasPrefix(cmds[0], "/scorecard team growth ") {
			p.checkPast(where, cmds[0], last)
		}
	}
}

// propertyRun is one sequence: its random source and what it did so far.
type propertyRun struct {
	t       *testing.T
	h       *harness
	rng     *rand.Rand
	history []string
}

// randomStep picks what one person types in one step, often something that
// is refused: the views must agree whatever was accepted. A check-in is
// one step of several messages.
func (p *propertyRun) randomStep(who bot.UserID) []string {
	rng, now := p.rng, p.h.clock.Now()
	goal := p.randomGoal
	due := now.AddDate(0, 0, 7+rng.IntN(120)).Format("2006-01-02")
	one := func(format string, args ...any) []string { return []string{fmt.Sprintf(format, args...)} }
	choice := rng.IntN(28)
	if p.goals() < 3 && rng.IntN(2) == 0 {
		choice = 0 // few goals: make one, so edits and updates have something to act on
	}
	switch choice {
	case 0, 1:
		cmd := fmt.Sprintf("/goal new Goal %d from %d to %d%s by %s", rng.IntN(1000), rng.IntN(50), rng.IntN(100), p.unit(), due)
		if rng.IntN(2) == 0 {
			cmd += " under " + goal()
		}
		if rng.IntN(4) == 0 {
			cmd += " for team growth"
		}
		return []string{cmd}
	case 2:
		return one("/goal new Milestone %d", rng.IntN(1000))
	case 3, 4, 5:
		return one("/goal %s %d", goal(), rng.IntN(110))
	case 6:
		return one("/goal done %s", goal())
	case 7:
		return one("/goal drop %s", goal())
	case 8:
		parent := goal()
		if rng.IntN(4) == 0 {
			parent = "none"
		}
		return one("/goal edit %s parent %s", goal(), parent)
	case 9:
		cmd := fmt.Sprintf("/goal edit %s target %d%s", goal(), rng.IntN(100), p.unit())
		if rng.IntN(3) == 0 {
			cmd += fmt.Sprintf(" from %d", rng.IntN(50))
		}
		return []string{cmd}
	case 10:
		return one("/goal edit %s baseline %d", goal(), rng.IntN(50))
	case 11:
		return one("/goal edit %s due %s", goal(), due)
	case 12:
		p.h.clock.Advance(time.Duration(1+rng.IntN(72)) * time.Hour)
		return one("/goal list")
	case 13:
		p.h.clock.Advance(time.Duration(1+rng.IntN(3)) * 7 * 24 * time.Hour)
		return one("/goal list")
	case 14, 15:
		return []string{"/checkin", "done a thing", "next thing", "blocked on review", strconv.Itoa(1 + rng.IntN(5))}
	case 16:
		return []string{"/checkin skip busy", "/checkin skip confirm", "/checkin back"}[rng.IntN(3):][:1]
	case 17:
		return one("/checkin away until %s", now.AddDate(0, 0, rng.IntN(10)).Format("2006-01-02"))
	case 18, 19:
		return one("/kudos %s thanks #ownership", p.recipients())
	case 20:
		return one("/scorecard team growth %s", []string{"last week", bot.ISOWeek(now.AddDate(0, 0, -7*rng.IntN(4)), mustZone("Europe/Berlin"))}[rng.IntN(2)])
	case 21:
		return one("/scorecard %s", []string{"me", bot.Mention(bob), "last week"}[rng.IntN(3)])
	case 22:
		return one("/goal show %s", goal())
	case 23:
		return one("/pulse me team %s", []string{"growth", "design", "none"}[rng.IntN(3)])
	case 24:
		return one("/pulse team %s growth %s", []string{"add", "remove"}[rng.IntN(2)], bot.Mention([]bot.UserID{alice, bob, chen, dave}[rng.IntN(4)]))
	case 25:
		return one("/pulse team set growth questions %s", []string{
			"What did you ship? [highlight] | Who helped you? | Anything in your way? [blockers]",
			"Who helped you? | What did you ship? [highlight] | What is next? [no blockers]",
			"What is in your way? [blockers] | What did you ship? [highlight]",
			"done | next | blockers",
		}[rng.IntN(4)])
	case 26:
		return one("/goal tree")
	}
	return p.inTeam(p.randomStep(who))
}

// inTeam names the team on a command that needs one, as someone in
// several teams must (or is asked which).
func (p *propertyRun) inTeam(cmds []string) []string {
	if !strings.HasPrefix(cmds[0], "/goal new") && !strings.HasPrefix(cmds[0], "/kudos") && cmds[0] != "/checkin" &&
		!strings.HasPrefix(cmds[0], "/scorecard me") {
		return cmds
	}
	out := append([]string{}, cmds...)
	out[0] += " team " + []string{"growth", "design"}[p.rng.IntN(2)]
	return out
}

// unit is a random unit for a goal's measure, often none.
func (p *propertyRun) unit() string {
	return []string{"", "", "%", " orders"}[p.rng.IntN(4)]
}

// recipients are one or two random people, the outsider among them.
func (p *propertyRun) recipients() string {
	people := []bot.UserID{alice, bob, chen, maya, dave}
	out := bot.Mention(people[p.rng.IntN(len(people))])
	if p.rng.IntN(3) == 0 {
		out += " " + bot.Mention(people[p.rng.IntN(len(people))])
	}
	return out
}

// goals is how many goals the team has.
func (p *propertyRun) goals() int { return len(p.teamGoals()) }

func (p *propertyRun) teamGoals() []bot.Goal {
	goals, err := p.h.store.TeamGoals(context.Background(), "growth")
	if err != nil {
		p.t.Fatal(err)
	}
	return goals
}

// randomGoal names a goal of the team, now and then one that does not exist.
func (p *propertyRun) randomGoal() string {
	goals := p.teamGoals()
	if len(goals) == 0 || p.rng.IntN(10) == 0 {
		return "G" + strconv.Itoa(1+p.rng.IntN(len(goals)+2))
	}
	return goals[p.rng.IntN(len(goals))].ID
}

var reGoalID = regexp.MustCompile(`\bG\d+\b`)

// goalOf is the goal a step named, to show it after the step.
func (p *propertyRun) goalOf(cmds []string) string {
	return reGoalID.FindString(cmds[0])
}

var (
	reStatus   = regexp.MustCompile(`on track|at risk|off track|done|dropped`)
	reGoalLine = regexp.MustCompile(`^\s*(G\d+) [^\n]*?(-?\d+)%(.*)$`)
	reCheckIns = regexp.MustCompile(`Check-ins: (\d+)/(\d+)`)
	reAnswered = regexp.MustCompile(`Answered: (\d+)/(\d+)`)
	reTeamKud  = regexp.MustCompile(`Kudos: given (\d+) \S+ · received (\d+)`)
	reMeKudos  = regexp.MustCompile(`Kudos: given (\d+) · received (\d+)`)
	rePerson   = regexp.MustCompile(`(?m)^• (\w+) — (checked in|skipped|away|no check-in)(?: · [^·\n]*)? · updates \d+ · kudos received (\d+), given (\d+)`)
)

// figure is a goal's progress (rounded as shown) and status in one view.
type figure struct {
	percent int
	status  string
}

// figuresIn reads every goal line of a view: the first percentage after
// the goal's id is its progress, the first status word its status.
func figuresIn(view string) map[string]figure {
	out := map[string]figure{}
	for _, line := range strings.Split(view, "\n") {
		m := reGoalLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		out[m[1]] = figure{percent: n, status: reStatus.FindString(m[3])}
	}
	return out
}

func statusWords(st bot.Status) string { return strings.ReplaceAll(string(st), "_", " ") }

// checkNow reads the views of this week once and compares them with the
// export: goal figures, check-in states and kudos counts. List, tree,
// scorecard, digest and summary are read after every step; one goal's
// show, a member's App Home and their /scorecard me in turn.
func (p *propertyRun) checkNow(where string, step int, named string) {
	t, h := p.t, p.h
	t.Helper()
	doc := exportFigures(t, h, bot.ExportRequest{})
	scorecard := text(h.say(maya, "/scorecard team growth"))
	views := map[string]string{
		"list":      text(h.say(maya, "/goal list team growth")),
		"tree":      text(h.say(maya, "/goal tree team growth")),
		"scorecard": scorecard,
		"digest":    p.digest(h.clock.Now()),
	}
	open := map[string]bool{}
	for _, g := range doc.Goals {
		open[g.ID] = g.State == bot.GoalOpen
	}
	// Alice and Bob read English; Chen's views are the same code in Chinese.
	member := []bot.UserID{alice, bob}[step%2]
	switch step % 3 {
	case 0:
		if named == "" || !open[named] {
			named = p.someOpenGoal(doc)
		}
		if named != "" {
			views["show"] = text(h.say(maya, "/goal show "+named))
		}
	case 1:
		h.n++
		views["App Home"] = text(h.event(bot.Event{Key: fmt.Sprintf("home:%d", h.n), Kind: bot.KindAction,
			Platform: bot.PlatformConsole, User: member, Direct: true, Channel: "dm", Action: bot.Action{ID: bot.ActionHome}}))
	default:
		p.checkMe(where, doc.Participation[0], member)
	}
	p.compareGoals(where, exported(doc), views, open, "list", "tree", "scorecard")
	p.checkCounts(where, doc.Participation[0], scorecard, views["digest"], p.summary(h.clock.Now()))
}

func (p *propertyRun) someOpenGoal(doc bot.Export) string {
	var ids []string
	for _, g := range doc.Goals {
		if g.State == bot.GoalOpen {
			ids = append(ids, g.ID)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	return ids[p.rng.IntN(len(ids))]
}

// compareGoals checks that every goal line of every view shows the
// reference figures, and that the views in mustShow list every open goal.
func (p *propertyRun) compareGoals(where string, ref map[string]figure, views map[string]string, open map[string]bool, mustShow ...string) {
	p.t.Helper()
	for name, v := range views {
		for id, got := range figuresIn(v) {
			w, ok := ref[id]
			if !ok {
				continue // a goal named in a note or a title, not a goal line
			}
			if got != w {
				p.t.Fatalf("%s\n%s shows %s as %+v, want %+v:\n%s", where, name, id, got, w, v)
			}
		}
	}
	for _, name := range mustShow {
		shown := figuresIn(views[name])
		for id, isOpen := range open {
			if _, ok := shown[id]; isOpen && !ok {
				p.t.Fatalf("%s\n%s does not show open goal %s:\n%s", where, name, id, views[name])
			}
		}
	}
}

// exported are the export's goal figures as views round them.
func exported(doc bot.Export) map[string]figure {
	out := make(map[string]figure, len(doc.Figures))
	for id, f := range doc.Figures {
		out[id] = figure{percent: int(roundHalfAway(f.Progress)), status: statusWords(f.Status)}
	}
	return out
}

// checkCounts compares check-in states and kudos counts of the scorecard,
// the digest and the summary with the export's.
func (p *propertyRun) checkCounts(where string, part bot.PeriodParticipation, scorecard, digest, summary string) {
	t := p.t
	t.Helper()
	expected := len(part.Answered) + len(part.Skipped) + len(part.Missing)
	wantCounts := fmt.Sprintf("%d/%d", len(part.Answered), expected)
	for name, v := range map[string]string{"scorecard": scorecard, "digest": digest} {
		sc := reCheckIns.FindStringSubmatch(v)
		if sc == nil || sc[1]+"/"+sc[2] != wantCounts {
			t.Fatalf("%s\n%s counts check-ins %v, the export %s:\n%s", where, name, sc, wantCounts, v)
		}
		k := reTeamKud.FindStringSubmatch(v)
		if k == nil || k[1] != strconv.Itoa(part.Kudos.TotalGiven()) || k[2] != strconv.Itoa(part.Kudos.TotalReceived()) {
			t.Fatalf("%s\n%s counts kudos %v, the export %+v:\n%s", where, name, k, part.Kudos, v)
		}
		p.checkPeople(where, name, part, v)
	}
	sum := reAnswered.FindStringSubmatch(summary)
	if sum == nil || sum[1]+"/"+sum[2] != wantCounts {
		t.Fatalf("%s\nsummary counts %v, the export %s:\n%s", where, sum, wantCounts, summary)
	}
	if got, w := blockers(scorecard, true), blockers(summary, false); got != w {
		t.Fatalf("%s\nthe scorecard's blockers\n%s\nare not the summary's\n%s\n---\n%s\n---\n%s", where, got, w, scorecard, summary)
	}
	for label, ids := range map[string][]bot.UserID{"Skipped": part.Skipped, "Away": part.Away, "Not yet": part.Missing} {
		if line := label + ": " + names(ids); !strings.Contains(summary, line) {
			t.Fatalf("%s\nsummary lacks %q:\n%s", where, line, summary)
		}
	}
}

// checkPeople compares a scorecard's line for each member with the export.
func (p *propertyRun) checkPeople(where, name string, part bot.PeriodParticipation, view string) {
	p.t.Helper()
	lines := rePerson.FindAllStringSubmatch(view, -1)
	if n := len(part.Answered) + len(part.Skipped) + len(part.Away) + len(part.Missing); len(lines) != n {
		p.t.Fatalf("%s\n%s has %d member lines, the export %d members:\n%s", where, name, len(lines), n, view)
	}
	for _, m := range lines {
		id := bot.NewUserID(bot.PlatformConsole, "demo", strings.ToLower(m[1]))
		got := fmt.Sprintf("%s received %s given %s", m[2], m[3], m[4])
		if w := fmt.Sprintf("%s received %d given %d", stateOf(part, id), part.Kudos.Received[id], part.Kudos.Given[id]); got != w {
			p.t.Fatalf("%s\n%s shows %s as %q, the export %q:\n%s", where, name, m[1], got, w, view)
		}
	}
}

// checkMe compares a member's own scorecard with the export.
func (p *propertyRun) checkMe(where string, part bot.PeriodParticipation, member bot.UserID) {
	p.t.Helper()
	me := text(p.h.say(member, "/scorecard me team growth"))
	if !inParticipation(part, member) {
		return // removed from growth: nothing of theirs to compare
	}
	k := reMeKudos.FindStringSubmatch(me)
	w := []string{strconv.Itoa(part.Kudos.Given[member]), strconv.Itoa(part.Kudos.Received[member])}
	if k == nil || k[1] != w[0] || k[2] != w[1] {
		p.t.Fatalf("%s\n%s's /scorecard me counts kudos %v, the export %v:\n%s", where, member.Local(), k, w, me)
	}
	if !strings.Contains(me, "Check-ins: "+stateOf(part, member)) {
		p.t.Fatalf("%s\n%s's /scorecard me does not say %q:\n%s", where, member.Local(), stateOf(part, member), me)
	}
}

// checkPast compares a past week's scorecard and the digest run late for
// that week with the export ending with it (goal figures as of the week's
// end), and their counts with the export's and the week's summary.
func (p *propertyRun) checkPast(where, cmd, scorecard string) {
	t, h := p.t, p.h
	t.Helper()
	if !strings.HasPrefix(scorecard, "Scorecard of Growth, ") {
		return // refused: a week before the team
	}
	period := strings.Fields(strings.SplitN(scorecard, "\n", 2)[0])[3]
	from, to, err := bot.WeekBounds(period, mustZone("Europe/Berlin"))
	if err != nil {
		t.Fatalf("%s\n%s shows period %q: %v", where, cmd, period, err)
	}
	if !to.Before(h.clock.Now()) {
		return // this week, checked after every step
	}
	doc := exportFigures(t, h, bot.ExportRequest{From: from, To: to})
	if doc.Participation[0].Period != period {
		t.Fatalf("%s\nexport to %s reads period %s, want %s", where, to, doc.Participation[0].Period, period)
	}
	digest := p.digest(from.AddDate(0, 0, 4).Add(16 * time.Hour))
	p.compareGoals(where, exported(doc), map[string]string{"scorecard": scorecard, "late digest": digest}, nil)
	p.checkCounts(where, doc.Participation[0], scorecard, digest, p.summary(to.Add(-time.Hour)))
}

func (p *propertyRun) digest(at time.Time) string {
	p.t.Helper()
	ds, err := p.h.svc.PlanJob(context.Background(), bot.JobRequest{Job: bot.JobScorecardDigest, TeamID: "growth", At: at})
	if err != nil || len(ds) != 1 {
		p.t.Fatalf("digest at %s: %v %v", at, ds, err)
	}
	return bot.PlainText(ds[0].Msg)
}

func (p *propertyRun) summary(at time.Time) string {
	p.t.Helper()
	ds, err := p.h.svc.PlanJob(context.Background(), bot.JobRequest{Job: bot.JobCheckInSummary, TeamID: "growth", At: at})
	if err != nil || len(ds) == 0 {
		p.t.Fatalf("summary at %s: %v %v", at, ds, err)
	}
	return bot.PlainText(ds[0].Msg)
}

// stateOf is a member's check-in state in the export, as the scorecard words it.
func stateOf(part bot.PeriodParticipation, id bot.UserID) string {
	switch {
	case slices.Contains(part.Answered, id):
		return "checked in"
	case slices.Contains(part.Skipped, id):
		return "skipped"
	case slices.Contains(part.Away, id):
		return "away"
	}
	return "no check-in"
}

var reBlockerAge = regexp.MustCompile(` \([^()]*\)$`)

// blockers are the lines of a view's Blockers section, sorted, without the
// scorecard's age of each.
func blockers(view string, aged bool) string {
	var out []string
	in := false
	for _, line := range strings.Split(view, "\n") {
		switch {
		case line == "Blockers":
			in = true
		case in && strings.HasPrefix(line, "• "):
			if aged {
				line = reBlockerAge.ReplaceAllString(line, "")
			}
			out = append(out, line)
		default:
			in = false
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// inParticipation reports whether id is a member counted in part.
func inParticipation(part bot.PeriodParticipation, id bot.UserID) bool {
	for _, ids := range [][]bot.UserID{part.Answered, part.Skipped, part.Away, part.Missing} {
		if slices.Contains(ids, id) {
			return true
		}
	}
	return false
}

// names are the harness's display names of ids, as the summary lists them.
func names(ids []bot.UserID) string {
	if len(ids) == 0 {
		return "—"
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strings.ToUpper(id.Local()[:1]) + id.Local()[1:]
	}
	return strings.Join(out, ", ")
}

// roundHalfAway rounds as fmt's %.0f does for the values shown.
func roundHalfAway(v float64) float64 {
	n, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 0, 64), 64)
	if n == 0 {
		return 0
	}
	return n
}

// exportFigures exports the growth team with its figures, as JSON, decoded.
func exportFigures(t *testing.T, h *harness, req bot.ExportRequest) bot.Export {
	t.Helper()
	req.Format, req.TeamID, req.Figures = "json", "growth", true
	var buf bytes.Buffer
	if err := h.svc.Export(context.Background(), &buf, req); err != nil {
		t.Fatalf("export: %v", err)
	}
	var doc bot.Export
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("decode export: %v", err)
	}
	if len(doc.Participation) != 1 {
		t.Fatalf("export participation %+v, want one week", doc.Participation)
	}
	return doc
}
