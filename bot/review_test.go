package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// The review tests run a team of four members (Ann, Ben, Cat, Dan) managed
// by Mia, with Ada as a Pulse admin and Otto in no team, on real Redis.
var (
	rvAnn  = bot.NewUserID(bot.PlatformConsole, "rv", "ann")
	rvBen  = bot.NewUserID(bot.PlatformConsole, "rv", "ben")
	rvCat  = bot.NewUserID(bot.PlatformConsole, "rv", "cat")
	rvDan  = bot.NewUserID(bot.PlatformConsole, "rv", "dan")
	rvMia  = bot.NewUserID(bot.PlatformConsole, "rv", "mia")
	rvAda  = bot.NewUserID(bot.PlatformConsole, "rv", "ada")
	rvOtto = bot.NewUserID(bot.PlatformConsole, "rv", "otto")
)

// rvStart is Monday 2026-11-23 09:00 in Berlin (ISO week 2026-W48).
var rvStart = time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("CET", 3600))

// rvHarness is the service harness with the review team: Ann, Ben, Cat
// and Dan managed by Mia, Ada a Pulse admin, Otto in no team.
type rvHarness struct{ *harness }

func newRVHarness(t *testing.T) *rvHarness {
	t.Helper()
	return &rvHarness{newTeamHarness(t, rvStart, []bot.UserID{rvAda}, []bot.UserID{rvAnn, rvBen, rvCat, rvDan},
		[]bot.UserID{rvMia}, nil, nil, rvAnn, rvBen, rvCat, rvDan, rvMia, rvAda, rvOtto)}
}

// do sends a command as user in a direct chat and returns the response.
func (h *rvHarness) do(user bot.UserID, text string) bot.Response {
	h.t.Helper()
	h.n++
	resp, err := h.svc.Handle(context.Background(), asAdapter(bot.Event{Key: fmt.Sprintf("rv:%d", h.n), Kind: bot.KindCommand,
		Platform: bot.PlatformConsole, User: user, Direct: true, Channel: "dm", Text: text}))
	if err != nil {
		h.t.Fatalf("%s: %q: %v", user.Local(), text, err)
	}
	return resp
}

// say is do's reply as plain text, with mentions written as "@name" in the command.
func (h *rvHarness) say(user bot.UserID, text string) string {
	h.t.Helper()
	return bot.PlainText(h.do(user, rvMentions(text)).Reply)
}

// rvMentions turns "@ann" into ann's mention token.
func rvMentions(text string) string {
	for _, id := range []bot.UserID{rvAnn, rvBen, rvCat, rvDan, rvMia, rvAda, rvOtto} {
		text = strings.ReplaceAll(text, "@"+id.Local(), bot.Mention(id))
	}
	return text
}

// press sends a button press or form submission.
func (h *rvHarness) press(user bot.UserID, id, value string, fields map[string]string) bot.Response {
	h.t.Helper()
	h.n++
	resp, err := h.svc.Handle(context.Background(), asAdapter(bot.Event{Key: fmt.Sprintf("rv:%d", h.n), Kind: bot.KindAction,
		Platform: bot.PlatformConsole, User: user, Direct: true, Channel: "dm",
		Action: bot.Action{ID: id, Value: value, Fields: fields}}))
	if err != nil {
		h.t.Fatalf("%s: press %s: %v", user.Local(), id, err)
	}
	return resp
}

// refused checks the reply is one sentence that contains want.
func (h *rvHarness) refused(user bot.UserID, text, want string) {
	h.t.Helper()
	got := h.say(user, text)
	if !strings.Contains(got, want) {
		h.t.Fatalf("%s %q: reply %q does not contain %q", user.Local(), text, got, want)
	}
	if strings.Contains(got, "\n") || rvSentenceBreak.MatchString(got) {
		h.t.Fatalf("%s %q: reply is not one sentence: %q", user.Local(), text, got)
	}
}

// rvSentenceBreak finds the end of one sentence followed by another.
var rvSentenceBreak = regexp.MustCompile(`[.!?。！？] *[A-Z\p{Han}]`)

func rvHas(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Fatalf("%q does not contain %q", got, w)
		}
	}
}

func rvLacks(t *testing.T, got string, nots ...string) {
	t.Helper()
	for _, w := range nots {
		if strings.Contains(got, w) {
			t.Fatalf("%q should not contain %q", got, w)
		}
	}
}

// reviewButton finds the review form button in a message.
func reviewButton(t *testing.T, msg bot.Message) bot.Button {
	t.Helper()
	for _, b := range msg.Blocks {
		if row, ok := b.(bot.Buttons); ok {
			for _, btn := range row {
				if btn.ID == bot.ActionReviewSubmit {
					return btn
				}
			}
		}
	}
	t.Fatalf("no review button in %q", bot.PlainText(msg))
	return bot.Button{}
}

// submitForm opens the review form through its button and submits answers.
func (h *rvHarness) submitForm(user bot.UserID, value string, answers ...string) bot.Response {
	h.t.Helper()
	form := h.press(user, bot.ActionReviewSubmit, value, nil).Reply
	if !form.IsForm() {
		h.t.Fatalf("button did not open a form: %q", bot.PlainText(form))
	}
	fields := map[string]string{}
	i := 0
	for _, b := range form.Blocks {
		if in, ok := b.(bot.Input); ok && i < len(answers) {
			fields[in.ID] = answers[i]
			i++
		}
	}
	return h.press(user, bot.ActionReviewSubmit, value, fields)
}

// formValue is the value of the newest review button sent to user about subject.
func (h *rvHarness) formValue(user, subject bot.UserID) string {
	h.t.Helper()
	list := h.out.To(user)
	for i := len(list) - 1; i >= 0; i-- {
		for _, b := range list[i].Msg.Blocks {
			if row, ok := b.(bot.Buttons); ok && len(row) > 0 && row[0].ID == bot.ActionReviewSubmit &&
				strings.Contains(row[0].Value, "|"+string(subject)+"|") {
				return row[0].Value
			}
		}
	}
	h.t.Fatalf("no review button sent to %s", user)
	return ""
}

// deliverOnce plays the scheduler: each delivery key is sent once.
type deliverOnce struct {
	sent map[string]bool
	by   map[bot.UserID]int
}

func (d *deliverOnce) take(list []bot.Delivery) int {
	n := 0
	for _, x := range list {
		if d.sent[x.Key] {
			continue
		}
		d.sent[x.Key] = true
		d.by[x.Person]++
		n++
	}
	return n
}

func TestReviewFullCycleTeamOfFour(t *testing.T) {
	h := newRVHarness(t)
	ctx := context.Background()
	rvHas(t, h.say(rvMia, "/review start team Growth H2 review due 2026-12-15 peers 3"), "C1", "H2 review", "4")
	h.refused(rvMia, "/review start team Growth again due 2026-12-20", "already")
	for _, id := range []bot.UserID{rvAnn, rvBen, rvCat, rvDan} {
		rvHas(t, lastSent(t, h.out, id), "H2 review", "/review nominate")
	}

	// Ann writes her self-review in the form; a bad rating keeps it open.
	value := h.formValue(rvAnn, rvAnn)
	bad := h.submitForm(rvAnn, value, "calm under pressure", "delegate more", "shipped checkout", "7", "4")
	if bad.FieldErrors["r0"] == "" {
		t.Fatalf("rating 7 accepted: %+v", bad)
	}
	rvHas(t, bot.PlainText(h.submitForm(rvAnn, value, "calm under pressure", "delegate more", "shipped checkout", "5", "4").Reply), "nominate")

	// Ben answers one question at a time.
	rvHas(t, h.say(rvBen, "/review answer clear writing"), "2/5")
	rvHas(t, h.say(rvBen, "/review answer speak up earlier"), "3/5")
	rvHas(t, h.say(rvBen, "/review answer ran the pricing test"), "ownership")
	h.refused(rvBen, "/review answer 9", "1 to 5")
	rvHas(t, h.say(rvBen, "/review answer 4"), "candor")
	rvHas(t, h.say(rvBen, "/review answer 3"), "Thanks")

	// Nominations: at most 3, never yourself nor a manager; the manager
	// approves or changes them, and an anonymous cycle needs 3 peers.
	h.refused(rvAnn, "/review nominate @ben @cat @dan @mia", "between 1 and 3")
	h.refused(rvAnn, "/review nominate @ann", "self-review")
	h.refused(rvAnn, "/review nominate @ben @mia", "Mia manages Growth")
	rvHas(t, h.say(rvAnn, "/review nominate @ben @cat"), "Ben, Cat")
	rvHas(t, lastSent(t, h.out, rvMia), "Ann nominated Ben, Cat")
	rvHas(t, h.say(rvBen, "/review nominate @ann @cat"), "Ann, Cat")
	h.refused(rvBen, "/review approve @ann", "managers")
	h.refused(rvMia, "/review approve @ann", "at least 3 peers")
	rvHas(t, h.say(rvMia, "/review approve @ann @ben @cat @dan"), "Ben, Cat, Dan")
	rvHas(t, h.say(rvMia, "/review approve @ben @ann @cat @dan"), "Ann, Cat, Dan")
	rvHas(t, h.say(rvMia, "/review approve @cat @ann @ben @dan"), "Ann, Ben, Dan")
	h.refused(rvAnn, "/review nominate @dan", "already approved")

	// Peers write: Ben by form, Cat one answer at a time.
	h.submitForm(rvBen, h.formValue(rvBen, rvAnn), "great facilitator", "fewer meetings", "led the launch", "5", "4")
	for _, a := range []string{"steady", "share drafts sooner", "unblocked the team", "4", "5"} {
		h.say(rvCat, "/review answer @ann "+a)
	}
	h.refused(rvOtto, "/review write @ann", "not one of this person's reviewers")

	// Status shows who is waiting at each step; Dan owes a self-review and two peer reviews.
	status := h.say(rvMia, "/review status team growth")
	rvHas(t, status, "Self-reviews: 2/4", "waiting for Cat, Dan", "Peer reviews: 2/9", "Dan → Ben")

	// Reminders: none a week out; one per person three days before; the
	// same keys on every run; one more once late.
	runs := &deliverOnce{sent: map[string]bool{}, by: map[bot.UserID]int{}}
	early, err := h.svc.PlanReviewReminders(ctx, "growth", time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC))
	if err != nil || len(early) != 0 {
		t.Fatalf("early reminders = %d, %v", len(early), err)
	}
	for _, day := range []int{13, 14} {
		list, err := h.svc.PlanReviewReminders(ctx, "growth", time.Date(2026, 12, day, 10, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if n := runs.take(list); day == 14 && n != 0 {
			t.Fatalf("second run sent %d new reminders", n)
		}
	}
	late, err := h.svc.PlanReviewReminders(ctx, "growth", time.Date(2026, 12, 16, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	runs.take(late)
	for _, id := range []bot.UserID{rvCat, rvDan, rvMia} {
		if runs.by[id] != 2 {
			t.Fatalf("%s got %d reminders, want 2 (soon, late)", id.Local(), runs.by[id])
		}
	}
	var danLate string
	for _, d := range late {
		if d.Person == rvDan {
			danLate = bot.PlainText(d.Msg)
		}
	}
	rvHas(t, danLate, "was due 2026-12-15", "your self-review", "peer review of Ben", "peer review of Cat")
	h.clock.Set(time.Date(2026, 12, 16, 10, 0, 0, 0, time.UTC))
	rvHas(t, h.say(rvMia, "/review status"), "late: Cat, Dan")

	// Release needs the manager's review, then every step, or "anyway";
	// results keep peers anonymous below the floor: two answers are not shown.
	h.refused(rvMia, "/review release @ann", "manager's review first")
	mgrForm := strings.Join([]string{"growth", "C1", string(rvAnn), bot.RoleManager}, "|")
	h.submitForm(rvMia, mgrForm, "owns outcomes", "coach juniors", "hit the target", "5", "5")
	h.refused(rvAnn, "/review show @ann", "aren't released")
	h.refused(rvMia, "/review release @ann", "still lacks peer reviews")
	rvHas(t, h.say(rvMia, "/review release @ann anyway"), "Released")
	results := lastSent(t, h.out, rvAnn)
	rvHas(t, results, "Review of Ann", "calm under pressure", "owns outcomes", "2 peer review(s) are held back", "What Pulse saw of Ann")
	rvLacks(t, results, "great facilitator", "steady", "Ben", "Cat")
	rvHas(t, h.say(rvAnn, "/review mine"), "owns outcomes", "held back")
	h.refused(rvBen, "/review write @ann", "released")

	// Cat has three peers: once all answered, their answers show without names.
	for _, p := range []bot.UserID{rvAnn, rvBen, rvDan} {
		for _, a := range []string{"kind to " + p.Local(), "focus", "moved churn", "4", "4"} {
			h.say(p, "/review answer @cat "+a)
		}
	}
	for _, a := range []string{"curious", "estimate", "cut churn", "3", "4"} {
		h.say(rvCat, "/review answer "+a)
	}
	for _, a := range []string{"reliable", "say no", "big impact", "4", "4"} {
		h.say(rvMia, "/review answer @cat "+a)
	}
	h.say(rvMia, "/review release @cat")
	cat := lastSent(t, h.out, rvCat)
	rvHas(t, cat, "Peer reviews (3, anonymous)", "kind to ann", "kind to dan", "4.0/5")
	rvLacks(t, cat, "Ann", "Ben", "Dan")

	// In an anonymous cycle the manager's view is anonymous too: the
	// reviews are stored with no author (anonymous_review.go).
	mgr := h.say(rvMia, "/review show @cat")
	rvHas(t, mgr, "Peer reviews (3, anonymous)", "kind to ann")
	rvLacks(t, mgr, "Peer review (Ann)", "Ben", "Dan")
}

// rvCycle starts a cycle with Ann's peers approved and Ben's peer review written.
func rvCycle(t *testing.T, h *rvHarness) {
	t.Helper()
	h.say(rvMia, "/review start team Growth Mid-year due 2026-12-15")
	h.say(rvAnn, "/review nominate @ben @cat @dan")
	h.say(rvMia, "/review approve @ann")
	for _, a := range []string{"sharp", "pace", "big", "4", "4"} {
		h.say(rvBen, "/review answer @ann "+a)
	}
	for _, a := range []string{"solid", "listen", "good", "4", "4"} {
		h.say(rvMia, "/review answer @ann "+a)
	}
	h.say(rvCat, "/feedback give @ann nice demo #candor")
}

func TestReviewPermissionMatrix(t *testing.T) {
	h := newRVHarness(t)
	rvCycle(t, h)
	type read struct {
		cmd     string
		allowed map[bot.UserID]bool
		want    string
	}
	everyone := []bot.UserID{rvAnn, rvBen, rvMia, rvAda, rvOtto} // member, peer, manager, admin, outsider
	reads := []read{
		{"/review status team growth", map[bot.UserID]bool{rvMia: true, rvAda: true}, "Mid-year"},
		{"/review show @ann", map[bot.UserID]bool{rvMia: true, rvAda: true}, "Review of Ann"},
		{"/review meeting @ann", map[bot.UserID]bool{rvMia: true, rvAda: true}, "Review meeting with Ann"},
		// Ben submitted his anonymous review in rvCycle: it is stored with
		// no author, so he can no longer open it.
		{"/review write @ann", map[bot.UserID]bool{rvAnn: true, rvMia: true}, "What Pulse saw of Ann"},
		{"/feedback about @ann", map[bot.UserID]bool{rvAnn: true, rvMia: true, rvAda: true}, "nice demo"},
	}
	for _, rd := range reads {
		for _, who := range everyone {
			got := h.say(who, rd.cmd)
			if rd.allowed[who] != strings.Contains(got, rd.want) {
				t.Errorf("%s as %s: allowed=%v, got %q", rd.cmd, who.Local(), rd.allowed[who], got)
			}
		}
	}
	// A peer's evidence pack leaves out check-ins and feedback; the manager's has them.
	rvHas(t, h.say(rvBen, "/review write @ann"), "without your name")
	peerForm := h.say(rvCat, "/review write @ann")
	rvHas(t, peerForm, "What Pulse saw of Ann")
	rvLacks(t, peerForm, "nice demo")
	rvHas(t, h.say(rvMia, "/review write @ann"), "nice demo")
	// The person reads their results only once released.
	h.refused(rvAnn, "/review show @ann", "aren't released")
	h.say(rvMia, "/review release @ann anyway")
	rvHas(t, h.say(rvAnn, "/review show @ann"), "Review of Ann", "solid")
	rvHas(t, h.say(rvOtto, "/review mine"), "no reviews")
	// Feedback visibility "person" hides it from managers and admins alike
	// (CanSeeFeedback; README "Who sees what": admins as managers).
	h.refused(rvBen, "/feedback visibility growth person", "managers and admins")
	rvHas(t, h.say(rvMia, "/feedback visibility growth person"), "only by the person")
	h.refused(rvMia, "/feedback about @ann", "Only the person")
	rvLacks(t, h.say(rvAda, "/feedback about @ann"), "nice demo")
	rvHas(t, h.say(rvAnn, "/feedback about @ann"), "nice demo")
}

func TestFeedbackGiveAndRequestFlows(t *testing.T) {
	h := newRVHarness(t)
	ctx := context.Background()
	rvHas(t, h.say(rvAnn, "/feedback give @ben the demo was clear #candor #pace"), "Ben has it", "managers")
	rvHas(t, lastSent(t, h.out, rvBen), "Ann: the demo was clear")
	rvHas(t, h.say(rvBen, "/feedback mine"), "Ann", "the demo was clear")
	h.refused(rvAnn, "/feedback give @ann great", "other people")
	h.refused(rvAnn, "/feedback give @ben", "Say who")
	h.refused(rvAnn, "/feedback give @nobody hi", "can't tell who")
	h.refused(rvAnn, "/feedback give @ben @cat hi", "one person")
	h.refused(rvAnn, "/feedback frobnicate", "Try")

	// Anonymous requests need three colleagues and show answers from three on.
	h.refused(rvAnn, "/feedback request @ben @cat about launch anonymous", "at least 3")
	rvHas(t, h.say(rvAnn, "/feedback request @ben @cat @dan about the launch anonymous"), "FR", "2026-11-30")
	dm := lastSent(t, h.out, rvBen)
	rvHas(t, dm, "Ann asks for your feedback", "the launch", "anonymous")
	id := strings.Fields(dm[strings.Index(dm, "answer FR")+len("answer "):])[0]

	rvHas(t, h.say(rvBen, "/feedback answer "+id+" crisp plan"), "anonymously")
	if n := len(h.out.To(rvAnn)); n != 0 {
		t.Fatalf("the requester got %d messages after one anonymous answer; answers go out in batches", n)
	}
	h.say(rvCat, "/feedback answer "+id+" good pacing")
	h.refused(rvBen, "/feedback answer "+id+" again", "already answered")
	h.refused(rvOtto, "/feedback answer "+id+" hi", "not sent to you")
	h.refused(rvOtto, "/feedback answer FR999 hi", "no feedback request")
	mine := h.say(rvAnn, "/feedback mine")
	rvHas(t, mine, "2 of 3 answered")
	rvLacks(t, mine, "crisp plan", "good pacing")

	// Reminders: two days before the deadline, once each, to Dan only.
	plan := func(at time.Time) []bot.Delivery {
		list, err := h.svc.PlanFeedbackReminders(ctx, "growth", at)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	if n := len(plan(rvStart.Add(24 * time.Hour))); n != 0 {
		t.Fatalf("reminders five days early: %d", n)
	}
	first, second := plan(rvStart.Add(6*24*time.Hour)), plan(rvStart.Add(6*24*time.Hour+time.Hour))
	if len(first) != 1 || first[0].Person != rvDan || len(second) != 1 || second[0].Key != first[0].Key {
		t.Fatalf("reminders = %+v then %+v", first, second)
	}
	rvHas(t, bot.PlainText(first[0].Msg), "reminder", "the launch")

	h.say(rvDan, "/feedback answer "+id+" bold call")
	released := lastSent(t, h.out, rvAnn)
	rvHas(t, released, "3 new anonymous answers", "crisp plan", "good pacing", "bold call")
	rvLacks(t, released, "Ben", "Cat", "Dan")
	rvLacks(t, h.say(rvAnn, "/feedback mine"), "held back", "Ben:")
	if n := len(plan(rvStart.Add(6 * 24 * time.Hour))); n != 0 {
		t.Fatalf("reminders after everyone answered: %d", n)
	}

	// An attributed request passes each answer on with its author.
	h.say(rvCat, "/feedback request @dan about onboarding")
	dm = lastSent(t, h.out, rvDan)
	id2 := strings.Fields(dm[strings.Index(dm, "answer FR")+len("answer "):])[0]
	rvHas(t, h.say(rvDan, "/feedback answer "+id2+" warm welcome"), "with your name")
	rvHas(t, lastSent(t, h.out, rvCat), "Dan answered", "warm welcome")
	h.clock.Set(rvStart.Add(8 * 24 * time.Hour))
	h.refused(rvDan, "/feedback answer "+id+" late", "closed")

	// Chinese keywords, Chinese replies.
	if err := h.store.SavePerson(ctx, bot.Person{ID: rvCat, Name: "Cat", Locale: bot.Chinese}); err != nil {
		t.Fatal(err)
	}
	rvHas(t, h.say(rvCat, "/反馈 给 @ben 很好"), "已保存")
}

// Feedback delivered again (its worker stored it and died before replying)
// is recorded once and answered as the first delivery was; the message to
// the recipient carries the event's key, which the messengers send once.
// Before, the second delivery said nothing.
func TestFeedbackRetryIsRecordedOnce(t *testing.T) {
	h := newRVHarness(t)
	ev := bot.Event{Key: "rv:retry", Kind: bot.KindCommand, Platform: bot.PlatformConsole, User: rvAnn, Direct: true,
		Text: rvMentions("/feedback give @ben thanks")}
	var replies []string
	for range 2 {
		resp, err := h.svc.Handle(context.Background(), asAdapter(ev))
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, text(resp))
	}
	list, err := h.store.TeamFeedback(context.Background(), "growth", time.Time{}, rvStart.Add(time.Hour))
	if err != nil || len(list) != 1 {
		t.Fatalf("feedback after retry = %d, %v", len(list), err)
	}
	if replies[1] != replies[0] || replies[0] == "" {
		t.Errorf("the delivery again answered %q, the first %q", replies[1], replies[0])
	}
	for _, dm := range h.out.To(rvBen) {
		if dm.Key != "rv:retry:feedback:"+string(rvBen) {
			t.Errorf("Ben's message carries key %q: a messenger would send it again", dm.Key)
		}
	}

	// An attributed answer delivered again: recorded once, the requester
	// told under one key, the answerer answered again.
	h.say(rvCat, "/feedback request @dan about onboarding")
	dm := lastSent(t, h.out, rvDan)
	id := strings.Fields(dm[strings.Index(dm, "answer FR")+len("answer "):])[0]
	answer := bot.Event{Key: "rv:answer", Kind: bot.KindCommand, Platform: bot.PlatformConsole, User: rvDan, Direct: true,
		Text: "/feedback answer " + id + " warm welcome"}
	first := text(h.event(answer))
	if again := text(h.event(answer)); again != first {
		t.Errorf("the answer delivered again answered %q, the first %q", again, first)
	}
	for _, m := range h.out.To(rvCat) {
		if m.Key != "rv:answer:answer:"+id {
			t.Errorf("Cat's message carries key %q", m.Key)
		}
	}
	all, _ := h.store.TeamFeedback(context.Background(), "growth", time.Time{}, rvStart.Add(time.Hour))
	if len(all) != 2 {
		t.Errorf("%d feedback records after the answer delivered twice, want 2", len(all))
	}
}

func TestReviewMeetingAgendaAndActionNudges(t *testing.T) {
	h := newRVHarness(t)
	ctx := context.Background()
	// A goal far behind pace, a check-in with a blocker, flagged.
	h.clock.Set(rvStart.AddDate(0, 0, -60))
	h.say(rvAnn, "/goal new Raise activation from 10% to 40% by 2026-12-31")
	h.clock.Set(rvStart)
	h.say(rvAnn, "/checkin")
	for _, a := range []string{"closed two deals", "pipeline review", "waiting on legal", "4"} {
		h.do(rvAnn, a)
	}
	h.refused(rvMia, "/review flag @ann 2026-W40", "no finished check-in")
	rvHas(t, h.say(rvMia, "/review flag @ann this week great week"), "2026-W48")
	h.say(rvBen, "/feedback give @ann strong follow-through #ownership")
	h.say(rvCat, "/feedback give @ann owns problems #ownership #calm")
	h.refused(rvBen, "/review action @ann read a book by 2026-12-01", "managers")
	h.refused(rvMia, "/review action @ann read a book", "Type")
	rvHas(t, h.say(rvMia, "/review action @ann run a customer workshop by 2026-12-01"), "A1", "2026-12-01")
	rvHas(t, lastSent(t, h.out, rvAnn), "Mia recorded", "run a customer workshop")

	agenda := h.say(rvMia, "/review meeting @ann")
	rvHas(t, agenda, "Raise activation", "waiting on legal", "2026-W48: closed two deals", "great week",
		"#ownership ×2", "A1 run a customer workshop")

	nudges := func(at time.Time) []bot.Delivery {
		list, err := h.svc.PlanActionNudges(ctx, "growth", at)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	if n := len(nudges(rvStart)); n != 0 {
		t.Fatalf("nudges before due: %d", n)
	}
	due := nudges(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	again := nudges(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
	if len(due) != 1 || due[0].Person != rvAnn || len(again) != 1 || again[0].Key != due[0].Key {
		t.Fatalf("nudges = %+v then %+v", due, again)
	}
	if err := h.svc.Deliver(ctx, due[0]); err != nil {
		t.Fatal(err)
	}
	rvHas(t, lastSent(t, h.out, rvAnn), "A1 is due", "/review action done A1")
	rvHas(t, h.say(rvAnn, "/review action done A1"), "A1 is done")
	if n := len(nudges(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))); n != 0 {
		t.Fatalf("nudges after done: %d", n)
	}
}

func TestReviewExportRoundTripAndAudit(t *testing.T) {
	h := newRVHarness(t)
	ctx := context.Background()
	rvCycle(t, h)
	h.say(rvAnn, "/feedback request @ben @cat @dan anonymous")
	h.say(rvMia, "/review release @ann anyway")
	h.say(rvMia, "/review action @ann mentor a new hire by 2026-12-20")
	h.say(rvMia, "/review questions growth What went well? | What next?")

	exp, err := h.svc.ExportReviews(ctx, "growth")
	if err != nil {
		t.Fatal(err)
	}
	if len(exp) != 1 {
		t.Fatalf("export teams = %d", len(exp))
	}
	x := exp[0]
	// Ben's anonymous peer review is kept apart from the fact that he wrote one.
	if len(x.Cycles) != 1 || len(x.Sheets) != 4 || len(x.Answers) != 1 || len(x.AnonymousReviews) != 1 ||
		len(x.AnonymousReviews[0].Answered) != 1 || len(x.AnonymousReviews[0].Reviews) != 1 || len(x.Feedback) != 1 ||
		len(x.Requests) != 1 || len(x.Actions) != 1 || len(x.Settings.Questions) != 2 {
		t.Fatalf("export = %+v", x)
	}
	first, err := json.Marshal(exp)
	if err != nil {
		t.Fatal(err)
	}
	var back []bot.ReviewExport
	if err := json.Unmarshal(first, &back); err != nil {
		t.Fatal(err)
	}
	second, err := json.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Fatalf("export changed in a JSON round trip:\n%s\n%s", first, second)
	}
	if !back[0].Sheets[0].Released.Equal(x.Sheets[0].Released) || back[0].Answers[0].Ratings["candor"] != 4 {
		t.Fatalf("round trip lost fields: %+v", back[0])
	}

	log, err := h.store.AuditLog(ctx, "growth", 0)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]bool{}
	for _, a := range log {
		actions[a.Action] = true
	}
	for _, want := range []string{"review.started", "review.nominated", "review.peers_approved", "review.answered",
		"review.submitted", "review.released", "review.action", "review.questions", "feedback.given", "feedback.requested"} {
		if !actions[want] {
			t.Errorf("audit log lacks %s", want)
		}
	}
}

func TestBadReviewInputGetsOneSentenceAndSavesNothing(t *testing.T) {
	h := newRVHarness(t)
	ctx := context.Background()
	before, err := h.store.AuditLog(ctx, "growth", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		who  bot.UserID
		text string
		want string
	}{
		{rvAnn, "/review start team Growth H2 due 2026-12-15", "managers"},
		{rvMia, "/review start team Growth due 2026-12-15", "Type"},
		{rvMia, "/review start team Growth H2 due 2020-01-01", "past"},
		{rvMia, "/review start team Growth H2 due someday", "date"},
		{rvMia, "/review start team Growth H2 due 2026-12-15 peers 99", "0 to 10"},
		{rvMia, "/review start team Nope H2 due 2026-12-15", "no team"},
		{rvAnn, "/review nominate @ben", "no open review"},
		{rvMia, "/review status", "no open review"},
		{rvMia, "/review frobnicate", "Try"},
		{rvAnn, "/feedback request", "Name the colleagues"},
		{rvAnn, "/feedback request @ben by 2020-01-01", "past"},
		{rvMia, "/review flag @ann someday", "Type"},
		{rvMia, "/review action @ann learn Go by yesterday-ish", "date"},
		{rvMia, "/review questions growth " + strings.Repeat("q | ", 11) + "q", "1 to 10"},
	} {
		h.refused(c.who, c.text, c.want)
	}
	after, err := h.store.AuditLog(ctx, "growth", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("bad input changed the audit log: %d → %d entries", len(before), len(after))
	}
}

func TestJSONExportIncludesReviews(t *testing.T) {
	h := newRVHarness(t)
	rvCycle(t, h)
	var buf bytes.Buffer
	if err := h.svc.Export(context.Background(), &buf, bot.ExportRequest{Format: "json", TeamID: "growth"}); err != nil {
		t.Fatal(err)
	}
	var doc bot.Export
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Reviews) != 1 || len(doc.Reviews[0].Cycles) != 1 || len(doc.Reviews[0].Sheets) != 4 {
		t.Fatalf("export reviews = %+v; want the team's cycle with its four sheets", doc.Reviews)
	}
}
