package store

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pulse-bot/pulse/bot"
)

// crc16 is the CRC-16/XMODEM that Redis Cluster hashes keys with.
func crc16(data string) uint16 {
	var crc uint16
	for i := 0; i < len(data); i++ {
		crc ^= uint16(data[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// slot is Redis Cluster's key slot: the CRC of the hash tag (the text
// between the first '{' and the next '}', when not empty), else of the key.
func slot(key string) int {
	if start := strings.IndexByte(key, '{'); start >= 0 {
		if end := strings.IndexByte(key[start+1:], '}'); end > 0 {
			key = key[start+1 : start+1+end]
		}
	}
	return int(crc16(key) % 16384)
}

func TestSlotMatchesRedisCluster(t *testing.T) {
	// Vectors from the Redis Cluster specification and go-redis's hashtag tests.
	if got := crc16("123456789"); got != 0x31C3 {
		t.Fatalf("crc16(123456789) = %#x, want 0x31c3", got)
	}
	for key, want := range map[string]int{
		"123456789": 12739, "{}foo": 9500, "foo{}": 5542, "foo{}{bar}": 8363,
		string([]byte{83, 153, 134, 118, 229, 214, 244, 75, 140, 37, 215, 215}): 5463,
	} {
		if got := slot(key); got != want {
			t.Errorf("slot(%q) = %d, want %d", key, got, want)
		}
	}
	for one, two := range map[string]string{
		"foo{bar}": "bar", "{foo}bar": "foo", "{user1000}.following": "{user1000}.followers",
		"foo{{bar}}zap": "{bar", "foo{bar}{zap}": "bar",
	} {
		if slot(one) != slot(two) {
			t.Errorf("slot(%q) = %d differs from slot(%q) = %d", one, slot(one), two, slot(two))
		}
	}
}

// slotChecker is a client hook that records every script the store runs
// and fails on any script call or MULTI transaction whose keys span slots.
type slotChecker struct {
	mu     sync.Mutex
	seen   map[string]bool // script sha1
	txs    int
	errors []string
}

func (c *slotChecker) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *slotChecker) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.check(cmd)
		return next(ctx, cmd)
	}
}

func (c *slotChecker) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		var keys []string
		tx := false
		for _, cmd := range cmds {
			c.check(cmd)
			switch name := cmd.Name(); name {
			case "multi":
				tx = true
			case "exec":
			case "del", "unlink":
				for _, a := range cmd.Args()[1:] {
					keys = append(keys, fmt.Sprint(a))
				}
			default:
				if len(cmd.Args()) > 1 {
					keys = append(keys, fmt.Sprint(cmd.Args()[1]))
				}
			}
		}
		if tx {
			c.mu.Lock()
			c.txs++
			c.mu.Unlock()
			c.sameSlot("MULTI transaction", keys)
		}
		return next(ctx, cmds)
	}
}

func (c *slotChecker) check(cmd redis.Cmder) {
	args := cmd.Args()
	var sha string
	switch cmd.Name() {
	case "evalsha", "evalsha_ro":
		sha = fmt.Sprint(args[1])
	case "eval", "eval_ro":
		sum := sha1.Sum([]byte(fmt.Sprint(args[1])))
		sha = hex.EncodeToString(sum[:])
	default:
		return
	}
	var n int
	fmt.Sscan(fmt.Sprint(args[2]), &n)
	keys := make([]string, n)
	for i := range n {
		keys[i] = fmt.Sprint(args[3+i])
	}
	c.mu.Lock()
	c.seen[sha] = true
	c.mu.Unlock()
	c.sameSlot("script "+sha, keys)
}

func (c *slotChecker) sameSlot(what string, keys []string) {
	for _, k := range keys[min(1, len(keys)):] {
		if slot(k) != slot(keys[0]) {
			c.mu.Lock()
			c.errors = append(c.errors, fmt.Sprintf("%s: %s (slot %d) and %s (slot %d)", what, keys[0], slot(keys[0]), k, slot(k)))
			c.mu.Unlock()
		}
	}
}

// slotCheckedStore opens a store on the embedded server whose every script
// and transaction is checked by the returned slotChecker, and a step func
// that fails the test on an error.
func slotCheckedStore(t *testing.T) (*Store, *slotChecker, func(what string, err error)) {
	t.Helper()
	rdb, stop, err := StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	checker := &slotChecker{seen: map[string]bool{}}
	rdb.AddHook(checker)
	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	return New(rdb, Options{}), checker, step
}

// TestScriptKeysShareOneSlot runs every write of the store and checks that
// each script's KEYS, and each transaction's keys, hash to one Cluster slot,
// and that every script was exercised.
func TestScriptKeysShareOneSlot(t *testing.T) {
	probe := &slotChecker{}
	probe.sameSlot("probe", []string{"p:{team:a}:x", "p:{team:a}:y", "p:{team:b}:x"})
	if len(probe.errors) != 1 {
		t.Fatalf("the checker found %d slot errors in a probe with one", len(probe.errors))
	}
	s, checker, step := slotCheckedStore(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	alice, bob := bot.UserID("slack:T1:alice"), bot.UserID("feishu:tk:ou_bob")
	a := bot.AuditEntry{At: at, Actor: alice, Action: "x", Key: "ev"}

	team := bot.NewTeam("Eng", bot.PlatformSlack, "C1", at)
	team.Members = []bot.UserID{alice, bob}
	step("save team", s.SaveTeam(ctx, team, a))
	team.Channel = "C2"
	step("move channel", s.SaveTeam(ctx, team, a))
	g, err := s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "t", Owner: alice}, a)
	step("create goal", err)
	step("save goal", s.SaveGoal(ctx, g, a))
	_, err = s.RecordUpdate(ctx, bot.Update{GoalID: g.ID, Author: bob, At: at, Key: "u"}, bot.ProgressChange{Number: 1}, a)
	step("record update", err)
	_, err = s.GoalUpdates(ctx, g.ID, at, at.Add(time.Hour))
	step("goal updates", err)
	_, err = s.GiveKudos(ctx, bot.Kudos{TeamID: "eng", From: alice, To: []bot.UserID{bob}, At: at, Key: "k"}, "d", 5, a)
	step("give kudos", err)
	k, err := s.LastKudosBy(ctx, "eng", alice)
	step("last kudos", err)
	_, err = s.UndoKudos(ctx, k, "d", a)
	step("undo kudos", err)
	_, err = s.KudosUndoneBy(ctx, "eng", a.Key)
	step("kudos undone by", err)
	_, err = s.GiveKudos(ctx, bot.Kudos{TeamID: "eng", From: bob, To: []bot.UserID{alice}, At: at}, "d", 5, a)
	step("give kudos back", err)
	step("check-in", s.SaveCheckIn(ctx, bot.CheckIn{TeamID: "eng", Person: alice, Period: "2026-W10"}, "c", a))
	step("audit", s.Audit(ctx, "eng", a))
	step("forget", s.ForgetPerson(ctx, alice, a))

	for _, e := range checker.errors {
		t.Error(e)
	}
	if checker.txs == 0 {
		t.Error("ForgetPerson ran no MULTI transaction the checker could see")
	}
	for name, sc := range s.scripts.all() {
		if !checker.seen[sc.Hash()] {
			t.Errorf("script %s was never run by this test", name)
		}
	}
}
