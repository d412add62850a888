package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store/storetest"
)

// adv22b: more id forms and senders, step by step, with the store that
// reads the goal ahead and one that does not: the replies are the same.
func TestAdv22bPrefetchAnswersAsItsOwnReadOnOddForms(t *testing.T) {
	ahead := storetest.MustOpen(t)
	plain := storetest.MustOpen(t)
	worlds := []*prefetchWorld{newPrefetchWorld(t, ahead, ahead), newPrefetchWorld(t, plain, withoutPrefetch{plain})}
	growth, design := worlds[0].growth.ID, worlds[0].design.ID
	if worlds[1].growth.ID != growth || worlds[1].design.ID != design {
		t.Fatal("the two worlds' goals have different ids")
	}
	n := strings.TrimPrefix(growth, "G")
	dm := func(w *prefetchWorld, user bot.UserID, text string) bot.Response {
		w.n++
		return w.event(bot.Event{Key: fmt.Sprintf("pf:%d", w.n), Kind: bot.KindCommand, Platform: bot.PlatformConsole,
			User: user, Channel: "dm", Direct: true, Text: text})
	}
	steps := []struct {
		what string
		do   func(w *prefetchWorld) bot.Response
	}{
		{"lower-case id", func(w *prefetchWorld) bot.Response { return w.chat(alice, "g"+n+" 1 lower") }},
		{"zero-padded id", func(w *prefetchWorld) bot.Response { return w.chat(alice, "G0"+n+" 2 padded") }},
		{"G0", func(w *prefetchWorld) bot.Response { return w.chat(alice, "G0 +1") }},
		{"another goal in the note", func(w *prefetchWorld) bot.Response { return w.chat(alice, growth+" +1 see "+design) }},
		{"another team's goal with ours in the note", func(w *prefetchWorld) bot.Response { return w.chat(alice, design+" +1 see "+growth) }},
		{"/goal update lower-case", func(w *prefetchWorld) bot.Response { return w.inChannel(alice, "growth", "/goal update g"+n+" 4") }},
		{"a member not the owner", func(w *prefetchWorld) bot.Response { return w.chat(bob, growth+" +1") }},
		{"the manager", func(w *prefetchWorld) bot.Response { return w.chat(maya, growth+" +1 by the manager") }},
		{"in a DM", func(w *prefetchWorld) bot.Response { return dm(w, alice, growth+" +1 in a dm") }},
		{"/goal in a DM", func(w *prefetchWorld) bot.Response { return dm(w, alice, "/goal "+growth+" +1") }},
		{"unit mismatch", func(w *prefetchWorld) bot.Response { return w.chat(alice, growth+" 3 kg") }},
		{"then right", func(w *prefetchWorld) bot.Response { return w.chat(alice, growth+" +1 items") }},
		{"edit then update, one after the other", func(w *prefetchWorld) bot.Response {
			w.inChannel(alice, "growth", "/goal edit "+growth+" title Orders again")
			return w.chat(alice, growth+" +1")
		}},
	}
	for _, s := range steps {
		var replies []string
		for _, w := range worlds {
			replies = append(replies, text(s.do(w)))
		}
		if replies[0] != replies[1] {
			t.Errorf("%s: read ahead the reply is\n%q\nread on its own it is\n%q", s.what, replies[0], replies[1])
		}
	}
}

// adv22b: the owner and the manager updating one goal at once, each request reading it
// ahead with its sender (run with -race): every update lands once.
func TestAdv22bPrefetchConcurrentUpdatesAllLand(t *testing.T) {
	st := storetest.MustOpen(t)
	w := newPrefetchWorld(t, st, st)
	var wg sync.WaitGroup
	const each = 10
	var mu sync.Mutex
	for _, who := range []bot.UserID{alice, maya} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				resp, err := w.svc.Handle(context.Background(), bot.Event{Key: fmt.Sprintf("cc:%s:%d", who, i), Kind: bot.KindMessage,
					Platform: bot.PlatformConsole, User: who, Channel: "growth", Text: w.growth.ID + " +1"})
				mu.Lock()
				if err != nil || !strings.Contains(text(resp), "items →") {
					t.Errorf("%s update %d: %q %v", who, i, text(resp), err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	g, err := st.GetGoal(context.Background(), w.growth.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g.Current != 2*each {
		t.Errorf("goal at %v after %d updates of +1, want %d", g.Current, 3*each, 3*each)
	}
}
