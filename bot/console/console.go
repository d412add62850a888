// Package console is Pulse's terminal adapter: the chat of `pulse try`. It
// reads lines from any reader (a terminal or a piped script), turns each
// into a bot.Event from the current demo user, and prints the core's
// replies as plain text. It is also a bot.Messenger and a bot.FileSender, so
// prompts, digests (with their chart, saved to a file) and notices the
// service sends appear in the same terminal.
package console

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
)

// Config is what a Console needs.
type Config struct {
	// In is read line by line until EOF or /quit; it need not be a terminal.
	In io.Reader
	// Out receives prompts, replies and everything sent through Send.
	Out io.Writer
	// Handler answers events; in Pulse it is the *bot.Service.
	Handler bot.Handler
	// Workspace is the middle part of console user ids, "demo" by default.
	Workspace string
	// Users are the people one can type as; the first is the starting user.
	Users []string
	// Channel is the team channel that "# text" lines are posted in.
	Channel string
	// RunJob runs a scheduled job now for `/run <job>` and returns a summary;
	// nil disables /run.
	RunJob func(ctx context.Context, job string) (string, error)
	// Clock is kept for adapters' symmetry; the console itself does not read the time.
	Clock bot.Clock
	// Locale is the language of the console's own help and notices.
	Locale bot.Locale
	// Echo prints each line read after its prompt, so the transcript of a
	// piped session (where no terminal echoes input) reads like a chat.
	Echo bool
	// FileDir is where files a terminal cannot show (the scorecard chart,
	// large exports) are saved; os.TempDir() when empty.
	FileDir string
}

// Console is a terminal chat with Pulse.
type Console struct {
	cfg Config
	// words is the catalogue the console's own help and notices come from.
	words *bot.Catalog

	mu      sync.Mutex // guards out, user, known, sent and seq
	out     io.Writer
	user    string
	known   map[string]bool
	sent    map[string]bot.MessageRef
	seq     int
	session string
	// next is a line typed in a form that starts with "/": the form is
	// left and the line runs as the next command (Run's loop only).
	next string
}

var _ bot.Messenger = (*Console)(nil)

// New returns a console; Run starts the chat.
func New(cfg Config) (*Console, error) {
	words, err := bot.LoadCatalog()
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	if cfg.Workspace == "" {
		cfg.Workspace = "demo"
	}
	if cfg.Channel == "" {
		cfg.Channel = "team"
	}
	if cfg.Locale == "" {
		cfg.Locale = bot.English
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	c := &Console{
		cfg:     cfg,
		words:   words,
		out:     cfg.Out,
		known:   map[string]bool{},
		sent:    map[string]bot.MessageRef{},
		session: newSession(),
	}
	for _, u := range cfg.Users {
		c.known[u] = true
	}
	if len(cfg.Users) > 0 {
		c.user = cfg.Users[0]
	} else {
		c.user = "me"
		c.known["me"] = true
	}
	return c, nil
}

// newSession returns a random tag that keeps event keys of two console runs
// on one Redis apart (the same key twice would be recorded once).
func newSession() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "s"
	}
	return hex.EncodeToString(b[:])
}

// UserID returns the platform-qualified id of a console user name.
func (c *Console) UserID(name string) bot.UserID {
	return bot.NewUserID(bot.PlatformConsole, c.cfg.Workspace, name)
}

// Run reads lines until EOF, /quit or ctx ends. Each line is a console
// command (/as, /run, /help, /quit), a post in the team channel ("# text"),
// or a direct message to Pulse.
func (c *Console) Run(ctx context.Context) error {
	if c.cfg.Handler == nil {
		return errors.New("console: a handler is required")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines := readLines(ctx, c.cfg.In)
	for {
		line := c.next
		if line == "" {
			var ok bool
			var err error
			line, ok, err = c.prompt(ctx, lines, c.currentUser()+"> ")
			if err != nil || !ok {
				return err
			}
		}
		c.next = ""
		quit, err := c.dispatch(ctx, lines, line)
		if err != nil {
			return err
		}
		if quit {
			c.println(c.text("bye"))
			return nil
		}
	}
}

func (c *Console) dispatch(ctx context.Context, lines <-chan string, line string) (quit bool, err error) {
	trimmed := strings.TrimSpace(line)
	cmd, arg, _ := strings.Cut(trimmed, " ")
	arg = strings.TrimSpace(arg)
	switch {
	case trimmed == "":
		return false, nil
	case cmd == "/quit" || cmd == "/exit":
		return true, nil
	case cmd == "/help":
		c.println(c.text("help",
			"people", strings.Join(c.people(), ", "),
			"jobs", jobNames(),
			"channel", c.cfg.Channel))
		return false, nil
	case cmd == "/as":
		c.switchUser(arg)
		return false, nil
	case cmd == "/run":
		c.runJob(ctx, arg)
		return false, nil
	case strings.HasPrefix(trimmed, "#"):
		body := strings.TrimSpace(strings.TrimPrefix(trimmed, "#"))
		// "#…" is said in the team channel, anything else in the direct chat.
		return false, c.send(ctx, lines, c.event(bot.MessageKind(false, false), body))
	default:
		return false, c.send(ctx, lines, c.event(bot.MessageKind(true, false), trimmed))
	}
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)

func (c *Console) switchUser(name string) {
	if !namePattern.MatchString(name) {
		c.println(c.text("bad_name"))
		return
	}
	c.mu.Lock()
	c.user = name
	c.known[name] = true
	c.mu.Unlock()
	c.println(c.text("now_as", "name", name))
}

func (c *Console) runJob(ctx context.Context, job string) {
	if c.cfg.RunJob == nil {
		c.println(c.text("run_unavailable"))
		return
	}
	if job == "" {
		c.println(c.text("run_usage", "jobs", jobNames()))
		return
	}
	summary, err := c.cfg.RunJob(ctx, job)
	if err != nil {
		c.println(c.text("run_failed", "job", job, "error", err.Error()))
		return
	}
	if summary != "" {
		c.println(summary)
	}
}

func jobNames() string {
	names := make([]string, len(bot.Jobs))
	for i, j := range bot.Jobs {
		names[i] = string(j)
	}
	return strings.Join(names, ", ")
}

// event builds the event for one typed line from the current user.
func (c *Console) event(kind bot.EventKind, body string) bot.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	user := c.user
	key := "console:" + c.session + ":" + strconv.Itoa(c.seq)
	ev := bot.Event{
		Key:      key,
		Kind:     kind,
		Platform: bot.PlatformConsole,
		User:     bot.NewUserID(bot.PlatformConsole, c.cfg.Workspace, user),
		Profile:  bot.Profile{Name: user},
	}
	ev.Text, ev.Names = c.rewriteMentions(body)
	if kind == bot.KindMessage {
		ev.Channel = c.cfg.Channel
	} else {
		ev.Channel = dmChannel(user)
		ev.Direct = true
	}
	ev.Message = bot.MessageRef{Platform: bot.PlatformConsole, Channel: ev.Channel, ID: key}
	return ev
}

// dmChannel is the id of a person's direct chat with Pulse in the console.
func dmChannel(name string) string { return "dm-" + name }

var mentionPattern = regexp.MustCompile(`(^|[\s(,，、])@([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)`)

// rewriteMentions turns "@bob" into bot.Mention(console:demo:bob) for
// people the console knows, and records their names. Must hold c.mu.
func (c *Console) rewriteMentions(s string) (string, map[bot.UserID]string) {
	names := map[bot.UserID]string{}
	out := mentionPattern.ReplaceAllStringFunc(s, func(m string) string {
		sub := mentionPattern.FindStringSubmatch(m)
		lead, name := sub[1], sub[2]
		if !c.known[name] {
			return m
		}
		id := bot.NewUserID(bot.PlatformConsole, c.cfg.Workspace, name)
		names[id] = name
		return lead + bot.Mention(id)
	})
	if len(names) == 0 {
		names = nil
	}
	return out, names
}

// send hands ev to the handler and prints the answer; a form is asked
// field by field and submitted as an action, again while the service
// reports field errors.
func (c *Console) send(ctx context.Context, lines <-chan string, ev bot.Event) error {
	resp, err := c.cfg.Handler.Handle(ctx, ev)
	c.printResponse(ctx, ev, resp, err)
	for err == nil && resp.Reply.IsForm() {
		form := resp.Reply
		btn, ok := submitButton(form)
		if !ok {
			return nil
		}
		c.println(c.text("form_intro"))
		reopen := ev.Text
		if ev.Kind != bot.KindCommand || reopen == "" {
			reopen = btn.Command
		}
		fields, ok, ferr := c.askFields(ctx, lines, formInputs(form), nil, nil, reopen)
		for {
			if ferr != nil || !ok {
				return ferr
			}
			ev = c.event(bot.KindAction, "")
			ev.Action = bot.Action{ID: btn.ID, Value: btn.Value, Fields: c.peopleFields(form, fields, &ev)}
			resp, err = c.cfg.Handler.Handle(ctx, ev)
			if err != nil || len(resp.FieldErrors) == 0 {
				break
			}
			if !c.printFieldErrors(form, resp.FieldErrors) {
				break
			}
			fields, ok, ferr = c.askFields(ctx, lines, formInputs(form), resp.FieldErrors, fields, reopen)
		}
		c.printResponse(ctx, ev, resp, err)
	}
	return nil
}

// peopleFields writes the "@name"s typed into a form's people fields as
// mentions, as in a typed command; the console has no picker.
func (c *Console) peopleFields(form bot.Message, fields map[string]string, ev *bot.Event) map[string]string {
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		out[k] = v
	}
	for _, in := range formInputs(form) {
		if !in.IsPeople() {
			continue
		}
		text, names := c.rewriteMentions(fields[in.ID])
		out[in.ID] = text
		for id, name := range names {
			if ev.Names == nil {
				ev.Names = map[bot.UserID]string{}
			}
			ev.Names[id] = name
		}
	}
	return out
}

// printResponse prints a response by the core's delivery rule
// (bot.Deliver: reaction, reply, file), then says so when there was
// nothing to show.
func (c *Console) printResponse(ctx context.Context, ev bot.Event, resp bot.Response, err error) {
	bot.Deliver(ctx, responder{c}, resp, ev.Key, zerolog.Nop())
	switch {
	case !resp.Reply.IsZero():
	case err != nil:
		c.println(c.text("failed", "error", err.Error()))
	case ev.Kind != bot.KindMessage && resp.Reaction == "" && resp.File == nil:
		c.println(c.text("no_reply"))
	}
}

// responder is the console side of bot.Responder: everything is printed,
// so no part can fail.
type responder struct{ c *Console }

// React prints the reaction's glyph.
func (r responder) React(_ context.Context, name string) error {
	r.c.println(r.c.text("reaction", "reaction", reactionGlyph(name)))
	return nil
}

// Reply prints the reply (a form's introduction for a form).
func (r responder) Reply(_ context.Context, resp bot.Response) error {
	if resp.Reply.IsForm() {
		r.c.println(bot.PlainText(formIntro(resp.Reply)))
		return nil
	}
	r.c.println(bot.PlainText(resp.Reply))
	return nil
}

// SendFile prints the file.
func (r responder) SendFile(_ context.Context, resp bot.Response) error {
	r.c.printFile(*resp.File)
	return nil
}

// printFieldErrors shows what is wrong beside each field's label and
// reports whether any of them is a field the console can ask again.
func (c *Console) printFieldErrors(form bot.Message, errs map[string]string) bool {
	askable := false
	for _, in := range formInputs(form) {
		if msg, ok := errs[in.ID]; ok {
			c.println(in.Label + ": " + msg)
			askable = true
		}
	}
	if !askable {
		for _, msg := range errs {
			c.println(msg)
		}
	}
	return askable
}

func reactionGlyph(name string) string {
	switch name {
	case "check", "white_check_mark":
		return "✅"
	}
	return ":" + name + ":"
}

// formIntro is the form without its inputs and buttons: what to show before
// asking the fields one by one.
func formIntro(m bot.Message) bot.Message {
	out := bot.Message{Title: m.Title}
	for _, b := range m.Blocks {
		switch b.(type) {
		case bot.Input, bot.Buttons:
			continue
		}
		out.Blocks = append(out.Blocks, b)
	}
	return out
}

func formInputs(m bot.Message) []bot.Input {
	var ins []bot.Input
	for _, b := range m.Blocks {
		if in, ok := b.(bot.Input); ok {
			ins = append(ins, in)
		}
	}
	return ins
}

// submitButton is the form's first button: the one that submits it.
func submitButton(m bot.Message) (bot.Button, bool) {
	for _, b := range m.Blocks {
		if row, ok := b.(bot.Buttons); ok && len(row) > 0 {
			return row[0], true
		}
	}
	return bot.Button{}, false
}

// askFields asks the inputs (only those in only, when only is not nil) and
// returns all values, starting from prev.
// A line that starts with "/" is a command, never an answer: /cancel
// leaves the form; any other leaves it too (nothing is sent) and runs
// next, after a line that says how to open the form again (reopen).
func (c *Console) askFields(ctx context.Context, lines <-chan string, inputs []bot.Input, only map[string]string, prev map[string]string, reopen string) (map[string]string, bool, error) {
	fields := map[string]string{}
	for k, v := range prev {
		fields[k] = v
	}
	for _, in := range inputs {
		if only != nil {
			if _, ask := only[in.ID]; !ask {
				continue
			}
		}
		initial := in.Initial
		if v, ok := fields[in.ID]; ok {
			initial = v
		}
		for {
			label := in.Label
			switch {
			case initial != "":
				label += " [" + initial + "]"
			case in.Placeholder != "":
				label += " (" + in.Placeholder + ")"
			}
			line, ok, err := c.prompt(ctx, lines, label+": ")
			if err != nil || !ok {
				return nil, false, err
			}
			line = strings.TrimSpace(line)
			if line == "/cancel" {
				c.println(c.text("form_cancelled"))
				return nil, false, nil
			}
			if strings.HasPrefix(line, "/") || strings.HasPrefix(line, "／") {
				c.println(c.text("form_left", "command", reopen))
				c.next = line
				return nil, false, nil
			}
			if line == "" {
				line = initial
			}
			if line == "" && !in.Optional {
				c.println(c.text("form_required"))
				continue
			}
			fields[in.ID] = line
			break
		}
	}
	return fields, true, nil
}

// Send prints a message Pulse sends on its own (a check-in prompt, a kudos
// notice, a digest), under a heading in the message's language. A key seen
// before returns the first send's reference without printing again, as the
// real platforms' idempotent sends do.
func (c *Console) Send(_ context.Context, to bot.Address, msg bot.Message, key string) (bot.MessageRef, error) {
	loc := msg.Locale
	if loc == "" {
		loc = c.cfg.Locale
	}
	return c.post(to, loc, key, func() string { return bot.PlainText(msg) }), nil
}

// post prints body under the heading of to, written in loc, once per key,
// and returns the reference of the first post with that key.
func (c *Console) post(to bot.Address, loc bot.Locale, key string, body func() string) bot.MessageRef {
	c.mu.Lock()
	defer c.mu.Unlock()
	if key != "" {
		if ref, ok := c.sent[key]; ok {
			return ref
		}
	}
	c.seq++
	head, channel := c.heading(to, loc)
	fmt.Fprintf(c.out, "%s\n%s\n", head, indent(body()))
	ref := bot.MessageRef{Platform: bot.PlatformConsole, Channel: channel, ID: "sent:" + c.session + ":" + strconv.Itoa(c.seq)}
	if key != "" {
		c.sent[key] = ref
	}
	return ref
}

// heading says, in loc, where a message Pulse sends goes, and names that
// conversation.
func (c *Console) heading(to bot.Address, loc bot.Locale) (head, channel string) {
	switch {
	case to.User != "":
		return c.textIn(loc, "to_dm", "name", to.User.Local()), dmChannel(to.User.Local())
	case to.Thread != "":
		return c.textIn(loc, "to_thread", "channel", to.Channel), to.Channel
	default:
		return c.textIn(loc, "to_channel", "channel", to.Channel), to.Channel
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

func (c *Console) currentUser() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user
}

func (c *Console) people() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]string(nil), c.cfg.Users...)
	for name := range c.known {
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

func (c *Console) println(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintln(c.out, s)
}

// prompt prints p and waits for the next line; ok is false at EOF.
func (c *Console) prompt(ctx context.Context, lines <-chan string, p string) (string, bool, error) {
	c.mu.Lock()
	fmt.Fprint(c.out, p)
	c.mu.Unlock()
	select {
	case <-ctx.Done():
		return "", false, nil
	case line, ok := <-lines:
		if !ok {
			c.println("")
			return "", false, nil
		}
		if c.cfg.Echo {
			c.println(line)
		}
		return line, true, nil
	}
}

// readLines feeds the reader's lines to a channel, so Run can stop on ctx
// while a terminal read is still waiting.
func readLines(ctx context.Context, r io.Reader) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		if r == nil {
			return
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			select {
			case ch <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}
