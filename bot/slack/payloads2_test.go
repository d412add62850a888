package slack

// Payloads re-typed from slack-go's own tests (testdata/README.md), run
// over HTTP and Socket Mode with the real core (issue 16).

import (
	"context"
	"testing"
)

// A mention posted in a thread (slack-go's TestAppMention: thread_ts,
// source_team, user_team) is acted on: the reaction on the message and the
// private reply in that thread.
func TestConformanceSDKThreadedMentionIsAnsweredInItsThread(t *testing.T) {
	overBoth(t, func(t *testing.T, h *harness) {
		id := newGoalFor(t, h)
		h.postEvent(loadJSON(t, "sdk_app_mention_thread.json", func(m map[string]any) {
			m["team_id"] = testTeam
			ev := eventOf(m)
			ev["user"], ev["channel"], ev["source_team"], ev["user_team"] = leiID, "C2147483705", testTeam, testTeam
			ev["text"] = "<@" + testBotUser + "> " + id + " 22% onboarding emails"
		}))
		h.settle()
		if g, err := h.store.GetGoal(context.Background(), id); err != nil || g.Current != 22 {
			t.Fatalf("goal %+v, %v", g, err)
		}
		reacts := h.slack.callsTo("reactions.add")
		if len(reacts) != 1 || reacts[0].Form.Get("timestamp") != "1515449522.000016" {
			t.Fatalf("reactions %+v", reacts)
		}
		// The progress reply is private: an ephemeral in the thread.
		eph := h.slack.callsTo("chat.postEphemeral")
		if len(eph) != 1 || eph[0].Form.Get("thread_ts") != "1515449522.000016" || eph[0].Form.Get("user") != leiID {
			t.Fatalf("private replies %+v, want one to lei in the thread", eph)
		}
		if n := len(h.slack.callsTo("chat.postMessage")); n != 0 {
			t.Fatalf("%d public posts for a private reply", n)
		}
	})
}

// An edit (slack-go's TestMessageChangedEvent) is never acted on.
func TestConformanceSDKMessageChangedIsIgnored(t *testing.T) {
	overBoth(t, func(t *testing.T, h *harness) {
		id := newGoalFor(t, h)
		h.postEvent(loadJSON(t, "sdk_message_changed.json", func(m map[string]any) {
			m["team_id"] = testTeam
			ev := eventOf(m)
			ev["channel"] = "C2147483705"
			msg := ev["message"].(map[string]any)
			msg["user"], msg["text"] = leiID, id+" 25%"
			msg["edited"].(map[string]any)["user"] = leiID
		}))
		h.settle()
		if g, err := h.store.GetGoal(context.Background(), id); err != nil || g.Current != 20 {
			t.Fatalf("an edit moved the goal: %+v, %v", g, err)
		}
		if n := len(h.slack.callsTo("reactions.add")); n != 0 {
			t.Fatalf("%d reactions on an edit", n)
		}
	})
}
