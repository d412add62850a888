package slack

import (
	"os"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestManifestMatchesAdapter keeps deploy/slack/manifest.yaml in step with
// what the adapter serves and calls.
func TestManifestMatchesAdapter(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/slack/manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			AppHome struct {
				HomeTab     bool `yaml:"home_tab_enabled"`
				MessagesTab bool `yaml:"messages_tab_enabled"`
			} `yaml:"app_home"`
			SlashCommands []struct {
				Command      string `yaml:"command"`
				ShouldEscape bool   `yaml:"should_escape"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				Bot []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled bool `yaml:"is_enabled"`
			} `yaml:"interactivity"`
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var commands []string
	for _, c := range m.Features.SlashCommands {
		commands = append(commands, c.Command)
		if !c.ShouldEscape {
			t.Errorf("%s: should_escape must be true so mentions arrive as <@U…> ids", c.Command)
		}
	}
	if !slices.Equal(commands, []string{"/goal", "/kudos", "/checkin", "/scorecard", "/pulse"}) {
		t.Errorf("slash commands %v", commands)
	}
	for _, ev := range []string{"message.channels", "message.groups", "message.im", "app_mention", "app_home_opened"} {
		if !slices.Contains(m.Settings.Events.Bot, ev) {
			t.Errorf("event %s not subscribed", ev)
		}
	}
	for _, scope := range []string{"app_mentions:read", "channels:history", "groups:history", "im:history", "im:write",
		"chat:write", "commands", "reactions:write", "users:read", "files:write"} {
		if !slices.Contains(m.OAuth.Scopes.Bot, scope) {
			t.Errorf("scope %s missing", scope)
		}
	}
	if !m.Settings.Interactivity.Enabled || !m.Settings.SocketMode || !m.Features.AppHome.HomeTab || !m.Features.AppHome.MessagesTab {
		t.Errorf("interactivity %v, socket mode %v, home tab %v, messages tab %v", m.Settings.Interactivity.Enabled,
			m.Settings.SocketMode, m.Features.AppHome.HomeTab, m.Features.AppHome.MessagesTab)
	}
}
