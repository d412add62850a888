package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// propertySteps bounds the property test: random commands by random
// people, every view checked after each one.
const propertySteps = 60

// TestPropertyViewsAgreeOnEveryFigure drives random command sequences (a
// fixed seed, so a failure replays) by random people and roles and checks
// after every step: nothing panics or fails, and list, show, tree,
// scorecard, digest and export agree on every goal's progress and status,
// and scorecard, summary and export on the check-in counts.
func TestPropertyViewsAgreeOnEveryFigure(t *testing.T) {
	const seed = 13
	rng := rand.New(rand.NewPCG(seed, seed))
	h := newHarness(t)
	people := []bot.UserID{maya, alice, bob, chen, admin}
	for step := 0; step < propertySteps; step++ {
		who := people[rng.IntN(len(people))]
		cmd := randomCommand(rng, h, who)
		h.say(who, cmd)
		if t.Failed() {
			return
		}
		checkViewsAgree(t, h, fmt.Sprintf("seed %d step %d: %s said %q", seed, step, who.Local(), cmd))
		if t.Failed() {
			return
		}
	}
}

// randomCommand picks a command that may well be refused: the views must
// agree whatever was accepted.
func randomCommand(rng *rand.Rand, h *harness, who bot.UserID) string {
	ids := goalIDList(h)
	goal := func() string {
		if len(ids) == 0 || rng.IntN(10) == 0 {
			return "G" + strconv.Itoa(1+rng.IntN(len(ids)+2))
		}
		return ids[rng.IntN(len(ids))]
	}
	due := h.clock.Now().AddDate(0, 0, 7+rng.IntN(120)).Format("2006-01-02")
	switch rng.IntN(16) {
	case 0, 1:
		base, target := rng.IntN(50), rng.IntN(100)
		cmd := fmt.Sprintf("/goal new Goal %d from %d to %d by %s", rng.IntN(1000), base, target, due)
		if rng.IntN(2) == 0 && len(ids) > 0 {
			cmd += " under " + goal()
		}
		if rng.IntN(4) == 0 {
			cmd += " for team growth"
		}
		return cmd
	case 2:
		return fmt.Sprintf("/goal new Milestone %d", rng.IntN(1000))
	case 3, 4, 5:
		return fmt.Sprintf("/goal %s %d", goal(), rng.IntN(110))
	case 6:
		return "/goal done " + goal()
	case 7:
		return "/goal drop " + goal()
	case 8, 9:
		parent := goal()
		if rng.IntN(4) == 0 {
			parent = "none"
		}
		return "/goal edit " + goal() + " parent " + parent
	case 10:
		return fmt.Sprintf("/goal edit %s target %d", goal(), rng.IntN(100))
	case 11:
		h.clock.Advance(time.Duration(1+rng.IntN(72)) * time.Hour)
		return "/goal list"
	case 12:
		return []string{"/checkin", "done a thing", "next thing", "blocked on review", strconv.Itoa(1 + rng.IntN(5))}[rng.IntN(5)]
	case 13:
		return []string{"/checkin skip busy", "/checkin skip confirm", "/checkin back"}[rng.IntN(3)]
	case 14:
		return "/checkin away until " + h.clock.Now().AddDate(0, 0, rng.IntN(10)).Format("2006-01-02")
	}
	to := []bot.UserID{alice, bob, chen, maya}[rng.IntN(4)]
	return "/kudos " + bot.Mention(to) + " thanks #ownership"
}

func goalIDList(h *harness) []string {
	goals, err := h.store.TeamGoals(context.Background(), "growth")
	if err != nil {
		h.t.Fatal(err)
	}
	out := make([]string, 0, len(goals))
	for _, g := range goals {
		out = append(out, g.ID)
	}
	return out
}

var (
	reStatus   = regexp.MustCompile(`on track|at risk|off track|done|dropped`)
	reCheckIns = regexp.MustCompile(`Check-ins: (\d+)/(\d+)`)
	reAnswered = regexp.MustCompile(`Answered: (\d+)/(\d+)`)
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
		m := regexp.MustCompile(`^\s*(G\d+) [^\n]*?(-?\d+)%(.*)$`).FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		out[m[1]] = figure{percent: n, status: reStatus.FindString(m[3])}
	}
	return out
}

func statusWords(st bot.Status) string { return strings.ReplaceAll(string(st), "_", " ") }

func checkViewsAgree(t *testing.T, h *harness, where string) {
	t.Helper()
	ctx := context.Background()
	var buf bytes.Buffer
	if err := h.svc.Export(ctx, &buf, bot.ExportRequest{Format: "json", TeamID: "growth", Figures: true}); err != nil {
		t.Fatalf("%s: export: %v", where, err)
	}
	var doc bot.Export
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%s: decode export: %v", where, err)
	}
	digest, err := h.svc.PlanJob(ctx, bot.JobRequest{Job: bot.JobScorecardDigest, TeamID: "growth", At: h.clock.Now()})
	if err != nil || len(digest) != 1 {
		t.Fatalf("%s: digest: %v %v", where, digest, err)
	}
	scorecard := text(h.say(maya, "/scorecard team growth"))
	views := map[string]map[string]figure{
		"list":      figuresIn(text(h.say(maya, "/goal list team growth"))),
		"tree":      figuresIn(text(h.say(maya, "/goal tree team growth"))),
		"scorecard": figuresIn(scorecard),
		"digest":    figuresIn(bot.PlainText(digest[0].Msg)),
	}
	for _, g := range doc.Goals {
		f := doc.Figures[g.ID]
		want := figure{percent: int(roundHalfAway(f.Progress)), status: statusWords(f.Status)}
		if g.State == bot.GoalOpen {
			views["show"] = figuresIn(text(h.say(maya, "/goal show "+g.ID)))
		} else {
			delete(views, "show")
		}
		for name, v := range views {
			got, ok := v[g.ID]
			if !ok {
				continue // closed goals leave the list; goals of other weeks the scorecard
			}
			if got != want {
				t.Fatalf("%s: %s shows %s as %+v, export says %+v\n", where, name, g.ID, got, want)
			}
		}
		if g.State == bot.GoalOpen {
			for _, name := range []string{"list", "tree", "scorecard", "show"} {
				if _, ok := views[name][g.ID]; !ok {
					t.Fatalf("%s: %s does not show open goal %s", where, name, g.ID)
				}
			}
		}
	}
	checkCountsAgree(t, h, where, scorecard, doc)
}

// checkCountsAgree compares the check-in counts of the scorecard, the
// summary and the export.
func checkCountsAgree(t *testing.T, h *harness, where, scorecard string, doc bot.Export) {
	t.Helper()
	ds, err := h.svc.PlanJob(context.Background(), bot.JobRequest{Job: bot.JobCheckInSummary, TeamID: "growth", At: h.clock.Now()})
	if err != nil || len(ds) != 1 {
		t.Fatalf("%s: summary: %v %v", where, ds, err)
	}
	sc := reCheckIns.FindStringSubmatch(scorecard)
	sum := reAnswered.FindStringSubmatch(bot.PlainText(ds[0].Msg))
	if sc == nil || sum == nil || len(doc.Participation) != 1 {
		t.Fatalf("%s: counts missing: scorecard %v summary %v export %v", where, sc, sum, doc.Participation)
	}
	p := doc.Participation[0]
	export := []string{strconv.Itoa(len(p.Answered)), strconv.Itoa(len(p.Answered) + len(p.Skipped) + len(p.Missing))}
	if sc[1] != sum[1] || sc[2] != sum[2] || sc[1] != export[0] || sc[2] != export[1] {
		t.Fatalf("%s: check-ins: scorecard %s/%s, summary %s/%s, export %s/%s", where, sc[1], sc[2], sum[1], sum[2], export[0], export[1])
	}
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
