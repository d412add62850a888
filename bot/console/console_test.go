package console

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

// echo is a recording handler that answers "ok: <text>".
func echo() *bottest.Handler {
	return &bottest.Handler{Respond: func(ev bot.Event) (bot.Response, error) {
		return bot.Response{Reply: bot.Message{Blocks: []bot.Block{bot.Text{Text: "ok: " + ev.Text}}}}, nil
	}}
}

func newTestConsole(script string, h bot.Handler, mod func(*Config)) (*Console, *strings.Builder) {
	out := &strings.Builder{}
	cfg := Config{
		In:      strings.NewReader(script),
		Out:     out,
		Handler: h,
		Users:   []string{"alice", "bob", "maya"},
		Channel: "growth",
		Clock:   bot.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		panic(err) // the embedded catalogue is broken: every test would fail
	}
	return c, out
}

func TestRunScriptedSessionSendsEventsAsTheCurrentUser(t *testing.T) {
	rec := echo()
	var jobs []string
	script := strings.Join([]string{
		"/goal list",
		"/as bob",
		"/kudos @alice @maya thanks for the launch #ownership mail me at bob@example.com",
		"# G7 2.6% shipped the payment page",
		"/run checkin-prompt",
		"",
		"/quit",
		"/goal list after quit",
	}, "\n")
	c, out := newTestConsole(script, rec, func(cfg *Config) {
		cfg.RunJob = func(_ context.Context, job string) (string, error) {
			jobs = append(jobs, job)
			return "ran " + job + " for 1 team", nil
		}
	})
	if err := c.Run(context.Background()); err != nil {
		t.Fatalf("run: %v", err)
	}

	if len(rec.Events()) != 3 {
		t.Fatalf("got %d events, want 3: %+v", len(rec.Events()), rec.Events())
	}
	alice := bot.NewUserID(bot.PlatformConsole, "demo", "alice")
	bob := bot.NewUserID(bot.PlatformConsole, "demo", "bob")
	maya := bot.NewUserID(bot.PlatformConsole, "demo", "maya")

	first := rec.Events()[0]
	if first.User != alice || first.Kind != bot.KindCommand || !first.Direct || first.Channel != "dm-alice" ||
		first.Text != "/goal list" || first.Platform != bot.PlatformConsole || first.Profile.Name != "alice" {
		t.Errorf("first event = %+v", first)
	}
	kudos := rec.Events()[1]
	wantText := "/kudos " + bot.Mention(alice) + " " + bot.Mention(maya) + " thanks for the launch #ownership mail me at bob@example.com"
	if kudos.User != bob || kudos.Text != wantText {
		t.Errorf("kudos event user %s text %q, want %s %q", kudos.User, kudos.Text, bob, wantText)
	}
	if kudos.Names[alice] != "alice" || kudos.Names[maya] != "maya" || len(kudos.Names) != 2 {
		t.Errorf("kudos names = %v", kudos.Names)
	}
	post := rec.Events()[2]
	if post.Kind != bot.KindMessage || post.Direct || post.Channel != "growth" || post.Text != "G7 2.6% shipped the payment page" {
		t.Errorf("channel post = %+v", post)
	}
	if post.Message.Channel != "growth" || post.Message.ID == "" || post.Message.Platform != bot.PlatformConsole {
		t.Errorf("channel post message ref = %+v", post.Message)
	}
	keys := map[string]bool{}
	for _, ev := range rec.Events() {
		if ev.Key == "" || keys[ev.Key] {
			t.Errorf("event key %q empty or repeated", ev.Key)
		}
		keys[ev.Key] = true
	}
	if len(jobs) != 1 || jobs[0] != "checkin-prompt" {
		t.Errorf("jobs run = %v", jobs)
	}
	for _, want := range []string{"alice> ", "Now typing as bob.", "bob> ", "ran checkin-prompt for 1 team", "ok: /goal list", "Bye."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "after quit") {
		t.Errorf("a line after /quit was handled:\n%s", out.String())
	}
}

func TestRunKeysDifferBetweenConsoles(t *testing.T) {
	a, b := echo(), echo()
	c1, _ := newTestConsole("hello", a, nil)
	c2, _ := newTestConsole("hello", b, nil)
	if err := c1.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c2.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.Events()[0].Key == b.Events()[0].Key {
		t.Errorf("two console sessions used the same event key %q; a second `pulse try` on one Redis would be deduplicated", a.Events()[0].Key)
	}
}

func TestRunLeavesUnknownMentionsAlone(t *testing.T) {
	rec := echo()
	c, _ := newTestConsole("/kudos @zed thanks", rec, nil)
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := rec.Events()[0].Text; got != "/kudos @zed thanks" {
		t.Errorf("text = %q", got)
	}
}

func TestRunAsAddsNewPeopleAndRejectsBadNames(t *testing.T) {
	rec := echo()
	c, out := newTestConsole("/as dave\n/as bad name!\nhi @dave", rec, nil)
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	dave := bot.NewUserID(bot.PlatformConsole, "demo", "dave")
	if ev := rec.Events()[0]; ev.User != dave || ev.Text != "hi "+bot.Mention(dave) {
		t.Errorf("event = %+v", ev)
	}
	if !strings.Contains(out.String(), "A name is letters") {
		t.Errorf("bad name not refused:\n%s", out.String())
	}
}

func TestRunAsksFormFieldsAndSubmitsAction(t *testing.T) {
	form := bot.Message{Title: "Check-in 2026-W10", Blocks: []bot.Block{
		bot.Text{Text: "Answer these"},
		bot.Input{ID: "done", Label: "Done"},
		bot.Input{ID: "blockers", Label: "Blockers", Optional: true},
		bot.Input{ID: "mood", Label: "Mood", Initial: "3"},
		bot.Buttons{{ID: bot.ActionCheckInSubmit, Label: "Submit", Value: "growth/2026-W10"}},
	}}
	rec := &bottest.Handler{}
	rec.Respond = func(ev bot.Event) (bot.Response, error) {
		n := len(rec.Events())
		switch {
		case ev.Kind == bot.KindCommand:
			return bot.Response{Reply: form}, nil
		case n == 2:
			return bot.Response{FieldErrors: map[string]string{"mood": "Mood is a number from 1 to 5."}}, nil
		default:
			return bot.Response{Reply: bot.Message{Blocks: []bot.Block{bot.Text{Text: "Saved."}}}}, nil
		}
	}
	script := "/checkin\n\nshipped the page\n\n\n4\n"
	c, out := newTestConsole(script, rec, nil)
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rec.Events()) != 3 {
		t.Fatalf("got %d events, want 3:\n%s", len(rec.Events()), out.String())
	}
	first, second := rec.Events()[1], rec.Events()[2]
	if first.Kind != bot.KindAction || first.Action.ID != bot.ActionCheckInSubmit || first.Action.Value != "growth/2026-W10" {
		t.Errorf("first submit = %+v", first)
	}
	want := map[string]string{"done": "shipped the page", "blockers": "", "mood": "3"}
	for k, v := range want {
		if first.Action.Fields[k] != v {
			t.Errorf("first submit field %s = %q, want %q", k, first.Action.Fields[k], v)
		}
	}
	if second.Action.Fields["mood"] != "4" || second.Action.Fields["done"] != "shipped the page" {
		t.Errorf("second submit fields = %v", second.Action.Fields)
	}
	for _, want := range []string{"Check-in 2026-W10", "Answer these", "This field is required.", "Mood [3]: ", "Mood: Mood is a number from 1 to 5.", "Saved."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunFormCancelSendsNothing(t *testing.T) {
	rec := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		return bot.Response{Reply: bot.Message{Blocks: []bot.Block{
			bot.Input{ID: "x", Label: "X"}, bot.Buttons{{ID: "x.submit", Label: "Go"}},
		}}}, nil
	}}
	c, out := newTestConsole("/form\n/cancel\n", rec, nil)
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(rec.Events()) != 1 || !strings.Contains(out.String(), "Form cancelled") {
		t.Errorf("events %d, output:\n%s", len(rec.Events()), out.String())
	}
}

func TestRunPrintsReactionsAndHandlerErrors(t *testing.T) {
	first := true
	rec := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		if first {
			first = false
			return bot.Response{Reaction: "check"}, nil
		}
		return bot.Response{}, errors.New("store down")
	}}
	c, out := newTestConsole("# G1 50%\n/goal list", rec, nil)
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"(Pulse reacted with ✅ to your message)", "Pulse could not answer: store down"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunPrintsTextFiles(t *testing.T) {
	rec := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		return bot.Response{
			Reply: bot.Message{Blocks: []bot.Block{bot.Text{Text: "Here is the export."}}},
			File:  &bot.File{Name: "growth.csv", MIME: "text/csv; charset=utf-8", Data: []byte("kind,id\ngoal,G1\n")},
		}, nil
	}}
	c, out := newTestConsole("/scorecard export csv", rec, nil)
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Here is the export.\n📎 growth.csv (16 bytes):\nkind,id\ngoal,G1\n") {
		t.Errorf("file not shown:\n%s", out.String())
	}
}

func TestRunHelpInChinese(t *testing.T) {
	c, out := newTestConsole("/help\n/as bob", echo(), func(cfg *Config) { cfg.Locale = LocaleFromEnv("zh_CN.UTF-8") })
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"控制台命令", "/as <名字>", "growth", "checkin-prompt", "现在以 bob 的身份输入。"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunEchoesPipedLines(t *testing.T) {
	c, out := newTestConsole("/goal list", echo(), func(cfg *Config) { cfg.Echo = true })
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "alice> /goal list\nok: /goal list") {
		t.Errorf("echo missing:\n%s", out.String())
	}
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	rec := &bottest.Handler{}
	rec.Respond = func(bot.Event) (bot.Response, error) {
		cancel()
		return bot.Response{}, nil
	}
	c, _ := newTestConsole("", rec, func(cfg *Config) { cfg.In = pr })
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	if _, err := io.WriteString(pw, "hello\n"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}

func TestRunWithoutHandlerFails(t *testing.T) {
	c, err := New(Config{In: strings.NewReader("")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Run(context.Background()); err == nil {
		t.Error("run without a handler succeeded")
	}
}

func TestSendPrintsDirectAndChannelMessagesOnce(t *testing.T) {
	c, out := newTestConsole("", echo(), nil)
	ctx := context.Background()
	bob := bot.NewUserID(bot.PlatformConsole, "demo", "bob")
	msg := bot.Message{Title: "Check-in", Blocks: []bot.Block{bot.Text{Text: "What did you get done?"}}}
	ref1, err := c.Send(ctx, bot.Address{Platform: bot.PlatformConsole, User: bob}, msg, "k1")
	if err != nil {
		t.Fatal(err)
	}
	ref2, err := c.Send(ctx, bot.Address{Platform: bot.PlatformConsole, User: bob}, msg, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if ref1 != ref2 || ref1.Channel != "dm-bob" || ref1.ID == "" {
		t.Errorf("refs %+v %+v", ref1, ref2)
	}
	if _, err := c.Send(ctx, bot.Address{Platform: bot.PlatformConsole, Channel: "growth"}, bot.Message{Title: "Digest"}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, bot.Address{Platform: bot.PlatformConsole, Channel: "growth", Thread: ref1.ID}, bot.Message{Title: "alice"}, ""); err != nil {
		t.Fatal(err)
	}
	want := "→ DM to bob:\n  Check-in\n  What did you get done?\n→ #growth:\n  Digest\n→ #growth (thread):\n  alice\n"
	if out.String() != want {
		t.Errorf("output:\n%q\nwant\n%q", out.String(), want)
	}
}

func TestSendIsSafeFromManyGoroutines(t *testing.T) {
	c, out := newTestConsole("", echo(), nil)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = c.Send(context.Background(), bot.Address{Channel: "growth"}, bot.Message{Title: "x"}, "")
		}()
	}
	wg.Wait()
	if n := strings.Count(out.String(), "→ #growth:\n  x\n"); n != 20 {
		t.Errorf("got %d whole messages, want 20:\n%s", n, out.String())
	}
}

// TestRunFormSlashLineIsACommandNeverAnAnswer is the conversation rule in
// a form: a line starting with "/" (the console's own /as, /run, /quit, or
// a Pulse command) leaves the form without sending it, says how to open it
// again, and runs; nothing typed with "/" becomes a field's answer.
func TestRunFormSlashLineIsACommandNeverAnAnswer(t *testing.T) {
	rec := &bottest.Handler{}
	rec.Respond = func(ev bot.Event) (bot.Response, error) {
		if ev.Text == "/review write" {
			return bot.Response{Reply: bot.Message{Blocks: []bot.Block{
				bot.Input{ID: "a", Label: "Strengths"}, bot.Input{ID: "b", Label: "To improve"},
				bot.Buttons{{ID: bot.ActionReviewSubmit, Label: "Submit"}},
			}}}, nil
		}
		return bot.Response{Reply: bot.Message{Blocks: []bot.Block{bot.Text{Text: "ok: " + ev.Text}}}}, nil
	}
	script := "/review write\ncalm\n/as bob\n/review write\n/review nominate @x\n/review write\nkind\n/quit\n"
	c, out := newTestConsole(script, rec, nil)
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	events := rec.Events()
	for _, ev := range events {
		if ev.Kind == bot.KindAction {
			t.Fatalf("a form was submitted: %+v\n%s", ev.Action, out.String())
		}
	}
	var texts []string
	for _, ev := range events {
		texts = append(texts, string(ev.User.Local())+":"+ev.Text)
	}
	want := "alice:/review write|bob:/review write|bob:/review nominate @x|bob:/review write"
	if got := strings.Join(texts, "|"); got != want {
		t.Fatalf("events = %s, want %s\n%s", got, want, out.String())
	}
	for _, w := range []string{"Now typing as bob.", "type /review write to open it again", "Bye."} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
}

// TestEveryMessageKindRendersInItsLanguage sends a message holding every
// block kind to a person and to a channel, in both languages, from a
// console whose own language is the other one: the heading the console
// prints above each message is in the message's language.
func TestEveryMessageKindRendersInItsLanguage(t *testing.T) {
	words := bottest.Catalog(t)
	for _, l := range []bot.Locale{bot.English, bot.Chinese} {
		t.Run(string(l), func(t *testing.T) {
			other := bot.Chinese
			if l == bot.Chinese {
				other = bot.English
			}
			c, out := newTestConsole("", echo(), func(cfg *Config) { cfg.Locale = other })
			msg := bottest.WithButton(t, bottest.EveryKind(t, l))
			ctx := context.Background()
			if _, err := c.Send(ctx, bot.Address{Platform: bot.PlatformConsole, User: c.UserID("bob")}, msg, "dm"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Send(ctx, bot.Address{Platform: bot.PlatformConsole, Channel: "growth"}, msg, "channel"); err != nil {
				t.Fatal(err)
			}
			bottest.AssertInLanguage(t, l, out.String(), msg.Title, words.T(l, "summary_highlights", nil),
				words.T(l, "console_to_dm", map[string]any{"name": "bob"}), words.T(l, "console_to_channel", map[string]any{"channel": "growth"}))
		})
	}
}

// An undone kudos's posts are taken back; the console says so where they were.
func TestRetractSaysTheMessageWasTakenBack(t *testing.T) {
	c, out := newTestConsole("", echo(), nil)
	ref, err := c.Send(context.Background(), bot.Address{Platform: bot.PlatformConsole, Channel: "growth"}, bot.Message{Title: "Kudos"}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Retract(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "(Pulse took back the message it posted in growth)") {
		t.Errorf("output:\n%s", out.String())
	}
}
