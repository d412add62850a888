package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// Regression tests for issue 13, finding 6: custom check-in questions have
// roles, and an answer keeps the question it was asked with.

// answer runs a whole check-in conversation for user.
func (h *harness) answer(user bot.UserID, answers ...string) {
	h.t.Helper()
	h.say(user, "/checkin")
	for _, a := range answers {
		h.say(user, a)
	}
	if c, err := h.store.GetCheckIn(context.Background(), "growth", "2026-W48", user); err != nil || !c.Done() {
		h.t.Fatalf("check-in of %s not finished: %+v %v", user, c, err)
	}
}

// summary plans the team's check-in summary and returns its channel post
// and its thread (one message per person) as text.
func (h *harness) summary() (string, string) {
	h.t.Helper()
	ds, err := h.svc.PlanJob(context.Background(), bot.JobRequest{Job: bot.JobCheckInSummary, TeamID: "growth", At: h.clock.Now()})
	if err != nil || len(ds) != 1 {
		h.t.Fatalf("summary: %v %v", ds, err)
	}
	var thread []string
	for _, m := range ds[0].Thread {
		thread = append(thread, bot.PlainText(m))
	}
	return bot.PlainText(ds[0].Msg), strings.Join(thread, "\n")
}

// blockersSection is the part of a summary or scorecard under "Blockers".
func blockersSection(view string) string {
	_, after, ok := strings.Cut(view, "Blockers")
	if !ok {
		return ""
	}
	before, _, _ := strings.Cut(after, "Highlights")
	return before
}

func mustNotContain(t *testing.T, got string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(got, u) {
			t.Fatalf("%q contains %q", got, u)
		}
	}
}

// The last question was always read as blockers: "Carol" answering "Who
// helped you?" showed as alice's blocker.
func TestFinding6WhoHelpedYouIsNotABlocker(t *testing.T) {
	h := newHarness(t)
	h.say(maya, "/pulse team set growth questions What did you ship? | Who helped you?")
	h.answer(alice, "Launched checkout", "Carol", "4")

	post, thread := h.summary()
	mustNotContain(t, blockersSection(post), "Carol")
	mustContain(t, post, "Highlights", "Alice: Launched checkout")
	mustContain(t, thread, "Who helped you?: Carol")
	mustNotContain(t, blockersSection(text(h.say(maya, "/scorecard team growth"))), "Carol")
	mustNotContain(t, blockersSection(text(h.say(maya, "/scorecard <@"+string(alice)+">"))), "Carol")

	// Three questions without tags: the third is the blockers, "none" still means none.
	h.say(maya, "/pulse team set growth questions Done? | Next? | In your way?")
	h.answer(bob, "Docs", "Tests", "none", "3")
	post, _ = h.summary()
	mustNotContain(t, blockersSection(post), "Bob")
}

// Answers given before the team changed its questions keep their
// questions: labels, highlight and blockers, and an edit asks them again.
func TestFinding6QuestionsChangedAfterAnAnswerKeepItsQuestions(t *testing.T) {
	h := newHarness(t)
	h.answer(alice, "Shipped checkout", "Test plan", "Waiting on legal", "4")
	h.say(bob, "/checkin") // opened, nothing answered: binds no questions
	h.clock.Advance(time.Hour)
	h.say(maya, "/pulse team set growth questions Who helped you? | What did you learn?")

	post, thread := h.summary()
	mustContain(t, thread, "What did you get done since the last check-in?: Shipped checkout", "Is anything blocking you?: Waiting on legal")
	mustNotContain(t, thread, "Who helped you?", "What did you learn?")
	mustContain(t, blockersSection(post), "Alice: Waiting on legal")
	mustContain(t, blockersSection(text(h.say(maya, "/scorecard team growth"))), "Alice: Waiting on legal")
	mustContain(t, blockersSection(text(h.say(maya, "/scorecard <@"+string(alice)+">"))), "Alice: Waiting on legal")

	page, err := h.svc.WebMyPage(context.Background(), alice, 2)
	if err != nil || len(page.CheckIns) != 1 || page.CheckIns[0].Labelled[2].Label != "Is anything blocking you?" {
		t.Fatalf("web view labels %+v, %v", page.CheckIns, err)
	}

	// Editing this week's check-in asks the questions it was answered to.
	mustContain(t, text(h.say(alice, "/checkin")), "1/4", "What did you get done")

	// New check-ins, and ones with nothing answered yet, get the new questions.
	h.answer(bob, "Carol", "Patience", "3")
	_, thread = h.summary()
	mustContain(t, thread, "Who helped you?: Carol")
	c, err := h.store.GetCheckIn(context.Background(), "growth", "2026-W48", bob)
	if err != nil || len(c.Questions) != 2 || c.Questions[0].Text != "Who helped you?" || c.Questions[0].Role != bot.RoleHighlight {
		t.Fatalf("bob's check-in keeps %+v, %v", c.Questions, err)
	}
}

// Tags mark the highlight and the blockers wherever they are; [no
// blockers] leaves a third question free of the role; team show says so.
func TestFinding6RolesMarkedExplicitly(t *testing.T) {
	h := newHarness(t)
	h.say(maya, "/pulse team set growth questions Anything in your way? [blockers] | What did you ship? [highlight] | Who helped you?")
	h.answer(alice, "Legal review", "Checkout", "Carol", "4")
	post, _ := h.summary()
	mustContain(t, blockersSection(post), "Alice: Legal review")
	mustNotContain(t, blockersSection(post), "Carol", "Checkout")
	mustContain(t, post, "Alice: Checkout")
	mustContain(t, text(h.say(maya, "/pulse team show growth")),
		"Anything in your way? [blockers] | What did you ship? [highlight] | Who helped you?")

	h.say(maya, "/pulse team set growth questions Done? | Next? | Who helped you? | [no blockers]")
	h.answer(bob, "Docs", "Tests", "Carol", "3")
	post, _ = h.summary()
	mustNotContain(t, blockersSection(post), "Bob")
	mustContain(t, post, "Bob: Docs")
}

// The team file marks roles by number (highlight_question,
// blockers_question), which ApplyTeam stores.
func TestFinding6TeamFileRoles(t *testing.T) {
	h := newTeamHarness(t, monday, nil, []bot.UserID{alice}, []bot.UserID{maya}, func(team *bot.Team) {
		team.Questions = []string{"Who helped you?", "What did you ship?", "What slows you down?"}
		team.HighlightQuestion, team.BlockersQuestion = 2, bot.NoQuestion
	}, nil, maya, alice)
	h.answer(alice, "Carol", "Checkout", "Slow CI", "4")
	post, _ := h.summary()
	mustContain(t, post, "Alice: Checkout")
	mustNotContain(t, blockersSection(post), "Slow CI", "Carol")
}

// Ambiguous markings are refused with one sentence in the asker's
// language, and nothing is saved.
func TestFinding6AmbiguousRolesRefusedInBothLanguages(t *testing.T) {
	h := newTeamHarness(t, monday, []bot.UserID{admin}, []bot.UserID{alice}, []bot.UserID{maya}, nil,
		map[bot.UserID]bot.Locale{admin: bot.Chinese}, maya, alice, admin)
	cases := []struct {
		who        bot.UserID
		set, wants string
	}{
		{maya, "A? [blockers] | B? [blockers]", "Only one question can be tagged [blockers]"},
		{maya, "A? | [blockers]", "The tag [blockers] goes beside its question"},
		{maya, "A? [highlight] [blockers]", "cannot be both the highlight and the blockers"},
		{maya, "A? [blockers] | [no blockers]", "Only one question can be tagged [blockers]"},
		{admin, "甲？【亮点】｜乙？【亮点】", "只能有一个问题标为【亮点】"},
		{admin, "甲？｜【阻碍】", "标记【阻碍】要写在它的问题旁边"},
		{admin, "甲？【亮点】【阻碍】", "一个问题不能同时是亮点和阻碍"},
		{maya, "A? [blockers] B?", "The tag [blockers] goes at the start or the end of its question"},
		{admin, "甲？【阻碍】乙？", "是不是少了一个「｜」"},
	}
	for _, c := range cases {
		mustContain(t, text(h.say(c.who, "/pulse team set growth questions "+c.set)), c.wants)
	}
	team, err := h.store.GetTeam(context.Background(), "growth")
	if err != nil || len(team.Questions) != 0 || team.HighlightQuestion != 0 || team.BlockersQuestion != 0 {
		t.Fatalf("a refused marking was saved: %+v %v", team, err)
	}
}

// A check-in stored before questions were kept never crashes a view: it
// reads the team's questions when written since they were set, else the
// defaults; an answer beyond every question is labelled by its number.
func TestFinding6OldCheckInsReadAsOfTheirTime(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	old := bot.CheckIn{TeamID: "growth", Person: alice, Period: "2026-W48", Answers: []string{"Shipped", "Tests", "Legal", "Extra"},
		Mood: 4, Completed: h.clock.Now(), UpdatedAt: h.clock.Now()}
	if err := h.store.SaveCheckIn(ctx, old, "", bot.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Hour)
	h.say(maya, "/pulse team set growth questions Who helped you? | What did you learn?")
	post, thread := h.summary()
	mustContain(t, thread, "What did you get done since the last check-in?: Shipped", "Answer 4: Extra")
	mustContain(t, blockersSection(post), "Alice: Legal")

	// Written after the questions were set: those questions, their roles.
	h.clock.Advance(time.Hour)
	later := bot.CheckIn{TeamID: "growth", Person: bob, Period: "2026-W48", Answers: []string{"Carol", "Patience"},
		Mood: 3, Completed: h.clock.Now(), UpdatedAt: h.clock.Now()}
	if err := h.store.SaveCheckIn(ctx, later, "", bot.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	post, thread = h.summary()
	mustContain(t, thread, "Who helped you?: Carol", "What did you learn?: Patience")
	mustNotContain(t, blockersSection(post), "Bob")
	mustContain(t, text(h.say(maya, "/scorecard team growth")), "Legal")
}
