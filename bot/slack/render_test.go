package slack

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

func blockJSON(t *testing.T, blocks []slack.Block) []map[string]any {
	t.Helper()
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func textOf(b map[string]any) string {
	if t, ok := b["text"].(map[string]any); ok {
		return t["text"].(string)
	}
	return ""
}

func TestRenderEachBlockKind(t *testing.T) {
	msg := bot.Message{Title: "Scorecard · growth · 2026-W48", Blocks: []bot.Block{
		bot.Text{Text: "Three goals, one at risk."},
		bot.Fields{{Label: "Updates", Value: "12"}, {Label: "Check-ins", Value: "5/6"}},
		bot.Progress{Label: "G7 Raise conversion", Percent: 40, Pace: 45, Status: bot.AtRisk, Detail: "pace 45% · at risk"},
		bot.Buttons{{ID: bot.ActionForgetConfirm, Label: "Forget me", Value: "yes", Danger: true}},
		bot.Context{Text: "3 kudos left today"},
		bot.Divider{},
	}}
	got := blockJSON(t, renderBlocks(msg, testCatalog(t)))
	var types []string
	for _, b := range got {
		types = append(types, b["type"].(string))
	}
	if strings.Join(types, ",") != "header,section,section,section,actions,context,divider" {
		t.Fatalf("block types %v", types)
	}
	if f := got[2]["fields"].([]any); len(f) != 2 || f[0].(map[string]any)["text"] != "*Updates*\n12" {
		t.Errorf("fields %v", got[2]["fields"])
	}
	if p := textOf(got[3]); p != "*G7 Raise conversion*\n`▓▓▓▓░░░░░░ 40%`  pace 45% · at risk" {
		t.Errorf("progress %q", p)
	}
	btn := got[4]["elements"].([]any)[0].(map[string]any)
	if btn["action_id"] != bot.ActionForgetConfirm || btn["value"] != "yes" || btn["style"] != "danger" {
		t.Errorf("button %v", btn)
	}
	if fallback := fallbackText(msg); !strings.HasPrefix(fallback, "Scorecard · growth · 2026-W48\nThree goals") {
		t.Errorf("fallback %q", fallback)
	}
}

func TestRenderLimits(t *testing.T) {
	long := strings.Repeat("word ", 1500) // 7,500 characters
	var many []bot.Block
	for i := 0; i < 70; i++ {
		many = append(many, bot.Context{Text: "line"})
	}
	var fields bot.Fields
	for i := 0; i < 23; i++ {
		fields = append(fields, bot.Field{Label: "k", Value: "v"})
	}
	cases := []struct {
		name  string
		msg   bot.Message
		check func(t *testing.T, blocks []map[string]any)
	}{
		{"header cut to 150", bot.Message{Title: strings.Repeat("<", 200)}, func(t *testing.T, b []map[string]any) {
			h := textOf(b[0])
			if n := utf8.RuneCountInString(h); n > maxHeaderChars || !strings.HasSuffix(h, "…") || strings.Contains(h, "&l…") {
				t.Errorf("header %d chars: %q", n, h)
			}
		}},
		{"long text split under 3000", bot.Message{Blocks: []bot.Block{bot.Text{Text: long}}}, func(t *testing.T, b []map[string]any) {
			if len(b) != 3 {
				t.Errorf("%d sections, want 3", len(b))
			}
			total := 0
			for _, s := range b {
				n := utf8.RuneCountInString(textOf(s))
				if n > maxSectionChars {
					t.Errorf("section of %d chars", n)
				}
				total += len(strings.Fields(textOf(s)))
			}
			if total != 1500 {
				t.Errorf("%d words survived, want 1500", total)
			}
		}},
		{"over 50 blocks trimmed", bot.Message{Title: "t", Blocks: many}, func(t *testing.T, b []map[string]any) {
			if len(b) != maxBlocks {
				t.Fatalf("%d blocks", len(b))
			}
			last := b[len(b)-1]["elements"].([]any)[0].(map[string]any)["text"]
			if last != "…and 22 more" {
				t.Errorf("last block %q", last)
			}
		}},
		{"fields ten per section", bot.Message{Blocks: []bot.Block{fields}}, func(t *testing.T, b []map[string]any) {
			if len(b) != 3 || len(b[0]["fields"].([]any)) != 10 || len(b[2]["fields"].([]any)) != 3 {
				t.Errorf("field sections %v", b)
			}
		}},
		{"duplicate action ids made unique", bot.Message{Blocks: []bot.Block{bot.Buttons{{ID: "goal.show", Value: "G1", Label: "G1"}, {ID: "goal.show", Value: "G2", Label: "G2"}}}},
			func(t *testing.T, b []map[string]any) {
				els := b[0]["elements"].([]any)
				a, c := els[0].(map[string]any)["action_id"].(string), els[1].(map[string]any)["action_id"].(string)
				if a == c || botActionID(a) != "goal.show" || botActionID(c) != "goal.show" {
					t.Errorf("action ids %q %q", a, c)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.check(t, blockJSON(t, renderBlocks(c.msg, testCatalog(t)))) })
	}
}

func TestTrimmingSpeaksChinese(t *testing.T) {
	var many []bot.Block
	for i := 0; i < 60; i++ {
		many = append(many, bot.Divider{})
	}
	b := blockJSON(t, renderBlocks(bot.Message{Blocks: many, Locale: bot.Chinese}, testCatalog(t)))
	if last := b[len(b)-1]["elements"].([]any)[0].(map[string]any)["text"]; last != "……还有 11 项" {
		t.Errorf("last %q", last)
	}
}

func testCatalog(t *testing.T) *bot.Catalog {
	t.Helper()
	c, err := bot.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEscapeAndTranslateText(t *testing.T) {
	if got := escape("<!channel> & <@U1>"); got != "&lt;!channel&gt; &amp; &lt;@U1&gt;" {
		t.Errorf("escape %q", got)
	}
	h := newHarness(t, &bottest.Handler{})
	text, names := h.a.translateText(t.Context(), testTeam, testTeam,
		"kudos <@U061F7AUR|lilei> <@U2147483697> see <https://example.com|the doc> in <#C1|general> <!here> &lt;3 &amp; more")
	want := "kudos <@slack:" + testTeam + ":U061F7AUR> <@slack:" + testTeam + ":U2147483697> see https://example.com in #C1 @here <3 & more"
	if text != want {
		t.Errorf("text\n got %q\nwant %q", text, want)
	}
	if len(names) != 2 || names[bot.NewUserID(bot.PlatformSlack, testTeam, "U2147483697")] != "Steve" {
		t.Errorf("names %v", names)
	}
	if s, found := stripBotMention("<@UBOT|pulse>   /goal list <@U1>", "UBOT"); !found || s != "/goal list <@U1>" {
		t.Errorf("strip %q %v", s, found)
	}
}

// TestEveryMessageKindRendersInItsLanguage renders a message holding every
// block kind, as a message (overflowing Slack's block limit) and as a
// modal, in both languages: the adapter's own words — the "…and N more"
// line, the modal's title, submit and cancel — follow the message's
// language, and an English rendering holds no Chinese at all.
func TestEveryMessageKindRendersInItsLanguage(t *testing.T) {
	c := testCatalog(t)
	for _, l := range []bot.Locale{bot.English, bot.Chinese} {
		t.Run(string(l), func(t *testing.T) {
			msg := bottest.WithButton(t, bottest.EveryKind(t, l))
			fits := len(renderBlocks(msg, c))
			rendered, err := json.Marshal(renderBlocks(bottest.Overflowing(msg), c))
			if err != nil {
				t.Fatal(err)
			}
			more := c.T(l, "adapter_more", map[string]any{"Count": fits + 60 - (maxBlocks - 1)})
			bottest.AssertInLanguage(t, l, string(rendered), msg.Title, c.T(l, "summary_highlights", nil),
				c.T(l, "scorecard_blockers", nil), c.T(l, "button_update_goal", nil), more)

			form := bottest.EveryKind(t, l)
			modal, err := json.Marshal(renderModal(form, c, ""))
			if err != nil {
				t.Fatal(err)
			}
			bottest.AssertInLanguage(t, l, string(modal), form.Title, c.T(l, "adapter_submit", nil), c.T(l, "adapter_cancel", nil))
			untitled, err := json.Marshal(renderModal(bot.Message{Locale: l, Blocks: form.Blocks}, c, ""))
			if err != nil {
				t.Fatal(err)
			}
			bottest.AssertInLanguage(t, l, string(untitled), c.T(l, "adapter_title", nil))
		})
	}
}
