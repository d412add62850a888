package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

// adv22b: whatever form a goal id takes, the goal read with the membership
// is what GetGoal says of that id, or not read at all.
func TestAdv22bMembershipWithGoalAgreesWithGetGoalOnOddIDs(t *testing.T) {
	s := storetest.MustOpen(t)
	ctx := context.Background()
	must(t, "save eng", s.SaveTeam(ctx, fullTeam("eng"), bot.AuditEntry{}))
	must(t, "save ops", s.SaveTeam(ctx, fullTeam("ops"), bot.AuditEntry{}))
	must(t, "save alice", s.SavePerson(ctx, bot.Person{ID: alice, Name: "Alice"}))
	mine, err := s.CreateGoal(ctx, fullGoal("eng", alice), bot.AuditEntry{})
	must(t, "create goal", err)
	theirs, err := s.CreateGoal(ctx, fullGoal("ops", carol), bot.AuditEntry{})
	must(t, "create goal of ops", err)
	n := strings.TrimPrefix(mine.ID, "G")
	ids := []string{mine.ID, theirs.ID, strings.ToLower(mine.ID), "G0" + n, "G00" + n, "G0", "G", "", "G-1",
		mine.ID + " ", " " + mine.ID, "Ｇ" + n, "G" + n + "x", "G999999999999999999999"}
	for _, id := range ids {
		_, read, err := s.MembershipWithGoal(ctx, alice, id)
		if err != nil {
			t.Errorf("%q: the membership failed: %v", id, err)
			continue
		}
		if !read.Done {
			continue
		}
		g, gerr := s.GetGoal(ctx, id)
		if fmt.Sprint(read.Err) != fmt.Sprint(gerr) || (gerr == nil && !equalGoal(read.Goal, g)) {
			t.Errorf("%q: read with the membership %+v / %v, GetGoal %+v / %v", id, read.Goal, read.Err, g, gerr)
		}
	}
}

func equalGoal(a, b bot.Goal) bool { return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b) }

// adv22b: a member removed from a team by another process loses the team
// at this process's next read, though this process decoded the team record
// before (decodeTeamOnce): the record read decides, never the memo.
func TestAdv22bTeamMemoDropsAMemberRemovedByAnotherProcess(t *testing.T) {
	s := storetest.MustOpen(t)
	ctx := context.Background()
	eng := fullTeam("eng")
	must(t, "save eng", s.SaveTeam(ctx, eng, bot.AuditEntry{}))
	for range 3 { // decoded once, then served from the memo
		m, err := s.Membership(ctx, bob)
		must(t, "membership of bob", err)
		if len(m.Teams) != 1 || !m.Teams[0].HasMember(bob) {
			t.Fatalf("bob's teams %+v, want eng with bob in it", m.Teams)
		}
		m.Teams[0].Members[0], m.Teams[0].Managers = "slack:T1:MALLORY", append(m.Teams[0].Managers, bob)
	}
	other := store.New(s.Client(), store.Options{Prefix: s.Key("")})
	edited := eng
	edited.Members = []bot.UserID{alice}
	must(t, "remove bob elsewhere", other.SaveTeam(ctx, edited, bot.AuditEntry{}))
	m, err := s.Membership(ctx, bob)
	must(t, "membership of bob after removal", err)
	for _, team := range m.Teams {
		if team.HasMember(bob) || team.HasManager(bob) {
			t.Errorf("bob removed elsewhere is still in %s: members %v managers %v", team.ID, team.Members, team.Managers)
		}
	}
	a, err := s.Membership(ctx, alice)
	must(t, "membership of alice", err)
	if len(a.Teams) != 1 || !slices.Equal(a.Teams[0].Members, []bot.UserID{alice}) || !slices.Equal(a.Teams[0].Managers, eng.Managers) {
		t.Errorf("alice's team after bob's removal: %+v", a.Teams)
	}
}

// adv22b: many readers of one team while another process edits it, each
// reader scribbling on what it got (run with -race): every read is one of
// the records written, whole, never a caller's change.
func TestAdv22bTeamMemoUnderConcurrentReadsAndEdits(t *testing.T) {
	s := storetest.MustOpen(t)
	ctx := context.Background()
	eng := fullTeam("eng")
	must(t, "save eng", s.SaveTeam(ctx, eng, bot.AuditEntry{}))
	other := store.New(s.Client(), store.Options{Prefix: s.Key("")})
	var wg sync.WaitGroup
	errs := make(chan string, 1000)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				m, err := s.Membership(ctx, alice)
				if err != nil {
					errs <- err.Error()
					return
				}
				for _, team := range m.Teams {
					ok := slices.Equal(team.Members, []bot.UserID{alice, bob}) || slices.Equal(team.Members, []bot.UserID{alice})
					if !ok || !slices.Equal(team.Managers, eng.Managers) || !slices.Equal(team.Values, eng.Values) {
						errs <- fmt.Sprintf("worker %d read %+v", w, team)
					}
					team.Members[0] = "slack:T1:SCRIBBLE"
					team.Values[0] = "scribble"
					team.Managers[0] = "slack:T1:SCRIBBLE"
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 50 {
			edited := eng
			if i%2 == 0 {
				edited.Members = []bot.UserID{alice}
			}
			if err := other.SaveTeam(ctx, edited, bot.AuditEntry{}); err != nil {
				errs <- err.Error()
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// adv22b: Ack settles entries "in one round trip however many"; as a Lua
// script it unpacks every id onto Lua's stack, which holds about 8,000,
// so a large batch fails whole (the MULTI it replaced took any number).
// The worker's batches are at most its concurrency (64 by default), so
// only a direct caller with a large batch meets it.
func TestAdv22bAckSettlesALargeBatch(t *testing.T) {
	s := storetest.MustOpen(t)
	ctx := context.Background()
	in := s.Inbox()
	must(t, "ensure group", in.EnsureGroup(ctx))
	ids := make([]string, 10000)
	for i := range ids {
		ids[i] = fmt.Sprintf("1-%d", i+1)
	}
	if err := in.Ack(ctx, nil, ids...); err != nil {
		t.Errorf("ack of %d ids: %v", len(ids), err)
	}
}
