package slack

import (
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// oldEnvelope is the queued envelope as entries written before the
// envelope left its empty fields out carry it: every field, empty or not.
type oldEnvelope struct {
	Type           string `json:"type"`
	Challenge      string `json:"challenge"`
	TeamID         string `json:"team_id"`
	EventID        string `json:"event_id"`
	EnterpriseID   string `json:"enterprise_id"`
	Authorizations []struct {
		IsEnterpriseInstall bool `json:"is_enterprise_install"`
	} `json:"authorizations"`
	IsExtSharedChannel bool `json:"is_ext_shared_channel"`
	Event              struct {
		Type        string `json:"type"`
		Subtype     string `json:"subtype"`
		User        string `json:"user"`
		BotID       string `json:"bot_id"`
		Text        string `json:"text"`
		Channel     string `json:"channel"`
		ChannelType string `json:"channel_type"`
		TS          string `json:"ts"`
		ThreadTS    string `json:"thread_ts"`
		Tab         string `json:"tab"`
		UserTeam    string `json:"user_team"`
		Edited      *struct {
			User string `json:"user"`
			TS   string `json:"ts"`
		} `json:"edited"`
	} `json:"event"`
	MinuteRateLimited int64 `json:"minute_rate_limited,omitempty"`
}

// readView is everything the adapter reads of an envelope, with an empty
// authorizations list and a missing one alike (only ranged over).
type readView struct {
	Env       envelope
	OrgWide   string
	Workspace string
	Ignored   bool
	Key       string
}

func viewOf(a *Adapter, env envelope) readView {
	ignored := a.ignoredMessage(env.Event)
	key := a.eventKey(env)
	if len(env.Authorizations) == 0 {
		env.Authorizations = nil
	}
	return readView{Env: env, OrgWide: env.orgWide(),
		Workspace: workspaceOf(env.Event.UserTeam, a.teamOf(env.TeamID), env.orgWide(), env.IsExtSharedChannel),
		Ignored:   ignored, Key: key}
}

// adv22b: an envelope queued the new way (empty fields left out) and one
// queued the old way (every field) read back as the envelope received,
// for every field the adapter reads: edits, bot posts, thread replies,
// Slack Connect (user_team), Enterprise (authorizations).
func FuzzAdv22bQueuedEnvelopeReadsBackTheSame(f *testing.F) {
	f.Add("event_callback", "T1", "Ev1", "", uint8(0), false, "message", "", "U1", "", "G7 2.5% note", "C1", "channel", "1.1", "", "", "", false, "", "")
	f.Add("event_callback", "T1", "Ev2", "E1", uint8(2), true, "app_mention", "", "U1", "", "<@UBOT> G7 1%", "C1", "channel", "1.2", "1.0", "", "T2", false, "", "")
	f.Add("event_callback", "T1", "Ev3", "E1", uint8(3), false, "message", "message_changed", "U1", "", "G7 2%", "C1", "channel", "1.3", "", "", "", true, "U1", "1.4")
	f.Add("event_callback", "T1", "Ev4", "", uint8(0), false, "message", "bot_message", "", "B1", "hi", "C1", "channel", "1.5", "", "", "", true, "", "")
	f.Add("event_callback", "", "Ev5", "", uint8(1), false, "app_home_opened", "", "U1", "", "", "D1", "", "", "", "home", "", false, "", "")
	f.Add("event_callback", "T1", "Ev6", "E1", uint8(1), true, "message", "thread_broadcast", "U1", "", "G1 5%", "C1", "group", "1.6", "1.0", "", "T9", false, "", "")
	a := &Adapter{}
	f.Fuzz(func(t *testing.T, typ, team, eventID, enterprise string, auths uint8, ext bool,
		evType, subtype, user, botID, text, channel, channelType, ts, threadTS, tab, userTeam string,
		edited bool, editedUser, editedTS string) {
		for _, s := range []string{typ, team, eventID, enterprise, evType, subtype, user, botID, text, channel, channelType, ts, threadTS, tab, userTeam, editedUser, editedTS} {
			if !utf8.ValidString(s) {
				t.Skip() // Slack's JSON is valid UTF-8: it never reaches the envelope
			}
		}
		var env envelope
		env.Type, env.TeamID, env.EventID, env.EnterpriseID, env.IsExtSharedChannel = typ, team, eventID, enterprise, ext
		for i := range int(auths % 4) {
			env.Authorizations = append(env.Authorizations, struct {
				IsEnterpriseInstall bool `json:"is_enterprise_install,omitempty"`
			}{IsEnterpriseInstall: i == 1})
		}
		ev := &env.Event
		ev.Type, ev.Subtype, ev.User, ev.BotID, ev.Text, ev.Channel = evType, subtype, user, botID, text, channel
		ev.ChannelType, ev.TS, ev.ThreadTS, ev.Tab, ev.UserTeam = channelType, ts, threadTS, tab, userTeam
		if edited {
			ev.Edited = &struct {
				User string `json:"user,omitempty"`
				TS   string `json:"ts,omitempty"`
			}{User: editedUser, TS: editedTS}
		}
		want := viewOf(a, env)

		stored, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		var back envelope
		if err := json.Unmarshal(stored, &back); err != nil {
			t.Fatalf("queued %s: %v", stored, err)
		}
		if got := viewOf(a, back); !reflect.DeepEqual(got, want) {
			t.Errorf("queued %s read back as\n%+v\nwant\n%+v", stored, got, want)
		}

		// An entry queued before the change carries every field.
		var old oldEnvelope
		raw, _ := json.Marshal(env)
		if err := json.Unmarshal(raw, &old); err != nil {
			t.Fatal(err)
		}
		oldStored, err := json.Marshal(old)
		if err != nil {
			t.Fatal(err)
		}
		var fromOld envelope
		if err := json.Unmarshal(oldStored, &fromOld); err != nil {
			t.Fatalf("old entry %s: %v", oldStored, err)
		}
		if got := viewOf(a, fromOld); !reflect.DeepEqual(got, want) {
			t.Errorf("old entry %s read back as\n%+v\nwant\n%+v", oldStored, got, want)
		}
	})
}
