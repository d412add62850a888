package bot_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

// withoutPrefetch is a store without bot.MembershipGoalReader: the service
// then reads the goal on its own, as it did before the first read carried it.
type withoutPrefetch struct{ bot.Store }

// prefetchWorld is a Growth team (alice, bob; maya manages) with its
// channel "growth", a Design team (chen) and their goals, on one store;
// admin makes the "demo" workspace the organisation.
type prefetchWorld struct {
	*harness
	st *store.Store
	rt *storetest.RoundTrips
	// growth is alice's goal, design chen's, closed alice's closed goal.
	growth, design, closed bot.Goal
}

func newPrefetchWorld(t *testing.T, st *store.Store, core bot.Store) *prefetchWorld {
	t.Helper()
	ctx := context.Background()
	w := &prefetchWorld{st: st, rt: storetest.CountRoundTrips(st)}
	w.harness = newTeamHarnessOn(t, core, monday, []bot.UserID{admin}, []bot.UserID{alice, bob}, []bot.UserID{maya}, nil, nil, maya, alice, bob, chen)
	design := bot.NewTeam("Design", bot.PlatformConsole, "design", monday)
	design.Members = []bot.UserID{chen}
	if err := w.svc.ApplyTeam(ctx, design); err != nil {
		t.Fatal(err)
	}
	w.growth = w.goal("growth", alice, "Orders")
	w.design = w.goal("design", chen, "Sketches")
	w.closed = w.goal("growth", alice, "Old launch")
	return w
}

// goal creates an open numeric goal (0 → 100 items) through the world's store.
func (w *prefetchWorld) goal(team string, owner bot.UserID, title string) bot.Goal {
	w.t.Helper()
	g, err := w.st.CreateGoal(context.Background(), bot.Goal{TeamID: team, Title: title, Owner: owner, CreatedBy: owner,
		Metric: bot.Metric{Target: 100, Unit: "items"}, Start: monday, Due: monday.AddDate(0, 1, 0), State: bot.GoalOpen, UpdatedAt: monday},
		bot.AuditEntry{At: monday, Actor: owner, Action: "goal.created"})
	if err != nil {
		w.t.Fatal(err)
	}
	return g
}

// chat posts text in the growth channel as an ordinary message.
func (w *prefetchWorld) chat(user bot.UserID, text string) bot.Response {
	w.t.Helper()
	w.n++
	return w.event(bot.Event{Key: fmt.Sprintf("pf:%d", w.n), Kind: bot.KindMessage, Platform: bot.PlatformConsole,
		User: user, Channel: "growth", Text: text})
}

// elsewhere is another process on the same Redis: a store with caches of
// its own.
func (w *prefetchWorld) elsewhere() *store.Store {
	return store.New(w.st.Client(), store.Options{Prefix: w.st.Key("")})
}

// A whole chat update reads the sender and the goal in one round trip,
// then records in one: two, where it took three. So do "/goal G7 …" and
// "/goal update G7 …" typed in a channel.
func TestProgressUpdateReadsItsGoalWithTheSender(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *store.Store{"redis": storetest.MustOpen, "embedded": storetest.MustOpenEmbedded} {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newPrefetchWorld(t, st, st)
			id := w.growth.ID
			// The first update loads the scripts into the server, once per server.
			mustContain(t, text(w.chat(alice, id+" +1 warm-up")), "0 items → 1 items")
			for _, tc := range []struct {
				what string
				send func() bot.Response
				want string
			}{
				{"chat", func() bot.Response { return w.chat(alice, id+" 2.5 shipped") }, "1 items → 2.5 items"},
				{"/goal G… in a channel", func() bot.Response { return w.inChannel(alice, "growth", "/goal "+id+" +1") }, "2.5 items → 3.5 items"},
				{"/goal update G… in a channel", func() bot.Response {
					return w.inChannel(alice, "growth", "/goal update "+id+" 5 on track")
				}, "3.5 items → 5 items"},
			} {
				w.rt.Reset()
				mustContain(t, text(tc.send()), tc.want)
				if n := w.rt.N(); n != 2 {
					t.Errorf("%s: a whole update took %d round trips, want 2", tc.what, n)
				}
			}
		})
	}
}

// The goal read with the sender answers every update exactly as a read of
// its own did: the same replies, step by step, with the store that reads
// ahead and one that does not — and each request reads the goal afresh.
func TestPrefetchedGoalAnswersAsItsOwnReadDid(t *testing.T) {
	ahead := storetest.MustOpen(t)
	plain := storetest.MustOpen(t)
	worlds := []*prefetchWorld{newPrefetchWorld(t, ahead, ahead), newPrefetchWorld(t, plain, withoutPrefetch{plain})}
	for _, w := range worlds[1:] {
		if w.growth.ID != worlds[0].growth.ID || w.design.ID != worlds[0].design.ID || w.closed.ID != worlds[0].closed.ID {
			t.Fatalf("the two worlds' goals have different ids: %+v, %+v", w, worlds[0])
		}
	}
	growth, design, closed := worlds[0].growth.ID, worlds[0].design.ID, worlds[0].closed.ID
	type step struct {
		what string
		do   func(w *prefetchWorld) bot.Response
		// want is in the reply; trips are the round trips with the goal
		// read ahead (-1: not checked).
		want  string
		trips int64
	}
	steps := []step{
		{"update", func(w *prefetchWorld) bot.Response { return w.chat(alice, w.growth.ID+" 10 shipped") },
			"0 items → 10 items", -1},
		{"unknown goal", func(w *prefetchWorld) bot.Response { return w.chat(alice, "G999 +1") },
			"There is no goal G999", -1},
		{"another team's goal", func(w *prefetchWorld) bot.Response { return w.chat(alice, w.design.ID+" +1") },
			design + " belongs to someone else", 2},
		{"someone in no team", func(w *prefetchWorld) bot.Response { return w.chat(sam, growth+" +1") },
			growth + " belongs to someone else", -1},
		{"someone outside the organisation", func(w *prefetchWorld) bot.Response { return w.chat(otherWorkspace, growth+" +1") },
			outsiderSentence, -1},
		{"close", func(w *prefetchWorld) bot.Response { return w.inChannel(alice, "growth", "/goal done "+w.closed.ID) },
			closed + " Old launch is marked done", -1},
		{"closed goal", func(w *prefetchWorld) bot.Response { return w.chat(alice, w.closed.ID+" +1") },
			closed + " is already closed", 1},
		{"closed goal by command", func(w *prefetchWorld) bot.Response {
			return w.inChannel(alice, "growth", "/goal "+w.closed.ID+" +1")
		}, closed + " is already closed", 1},
		{"edited in another process", func(w *prefetchWorld) bot.Response {
			ctx := context.Background()
			other := w.elsewhere()
			g, err := other.GetGoal(ctx, w.growth.ID)
			if err != nil {
				w.t.Fatal(err)
			}
			g.Title, g.Metric.Target = "Orders, raised", 200
			if err := other.SaveGoal(ctx, g, bot.AuditEntry{}); err != nil {
				w.t.Fatal(err)
			}
			return w.inChannel(alice, "growth", "/goal "+w.growth.ID+" +1")
		}, "Orders, raised", -1},
		{"edited in another process, then updated", func(w *prefetchWorld) bot.Response {
			return w.chat(alice, w.growth.ID+" +1")
		}, "11 items → 12 items (target 200 items)", 2},
		{"deleted in another process", func(w *prefetchWorld) bot.Response {
			if err := w.elsewhere().ForgetPerson(context.Background(), alice, bot.AuditEntry{At: monday, Actor: alice, Action: "person.forgotten"}); err != nil {
				w.t.Fatal(err)
			}
			return w.chat(bob, w.growth.ID+" +1")
		}, "There is no goal " + growth, -1},
		{"deleted, asked again", func(w *prefetchWorld) bot.Response { return w.chat(bob, w.growth.ID+" +1") },
			"There is no goal " + growth, 1},
	}
	for _, s := range steps {
		var replies []string
		for i, w := range worlds {
			w.rt.Reset()
			replies = append(replies, text(s.do(w)))
			if i == 0 && s.trips >= 0 && w.rt.N() != s.trips {
				t.Errorf("%s: took %d round trips with the goal read ahead, want %d", s.what, w.rt.N(), s.trips)
			}
		}
		mustContain(t, replies[0], s.want)
		if replies[0] != replies[1] {
			t.Errorf("%s: read ahead the reply is\n%q\nread on its own it is\n%q", s.what, replies[0], replies[1])
		}
	}
}
