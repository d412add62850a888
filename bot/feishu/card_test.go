package feishu

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

func TestEscapeMarkdownNeutralisesMentionsAndLinks(t *testing.T) {
	cases := map[string]string{
		`<at id=all></at>`:                   `&lt;at id=all&gt;&lt;/at&gt;`,
		`<at user_id="ou_x">boss</at>`:       `&lt;at user\_id="ou\_x"&gt;boss&lt;/at&gt;`,
		`[click](https://evil.example)`:      `\[click\]\(https://evil.example\)`,
		`**bold** _it_ ~~s~~ ` + "`c`":       `\*\*bold\*\* \_it\_ \~\~s\~\~ ` + "\\`c\\`",
		"# title\n- item\n1. first\n> quote": "\\# title\n\\- item\n1\\. first\n&gt; quote",
		`a & b`:                              `a &amp; b`,
		`![img](img_v2_key)`:                 `\!\[img\]\(img\_v2\_key\)`,
	}
	for in, want := range cases {
		if got := escapeMarkdown(in); got != want {
			t.Errorf("escapeMarkdown(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUserTextNeverReachesMarkdownUnescaped(t *testing.T) {
	evil := `<at id=all></at> [x](https://evil.example) **y**`
	msg := bot.Message{Title: evil, Blocks: []bot.Block{
		bot.Text{Text: evil},
		bot.Fields{{Label: evil, Value: evil}},
		bot.Progress{Label: evil, Percent: 50, Detail: evil},
		bot.Context{Text: evil},
		bot.Buttons{{ID: "x", Label: evil}},
		bot.Input{ID: "note", Label: evil, Placeholder: evil, Initial: evil},
	}}
	var walk func(v any, tag string)
	walk = func(v any, tag string) {
		switch x := v.(type) {
		case map[string]any:
			t := tag
			if s, ok := x["tag"].(string); ok {
				t = s
			}
			for k, e := range x {
				if k == "content" && t == "markdown" {
					if s := e.(string); strings.Contains(s, "<at") || strings.Contains(s, "](") || strings.Contains(s, "**y") {
						panic("markdown carries raw user text: " + s)
					}
				}
				walk(e, t)
			}
		case []any:
			for _, e := range x {
				walk(e, tag)
			}
		}
	}
	s, err := cardJSON(msg.In(bot.Chinese), catalogFor(t))
	if err != nil {
		t.Fatal(err)
	}
	var card map[string]any
	if err := json.Unmarshal([]byte(s), &card); err != nil {
		t.Fatal(err)
	}
	walk(card, "")
}

func TestRenderCardShape(t *testing.T) {
	msg := bot.Message{Title: "本周周报", Blocks: []bot.Block{
		bot.Text{Text: "请回答以下问题"},
		bot.Input{ID: "done", Label: "完成了什么？", Multiline: true},
		bot.Input{ID: "blockers", Label: "有阻碍吗？", Optional: true, Initial: "没有"},
		bot.Buttons{{ID: bot.ActionCheckInSubmit, Label: "提交", Value: "2026-W48"}, {ID: bot.ActionHome, Label: "稍后"}},
		bot.Divider{},
		bot.Context{Text: "截止 周一 18:00"},
	}}
	c := mustJSON(t, renderCard(msg.In(bot.Chinese), map[string]string{"done": "请填写。"}, catalogFor(t)))
	if c["schema"] != "2.0" {
		t.Fatalf("schema %v", c["schema"])
	}
	els := c["body"].(map[string]any)["elements"].([]any)
	tags := []string{}
	for _, e := range els {
		tags = append(tags, e.(map[string]any)["tag"].(string))
	}
	if strings.Join(tags, ",") != "div,form,column_set,hr,div" || !hasButtonValue(els[2], bot.ActionHome, "") {
		t.Fatalf("elements %v", tags)
	}
	form := els[1].(map[string]any)["elements"].([]any)
	var inputs, submits int
	for _, e := range form {
		m := e.(map[string]any)
		switch m["tag"] {
		case "input":
			inputs++
			if m["name"] == "done" && (m["required"] != true || m["input_type"] != "multiline_text") {
				t.Fatalf("done input %v", m)
			}
			if m["name"] == "blockers" && (m["required"] != false || m["default_value"] != "没有") {
				t.Fatalf("blockers input %v", m)
			}
		case "button":
			submits++
			if m["form_action_type"] != "submit" || !hasButtonValue(m, bot.ActionCheckInSubmit, "2026-W48") {
				t.Fatalf("submit %v", m)
			}
		}
	}
	if inputs != 2 || submits != 1 || !findText(form, "请填写。") {
		t.Fatalf("form %v", form)
	}
}

func TestFormWithoutButtonGetsASubmit(t *testing.T) {
	c := mustJSON(t, renderCard(bot.Message{Blocks: []bot.Block{bot.Input{ID: "a", Label: "A"}}, Locale: bot.English}, nil, catalogFor(t)))
	if !findText(c, "Submit") || !findText(c, "submit") {
		t.Fatalf("card %v", c)
	}
}

func TestButtonNameRoundTrips(t *testing.T) {
	for _, id := range []string{bot.ActionHome, bot.ActionCheckInSubmit, bot.ActionGoalUpdateForm} {
		if got := actionFromName(buttonName(id)); got != id {
			t.Fatalf("%q → %q → %q", id, buttonName(id), got)
		}
	}
	if actionFromName("Button_m6s9d0ac") != "" {
		t.Fatal("a foreign name read as an action")
	}
}

func TestSDKLogLinesLoseURLQueries(t *testing.T) {
	line := redact([]any{"connected to wss://msg-frontier.feishu.cn/ws/v2?fpid=493&device_id=7&access_key=s3cret&service_id=33554678&ticket=t1ck3t", "[conn_id=7]"})
	if strings.Contains(line, "s3cret") || strings.Contains(line, "t1ck3t") || !strings.Contains(line, "wss://msg-frontier.feishu.cn/ws/v2?…") {
		t.Fatalf("line %q", line)
	}
}

// catalogFor loads the catalogue the adapter reads its own words from.
func catalogFor(tb testing.TB) *bot.Catalog {
	tb.Helper()
	c, err := bot.LoadCatalog()
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestEveryMessageKindRendersInItsLanguage renders a form holding every
// block kind as a card, and the adapter's toasts, in both languages: the
// default submit button and the toasts follow the message's language, and
// an English card holds no Chinese at all.
func TestEveryMessageKindRendersInItsLanguage(t *testing.T) {
	c := catalogFor(t)
	a := &Adapter{catalog: c}
	for _, l := range []bot.Locale{bot.English, bot.Chinese} {
		t.Run(string(l), func(t *testing.T) {
			form := bottest.EveryKind(t, l)
			card, err := cardJSON(form, c)
			if err != nil {
				t.Fatal(err)
			}
			bottest.AssertInLanguage(t, l, card, form.Title, c.T(l, "summary_highlights", nil),
				c.T(l, "scorecard_blockers", nil), c.T(l, "adapter_submit", nil))
			withButton, err := cardJSON(bottest.WithButton(t, form), c)
			if err != nil {
				t.Fatal(err)
			}
			bottest.AssertInLanguage(t, l, withButton, c.T(l, "button_update_goal", nil))
			for _, key := range []string{"adapter_check_fields", "adapter_retry", "adapter_done"} {
				toast := a.toast("error", l, key)
				if toast.Content != c.T(l, key, nil) {
					t.Errorf("toast %s in %s: %q", key, l, toast.Content)
				}
			}
		})
	}
}
