package slack

import (
	"context"
	"strings"
	"testing"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

// orgWide marks an Events API sample as delivered to an org-wide
// (Enterprise Grid) install of organisation E0001.
func orgWide(m map[string]any) {
	m["enterprise_id"] = "E0001"
	m["authorizations"] = []any{map[string]any{"enterprise_id": "E0001", "team_id": nil, "user_id": "UBOT", "is_bot": true, "is_enterprise_install": true}}
}

// Finding 3 with real payloads: slash commands, interactions, App Home,
// messages and the mentions in them identify a person by their own
// workspace, or by the Grid organisation under an org-wide install —
// never by the workspace the payload came through.
func TestIdentityComesFromThePersonsOwnWorkspace(t *testing.T) {
	rec := &bottest.Handler{}
	h := newHarness(t, rec)
	cases := []struct {
		name string
		post func()
		want bot.UserID
		// mention is the id a <@U061F7AUR> in the text must become, if any.
		mention bot.UserID
	}{
		{"slash command, per-workspace install (enterprise_id alone is ignored)", func() {
			h.postForm("/slack/commands", commandForm(t, h, "/kudos", "<@U061F7AUR> thanks"))
		}, "slack:" + testTeam + ":U2147483697", "slack:" + testTeam + ":U061F7AUR"},
		{"slash command, org-wide install", func() {
			form := commandForm(t, h, "/kudos", "<@U061F7AUR> thanks!")
			form.Set("enterprise_id", "E0001")
			form.Set("is_enterprise_install", "true")
			h.postForm("/slack/commands", form)
		}, "slack:E0001:U2147483697", "slack:E0001:U061F7AUR"},
		{"message of an org member from another of its workspaces", func() {
			h.postEvent(loadJSON(t, "event_message_channels.json", func(m map[string]any) {
				orgWide(m)
				m["team_id"], m["event_id"] = testTeam, "Ev-org-member"
				eventOf(m)["user_team"], eventOf(m)["ts"] = "T0002", "1.1"
				eventOf(m)["text"] = "kudos <@U061F7AUR> great"
			}))
		}, "slack:E0001:U2147483697", "slack:E0001:U061F7AUR"},
		{"Slack Connect guest in a channel shared with a Grid organisation", func() {
			h.postEvent(loadJSON(t, "event_message_channels.json", func(m map[string]any) {
				orgWide(m)
				m["team_id"], m["event_id"], m["is_ext_shared_channel"] = testTeam, "Ev-guest", true
				eventOf(m)["user"], eventOf(m)["user_team"], eventOf(m)["ts"] = "UEXT1", "TEXT", "1.2"
			}))
		}, "slack:TEXT:UEXT1", ""},
		{"Slack Connect guest mentioning a colleague of their own company", func() {
			h.slack.addOrgUser("UEXTPAL", "TEXT", "")
			h.postEvent(loadJSON(t, "event_message_channels.json", func(m map[string]any) {
				m["team_id"], m["event_id"], m["is_ext_shared_channel"] = testTeam, "Ev-guest-mention", true
				eventOf(m)["user"], eventOf(m)["user_team"], eventOf(m)["ts"] = "UEXT1", "TEXT", "1.25"
				eventOf(m)["text"] = "kudos <@UEXTPAL> great"
			}))
		}, "slack:TEXT:UEXT1", "slack:TEXT:UEXTPAL"},
		{"host member mentioning a Connect guest in the shared channel", func() {
			h.postEvent(loadJSON(t, "event_message_channels.json", func(m map[string]any) {
				m["team_id"], m["event_id"], m["is_ext_shared_channel"] = testTeam, "Ev-host-mention", true
				eventOf(m)["user_team"], eventOf(m)["ts"] = testTeam, "1.26"
				eventOf(m)["text"] = "kudos <@UEXTPAL> thanks"
			}))
		}, "slack:" + testTeam + ":U2147483697", "slack:TEXT:UEXTPAL"},
		{"Slack Connect guest, per-workspace install", func() {
			h.postEvent(loadJSON(t, "event_message_channels.json", func(m map[string]any) {
				m["team_id"], m["event_id"], m["is_ext_shared_channel"] = testTeam, "Ev-guest2", true
				eventOf(m)["user"], eventOf(m)["user_team"], eventOf(m)["ts"] = "UEXT1", "TEXT", "1.3"
			}))
		}, "slack:TEXT:UEXT1", ""},
		{"App Home, org-wide install", func() {
			h.postEvent(loadJSON(t, "event_app_home_opened.json", func(m map[string]any) {
				orgWide(m)
				m["team_id"], m["event_id"] = testTeam, "Ev-home"
			}))
		}, "slack:E0001:U123ABC456", ""},
		{"button of a person of another workspace", func() {
			h.postForm("/slack/interactions", map[string][]string{"payload": {string(loadJSON(t, "block_actions.json", func(m map[string]any) {
				m["team"].(map[string]any)["id"] = testTeam
				m["user"].(map[string]any)["team_id"] = "TEXT"
				m["trigger_id"] = "trig-guest"
			}))}})
		}, "slack:TEXT:UA8RXUSPL", ""},
		{"button, org-wide install", func() {
			h.postForm("/slack/interactions", map[string][]string{"payload": {string(loadJSON(t, "block_actions.json", func(m map[string]any) {
				m["team"].(map[string]any)["id"] = testTeam
				m["user"].(map[string]any)["team_id"] = testTeam
				m["enterprise"] = map[string]any{"id": "E0001", "name": "Org"}
				m["is_enterprise_install"] = true
				m["trigger_id"] = "trig-org"
			}))}})
		}, "slack:E0001:UA8RXUSPL", ""},
		{"button of an org member from another of its workspaces, org-wide install (users.info says so)", func() {
			h.slack.addOrgUser("UORG1", "T0002", "E0001")
			h.postForm("/slack/interactions", map[string][]string{"payload": {string(loadJSON(t, "block_actions.json", func(m map[string]any) {
				m["team"].(map[string]any)["id"] = testTeam
				m["user"].(map[string]any)["id"] = "UORG1"
				m["user"].(map[string]any)["team_id"] = "T0002"
				m["enterprise"] = map[string]any{"id": "E0001", "name": "Org"}
				m["is_enterprise_install"] = true
				m["trigger_id"] = "trig-org-member"
			}))}})
		}, "slack:E0001:UORG1", ""},
		{"button of a Connect guest, org-wide install (users.info knows no organisation of theirs)", func() {
			h.postForm("/slack/interactions", map[string][]string{"payload": {string(loadJSON(t, "block_actions.json", func(m map[string]any) {
				m["team"].(map[string]any)["id"] = testTeam
				m["user"].(map[string]any)["team_id"] = "TEXT"
				m["enterprise"] = map[string]any{"id": "E0001", "name": "Org"}
				m["is_enterprise_install"] = true
				m["trigger_id"] = "trig-org-guest"
			}))}})
		}, "slack:TEXT:UA8RXUSPL", ""},
	}
	for i, c := range cases {
		c.post()
		h.settle()
		evs := rec.Events()
		if len(evs) != i+1 {
			t.Fatalf("%s: handler saw %d events, want %d", c.name, len(evs), i+1)
		}
		ev := evs[i]
		if ev.User != c.want {
			t.Errorf("%s: user %s, want %s", c.name, ev.User, c.want)
		}
		if c.mention != "" {
			if _, ok := ev.Names[c.mention]; !ok {
				t.Errorf("%s: mention not identified as %s: names %v, text %q", c.name, c.mention, ev.Names, ev.Text)
			}
		}
	} // UEXTPAL is mentioned twice in shared channels: where they belong and
	// their name are each asked once, then read from the cache.
	asked := 0
	for _, c := range h.slack.callsTo("users.info") {
		if c.Form.Get("user") == "UEXTPAL" {
			asked++
		}
	}
	if asked != 2 {
		t.Errorf("users.info asked about UEXTPAL %d times, want twice (home and name, each cached)", asked)
	}
}

// Findings 2 and 3 end to end with real payloads and the real core: a
// typed id (Slack sends typed brackets escaped) is text, never a mention,
// whatever platform or workspace it names; and a Slack Connect guest in the
// team's shared channel (user_team of another workspace) is an outsider,
// whose kudos are neither stored nor sent.
func TestEndToEndTypedIdsAndSlackConnectGuests(t *testing.T) {
	h := newServiceHarness(t)
	ctx := context.Background()
	for _, typed := range []string{"&lt;@feishu:tk1:ou_c&gt; hi", "&lt;@slack:T9:UQ&gt; hi", "&lt;@slack:" + testTeam + ":U061F7AUR&gt; hi"} {
		_, reply := commandReplyText(t, h.postForm("/slack/commands", commandForm(t, h, "/kudos", typed)))
		// The reply quotes what was typed, as text: no mention token.
		if strings.Contains(reply, "<@") || !strings.Contains(reply, "can't tell who") {
			t.Errorf("/kudos %s: reply %q, want the typed text refused as no mention", typed, reply)
		}
	}
	h.settle()
	if calls := h.slack.callsTo("conversations.open"); len(calls) != 0 {
		t.Errorf("typed ids opened %d direct messages", len(calls))
	}
	h.postEvent(loadJSON(t, "event_message_channels.json", func(m map[string]any) {
		m["team_id"], m["event_id"], m["is_ext_shared_channel"] = testTeam, "Ev-connect-kudos", true
		ev := eventOf(m)
		ev["channel"], ev["user"], ev["user_team"], ev["ts"] = "C2147483705", "UEXT1", "TEXT", "9.9"
		ev["text"] = "kudos <@U061F7AUR> thanks for the demo"
	}))
	h.settle()
	kudos, err := h.store.TeamKudos(ctx, "growth", testNow.AddDate(-1, 0, 0), testNow.AddDate(1, 0, 0))
	if err != nil || len(kudos) != 0 {
		t.Fatalf("kudos %+v, %v: nothing typed or sent by an outsider may be stored", kudos, err)
	}
	if calls := h.slack.callsTo("conversations.open"); len(calls) != 0 {
		t.Errorf("an outsider's kudos opened %d direct messages", len(calls))
	}
}
