package main

// Slash commands under Redis faults (issue 11). A slash command has no
// platform retry: the person reads the answer and acts on it. Queued, it
// must be recorded once; "Not saved" (Redis refused or could not be
// reached) must mean nothing was stored, so sending it again records it
// once; "Not confirmed" (Redis did not answer in time: it may still run the
// command) asks the person to check before sending it again. A person who
// does what each answer says ends with every command recorded exactly once.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
)

// commandAnswer is what the person read after sending a slash command.
type commandAnswer int

const (
	answerQueued       commandAnswer = iota // an empty 200 or the reply itself
	answerNotSaved                          // "Not saved": send it again
	answerNotConfirmed                      // "Not confirmed": check, then send again if missing
	answerNone                              // no answer at all (connection failed)
)

// typedCommand is one command the person means to give once, and what
// each sending of it was answered.
type typedCommand struct {
	note    string
	answers []commandAnswer
}

// postCommand sends a signed /goal command as Slack does and reads the
// answer; it never fails the test (it runs in goroutines).
func postCommand(base, text, trigger string) commandAnswer {
	form := url.Values{
		"team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {"DU1"}, "channel_name": {"directmessage"},
		"user_id": {"U1"}, "user_name": {"u1"}, "command": {"/goal"}, "text": {text},
		"response_url": {base + "/nowhere"}, "trigger_id": {trigger}, "api_app_id": {"A1"},
	}
	req, err := signedSlackRequest(base+"/slack/commands", "application/x-www-form-urlencoded", form.Encode())
	if err != nil {
		return answerNone
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answerNone
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode != http.StatusOK:
		return answerNone
	case strings.Contains(string(b), "Not saved"):
		return answerNotSaved
	case strings.Contains(string(b), "Not confirmed"):
		return answerNotConfirmed
	}
	return answerQueued
}

// commandLoad is the person typing "/goal G1 +1 cmd step N" every 100 ms.
type commandLoad struct {
	base string
	goal string
	mu   sync.Mutex
	cmds []*typedCommand
	wg   sync.WaitGroup
}

func (l *commandLoad) send(c *typedCommand) {
	l.mu.Lock()
	trigger := fmt.Sprintf("trig-%s-%d-%d", strings.ReplaceAll(c.note, " ", "-"), len(c.answers), time.Now().UnixNano())
	l.mu.Unlock()
	a := postCommand(l.base, fmt.Sprintf("%s +1 %s", l.goal, c.note), trigger)
	l.mu.Lock()
	c.answers = append(c.answers, a)
	l.mu.Unlock()
}

func (l *commandLoad) fire(n int) {
	c := &typedCommand{note: fmt.Sprintf("cmd step %d", n)}
	l.mu.Lock()
	l.cmds = append(l.cmds, c)
	l.mu.Unlock()
	l.wg.Go(func() { l.send(c) })
}

func (c *typedCommand) last() commandAnswer { return c.answers[len(c.answers)-1] }

// recordedNotes counts the recorded updates of goal by note.
func recordedNotes(t *testing.T, st *store.Store, goal string) map[string]int {
	t.Helper()
	ups, err := st.GoalUpdates(context.Background(), goal, time.Time{}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, u := range ups {
		out[u.Note]++
	}
	return out
}

// runCommandFault types commands before, during and after fault..heal,
// then does what each answer said, once the inbox has drained (the person
// checks a moment later), and checks every command is recorded once. The
// fault must have refused some commands with the answer want.
func runCommandFault(t *testing.T, fault, heal func(w *faultWorld, pulse *replica), want commandAnswer) {
	w := newFaultWorld(t, false)
	pulse := startReplica(t, w.env)
	l := &commandLoad{base: pulse.base, goal: w.goals[bot.PlatformSlack]}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	n := 0
	for range 5 {
		<-tick.C
		n++
		l.fire(n)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fault(w, pulse)
		heal(w, pulse)
	}()
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-tick.C:
			n++
			l.fire(n)
		}
	}
	l.wg.Wait()
	drained := func() bool {
		left, err := w.st.Inbox().Backlog(context.Background())
		return err == nil && left == 0
	}
	eventually(t, 30*time.Second, "the inbox drained", drained)
	got := recordedNotes(t, w.st, l.goal)
	refused := 0
	for _, c := range l.cmds {
		switch c.last() {
		case answerNotSaved, answerNone:
			refused++
			if got[c.note] != 0 {
				t.Errorf("%q was answered %v and yet recorded %d times: a person sending it again records it twice", c.note, c.answers, got[c.note])
			}
		case answerNotConfirmed:
			refused++
		}
		if c.last() == want {
			want = -1 // the fault produced the answer it should: seen once is enough
		}
	}
	if want != -1 {
		t.Errorf("no command was answered %v during the fault", want)
	}
	// The person does what each answer said.
	for _, c := range l.cmds {
		for attempt := 0; c.last() != answerQueued && attempt < 3; attempt++ {
			if c.last() == answerNotConfirmed && got[c.note] > 0 {
				break
			}
			l.send(c)
		}
	}
	eventually(t, 30*time.Second, "the inbox drained after the resends", drained)
	got = recordedNotes(t, w.st, l.goal)
	for _, c := range l.cmds {
		if got[c.note] != 1 {
			t.Errorf("%q answered %v: recorded %d times, want once", c.note, c.answers, got[c.note])
		}
	}
	t.Logf("%d commands, %d refused during the fault, every one recorded once after the person acted on the answer", len(l.cmds), refused)
}

func TestSlashCommandsThroughRedisFaultsAreRecordedOnceWhenThePersonActsOnTheAnswer(t *testing.T) {
	t.Parallel()
	// Down, too, is mostly "Not confirmed": serve's client dials again until
	// the queueing bound, so a refused connection ends as a timeout, and
	// "Not saved" is said only of a refusal that came before it.
	t.Run("redis down", func(t *testing.T) {
		t.Parallel()
		runCommandFault(t, func(w *faultWorld, _ *replica) {
			w.rds.stop()
			waitOut(4 * time.Second)
		}, func(w *faultWorld, pulse *replica) {
			w.rds.start()
			eventually(t, 15*time.Second, "/readyz back to 200", func() bool { return pulse.get(t, "/readyz") == http.StatusOK })
		}, answerNotConfirmed)
	})
	t.Run("redis hung", func(t *testing.T) {
		t.Parallel()
		runCommandFault(t, func(w *faultWorld, _ *replica) {
			w.rds.pause()
			waitOut(4 * time.Second)
		}, func(w *faultWorld, pulse *replica) {
			w.rds.resume()
			eventually(t, 15*time.Second, "/readyz back to 200", func() bool { return pulse.get(t, "/readyz") == http.StatusOK })
		}, answerNotConfirmed)
	})
}
