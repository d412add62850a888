package main

// Delivery under faults (issue 11): progress updates arrive from Slack and
// Feishu while Redis hangs, while it is down, and while a replica dies. The
// test answers as the platforms do: Slack retries a delivery not answered
// 2xx (X-Slack-Retry-Num 1, 2, 3), Feishu pushes the same event_id again.
// Slack's retries come after 1 and 5 minutes, Feishu's after 15 s and 5
// minutes, so the first retry is sent at once and the later ones once the
// fault is over. Whatever the answers were, every event must be recorded
// exactly once in the end: an event answered 2xx must not be lost, an event
// answered otherwise must be recorded once its retry gets through, and no
// retry may record it a second time.

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
)

// platformRetries is how often Slack retries a delivery it got no 2xx for.
const platformRetries = 3

// delivery is one event and what the platform was answered for it.
type delivery struct {
	platform bot.Platform
	id       string
	note     string // "step N", unique: how the recorded update is found
	text     string
	n        int   // the sequence number, for the Slack message ts
	codes    []int // the answer to each attempt; 0 = no answer
}

func (d *delivery) acked() bool {
	for _, c := range d.codes {
		if c >= 200 && c < 300 {
			return true
		}
	}
	return false
}

// faultLoad sends progress updates ("/goal G<n> +1 step N") to one or more
// replicas as Slack and Feishu deliver them, and keeps every answer.
type faultLoad struct {
	t      *testing.T
	feishu *feishuSide // nil: Slack only
	// base picks the replica the next delivery goes to.
	base func(i int) string

	mu     sync.Mutex
	events []*delivery
	seq    atomic.Int64
	wg     sync.WaitGroup
}

// feishuSide is the Feishu app the replicas serve.
type feishuSide struct {
	appID string
	goal  string
}

// fire sends one Slack event and, with Feishu on, one Feishu push, each in
// its own goroutine (the platforms do not wait for one answer before the
// next delivery), with the first retry at once when it is not answered 2xx.
func (l *faultLoad) fire(slackGoal string) {
	n := l.seq.Add(1)
	note := fmt.Sprintf("step %d", n)
	l.start(&delivery{platform: bot.PlatformSlack, id: fmt.Sprintf("EvFault%d", n), note: note,
		text: fmt.Sprintf("/goal %s +1 %s", slackGoal, note), n: int(n)})
	if l.feishu != nil {
		note := fmt.Sprintf("feishu step %d", n)
		l.start(&delivery{platform: bot.PlatformFeishu, id: fmt.Sprintf("fault-%d-%d", time.Now().UnixNano(), n), note: note,
			text: fmt.Sprintf("/goal %s +1 %s", l.feishu.goal, note), n: int(n)})
	}
}

func (l *faultLoad) start(d *delivery) {
	l.mu.Lock()
	l.events = append(l.events, d)
	l.mu.Unlock()
	l.wg.Go(func() {
		l.attempt(d)
		if !l.isAcked(d) {
			l.attempt(d)
		}
	})
}

func (l *faultLoad) isAcked(d *delivery) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return d.acked()
}

// attempt delivers d once more (a retry when it was delivered before).
func (l *faultLoad) attempt(d *delivery) {
	l.mu.Lock()
	retry := len(d.codes)
	l.mu.Unlock()
	var code int
	switch d.platform {
	case bot.PlatformSlack:
		code = postSigned(l.base(d.n), slackEvent(d.id, "U1", d.text, fmt.Sprintf("1700001000.%06d", d.n)), retry)
	case bot.PlatformFeishu:
		code = pushFeishu(l.base(d.n), l.feishu.appID, feishuTextEvent(l.t, l.feishu.appID, d.id, d.text))
	}
	l.mu.Lock()
	d.codes = append(d.codes, code)
	l.mu.Unlock()
}

// finish waits for every delivery in flight, then sends the later retries
// of every event still not answered 2xx, as the platforms would once the
// fault is over.
func (l *faultLoad) finish() {
	l.wg.Wait()
	for _, d := range l.snapshot() {
		for attempts := len(d.codes); !d.acked() && attempts <= platformRetries; attempts++ {
			l.attempt(d)
		}
	}
}

func (l *faultLoad) snapshot() []*delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*delivery(nil), l.events...)
}

// pushFeishu is postFeishu without t.Fatal, for goroutines: 0 when the
// replica did not answer.
func pushFeishu(base, appID string, plain []byte) int {
	code, err := feishuPush(base, plain)
	if err != nil {
		return 0
	}
	return code
}

// expectExactlyOnce waits until every event is recorded, then checks each
// once: by the note of its update on its goal.
func expectExactlyOnce(t *testing.T, st *store.Store, l *faultLoad, goals map[bot.Platform]string, within time.Duration) {
	t.Helper()
	events := l.snapshot()
	counts := func() map[string]int {
		out := map[string]int{}
		for _, id := range goals {
			ups, err := st.GoalUpdates(context.Background(), id, time.Time{}, time.Now().Add(time.Hour))
			if err != nil {
				return nil
			}
			for _, u := range ups {
				out[u.Note]++
			}
		}
		return out
	}
	deadline := time.Now().Add(within)
	var got map[string]int
	for {
		got = counts()
		missing := 0
		for _, d := range events {
			if got[d.note] == 0 {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var acked, retried, lost, doubled, dropped int
	for _, d := range events {
		n := got[d.note]
		switch {
		case d.acked() && d.codes[0] >= 200 && d.codes[0] < 300:
			acked++
		case d.acked():
			retried++
		default:
			dropped++
			t.Errorf("%s event %s was never answered 2xx in %d deliveries %v: the platform gave up on it", d.platform, d.id, len(d.codes), d.codes)
		}
		switch {
		case n == 0 && d.acked():
			lost++
			t.Errorf("%s event %s answered %v: acknowledged but never recorded", d.platform, d.id, d.codes)
		case n > 1:
			doubled++
			t.Errorf("%s event %s answered %v: recorded %d times", d.platform, d.id, d.codes, n)
		}
	}
	t.Logf("%d events: %d acknowledged at once, %d after retries, %d never; %d lost, %d doubled", len(events), acked, retried, dropped, lost, doubled)
}

// faultWorld is a private redis-server with team Growth on Slack (G1, owned
// by U1) and, with Feishu, team Launch (its goal owned by the Feishu user).
type faultWorld struct {
	rds   *privateRedis
	st    *store.Store
	slack *wireSlack
	fs    *sbsFeishu
	env   map[string]string
	goals map[bot.Platform]string
	side  *feishuSide
}

func newFaultWorld(t *testing.T, withFeishu bool) *faultWorld {
	t.Helper()
	w := &faultWorld{rds: startPrivateRedis(t), slack: newWireSlack(t), goals: map[bot.Platform]string{}}
	rdb, err := store.Connect(w.rds.url())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	w.st = store.New(rdb, store.Options{Prefix: "pulse:"})
	now := time.Now().Add(-time.Minute)
	seedTeam(t, w.st, now, 3, nil)
	w.goals[bot.PlatformSlack] = faultGoal(t, w.st, "growth", "slack:T1:U1", now)
	w.env = map[string]string{
		"REDIS_URL":       w.rds.url(),
		"SLACK_BOT_TOKEN": "xoxb-fault-test", "SLACK_SIGNING_SECRET": wireSecret, "SLACK_API_URL": w.slack.url(),
	}
	if !withFeishu {
		return w
	}
	w.fs = newSBSFeishu(t)
	user := bot.NewUserID(bot.PlatformFeishu, sbsFeishuTenant, sbsFeishuUser)
	svc, err := bot.NewService(bot.Config{Store: w.st, Clock: bot.NewManualClock(now)})
	if err != nil {
		t.Fatal(err)
	}
	launch := bot.NewTeam("Launch", bot.PlatformFeishu, sbsFeishuChannel, now)
	launch.Members = []bot.UserID{user}
	if err := svc.ApplyTeam(context.Background(), launch); err != nil {
		t.Fatal(err)
	}
	w.goals[bot.PlatformFeishu] = faultGoal(t, w.st, launch.ID, user, now)
	w.side = &feishuSide{appID: fmt.Sprintf("cli_fault_%d_%d", time.Now().UnixNano(), sbsAppSeq.Add(1)), goal: w.goals[bot.PlatformFeishu]}
	for k, v := range map[string]string{
		"FEISHU_MODE": "webhook", "FEISHU_APP_ID": w.side.appID, "FEISHU_APP_SECRET": "fault-secret",
		"FEISHU_VERIFICATION_TOKEN": sbsFeishuToken, "FEISHU_ENCRYPT_KEY": sbsFeishuKey, "FEISHU_BASE_URL": w.fs.srv.URL,
	} {
		w.env[k] = v
	}
	return w
}

// faultGoal stores an open counting goal (0 → 1,000,000) owned by owner.
func faultGoal(t *testing.T, st *store.Store, team string, owner bot.UserID, now time.Time) string {
	t.Helper()
	g, err := st.CreateGoal(context.Background(), bot.Goal{TeamID: team, Title: "Count", Owner: owner, CreatedBy: owner,
		Metric: bot.Metric{Target: 1e6}, Start: now, Due: now.AddDate(1, 0, 0), State: bot.GoalOpen, UpdatedAt: now}, bot.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	return g.ID
}

// during sends a delivery (Slack, and Feishu when on) every 100 ms from
// before fault until after heal, with both holding their own waits.
func (w *faultWorld) during(t *testing.T, base func(int) string, fault, heal func()) *faultLoad {
	l := &faultLoad{t: t, feishu: w.side, base: base}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for range 10 {
		<-tick.C
		l.fire(w.goals[bot.PlatformSlack])
	}
	stop := make(chan struct{})
	go func() {
		defer close(stop)
		fault()
		heal()
	}()
	for done := false; !done; {
		select {
		case <-stop:
			done = true
		case <-tick.C:
			l.fire(w.goals[bot.PlatformSlack])
		}
	}
	for range 10 {
		<-tick.C
		l.fire(w.goals[bot.PlatformSlack])
	}
	l.finish()
	return l
}

func TestRedisHungTenSecondsMidTrafficRecordsEveryEventOnce(t *testing.T) {
	t.Parallel()
	w := newFaultWorld(t, true)
	pulse := startReplica(t, w.env)
	l := w.during(t, func(int) string { return pulse.base },
		func() {
			w.rds.pause()
			waitOut(10 * time.Second)
		},
		func() {
			w.rds.resume()
			eventually(t, 15*time.Second, "/readyz back to 200", func() bool { return pulse.get(t, "/readyz") == http.StatusOK })
		})
	expectExactlyOnce(t, w.st, l, w.goals, 30*time.Second)
}

func TestRedisDownTwelveSecondsRecordsEveryEventOnce(t *testing.T) {
	t.Parallel()
	w := newFaultWorld(t, true)
	pulse := startReplica(t, w.env)
	l := w.during(t, func(int) string { return pulse.base },
		func() {
			w.rds.stop()
			waitOut(12 * time.Second)
		},
		func() {
			w.rds.start()
			eventually(t, 15*time.Second, "/readyz back to 200", func() bool { return pulse.get(t, "/readyz") == http.StatusOK })
		})
	expectExactlyOnce(t, w.st, l, w.goals, 30*time.Second)
}

// waitOut is the fault's own length: the outage the test inflicts, not a
// wait for something to happen.
func waitOut(d time.Duration) { time.Sleep(d) }

// Two replicas of the built binary; replica a acknowledges a burst of
// deliveries and is killed (SIGKILL: no deferred code) while some are
// still queued, not yet recorded. Deliveries go on to replica b, which
// takes over a's queue: every event recorded exactly once.
func TestReplicaKilledWithQueuedEventsSecondTakesOver(t *testing.T) {
	t.Parallel()
	bin := buildPulse(t)
	w := newFaultWorld(t, true)
	w.slack.delay = 300 * time.Millisecond // replies take a while, so a burst queues up
	env := copyEnv(w.env)
	env["PULSE_HTTP_ADDR"] = "127.0.0.1:0"
	env["PULSE_SCHEDULER_RECLAIM_AFTER"] = "2s"
	a, b := startProc(t, bin, "replica a", env), startProc(t, bin, "replica b", env)
	a.waitReady(t)
	b.waitReady(t)

	var killed atomic.Bool
	l := &faultLoad{t: t, feishu: w.side, base: func(int) string {
		if killed.Load() {
			return b.base
		}
		return a.base
	}}
	for range 30 {
		l.fire(w.goals[bot.PlatformSlack])
	}
	l.wg.Wait()
	acked := 0
	for _, d := range l.snapshot() {
		if d.acked() {
			acked++
		}
	}
	recorded := countUpdates(t, w.st, w.goals)
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill -9 replica a: %v", err)
	}
	<-a.done
	killed.Store(true)
	t.Logf("killed replica a with %d deliveries acknowledged and %d recorded", acked, recorded)
	if recorded >= acked {
		t.Fatalf("replica a had recorded all %d acknowledged events before the kill; nothing was queued to take over", acked)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for range 10 {
		<-tick.C
		l.fire(w.goals[bot.PlatformSlack])
	}
	l.finish()
	expectExactlyOnce(t, w.st, l, w.goals, 40*time.Second)
}

// countUpdates is how many updates the goals hold.
func countUpdates(t *testing.T, st *store.Store, goals map[bot.Platform]string) int {
	t.Helper()
	n := 0
	for _, id := range goals {
		ups, err := st.GoalUpdates(context.Background(), id, time.Time{}, time.Now().Add(time.Hour))
		if err != nil {
			t.Fatalf("read updates of %s: %v", id, err)
		}
		n += len(ups)
	}
	return n
}
