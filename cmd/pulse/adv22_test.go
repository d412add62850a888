package main

// Adversary tests for AckFirst as `pulse serve` wires it (round 22): every
// request under "/" is marked as an answer under way, and the inbox
// worker holds fresh entries while one is.

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store/storetest"
)

// adv22PostCommand posts a signed slash command to /slack/commands and
// returns the acknowledgement's body and how long it took.
func adv22PostCommand(t *testing.T, base string, form url.Values) (string, time.Duration) {
	t.Helper()
	req, err := signedSlackRequest(base+"/slack/commands", "application/x-www-form-urlencoded", form.Encode())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	took := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("slash command: %d %s", resp.StatusCode, b)
	}
	return string(b), took
}

// A slash command's request waits (bot.ReplyWait, 2.5 s) for this
// replica's worker to handle the entry it queued, so its reply rides in
// the acknowledgement. That request is itself an answer under way, so
// AckFirst holds its entry for AckFirstFor (2 s): on an otherwise idle
// replica every slash command answers 2 s late, a slow one (over 0.5 s of
// work) loses its inline reply to response_url, and a form's trigger_id
// (valid 3 s) is close to expiring when views.open is called. The same
// holds for modal submissions and Feishu card callbacks.
func TestAdv22SlashCommandIsNotHeldBehindItsOwnRequest(t *testing.T) {
	slack := newWireSlack(t)
	env, st := replicaEnv(t, slack.url())
	seedTeam(t, st, time.Now().Add(-time.Minute), 2, nil)
	pulse := startReplica(t, env)
	help := func(i int) time.Duration {
		form := url.Values{
			"token": {"x"}, "team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {"DU1"}, "channel_name": {"directmessage"},
			"user_id": {"U1"}, "user_name": {"u1"}, "command": {"/pulse"}, "text": {"help"},
			"response_url": {slack.srv.URL + "/response/" + strconv.Itoa(i)}, "trigger_id": {"trig-adv22-" + strconv.Itoa(i)},
			"api_app_id": {"A1"},
		}
		body, took := adv22PostCommand(t, pulse.base, form)
		var reply map[string]any
		if err := json.Unmarshal([]byte(body), &reply); err != nil || reply["text"] == nil && reply["blocks"] == nil {
			t.Fatalf("/pulse help #%d: acknowledgement %q carries no reply (%v)", i, body, err)
		}
		return took
	}
	help(0) // may pay for a cold cache
	if fastest, ok := adv22FastestNotHeld(func(i int) time.Duration { return help(i + 1) }); !ok {
		t.Fatalf("/pulse help answered after %s at the fastest of three on an idle replica; the worker held its entry while its own request waited for it", fastest.Round(time.Millisecond))
	}
}

// adv22FastestNotHeld runs attempt up to three times and reports the
// fastest it took, and whether that was within adv22NotHeld (it stops at
// the first that is). A held entry makes every attempt take AckFirstFor
// (2 s) or more, so the fastest is compared: one attempt slowed by a
// loaded machine does not fail a test.
func adv22FastestNotHeld(attempt func(i int) time.Duration) (time.Duration, bool) {
	var fastest time.Duration
	for i := range 3 {
		if took := attempt(i); i == 0 || took < fastest {
			fastest = took
		}
		if fastest <= adv22NotHeld {
			return fastest, true
		}
	}
	return fastest, false
}

// adv22NotHeld is the slowest answer that shows its entry was not held
// for AckFirstFor (2 s); a held one takes at least that.
const adv22NotHeld = 1500 * time.Millisecond

// Any request under "/" counts as an answer under way from the moment its
// headers are read, before its body is read or its signature checked. One
// unauthenticated client that sends headers and then trickles its body
// (the read timeout allows 10 s) holds every fresh entry of the replica
// for AckFirstFor: all chat work is 2 s late for as long as it keeps a
// connection open. (Unmatched paths such as /favicon.ico and scanners'
// 404s count too, and a flood of them makes a "burst".)
func TestAdv22ASlowUnsignedRequestDoesNotHoldTheWork(t *testing.T) {
	slack := newWireSlack(t)
	env, st := replicaEnv(t, slack.url())
	seedTeam(t, st, time.Now().Add(-time.Minute), 2, nil)
	pulse := startReplica(t, env)

	// A direct message answered once, so the replica is warm.
	if code := postSigned(pulse.base, slackEvent("EvADV22WARM", "U1", "help", "1700000200.000100"), 0); code != http.StatusOK {
		t.Fatalf("warm-up event: %d", code)
	}
	eventually(t, 10*time.Second, "the warm-up reply", func() bool { return len(slack.postsTo("DU1")) == 1 })

	// The slow client: headers, then no body. Expect: 100-continue makes
	// the server say when the handler starts reading the body, that is,
	// when the request is marked as an answer under way.
	conn, err := net.Dial("tcp", strings.TrimPrefix(pulse.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /slack/events HTTP/1.1\r\nHost: pulse\r\nContent-Type: application/json\r\n"+
		"Content-Length: 100\r\nExpect: 100-continue\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(status, "100") {
		t.Fatalf("slow request: %q %v, want 100 Continue", status, err)
	}

	fastest, ok := adv22FastestNotHeld(func(i int) time.Duration {
		start := time.Now()
		id, ts := "EvADV22WORK"+strconv.Itoa(i), "1700000201.00010"+strconv.Itoa(i)
		if code := postSigned(pulse.base, slackEvent(id, "U1", "help", ts), 0); code != http.StatusOK {
			t.Fatalf("event %d: %d", i, code)
		}
		eventually(t, 10*time.Second, "the reply", func() bool { return len(slack.postsTo("DU1")) == 2+i })
		return time.Since(start)
	})
	if !ok {
		t.Fatalf("a direct message was answered %s (the fastest of three) after it was acknowledged, while one unsigned client held a request open", fastest.Round(time.Millisecond))
	}
}

// adv22Processor reports every entry it handles.
type adv22Processor chan string

func (p adv22Processor) ProcessInbox(_ context.Context, e bot.InboxEntry, _ bool) error {
	p <- e.Key
	return nil
}

// panickingInbox is a store that panics while queueing.
type panickingInbox struct{}

func (panickingInbox) Enqueue(context.Context, bot.InboxEntry, time.Duration) (bool, error) {
	panic("store bug")
}

// Held: a delivery whose queueing panics (net/http recovers a webhook's
// panic and drops the connection) still ends its answer, so the worker is
// not left holding every entry for AckFirstFor.
func TestAdv22APanickingEnqueueStillEndsItsAnswer(t *testing.T) {
	clock := bot.NewManualClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	answers := bot.NewAckFirst(clock, 0)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the store's panic did not come through")
			}
		}()
		_, _ = answers.Inbox(panickingInbox{}).Enqueue(context.Background(), bot.InboxEntry{Key: "test:boom"}, time.Hour)
	}()
	st := storetest.MustOpen(t)
	in := st.Inbox()
	proc := make(adv22Processor, 1)
	w, err := bot.NewInboxWorker(bot.InboxWorkerConfig{Queue: in, Consumer: "runner", Log: zerolog.Nop(), Clock: clock,
		Processors: map[bot.Platform]bot.InboxProcessor{bot.PlatformConsole: proc}, AckFirst: answers})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bot.Receive(context.Background(), in, bot.InboxEntry{Key: "test:after-panic", Platform: bot.PlatformConsole,
		Kind: "text", Body: []byte("x"), ReceivedAt: clock.Now()}, time.Hour); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- w.Run(ctx) }()
	defer func() { cancel(); <-stopped }()
	select {
	case <-proc:
	// The clock is stopped: a held entry would never start, so this only
	// keeps a broken worker from hanging the test (1 s was within reach of
	// a -race worker's first read on two loaded cores).
	case <-time.After(10 * time.Second):
		t.Fatal("the worker holds a fresh entry after the panicking answers ended")
	}
}
