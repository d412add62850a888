package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

// adv23Signal is a context that reports, by closing seen, the first call
// of one of its methods: Done (a caller parks in the batcher's select:
// it is queued behind a batch under way) or Deadline (batchContext: the
// caller's batch is being sent).
type adv23Signal struct {
	context.Context
	onDone bool
	seen   chan struct{}
	once   sync.Once
}

func adv23Queued(ctx context.Context) *adv23Signal {
	return &adv23Signal{Context: ctx, onDone: true, seen: make(chan struct{})}
}

func (c *adv23Signal) Done() <-chan struct{} {
	if c.onDone {
		c.once.Do(func() { close(c.seen) })
	}
	return c.Context.Done()
}

// adv23Gate is a hook that holds the pipelines it sees: the first until
// release1 is closed, every later one until release2 is closed or the
// pipeline's own context ends, as a server that stopped answering does
// for a client that bounds its reads by the context (ContextTimeoutEnabled).
// sent receives the number of each pipeline as it arrives.
type adv23Gate struct {
	n                  atomic.Int64
	sent               chan int64
	before             func(n int64) // if set, called as pipeline n goes out
	release1, release2 chan struct{}
}

func newAdv23Gate() *adv23Gate {
	return &adv23Gate{sent: make(chan int64, 16), release1: make(chan struct{}), release2: make(chan struct{})}
}

func (g *adv23Gate) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (g *adv23Gate) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (g *adv23Gate) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		switch cmds[0].Name() {
		case "hello", "auth", "client", "select":
			return next(ctx, cmds) // a new connection's handshake
		}
		n := g.n.Add(1)
		select {
		case g.sent <- n:
		default:
		}
		release := g.release2
		if n == 1 {
			release = g.release1
		}
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		if g.before != nil {
			g.before(n)
		}
		return next(ctx, cmds)
	}
}

func adv23Wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("setup: %s did not happen within 5s", what)
	}
}

// A caller queued behind a batch is bounded by its own deadline while it
// waits (TestMembershipBehindAStalledBatchEndsAtItsOwnDeadline), and still
// once it is handed the lead: the batch it sends runs under the latest
// deadline of everyone in it (none, here), the caller returns at its own.
// A read with a 300ms deadline, queued ahead of one without, ends at its
// deadline while the server stalls.
func TestAdv23CallerHandedTheLeadEndsAtItsOwnDeadline(t *testing.T) {
	s := adv23MiniStore(t)
	gate := newAdv23Gate()
	s.Client().AddHook(gate)
	defer close(gate.release2)

	// X leads a first batch, held by the server.
	go func() { _, _ = s.Membership(context.Background(), "U-first") }()
	adv23WaitSent(t, gate, 1)

	// S (300ms) queues behind it, then L (no deadline).
	short, cancelShort := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancelShort()
	sctx := adv23Queued(short)
	started := time.Now()
	sDone := make(chan error, 1)
	go func() { _, err := s.Membership(sctx, "U-short"); sDone <- err }()
	adv23Wait(t, sctx.seen, "the short read queued")
	lctx := adv23Queued(context.Background())
	go func() { _, _ = s.Membership(lctx, "U-long") }()
	adv23Wait(t, lctx.seen, "the long read queued")

	// The first batch ends: S is handed the lead and sends [S, L].
	close(gate.release1)
	adv23WaitSent(t, gate, 2)
	select {
	case err := <-sDone:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("the 300ms read: %v, want its deadline exceeded", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("a read with a 300ms deadline still waiting after %s: handed the lead, it waits for the whole batch under the latest deadline of its callers", time.Since(started).Round(time.Millisecond))
	}
}

// The first caller (no batch under way) sends its own batch and is still
// released when its context is cancelled (a client that went away, a
// shutdown) while the server stalls, as a caller queued behind it is.
func TestAdv23LeaderCancelledMidBatchReturns(t *testing.T) {
	s := adv23MiniStore(t)
	gate := newAdv23Gate()
	s.Client().AddHook(gate)
	defer close(gate.release2)
	defer close(gate.release1)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := s.Membership(ctx, "U-leader"); done <- err }()
	adv23WaitSent(t, gate, 1)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled read: %v, want context.Canceled", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("a read cancelled while its batch was under way still waiting 3s later: the leader ignores its own context")
	}
}

func adv23WaitSent(t *testing.T, gate *adv23Gate, n int64) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case got := <-gate.sent:
			if got == n {
				return
			}
		case <-timeout:
			t.Fatalf("setup: pipeline %d not sent within 5s", n)
		}
	}
}

// adv23MiniStore is a store on a fresh miniredis with production client
// settings (store.Connect: retries, ContextTimeoutEnabled, RESP2).
func adv23MiniStore(t *testing.T) *store.Store {
	return storetest.Connected(t, "redis://"+miniredis.RunT(t).Addr()+"/0", "adv23:")
}

// adv23Loading makes the server answer the first reply it sends after
// armed is set with a LOADING error in place of an empty array (a server
// finishing loading its data set as a pipeline arrives: the first commands
// are refused with LOADING, the rest run).
type adv23Loading struct {
	armed    atomic.Bool
	rewrites atomic.Int64
	// replies are the replies rewritten; empty arrays when nil.
	replies []string
}

func (h *adv23Loading) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &adv23LoadingConn{Conn: c, h: h}, nil
	}
}
func (h *adv23Loading) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h *adv23Loading) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

type adv23LoadingConn struct {
	net.Conn
	h       *adv23Loading
	pending []byte
}

func (c *adv23LoadingConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	n, err := c.Conn.Read(p)
	if n > 0 && c.h.armed.CompareAndSwap(true, false) {
		replies := c.h.replies
		if replies == nil {
			replies = []string{"*0\r\n", "~0\r\n"}
		}
		for _, empty := range replies {
			if bytes.HasPrefix(p[:n], []byte(empty)) {
				c.h.rewrites.Add(1)
				out := append([]byte("-LOADING Redis is loading the dataset in memory\r\n"), p[len(empty):n]...)
				m := copy(p, out)
				c.pending = append(c.pending, out[m:]...)
				return m, err
			}
		}
	}
	return n, err
}

// go-redis resends a whole pipeline when its first command is refused
// with a retryable error (LOADING, READONLY, MASTERDOWN, CLUSTERDOWN,
// TRYAGAIN, max clients: shouldRetry on cmds[0]). Sent alone, a caller's
// pipeline was resent only for its own refusal; shared, one caller's
// refused read resends every other caller's writes that already ran. A
// keyless +1 update in the same batch as a refused membership read finds
// its own call's marker on the resend and is applied once.
func TestAdv23RefusedReadInABatchDoesNotApplyAnotherCallersUpdateTwice(t *testing.T) {
	ctx := context.Background()
	s := adv23MiniStore(t)
	loading := &adv23Loading{}
	s.Client().AddHook(loading)
	g, err := s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "count", Owner: alice, State: bot.GoalOpen}, bot.AuditEntry{})
	must(t, "create goal", err)
	_, err = s.RecordUpdate(ctx, bot.Update{GoalID: g.ID, At: t0}, bot.ProgressChange{Number: 0}, bot.AuditEntry{})
	must(t, "first update (loads the script, caches the goal's team)", err)

	gate := newAdv23Gate()
	gate.before = func(n int64) {
		if n == 2 { // the shared batch, behind the first
			loading.armed.Store(true)
		}
	}
	s.Client().AddHook(gate)
	close(gate.release2)
	go func() { _, _ = s.Membership(ctx, "U-first") }()
	adv23WaitSent(t, gate, 1)

	// Queued behind the first batch: a read of someone unknown (its
	// SMEMBERS, first in the next batch, answers an empty array), then a
	// +1 update.
	rctx := adv23Queued(ctx)
	readDone := make(chan error, 1)
	go func() { _, err := s.Membership(rctx, "U-nobody"); readDone <- err }()
	adv23Wait(t, rctx.seen, "the read queued")
	uctx := adv23Queued(ctx)
	type result struct {
		u   bot.Update
		err error
	}
	updDone := make(chan result, 1)
	go func() {
		u, err := s.RecordUpdate(uctx, bot.Update{GoalID: g.ID, Author: bob, At: t0.Add(time.Second)},
			bot.ProgressChange{Number: 1, Relative: true}, bot.AuditEntry{})
		updDone <- result{u, err}
	}()
	adv23Wait(t, uctx.seen, "the update queued")

	close(gate.release1)
	<-readDone
	r := <-updDone
	if loading.rewrites.Load() != 1 {
		t.Fatalf("setup: the first reply of the shared batch was not the read's empty array (%d rewrites)", loading.rewrites.Load())
	}
	if r.err != nil {
		t.Fatalf("update: %v", r.err)
	}
	got, err := s.GetGoal(ctx, g.ID)
	must(t, "get goal", err)
	if got.Current != 1 {
		t.Errorf("goal at %v after one +1 update (reply: value %v, previous %v): another caller's refused read in the same batch made go-redis resend the whole pipeline, and the update ran twice", got.Current, r.u.Value, r.u.Previous)
	}
}

// adv23Cluster starts a three-master Redis Cluster on 127.0.0.1:7301-7303
// (slots 0-5460, 5461-10922, 10923-16383) in a temporary directory and
// shuts it down when the test ends. It returns the nodes' clients.
func adv23Cluster(t *testing.T) []*redis.Client {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server not found: %v", err)
	}
	ctx := context.Background()
	ports := []int{7301, 7302, 7303}
	ranges := [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}
	nodes := make([]*redis.Client, len(ports))
	for i, port := range ports {
		dir := t.TempDir()
		cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"),
			"--dir", dir, "--save", "", "--appendonly", "no")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		nodes[i] = redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
		t.Cleanup(func() { _ = nodes[i].Close() })
		deadline := time.Now().Add(5 * time.Second)
		for nodes[i].Ping(ctx).Err() != nil {
			if time.Now().After(deadline) {
				t.Fatalf("redis-server on %d did not start", port)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := nodes[i].Do(ctx, "CLUSTER", "ADDSLOTSRANGE", ranges[i][0], ranges[i][1]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, port := range ports[1:] {
		if err := nodes[0].ClusterMeet(ctx, "127.0.0.1", strconv.Itoa(port)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok := true
		for _, n := range nodes {
			info, err := n.ClusterInfo(ctx).Result()
			if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") {
				ok = false
			}
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("cluster did not come up")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nodes
}

// adv23NodeOfSlot is the index of the node adv23Cluster gave slot.
func adv23NodeOfSlot(slot int64) int {
	switch {
	case slot <= 5460:
		return 0
	case slot <= 10922:
		return 1
	}
	return 2
}

// On a Cluster, go-redis resends a node's whole part of a pipeline when
// its first command is answered TRYAGAIN (a multi-key command on a slot
// being resharded, whose keys are not all on the node yet): an ordinary
// moment of a resharding. In the shared pipeline, the refused update of
// one team resends the updates of every other team on that node that were
// in the same batch and already applied; each finds its own call's marker,
// so a keyless +1 on another team's goal is applied once.
func TestAdv23ClusterReshardingOneTeamDoesNotRepeatAnotherTeamsUpdate(t *testing.T) {
	ctx := context.Background()
	nodes := adv23Cluster(t)
	s := storetest.Connected(t, "redis://127.0.0.1:7301/0?cluster=true", "adv23:")

	// Two teams whose keys are on the same node, in different slots.
	slotOf := func(team string) int64 {
		slot, err := nodes[0].ClusterKeySlot(ctx, "{team:"+team+"}").Result()
		if err != nil {
			t.Fatal(err)
		}
		return slot
	}
	teamA, slotA := "a0", slotOf("a0")
	teamB := ""
	for i := 1; teamB == ""; i++ {
		id := fmt.Sprintf("a%d", i)
		if sl := slotOf(id); sl != slotA && adv23NodeOfSlot(sl) == adv23NodeOfSlot(slotA) {
			teamB = id
		}
	}
	owner := nodes[adv23NodeOfSlot(slotA)]
	other := nodes[(adv23NodeOfSlot(slotA)+1)%3]

	gA, err := s.CreateGoal(ctx, bot.Goal{TeamID: teamA, Title: "a", Owner: alice, State: bot.GoalOpen}, bot.AuditEntry{})
	must(t, "create goal A", err)
	gB, err := s.CreateGoal(ctx, bot.Goal{TeamID: teamB, Title: "b", Owner: alice, State: bot.GoalOpen}, bot.AuditEntry{})
	must(t, "create goal B", err)
	for _, g := range []bot.Goal{gA, gB} { // loads the script, caches the goals' teams
		_, err := s.RecordUpdate(ctx, bot.Update{GoalID: g.ID, At: t0}, bot.ProgressChange{Number: 0}, bot.AuditEntry{})
		must(t, "first update", err)
	}

	// Team A's slot starts moving to another node: its multi-key commands
	// whose keys are not all present are refused TRYAGAIN until it ends.
	otherID, err := other.Do(ctx, "CLUSTER", "MYID").Text()
	must(t, "cluster myid", err)
	must(t, "setslot migrating", owner.Do(ctx, "CLUSTER", "SETSLOT", slotA, "MIGRATING", otherID).Err())
	t.Cleanup(func() { _ = owner.Do(ctx, "CLUSTER", "SETSLOT", slotA, "STABLE").Err() })

	gate := newAdv23Gate()
	s.Client().AddHook(gate)
	close(gate.release2)
	go func() { _, _ = s.Membership(ctx, "U-first") }()
	adv23WaitSent(t, gate, 1)

	type result struct {
		u   bot.Update
		err error
	}
	update := func(g bot.Goal) (*adv23Signal, chan result) {
		uctx := adv23Queued(ctx)
		done := make(chan result, 1)
		go func() {
			u, err := s.RecordUpdate(uctx, bot.Update{GoalID: g.ID, Author: bob, At: t0.Add(time.Second)},
				bot.ProgressChange{Number: 1, Relative: true}, bot.AuditEntry{})
			done <- result{u, err}
		}()
		return uctx, done
	}
	aCtx, aDone := update(gA)
	adv23Wait(t, aCtx.seen, "team A's update queued")
	bCtx, bDone := update(gB)
	adv23Wait(t, bCtx.seen, "team B's update queued")
	close(gate.release1)
	a, b := <-aDone, <-bDone
	if a.err == nil || !strings.Contains(a.err.Error(), "TRYAGAIN") {
		t.Fatalf("setup: team A's update during the move: %v, want TRYAGAIN", a.err)
	}
	if b.err != nil {
		t.Fatalf("team B's update: %v", b.err)
	}
	got, err := s.GetGoal(ctx, gB.ID)
	must(t, "get goal B", err)
	if got.Current != 1 {
		t.Errorf("team B's goal at %v after one +1 update (reply: value %v, previous %v): team A's TRYAGAIN in the same batch made go-redis resend the node's whole pipeline", got.Current, b.u.Value, b.u.Previous)
	}
}

// The same resend in the queueing of deliveries: the first delivery of a
// batch answered LOADING after it ran makes go-redis send the batch again.
// Each delivery finds its own call's claim and is still reported queued
// now (fresh), not "queued before": counted once, as it was.
func TestAdv23RefusedEnqueueInABatchIsStillReportedFresh(t *testing.T) {
	ctx := context.Background()
	s := adv23MiniStore(t)
	in := s.Inbox()
	loading := &adv23Loading{replies: []string{":1\r\n"}}
	s.Client().AddHook(loading) // on every connection dialled from here on
	must(t, "ensure group", in.EnsureGroup(ctx))
	_, err := enqueueEvent(ctx, in, "test:warm") // loads the script
	must(t, "warm", err)
	gate := newAdv23Gate()
	gate.before = func(n int64) {
		if n == 2 { // the batch of the two queued behind the first
			loading.armed.Store(true)
		}
	}
	s.Client().AddHook(gate)
	close(gate.release2)
	go func() { _, _ = enqueueEvent(ctx, in, "test:first") }()
	adv23WaitSent(t, gate, 1)

	fresh := make(chan bool, 2)
	for _, key := range []string{"test:a", "test:b"} {
		qctx := adv23Queued(ctx)
		go func() {
			ok, err := enqueueEvent(qctx, in, key)
			if err != nil {
				t.Error(err)
			}
			fresh <- ok
		}()
		adv23Wait(t, qctx.seen, key+" queued")
	}
	close(gate.release1)
	a, b := <-fresh, <-fresh
	if loading.rewrites.Load() != 1 {
		t.Fatalf("setup: the shared batch's first reply was not rewritten (%d rewrites)", loading.rewrites.Load())
	}
	if !a || !b {
		t.Errorf("fresh %v and %v, want both: a resent delivery queued by this very call is not a repeat", a, b)
	}
	if n, err := in.Backlog(ctx); err != nil || n != 4 {
		t.Errorf("backlog %d (%v), want 4: each delivery once", n, err)
	}
}
