package store_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

// The contract suite runs unchanged on the real Redis and on the embedded
// server, so `pulse try` behaves like production.

func TestContractRedis(t *testing.T)    { runContract(t, storetest.MustOpen) }
func TestContractEmbedded(t *testing.T) { runContract(t, storetest.MustOpenEmbedded) }

func runContract(t *testing.T, open func(testing.TB) *store.Store) {
	t.Run("teams", func(t *testing.T) { contractTeams(t, open(t)) })
	t.Run("people", func(t *testing.T) { contractPeople(t, open(t)) })
	t.Run("goals", func(t *testing.T) { contractGoals(t, open(t)) })
	t.Run("membership with goal", func(t *testing.T) { contractMembershipWithGoal(t, open(t)) })
	t.Run("updates", func(t *testing.T) { contractUpdates(t, open(t)) })
	t.Run("kudos", func(t *testing.T) { contractKudos(t, open(t)) })
	t.Run("checkins", func(t *testing.T) { contractCheckIns(t, open(t)) })
	t.Run("audit", func(t *testing.T) { contractAudit(t, open(t)) })
	t.Run("dedupe and cache", func(t *testing.T) { contractDedupeCache(t, open(t)) })
	t.Run("forget person", func(t *testing.T) { contractForget(t, open(t)) })
}

var (
	alice = bot.UserID("slack:T1:ALICE")
	bob   = bot.UserID("slack:T1:BOB")
	carol = bot.UserID("slack:T1:CAROL")
	t0    = time.Date(2026, 3, 2, 9, 30, 15, 123456789, time.UTC)
)

func fullTeam(id string) bot.Team {
	return bot.Team{
		ID: id, Name: "Eng " + id, Platform: bot.PlatformSlack, Channel: "C-" + id,
		Members: []bot.UserID{alice, bob}, Managers: []bot.UserID{carol},
		TimeZone: "Asia/Shanghai", Locale: bot.Chinese,
		CheckInSchedule: "0 9 * * MON", DigestSchedule: "0 17 * * FRI",
		Questions: []string{"Done?", "Next?", "Blockers?"}, KudosAllowance: 3,
		Values: []string{"ownership", "candor"}, Holidays: "cn", Leaderboard: true,
		AnnounceKudos: true, CreatedAt: t0,
	}
}

func entry(action, subject, key string) bot.AuditEntry {
	return bot.AuditEntry{At: t0, Actor: carol, Action: action, Subject: subject, Detail: "d", Key: key}
}

func mustEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func mustErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func contractTeams(t *testing.T, s *store.Store) {
	ctx := context.Background()
	_, err := s.GetTeam(ctx, "eng")
	mustErr(t, "get missing team", err, bot.ErrNotFound)

	eng := fullTeam("eng")
	must(t, "save team", s.SaveTeam(ctx, eng, entry("team.created", "eng", "")))
	got, err := s.GetTeam(ctx, "eng")
	must(t, "get team", err)
	mustEqual(t, "team round trip", got, eng)

	ops := bot.NewTeam("Ops", bot.PlatformFeishu, "oc_ops", t0)
	ops.Members = []bot.UserID{alice}
	must(t, "save ops", s.SaveTeam(ctx, ops, bot.AuditEntry{}))
	list, err := s.ListTeams(ctx)
	must(t, "list teams", err)
	mustEqual(t, "list teams", list, []bot.Team{eng, ops})

	of, err := s.TeamsOf(ctx, alice)
	must(t, "teams of alice", err)
	mustEqual(t, "teams of alice", of, []bot.Team{eng, ops})
	of, err = s.TeamsOf(ctx, carol)
	must(t, "teams of carol (manager)", err)
	mustEqual(t, "teams of carol", of, []bot.Team{eng})

	byChan, err := s.TeamByChannel(ctx, bot.PlatformSlack, "C-eng")
	must(t, "team by channel", err)
	mustEqual(t, "team by channel", byChan, eng)
	_, err = s.TeamByChannel(ctx, bot.PlatformFeishu, "C-eng")
	mustErr(t, "channel on another platform", err, bot.ErrNotFound)

	// Alice leaves, the channel moves.
	eng.Members = []bot.UserID{bob}
	eng.Channel = "C-new"
	must(t, "resave team", s.SaveTeam(ctx, eng, entry("team.set", "eng", "")))
	of, err = s.TeamsOf(ctx, alice)
	must(t, "teams of alice after leaving", err)
	mustEqual(t, "teams of alice after leaving", of, []bot.Team{ops})
	// An event's first read: the person (unknown so far) and the same teams.
	m, err := s.Membership(ctx, alice)
	must(t, "membership of alice", err)
	mustEqual(t, "membership of an unknown alice", m, bot.Membership{Teams: []bot.Team{ops}})
	ap := bot.Person{ID: alice, Name: "Alice", TimeZone: "Europe/Paris"}
	must(t, "save alice", s.SavePerson(ctx, ap))
	m, err = s.Membership(ctx, alice)
	must(t, "membership of a known alice", err)
	mustEqual(t, "membership of a known alice", m, bot.Membership{Person: ap, Known: true, Teams: []bot.Team{ops}})
	// The teams read last time ride in the same round trip; the index read
	// with them decides, so a team joined since is there at once.
	eng.Members = []bot.UserID{bob, alice}
	must(t, "alice rejoins", s.SaveTeam(ctx, eng, bot.AuditEntry{}))
	m, err = s.Membership(ctx, alice)
	must(t, "membership after rejoining", err)
	mustEqual(t, "membership after rejoining", m.Teams, []bot.Team{eng, ops})
	eng.Members = []bot.UserID{bob}
	must(t, "alice leaves again", s.SaveTeam(ctx, eng, bot.AuditEntry{}))
	m, err = s.Membership(ctx, alice)
	must(t, "membership after leaving again", err)
	mustEqual(t, "membership after leaving again", m.Teams, []bot.Team{ops})
	_, err = s.TeamByChannel(ctx, bot.PlatformSlack, "C-eng")
	mustErr(t, "old channel", err, bot.ErrNotFound)
	if _, err := s.TeamByChannel(ctx, bot.PlatformSlack, "C-new"); err != nil {
		t.Fatalf("new channel: %v", err)
	}
	n, err := s.Client().HLen(ctx, s.Key("channels")).Result()
	must(t, "channel index size", err)
	if n != 2 {
		t.Fatalf("channel index holds %d entries, want 2 (stale entry left behind)", n)
	}
	isMember, err := s.Client().SIsMember(ctx, s.Key("{user:"+string(alice)+"}", "teams"), "eng").Result()
	must(t, "person index", err)
	if isMember {
		t.Fatal("alice's team index still lists eng after she left")
	}

	log, err := s.AuditLog(ctx, "eng", 0)
	must(t, "audit log", err)
	mustEqual(t, "team audit", log, []bot.AuditEntry{entry("team.set", "eng", ""), entry("team.created", "eng", "")})
	log, err = s.AuditLog(ctx, "ops", 0)
	must(t, "ops audit log", err)
	if len(log) != 0 {
		t.Fatalf("a save without an audit entry appended %v", log)
	}
}

func contractPeople(t *testing.T, s *store.Store) {
	ctx := context.Background()
	_, err := s.GetPerson(ctx, alice)
	mustErr(t, "missing person", err, bot.ErrNotFound)
	a := bot.Person{ID: alice, Name: "Alice 爱丽丝", TimeZone: "Europe/Berlin", Locale: bot.English,
		AwayUntil: time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC), PrimaryTeam: "growth"}
	b := bot.Person{ID: bob, Name: "Bob"}
	must(t, "save alice", s.SavePerson(ctx, a))
	must(t, "save bob", s.SavePerson(ctx, b))
	got, err := s.GetPerson(ctx, alice)
	must(t, "get alice", err)
	mustEqual(t, "person round trip", got, a)
	people, err := s.People(ctx, []bot.UserID{alice, bob, carol})
	must(t, "people", err)
	mustEqual(t, "people", people, map[bot.UserID]bot.Person{alice: a, bob: b})
	none, err := s.People(ctx, nil)
	must(t, "no people", err)
	if len(none) != 0 {
		t.Fatalf("people of nobody: %v", none)
	}

	_, err = s.Conversation(ctx, alice)
	mustErr(t, "no conversation", err, bot.ErrNotFound)
	c := bot.Conversation{TeamID: "eng", Period: "2026-W10"}
	must(t, "set conversation", s.SetConversation(ctx, alice, c))
	gotC, err := s.Conversation(ctx, alice)
	must(t, "conversation", err)
	mustEqual(t, "conversation", gotC, c)
	must(t, "clear conversation", s.ClearConversation(ctx, alice))
	_, err = s.Conversation(ctx, alice)
	mustErr(t, "cleared conversation", err, bot.ErrNotFound)
	must(t, "clear again", s.ClearConversation(ctx, alice))
}

func fullGoal(team string, owner bot.UserID) bot.Goal {
	return bot.Goal{
		TeamID: team, Title: "Raise conversion 转化率", Owner: owner, CreatedBy: carol,
		Metric:  bot.Metric{Baseline: 2.1, Target: 3, Unit: "%"},
		Current: 2.1, Start: t0, Due: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC),
		Parent: "G1", State: bot.GoalOpen, Stated: bot.AtRisk, CloseNote: "n", UpdatedAt: t0,
	}
}

// A chat update's first read: the sender and, when this process knows the
// goal's team, the goal as GetGoal would return it at that moment.
func contractMembershipWithGoal(t *testing.T, s *store.Store) {
	ctx := context.Background()
	eng := fullTeam("eng")
	must(t, "save team", s.SaveTeam(ctx, eng, bot.AuditEntry{}))
	a := bot.Person{ID: alice, Name: "Alice"}
	must(t, "save alice", s.SavePerson(ctx, a))
	g, err := s.CreateGoal(ctx, fullGoal("eng", alice), bot.AuditEntry{})
	must(t, "create goal", err)
	member := bot.Membership{Person: a, Known: true, Teams: []bot.Team{eng}}

	m, read, err := s.MembershipWithGoal(ctx, alice, g.ID)
	must(t, "membership with goal", err)
	mustEqual(t, "membership read with the goal", m, member)
	mustEqual(t, "goal read with the membership", read, bot.GoalRead{Done: true, Goal: g})

	// Another process (its own caches) changes the goal: the next read sees it.
	other := store.New(s.Client(), store.Options{Prefix: s.Key("")})
	edited := g
	edited.Title, edited.UpdatedAt = "Edited elsewhere", t0.Add(time.Hour)
	must(t, "edit in another process", other.SaveGoal(ctx, edited, bot.AuditEntry{}))
	edited.Version++
	_, read, err = s.MembershipWithGoal(ctx, alice, g.ID)
	must(t, "membership after the edit", err)
	mustEqual(t, "goal after an edit elsewhere", read, bot.GoalRead{Done: true, Goal: edited})

	// A goal this process has not seen is not read with the membership: its
	// team takes a round trip of its own, which GetGoal makes.
	fresh := store.New(s.Client(), store.Options{Prefix: s.Key("")})
	m, read, err = fresh.MembershipWithGoal(ctx, bob, g.ID)
	must(t, "membership with a goal of unknown team", err)
	mustEqual(t, "unknown person, goal of unknown team", m, bot.Membership{Teams: []bot.Team{eng}})
	mustEqual(t, "goal of unknown team", read, bot.GoalRead{})
	_, read, err = s.MembershipWithGoal(ctx, alice, "G999999")
	must(t, "membership with an unknown goal", err)
	mustEqual(t, "unknown goal", read, bot.GoalRead{})

	// Gone since this process saw it: what GetGoal says, ErrNotFound.
	must(t, "forget alice elsewhere", other.ForgetPerson(ctx, alice, entry("person.forgotten", "", "")))
	_, read, err = s.MembershipWithGoal(ctx, bob, g.ID)
	must(t, "membership with a deleted goal", err)
	if !read.Done {
		t.Fatal("a goal of a known team was not read with the membership")
	}
	mustErr(t, "deleted goal", read.Err, bot.ErrNotFound)
	_, err = s.GetGoal(ctx, g.ID)
	mustErr(t, "deleted goal by GetGoal", err, bot.ErrNotFound)

	// A goal that cannot be read fails the goal, not the membership: the
	// event still begins, and the handler that needs the goal gets the error.
	must(t, "save bob", s.SavePerson(ctx, bot.Person{ID: bob, Name: "Bob"}))
	must(t, "break the goal's key", s.Client().Set(ctx, s.Key("{team:eng}", "goal", g.ID), "not a hash", 0).Err())
	m, read, err = s.MembershipWithGoal(ctx, bob, g.ID)
	must(t, "membership beside a broken goal", err)
	plain, err := s.Membership(ctx, bob)
	must(t, "membership of bob", err)
	mustEqual(t, "membership beside a broken goal", m, plain)
	_, getErr := s.GetGoal(ctx, g.ID)
	if !read.Done || read.Err == nil || getErr == nil || read.Err.Error() != getErr.Error() {
		t.Fatalf("broken goal read with the membership: %+v, want GetGoal's error %v", read, getErr)
	}
}

func contractGoals(t *testing.T, s *store.Store) {
	ctx := context.Background()
	_, err := s.GetGoal(ctx, "G999999")
	mustErr(t, "missing goal", err, bot.ErrNotFound)

	g := fullGoal("eng", alice)
	created, err := s.CreateGoal(ctx, g, entry("goal.created", "", "ev-1"))
	must(t, "create goal", err)
	if !strings.HasPrefix(created.ID, "G") || created.ID == "G" {
		t.Fatalf("created id %q, want G<n>", created.ID)
	}
	g.ID = created.ID
	mustEqual(t, "created goal", created, g)
	got, err := s.GetGoal(ctx, g.ID)
	must(t, "get goal", err)
	mustEqual(t, "goal round trip", got, g)

	// A retried event creates nothing new.
	again, err := s.CreateGoal(ctx, fullGoal("eng", alice), entry("goal.created", "", "ev-1"))
	mustErr(t, "create twice", err, bot.ErrDuplicate)
	mustEqual(t, "goal from the earlier create", again, g)

	team := fullGoal("eng", "")
	team.OwnerTeam, team.Metric, team.Current, team.Stated = "eng", bot.Metric{Milestone: true, Target: 100}, 0, ""
	team, err = s.CreateGoal(ctx, team, bot.AuditEntry{})
	must(t, "create team goal", err)
	if team.ID == g.ID {
		t.Fatalf("two goals got id %s", g.ID)
	}
	other, err := s.CreateGoal(ctx, fullGoal("ops", bob), bot.AuditEntry{})
	must(t, "create ops goal", err)

	goals, err := s.TeamGoals(ctx, "eng")
	must(t, "team goals", err)
	mustEqual(t, "team goals", goals, []bot.Goal{g, team})

	// Saving a goal read before an update keeps the update's value and status.
	read := g
	_, err = s.RecordUpdate(ctx, bot.Update{GoalID: g.ID, Stated: bot.OnTrack, At: t0}, bot.ProgressChange{Number: 2.7, Unit: "%"}, bot.AuditEntry{})
	must(t, "update between read and save", err)
	read.State, read.CloseNote, read.Title, read.UpdatedAt = bot.GoalDone, "shipped", "Renamed", t0.Add(time.Minute)
	must(t, "save goal", s.SaveGoal(ctx, read, entry("goal.done", g.ID, "")))
	got, err = s.GetGoal(ctx, g.ID)
	must(t, "get saved goal", err)
	g = read
	g.Current, g.Stated, g.Version = 2.7, bot.OnTrack, 1
	mustEqual(t, "saved goal", got, g)
	// A save over a version another save replaced is refused, and changes nothing.
	stale := read
	stale.Title = "Stale rename"
	mustErr(t, "save over a stale version", s.SaveGoal(ctx, stale, bot.AuditEntry{}), bot.ErrConflict)
	got, err = s.GetGoal(ctx, g.ID)
	must(t, "get goal after a stale save", err)
	mustEqual(t, "goal after a stale save", got, g)
	// A milestone given a numeric target takes the caller's value.
	_, err = s.RecordUpdate(ctx, bot.Update{GoalID: team.ID, At: t0}, bot.ProgressChange{Number: 40, Milestone: true}, bot.AuditEntry{})
	must(t, "milestone update", err)
	team.Metric, team.Current = bot.Metric{Target: 10, Unit: "orders"}, 0
	must(t, "milestone to numeric", s.SaveGoal(ctx, team, bot.AuditEntry{}))
	got, err = s.GetGoal(ctx, team.ID)
	must(t, "get renumbered goal", err)
	if got.Current != 0 || got.Metric != team.Metric {
		t.Fatalf("milestone given a target: current %v metric %+v, want 0 and %+v", got.Current, got.Metric, team.Metric)
	}
	mustErr(t, "save missing goal", s.SaveGoal(ctx, bot.Goal{ID: "G999999", TeamID: "eng"}, bot.AuditEntry{}), bot.ErrNotFound)
	if err := s.SaveGoal(ctx, bot.Goal{ID: other.ID, TeamID: "eng"}, bot.AuditEntry{}); err == nil {
		t.Fatal("saving a goal into another team succeeded")
	}

	log, err := s.AuditLog(ctx, "eng", 0)
	must(t, "audit", err)
	created1 := entry("goal.created", g.ID, "ev-1")
	mustEqual(t, "goal audit", log, []bot.AuditEntry{entry("goal.done", g.ID, ""), created1})
}

func contractUpdates(t *testing.T, s *store.Store) {
	ctx := context.Background()
	g, err := s.CreateGoal(ctx, fullGoal("eng", alice), bot.AuditEntry{})
	must(t, "create goal", err)
	g2, err := s.CreateGoal(ctx, fullGoal("eng", bob), bot.AuditEntry{})
	must(t, "create goal 2", err)

	pct := func(v float64) bot.ProgressChange { return bot.ProgressChange{Number: v, Unit: "%"} }
	u1 := bot.Update{GoalID: g.ID, TeamID: "eng", Stated: bot.OnTrack,
		Note: "good week 好", Author: alice, At: t0.Add(time.Hour),
		Source: bot.MessageRef{Platform: bot.PlatformSlack, Channel: "C1", ID: "1700000000.0001"}, Key: "ev-u1"}
	stored, err := s.RecordUpdate(ctx, u1, pct(2.4), entry("goal.updated", g.ID, "ev-u1"))
	must(t, "record update", err)
	u1.Value, u1.Previous = 2.4, 2.1
	mustEqual(t, "stored update", stored, u1)
	got, err := s.GetGoal(ctx, g.ID)
	must(t, "goal after update", err)
	if got.Current != 2.4 || got.Stated != bot.OnTrack || !got.UpdatedAt.Equal(u1.At) {
		t.Fatalf("goal after update: current %v stated %v updated %v", got.Current, got.Stated, got.UpdatedAt)
	}

	// The same event again: nothing changes, the earlier update comes back.
	again := u1
	again.Note = "a retry"
	earlier, err := s.RecordUpdate(ctx, again, pct(9), entry("goal.updated", g.ID, "ev-u1"))
	mustErr(t, "duplicate update", err, bot.ErrDuplicate)
	mustEqual(t, "duplicate returns the earlier update", earlier, u1)
	// The change is checked against the goal as it is in the store.
	_, err = s.RecordUpdate(ctx, bot.Update{GoalID: g.ID, Key: "ev-orders"}, bot.ProgressChange{Number: 9, Unit: "orders"}, bot.AuditEntry{})
	mustErr(t, "update made for another unit", err, bot.ErrConflict)
	_, err = s.RecordUpdate(ctx, bot.Update{GoalID: g.ID, Key: "ev-ms"}, bot.ProgressChange{Number: 9, Unit: "%", Milestone: true}, bot.AuditEntry{})
	mustErr(t, "update made for a milestone", err, bot.ErrConflict)
	missing := u1
	missing.GoalID, missing.TeamID, missing.Key = "G999999", "", ""
	_, err = s.RecordUpdate(ctx, missing, pct(1), bot.AuditEntry{})
	mustErr(t, "update of a missing goal", err, bot.ErrNotFound)

	// An update without a stated status keeps the one stated before.
	u2 := bot.Update{GoalID: g.ID, TeamID: "eng", Author: bob, At: t0.Add(2 * time.Hour)}
	stored, err = s.RecordUpdate(ctx, u2, bot.ProgressChange{Number: 0.1, Relative: true, Unit: "%"}, bot.AuditEntry{})
	must(t, "second update, relative", err)
	u2.Value, u2.Previous = 2.4+0.1, 2.4
	mustEqual(t, "relative update", stored, u2)
	tenth := 0.1
	u3 := bot.Update{GoalID: g2.ID, TeamID: "eng", Author: bob, At: t0.Add(3 * time.Hour)}
	_, err = s.RecordUpdate(ctx, u3, pct(tenth+0.2), bot.AuditEntry{})
	must(t, "update of goal 2", err)
	u3.Value, u3.Previous = tenth+0.2, 2.1
	// Exact floats through the script: 0.1+0.2 is not 0.3, and adding to it
	// gives what Go gives.
	u4 := bot.Update{GoalID: g2.ID, Author: bob, At: t0.Add(4 * time.Hour)}
	stored, err = s.RecordUpdate(ctx, u4, bot.ProgressChange{Number: 0.7, Relative: true, Unit: "%"}, bot.AuditEntry{})
	must(t, "relative update of an inexact value", err)
	u4.TeamID, u4.Value, u4.Previous = "eng", tenth+0.2+0.7, tenth+0.2
	mustEqual(t, "relative update of an inexact value", stored, u4)

	got, err = s.GetGoal(ctx, g.ID)
	must(t, "goal after second update", err)
	if got.Current != 2.5 || got.Stated != bot.OnTrack {
		t.Fatalf("goal after second update: current %v stated %v", got.Current, got.Stated)
	}

	all, err := s.GoalUpdates(ctx, g.ID, t0, t0.Add(24*time.Hour))
	must(t, "goal updates", err)
	mustEqual(t, "goal history", all, []bot.Update{u1, u2})
	team, err := s.TeamUpdates(ctx, "eng", t0, t0.Add(24*time.Hour))
	must(t, "team updates", err)
	mustEqual(t, "team updates", team, []bot.Update{u1, u2, u3, u4})

	// from is inclusive, to exclusive, to the nanosecond.
	window, err := s.TeamUpdates(ctx, "eng", u2.At, u4.At)
	must(t, "team window", err)
	mustEqual(t, "team window", window, []bot.Update{u2, u3})
	window, err = s.TeamUpdates(ctx, "eng", u2.At.Add(time.Nanosecond), u4.At.Add(time.Nanosecond))
	must(t, "nanosecond window", err)
	mustEqual(t, "nanosecond window", window, []bot.Update{u3, u4})
	window, err = s.GoalUpdates(ctx, g.ID, t0.Add(-48*time.Hour), t0)
	must(t, "empty window", err)
	if len(window) != 0 {
		t.Fatalf("window before the history: %v", window)
	}
	_, err = s.GoalUpdates(ctx, "G999999", t0, t0.Add(time.Hour))
	mustErr(t, "updates of a missing goal", err, bot.ErrNotFound)

	log, err := s.AuditLog(ctx, "eng", 0)
	must(t, "audit", err)
	mustEqual(t, "update audit (once)", log, []bot.AuditEntry{entry("goal.updated", g.ID, "ev-u1")})

	// Many updates in one millisecond come back in the order recorded.
	g3, err := s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "burst"}, bot.AuditEntry{})
	must(t, "create burst goal", err)
	at := t0.Add(10 * time.Hour)
	var want []bot.Update
	for i := range 12 {
		u := bot.Update{GoalID: g3.ID, TeamID: "eng", At: at}
		_, err := s.RecordUpdate(ctx, u, bot.ProgressChange{Number: 1, Relative: true}, bot.AuditEntry{})
		must(t, "burst update", err)
		u.Previous, u.Value = float64(i), float64(i+1)
		want = append(want, u)
	}
	burst, err := s.GoalUpdates(ctx, g3.ID, at, at.Add(time.Millisecond))
	must(t, "burst", err)
	mustEqual(t, "burst order", burst, want)
}

func contractKudos(t *testing.T, s *store.Store) {
	ctx := context.Background()
	day := "2026-03-02"
	_, err := s.LastKudosBy(ctx, "eng", alice)
	mustErr(t, "no kudos yet", err, bot.ErrNotFound)

	k1 := bot.Kudos{TeamID: "eng", From: alice, To: []bot.UserID{bob, carol}, Message: "thanks 谢谢",
		Values: []string{"ownership"}, Tags: []string{"launch"}, At: t0,
		Source: bot.MessageRef{Platform: bot.PlatformSlack, Channel: "C1", ID: "m1"}, Key: "ev-k1"}
	left, err := s.GiveKudos(ctx, k1, day, 3, entry("kudos.given", "", "ev-k1"))
	must(t, "give kudos", err)
	if left != 1 {
		t.Fatalf("remaining after 2 of 3: %d", left)
	}
	last, err := s.LastKudosBy(ctx, "eng", alice)
	must(t, "last kudos", err)
	if last.ID == "" {
		t.Fatal("kudos got no id")
	}
	k1.ID = last.ID
	mustEqual(t, "kudos round trip", last, k1)

	// The same event again stores nothing and uses nothing.
	left, err = s.GiveKudos(ctx, k1, day, 3, entry("kudos.given", "", "ev-k1"))
	mustErr(t, "duplicate kudos", err, bot.ErrDuplicate)
	if left != 1 {
		t.Fatalf("remaining after a duplicate: %d", left)
	}
	// Over the allowance: nothing stored, remaining reported.
	k2 := bot.Kudos{TeamID: "eng", From: alice, To: []bot.UserID{bob, carol}, Message: "more", At: t0.Add(time.Minute), Key: "ev-k2"}
	left, err = s.GiveKudos(ctx, k2, day, 3, entry("kudos.given", "", "ev-k2"))
	mustErr(t, "over allowance", err, bot.ErrAllowanceExceeded)
	if left != 1 {
		t.Fatalf("remaining when refused: %d", left)
	}
	used, err := s.KudosUsed(ctx, "eng", alice, day)
	must(t, "kudos used", err)
	if used != 2 {
		t.Fatalf("used %d, want 2", used)
	}
	// The allowance is per day and per team.
	if _, err := s.GiveKudos(ctx, k2, "2026-03-03", 3, bot.AuditEntry{}); err != nil {
		t.Fatalf("next day: %v", err)
	}
	k2.ID = ""
	k2.TeamID, k2.Key = "ops", "ev-k2-ops"
	if _, err := s.GiveKudos(ctx, k2, day, 3, bot.AuditEntry{}); err != nil {
		t.Fatalf("other team: %v", err)
	}
	ttl, err := s.Client().TTL(ctx, s.Key("{team:eng}", "kudos", "used", string(alice), day)).Result()
	must(t, "counter ttl", err)
	if ttl <= 0 || ttl > 48*time.Hour {
		t.Fatalf("allowance counter ttl %v, want (0, 48h]", ttl)
	}

	k3 := bot.Kudos{TeamID: "eng", From: bob, To: []bot.UserID{alice}, Message: "late", At: t0.Add(2 * time.Hour)}
	_, err = s.GiveKudos(ctx, k3, day, 5, bot.AuditEntry{})
	must(t, "bob's kudos", err)
	k3, err = s.LastKudosBy(ctx, "eng", bob)
	must(t, "bob's last kudos", err)

	all, err := s.TeamKudos(ctx, "eng", t0, t0.Add(24*time.Hour))
	must(t, "team kudos", err)
	if len(all) != 3 || all[0].ID != k1.ID || all[2].ID != k3.ID {
		t.Fatalf("team kudos: %+v", all)
	}
	window, err := s.TeamKudos(ctx, "eng", t0.Add(time.Nanosecond), k3.At)
	must(t, "kudos window", err)
	if len(window) != 1 || window[0].Message != "more" {
		t.Fatalf("kudos window (t0, k3.At): %+v", window)
	}

	// Undo gives the recipients back to the day's allowance.
	undone, err := s.UndoKudos(ctx, k1, day, entry("kudos.undone", k1.ID, ""))
	must(t, "undo", err)
	if undone.ID != k1.ID || len(undone.To) != len(k1.To) {
		t.Fatalf("undo took back %+v, want %s", undone, k1.ID)
	}
	used, err = s.KudosUsed(ctx, "eng", alice, day)
	must(t, "used after undo", err)
	if used != 0 {
		t.Fatalf("used after undo %d, want 0", used)
	}
	_, err = s.UndoKudos(ctx, k1, day, bot.AuditEntry{})
	mustErr(t, "undo twice", err, bot.ErrNotFound)
	all, err = s.TeamKudos(ctx, "eng", t0, t0.Add(24*time.Hour))
	must(t, "team kudos after undo", err)
	if len(all) != 2 {
		t.Fatalf("team kudos after undo: %+v", all)
	}
	last, err = s.LastKudosBy(ctx, "eng", alice)
	must(t, "last kudos after undo", err)
	if last.Message != "more" {
		t.Fatalf("last kudos after undo: %+v", last)
	}

	log, err := s.AuditLog(ctx, "eng", 0)
	must(t, "audit", err)
	mustEqual(t, "kudos audit", log, []bot.AuditEntry{entry("kudos.undone", k1.ID, ""), entry("kudos.given", k1.ID, "ev-k1")})
}

func contractCheckIns(t *testing.T, s *store.Store) {
	ctx := context.Background()
	_, err := s.GetCheckIn(ctx, "eng", "2026-W10", alice)
	mustErr(t, "missing check-in", err, bot.ErrNotFound)
	c := bot.CheckIn{TeamID: "eng", Person: alice, Period: "2026-W10", Answers: []string{"a", "b 乙", "none"},
		Mood: 4, Skipped: true, SkipReason: "sick", Next: 3, Completed: t0, UpdatedAt: t0.Add(time.Minute)}
	must(t, "save check-in", s.SaveCheckIn(ctx, c, "ev-c1", entry("checkin.answered", "2026-W10", "ev-c1")))
	got, err := s.GetCheckIn(ctx, "eng", "2026-W10", alice)
	must(t, "get check-in", err)
	mustEqual(t, "check-in round trip", got, c)

	changed := c
	changed.Mood = 1
	mustErr(t, "duplicate check-in", s.SaveCheckIn(ctx, changed, "ev-c1", entry("checkin.answered", "2026-W10", "ev-c1")), bot.ErrDuplicate)
	got, err = s.GetCheckIn(ctx, "eng", "2026-W10", alice)
	must(t, "get after duplicate", err)
	mustEqual(t, "check-in after duplicate", got, c)
	// Without a key every save stores.
	must(t, "save without key", s.SaveCheckIn(ctx, changed, "", bot.AuditEntry{}))
	must(t, "save without key again", s.SaveCheckIn(ctx, changed, "", bot.AuditEntry{}))

	b := bot.CheckIn{TeamID: "eng", Person: bob, Period: "2026-W10", Next: 1}
	must(t, "save bob", s.SaveCheckIn(ctx, b, "", bot.AuditEntry{}))
	must(t, "save other week", s.SaveCheckIn(ctx, bot.CheckIn{TeamID: "eng", Person: bob, Period: "2026-W11"}, "", bot.AuditEntry{}))
	must(t, "save other team", s.SaveCheckIn(ctx, bot.CheckIn{TeamID: "ops", Person: carol, Period: "2026-W10"}, "", bot.AuditEntry{}))
	all, err := s.TeamCheckIns(ctx, "eng", "2026-W10")
	must(t, "team check-ins", err)
	mustEqual(t, "team check-ins", all, []bot.CheckIn{changed, b})

	log, err := s.AuditLog(ctx, "eng", 0)
	must(t, "audit", err)
	mustEqual(t, "check-in audit", log, []bot.AuditEntry{entry("checkin.answered", "2026-W10", "ev-c1")})
}

func contractAudit(t *testing.T, s *store.Store) {
	ctx := context.Background()
	log, err := s.AuditLog(ctx, "eng", 10)
	must(t, "empty audit", err)
	if len(log) != 0 {
		t.Fatalf("empty audit: %v", log)
	}
	a1 := entry("person.timezone", "alice", "ev-a")
	a2 := entry("person.language", "alice", "ev-a")
	must(t, "audit 1", s.Audit(ctx, "eng", a1))
	must(t, "audit 2 from the same event", s.Audit(ctx, "eng", a2))
	mustErr(t, "audit retried", s.Audit(ctx, "eng", a1), bot.ErrDuplicate)
	a3 := entry("x", "", "")
	must(t, "audit without key", s.Audit(ctx, "eng", a3))
	must(t, "audit without key again", s.Audit(ctx, "eng", a3))
	log, err = s.AuditLog(ctx, "eng", 0)
	must(t, "audit log", err)
	mustEqual(t, "audit newest first", log, []bot.AuditEntry{a3, a3, a2, a1})
	log, err = s.AuditLog(ctx, "eng", 2)
	must(t, "audit limit", err)
	mustEqual(t, "audit limit", log, []bot.AuditEntry{a3, a3})
	if err := s.Audit(ctx, "eng", bot.AuditEntry{}); err == nil {
		t.Fatal("an empty audit entry was accepted")
	}

	// The log keeps the newest AuditCap entries. Fill it to the cap in one
	// command (the schema in doc.go names the list), then append through the store.
	auditKey := s.Key("{team:ops}", "audit")
	old := make([]any, store.AuditCap)
	for i := range old {
		old[i] = `{"act":"old"}`
	}
	must(t, "fill audit log", s.Client().RPush(ctx, auditKey, old...).Err())
	newest := bot.AuditEntry{At: t0, Action: "new"}
	for range 3 {
		must(t, "audit past the cap", s.Audit(ctx, "ops", newest))
	}
	log, err = s.AuditLog(ctx, "ops", 0)
	must(t, "capped log", err)
	if len(log) != store.AuditCap {
		t.Fatalf("audit log holds %d entries, want the cap %d", len(log), store.AuditCap)
	}
	if log[0] != newest || log[2] != newest || log[3].Action != "old" {
		t.Fatalf("capped log starts %+v, want the 3 new entries first", log[:4])
	}
}

func contractDedupeCache(t *testing.T, s *store.Store) {
	ctx := context.Background()
	first, err := s.FirstSeen(ctx, "slack:Ev1", time.Hour)
	must(t, "first seen", err)
	again, err := s.FirstSeen(ctx, "slack:Ev1", time.Hour)
	must(t, "seen again", err)
	if !first || again {
		t.Fatalf("first seen %v, again %v; want true, false", first, again)
	}
	if _, err := s.FirstSeen(ctx, "k", 0); err == nil {
		t.Fatal("first seen without a ttl was accepted")
	}

	_, ok, err := s.CacheGet(ctx, "profile:U1")
	must(t, "cache miss", err)
	if ok {
		t.Fatal("cache hit before set")
	}
	must(t, "cache set", s.CacheSet(ctx, "profile:U1", "Alice", time.Minute))
	v, ok, err := s.CacheGet(ctx, "profile:U1")
	must(t, "cache get", err)
	if !ok || v != "Alice" {
		t.Fatalf("cache get: %q %v", v, ok)
	}
	ttl, err := s.Client().PTTL(ctx, s.Key("cache", "profile:U1")).Result()
	must(t, "cache ttl", err)
	if ttl <= 0 || ttl > time.Minute {
		t.Fatalf("cache ttl %v, want (0, 1m]", ttl)
	}
}

func contractForget(t *testing.T, s *store.Store) {
	ctx := context.Background()
	day := "2026-03-02"
	eng := fullTeam("eng") // alice, bob members; carol manager
	must(t, "save eng", s.SaveTeam(ctx, eng, bot.AuditEntry{}))
	ops := bot.NewTeam("ops", bot.PlatformSlack, "C-ops", t0)
	ops.Managers = []bot.UserID{alice}
	must(t, "save ops", s.SaveTeam(ctx, ops, bot.AuditEntry{}))
	must(t, "save alice", s.SavePerson(ctx, bot.Person{ID: alice, Name: "Alice"}))
	must(t, "save bob", s.SavePerson(ctx, bot.Person{ID: bob, Name: "Bob"}))
	must(t, "alice's conversation", s.SetConversation(ctx, alice, bot.Conversation{TeamID: "eng", Period: "2026-W10"}))

	// Alice's goal, updated by her and by Bob; Bob's goal, created by Alice,
	// aligned under hers, updated by Alice.
	ag, err := s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "A", Owner: alice, CreatedBy: alice}, entry("goal.created", "", "e1"))
	must(t, "alice's goal", err)
	bg, err := s.CreateGoal(ctx, bot.Goal{TeamID: "eng", Title: "B", Owner: bob, CreatedBy: alice, Parent: ag.ID}, bot.AuditEntry{})
	must(t, "bob's goal", err)
	_, err = s.RecordUpdate(ctx, bot.Update{GoalID: ag.ID, Author: alice, At: t0, Key: "u1"}, bot.ProgressChange{Number: 1}, bot.AuditEntry{})
	must(t, "alice updates her goal", err)
	_, err = s.RecordUpdate(ctx, bot.Update{GoalID: ag.ID, Author: bob, At: t0.Add(time.Minute)}, bot.ProgressChange{Number: 2}, bot.AuditEntry{})
	must(t, "bob updates alice's goal", err)
	_, err = s.RecordUpdate(ctx, bot.Update{GoalID: bg.ID, Author: alice, At: t0.Add(2 * time.Minute), Note: "n"}, bot.ProgressChange{Number: 5}, bot.AuditEntry{})
	must(t, "alice updates bob's goal", err)

	give := func(from bot.UserID, to ...bot.UserID) {
		t.Helper()
		_, err := s.GiveKudos(ctx, bot.Kudos{TeamID: "eng", From: from, To: to, Message: "m", At: t0}, day, 10, bot.AuditEntry{})
		must(t, "give kudos", err)
	}
	give(alice, bob)
	give(bob, alice)
	give(bob, alice, carol)
	give(carol, bob)
	must(t, "alice's check-in", s.SaveCheckIn(ctx, bot.CheckIn{TeamID: "eng", Person: alice, Period: "2026-W10", Mood: 3}, "c1", bot.AuditEntry{}))
	must(t, "bob's check-in", s.SaveCheckIn(ctx, bot.CheckIn{TeamID: "eng", Person: bob, Period: "2026-W10", Mood: 4}, "", bot.AuditEntry{}))

	forgotten := bot.AuditEntry{At: t0, Action: "person.forgotten", Subject: "someone"}
	must(t, "forget alice", s.ForgetPerson(ctx, alice, forgotten))

	// Nothing of Alice remains in any key name or value, except the audit
	// log, which records the changes and is kept.
	assertNoTrace(t, s, string(alice))

	_, err = s.GetPerson(ctx, alice)
	mustErr(t, "alice's profile", err, bot.ErrNotFound)
	_, err = s.Conversation(ctx, alice)
	mustErr(t, "alice's conversation", err, bot.ErrNotFound)
	teams, err := s.TeamsOf(ctx, alice)
	must(t, "alice's teams", err)
	if len(teams) != 0 {
		t.Fatalf("alice still in %v", teams)
	}
	_, err = s.GetGoal(ctx, ag.ID)
	mustErr(t, "alice's goal", err, bot.ErrNotFound)
	gotBG, err := s.GetGoal(ctx, bg.ID)
	must(t, "bob's goal", err)
	if gotBG.CreatedBy != "" || gotBG.Parent != "" || gotBG.Current != 5 {
		t.Fatalf("bob's goal after forget: %+v", gotBG)
	}
	ups, err := s.TeamUpdates(ctx, "eng", t0, t0.Add(time.Hour))
	must(t, "team updates", err)
	if len(ups) != 1 || ups[0].GoalID != bg.ID || ups[0].Author != "" || ups[0].Note != "n" {
		t.Fatalf("team updates after forget: %+v", ups)
	}
	kudos, err := s.TeamKudos(ctx, "eng", t0, t0.Add(time.Hour))
	must(t, "team kudos", err)
	if len(kudos) != 2 {
		t.Fatalf("team kudos after forget: %+v", kudos)
	}
	for _, k := range kudos {
		if k.From == bob && !reflect.DeepEqual(k.To, []bot.UserID{carol}) {
			t.Fatalf("bob's kudos to alice and carol now goes to %v", k.To)
		}
	}
	cis, err := s.TeamCheckIns(ctx, "eng", "2026-W10")
	must(t, "check-ins", err)
	if len(cis) != 1 || cis[0].Person != bob {
		t.Fatalf("check-ins after forget: %+v", cis)
	}
	for _, id := range []string{"eng", "ops"} {
		log, err := s.AuditLog(ctx, id, 1)
		must(t, "audit", err)
		if len(log) != 1 || log[0] != forgotten {
			t.Fatalf("team %s audit after forget: %+v", id, log)
		}
	}
	// Forgetting again is harmless.
	must(t, "forget again", s.ForgetPerson(ctx, alice, forgotten))
}

// assertNoTrace fails if any key under the store's prefix, other than audit
// logs, names or holds id.
func assertNoTrace(t *testing.T, s *store.Store, id string) {
	t.Helper()
	ctx := context.Background()
	rdb := s.Client()
	iter := rdb.Scan(ctx, 0, s.Key("")+"*", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		if strings.Contains(key, id) {
			t.Errorf("key %s names %s", key, id)
			continue
		}
		if strings.HasSuffix(key, ":audit") {
			continue
		}
		var vals []string
		typ, err := rdb.Type(ctx, key).Result()
		must(t, "type", err)
		switch typ {
		case "string":
			v, _ := rdb.Get(ctx, key).Result()
			vals = []string{v}
		case "hash":
			for f, v := range rdb.HGetAll(ctx, key).Val() {
				vals = append(vals, f, v)
			}
		case "set":
			vals = rdb.SMembers(ctx, key).Val()
		case "zset":
			vals = rdb.ZRange(ctx, key, 0, -1).Val()
		case "list":
			vals = rdb.LRange(ctx, key, 0, -1).Val()
		}
		for _, v := range vals {
			if strings.Contains(v, id) {
				t.Errorf("key %s (%s) holds %s: %s", key, typ, id, v)
			}
		}
	}
	must(t, "scan", iter.Err())
}
