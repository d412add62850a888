package main

// Kill -9 of one of two `pulse serve` processes in the middle of a check-in
// fan-out: the other takes over what the dead one held (queued entries and
// a delivery it was sending) and every member gets exactly one prompt.
//
// The replicas are real processes of the built binary, so the kill is a
// real SIGKILL: no deferred code, no graceful release of leases.
//
// The team is seeded in Redis (created ten minutes ago, with a check-in
// fire one to two minutes ago) rather than declared in PULSE_CONFIG: serve
// re-applies a file's team with CreatedAt = now at every start, so its first
// fire can only be after the start, and the loop wakes every 30 s, which
// would put the fan-out up to 90 s away. A seeded fire is due on the first
// wake of both replicas.
//
// The one window nothing can close is a send that Slack accepted and whose
// sent-marker the dead process had not yet written (chat.postMessage has no
// idempotency key): the survivor sends it again once the lease passes. The
// fake therefore models Slack precisely (a request it admitted is posted,
// whatever happens to the client afterwards) and the test kills at a moment
// outside that window: it holds new sends at the fake's door, waits until
// every admitted send is answered and counted in Redis, and kills a replica
// that has sends waiting at the door (reserved, not yet accepted). A kill
// inside the window would show as a member with two prompts; doc.go's
// "Durable fan-out" section names it.

import (
	"context"
	"fmt"
	"github.com/pulse-bot/pulse/bot/bottest"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/scheduler"
	"github.com/pulse-bot/pulse/store"
)

// killMembers is the size of the fan-out.
const killMembers = 40

// doorSlack is a fake Slack Web API shared by replicas that each call it
// under their own path (/<tag>/api/<method>), so it knows who sent what.
// It can shut its door: sends arriving then wait unaccepted, and a send
// whose client dies while waiting is never posted.
type doorSlack struct {
	srv   *httptest.Server
	delay time.Duration
	zone  string

	mu       sync.Mutex
	posts    []doorPost
	ts       int
	shut     bool
	open     chan struct{}       // closed when the door opens
	inflight map[string]int      // admitted sends not yet answered, by tag
	waiting  map[string][]string // channels of sends at the shut door, by tag
}

type doorPost struct{ Tag, Channel, Text string }

func newDoorSlack(t testing.TB, zone string, delay time.Duration) *doorSlack {
	f := &doorSlack{delay: delay, zone: zone, inflight: map[string]int{}, waiting: map[string][]string{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *doorSlack) url(tag string) string { return f.srv.URL + "/" + tag + "/api/" }

func (f *doorSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	tag, method, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/api/")
	w.Header().Set("Content-Type", "application/json")
	switch method {
	case "auth.test":
		fmt.Fprint(w, `{"ok":true,"user_id":"UBOT","bot_id":"BBOT","team_id":"T1","team":"Acme","user":"pulse"}`)
	case "users.info":
		id := form.Get("user")
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"team_id":"T1","name":%q,"real_name":%q,"tz":%q,"profile":{"display_name":%q}}}`,
			id, strings.ToLower(id), id, f.zone, id)
	case "conversations.open":
		fmt.Fprintf(w, `{"ok":true,"channel":{"id":"D%s"}}`, form.Get("users"))
	case "chat.postMessage":
		channel := form.Get("channel")
		if !f.admit(r.Context(), tag, channel) {
			return // the sender died at the door: Slack never got the message
		}
		f.mu.Lock()
		f.ts++
		ts := fmt.Sprintf("1700000000.%06d", f.ts)
		f.posts = append(f.posts, doorPost{Tag: tag, Channel: channel, Text: form.Get("text")})
		f.mu.Unlock()
		time.Sleep(f.delay) // the platform's own latency, not a test's timing
		f.mu.Lock()
		f.inflight[tag]--
		f.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q,"message_ts":%q}`, channel, ts, ts)
	default:
		fmt.Fprint(w, `{"ok":true}`)
	}
}

// admit lets a send in (counting it in flight), waiting while the door is
// shut; false when the client went away first.
func (f *doorSlack) admit(ctx context.Context, tag, channel string) bool {
	f.mu.Lock()
	for f.shut {
		open := f.open
		f.waiting[tag] = append(f.waiting[tag], channel)
		f.mu.Unlock()
		var gone bool
		select {
		case <-open:
		case <-ctx.Done():
			gone = true
		}
		f.mu.Lock()
		f.waiting[tag] = removeOne(f.waiting[tag], channel)
		if gone {
			f.mu.Unlock()
			return false
		}
	}
	f.inflight[tag]++
	f.mu.Unlock()
	return true
}

func removeOne(s []string, v string) []string {
	for i, x := range s {
		if x == v {
			return append(s[:i:i], s[i+1:]...)
		}
	}
	return s
}

func (f *doorSlack) shutDoor() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.shut {
		f.shut, f.open = true, make(chan struct{})
	}
}

func (f *doorSlack) openDoor() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.shut {
		f.shut = false
		close(f.open)
	}
}

// snapshot returns the posts so far, the admitted sends in flight and the
// channels waiting at the door, by tag.
func (f *doorSlack) snapshot() (posts []doorPost, inflight int, waiting map[string][]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	waiting = map[string][]string{}
	for tag, chs := range f.waiting {
		waiting[tag] = append([]string(nil), chs...)
	}
	for _, n := range f.inflight {
		inflight += n
	}
	return append([]doorPost(nil), f.posts...), inflight, waiting
}

// isPrompt tells a check-in prompt from every other message (reminders included).
func isPrompt(p doorPost) bool { return strings.HasPrefix(p.Text, "Time for your Growth check-in") }

// promptsByChannel counts check-in prompts per DM channel.
func promptsByChannel(posts []doorPost) map[string]int {
	out := map[string]int{}
	for _, p := range posts {
		if isPrompt(p) {
			out[p.Channel]++
		}
	}
	return out
}

// buildPulse builds the binary under test into a fresh directory.
func buildPulse(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to build pulse: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "pulse")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is one `pulse serve` process.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stderr *bottest.LogBuffer
	base   string
	done   chan struct{}
	err    error // set when done is closed
}

func startProc(t *testing.T, bin, name string, env map[string]string) *proc {
	t.Helper()
	p := &proc{name: name, stderr: &bottest.LogBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve")
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitReady waits for the listen line, then for /readyz = 200.
func (p *proc) waitReady(t *testing.T) {
	t.Helper()
	eventually(t, 15*time.Second, p.name+" to listen", func() bool {
		if p.exited() {
			t.Fatalf("%s exited at start: %v\n%s", p.name, p.err, p.stderr.String())
		}
		if m := listenRE.FindStringSubmatch(p.stderr.String()); m != nil {
			p.base = "http://" + m[1]
			return true
		}
		return false
	})
	eventually(t, 15*time.Second, p.name+" to be ready", func() bool {
		resp, err := http.Get(p.base + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

func TestKillNineOfOneReplicaMidFanOutPromptsEveryMemberOnce(t *testing.T) {
	started := time.Now()
	bin := buildPulse(t)
	t.Logf("built pulse in %s", time.Since(started).Round(time.Millisecond))

	// A zone where it is about noon, so the fire a minute ago is on today's
	// local date whatever the hour here, and no other job is due: the
	// reminder is 4 h after the prompt, the summary at 17:00, the 09:00
	// nudges before the team existed.
	now := time.Now()
	off := 12 - now.UTC().Hour()
	zone := "Etc/GMT"
	switch {
	case off > 0:
		zone = fmt.Sprintf("Etc/GMT-%d", off) // POSIX sign: Etc/GMT-3 is UTC+3
	case off < 0:
		zone = fmt.Sprintf("Etc/GMT+%d", -off)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	local := now.In(loc)
	fireAt := local.Truncate(time.Minute).Add(-time.Minute)
	var days []string
	for d := -1; d <= 1; d++ {
		days = append(days, local.AddDate(0, 0, d).Format(time.DateOnly))
	}
	cal := writeFile(t, "workdays.yaml", "holidays: []\nworkdays: ["+strings.Join(days, ", ")+"]\n")

	slack := newDoorSlack(t, zone, 80*time.Millisecond)
	env, st := redisEnv(t) // unique prefix; its keys are deleted (SCAN + UNLINK) at cleanup
	seedTeam(t, st, now.Add(-10*time.Minute), killMembers, func(team *bot.Team) {
		team.TimeZone = zone
		team.CheckInSchedule = fmt.Sprintf("%d %d * * *", fireAt.Minute(), fireAt.Hour())
		team.Holidays = cal
	})
	env["SLACK_BOT_TOKEN"], env["SLACK_SIGNING_SECRET"] = "xoxb-kill-test", wireSecret
	env["PULSE_HTTP_ADDR"] = "127.0.0.1:0"
	env["PULSE_SCHEDULER_RECLAIM_AFTER"] = "2s"

	procs := map[string]*proc{}
	for _, tag := range []string{"a", "b"} {
		e := copyEnv(env)
		e["SLACK_API_URL"] = slack.url(tag)
		procs[tag] = startProc(t, bin, "replica "+tag, e)
	}
	for _, p := range procs {
		p.waitReady(t)
	}

	// The fan-out is under way: shut the door, let every admitted send be
	// answered and counted in Redis, and find a replica with sends waiting.
	eventually(t, 20*time.Second, "the first prompts", func() bool {
		posts, _, _ := slack.snapshot()
		return len(promptsByChannel(posts)) >= 3
	})
	slack.shutDoor()
	var victim string
	var held []string
	var before map[string]int
	eventually(t, 10*time.Second, "admitted sends counted in Redis and a replica waiting at the door", func() bool {
		posts, inflight, waiting := slack.snapshot()
		if inflight > 0 || sentPrompts(t, st) != len(posts) {
			return false
		}
		victim, held = "", nil
		for tag, chs := range waiting {
			if len(chs) > len(held) {
				victim, held = tag, chs
			}
		}
		before = promptsByChannel(posts)
		return victim != ""
	})
	if len(before) >= killMembers {
		t.Fatalf("the fan-out finished before the kill; nothing was interrupted")
	}
	dead := procs[victim]
	if err := dead.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill -9 %s: %v", dead.name, err)
	}
	<-dead.done
	killedAt := time.Now()
	eventually(t, 10*time.Second, "the dead replica's waiting sends to drop", func() bool {
		_, _, waiting := slack.snapshot()
		return len(waiting[victim]) == 0
	})
	t.Logf("killed %s with %d of %d members prompted and %d sends at the door (%v)",
		dead.name, len(before), killMembers, len(held), held)
	slack.openDoor()

	eventually(t, 40*time.Second, "a prompt to every member", func() bool {
		posts, _, _ := slack.snapshot()
		return len(promptsByChannel(posts)) >= killMembers
	})
	t.Logf("every member prompted %s after the kill", time.Since(killedAt).Round(time.Millisecond))

	// Let the last sends be recorded before stopping. A SIGTERM that lands
	// mid-send is a known, separate problem: the stop cancels the send's
	// HTTP request after Slack has it, the worker releases the delivery, and
	// the next replica sends it again (seen here: a restarted replica
	// prompted a member twice).
	eventually(t, 10*time.Second, "every prompt counted sent in Redis", func() bool {
		return sentPrompts(t, st) >= killMembers
	})

	var survivor *proc
	for tag, p := range procs {
		if tag != victim {
			survivor = p
		}
	}
	if err := survivor.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", survivor.name, err)
	}
	select {
	case <-survivor.done:
		if survivor.err != nil {
			t.Errorf("%s exited with %v after SIGTERM, want 0\n%s", survivor.name, survivor.err, survivor.stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not exit within 20 s of SIGTERM", survivor.name)
	}

	// Every member exactly one prompt, each held send among them; Redis
	// counted each delivery once.
	posts, _, _ := slack.snapshot()
	counts := promptsByChannel(posts)
	for i := 1; i <= killMembers; i++ {
		ch := fmt.Sprintf("DU%d", i)
		if counts[ch] != 1 {
			var who []string
			for _, p := range posts {
				if p.Channel == ch && isPrompt(p) {
					who = append(who, p.Tag)
				}
			}
			t.Errorf("member U%d got %d prompts (sent by replicas %v), want 1", i, counts[ch], who)
		}
	}
	for _, p := range posts {
		if !isPrompt(p) {
			t.Logf("other message to %s: %.40q", p.Channel, p.Text)
		}
	}
	if n := sentPrompts(t, st); n != killMembers {
		t.Errorf("the runs count %d prompts sent, want %d\n%s", n, killMembers, survivor.stderr.String())
	}
	t.Logf("whole test %s", time.Since(started).Round(time.Millisecond))
}

// sentPrompts sums the sent deliveries of the team's check-in prompt runs.
func sentPrompts(t testing.TB, st *store.Store) int {
	t.Helper()
	recs, err := st.Runs().Recent(context.Background(), "growth", 50)
	if err != nil {
		t.Fatalf("read runs: %v", err)
	}
	sent := 0
	for _, r := range recs {
		if r.Job == bot.JobCheckInPrompt {
			sent += r.Sent
		}
	}
	return sent
}

func TestReclaimAfterIsCheckedAndSetsEveryTakeoverTime(t *testing.T) {
	for raw, want := range map[string]string{
		"500ms": "PULSE_SCHEDULER_RECLAIM_AFTER: 500ms is below the minimum of 1s",
		"soon":  `PULSE_SCHEDULER_RECLAIM_AFTER: "soon" is not a duration`,
	} {
		_, err := loadConfig(func(k string) string { return map[string]string{"PULSE_SCHEDULER_RECLAIM_AFTER": raw}[k] })
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want a problem %q", raw, err, want)
		}
	}
	cfg, err := loadConfig(func(k string) string { return map[string]string{"PULSE_SCHEDULER_RECLAIM_AFTER": "2s"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	if tm := reclaimTiming(cfg.ReclaimAfter); tm.ClaimIdle != 2*time.Second || tm.SendLease != 2*time.Second || tm.PlanLease != 2*time.Second {
		t.Errorf("2s maps to %+v, want every takeover time 2s", tm)
	}
	if tm := reclaimTiming(0); tm != (scheduler.Timing{}) {
		t.Errorf("unset maps to %+v, want the scheduler's defaults", tm)
	}
}
