package feishu

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/pulse-bot/pulse/bot"
)

// FuzzEscapeMarkdown checks that no input survives escaping as markup:
// no tag can open and no link or emphasis can form.
func FuzzEscapeMarkdown(f *testing.F) {
	for _, s := range []string{`<at id=all></at>`, `[x](https://e.example)`, "**b**", "# h\n- l\n1. n", "a\\*b", "&lt;at&gt;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := escapeMarkdown(s)
		if strings.ContainsAny(out, "<>") {
			t.Fatalf("%q → %q keeps an angle bracket", s, out)
		}
		for i := 0; i < len(out); i++ {
			if strings.IndexByte("*_~`[]()#$|!", out[i]) >= 0 && !escapedAt(out, i) {
				t.Fatalf("%q → %q leaves %q unescaped at %d", s, out, out[i], i)
			}
		}
	})
}

// escapedAt reports whether out[i] is preceded by an odd run of backslashes.
func escapedAt(out string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && out[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// FuzzMessageContent feeds arbitrary content and mentions to the message
// reader: it must not panic, and the bot's own placeholder never survives.
func FuzzMessageContent(f *testing.F) {
	f.Add("text", `{"text":"@_user_1 goal list"}`, "@_user_1")
	f.Add("post", `{"content":[[{"tag":"at","user_id":"@_user_1"},{"tag":"text","text":" 目标"}]]}`, "@_user_1")
	f.Add("text", `not json`, "")
	f.Add("post", `{"zh_cn":{"title":"周报","content":[[{"tag":"at","user_id":"ou_2a6c","user_name":"李四"},{"tag":"code_block","text":"G7 3%"}]]}}`, "@_pulse_at_1")
	f.Fuzz(func(t *testing.T, msgType, content, key string) {
		d, ok := decodeContent(msgType, content)
		text := d.Text
		if !ok || strings.IndexFunc(key, unicode.IsSpace) >= 0 {
			return // spaces in a key could re-form it when whitespace is collapsed
		}
		ms := []mention{{Key: key, ID: userIDs{OpenID: "ou_bot"}}}
		out, _, _ := resolveMentions(text, ms, "t", "ou_bot")
		if key != "" && strings.Contains(out, key) && !strings.Contains(strings.ReplaceAll(text, key, ""), key) {
			t.Fatalf("bot placeholder %q survived in %q", key, out)
		}
	})
}

// FuzzDecrypt must refuse garbage without panicking.
func FuzzDecrypt(f *testing.F) {
	f.Add("test key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=")
	f.Add("k", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	f.Fuzz(func(t *testing.T, key, encoded string) {
		_, _ = decrypt(key, encoded)
	})
}

// scorecardMessage is a card about the size of a team's weekly scorecard.
func scorecardMessage() bot.Message {
	msg := bot.Message{Title: "增长团队 · 2026-W48 记分卡"}
	for i := 1; i <= 12; i++ {
		msg.Blocks = append(msg.Blocks,
			bot.Progress{Label: fmt.Sprintf("G%d 提升结账转化率 <2.1%% → 3%%>", i), Percent: float64(i * 8), Pace: 50, Status: bot.AtRisk, Detail: "进度 50% · 有风险"},
			bot.Fields{{Label: "负责人", Value: "张三"}, {Label: "更新", Value: "3 次"}},
		)
	}
	msg.Blocks = append(msg.Blocks, bot.Divider{}, bot.Context{Text: "周一 10:00 截止"},
		bot.Buttons{{ID: bot.ActionGoalUpdateForm, Label: "更新进度"}, {ID: bot.ActionKudosForm, Label: "点赞"}})
	return msg
}

// BenchmarkRenderScorecardCard measures rendering a scorecard-sized card and
// reports its size against Feishu's 30 KB card limit.
func BenchmarkRenderScorecardCard(b *testing.B) {
	msg := scorecardMessage()
	var size int
	words := catalogFor(b)
	for b.Loop() {
		s, err := cardJSON(msg.In(bot.Chinese), words)
		if err != nil {
			b.Fatal(err)
		}
		size = len(s)
	}
	b.ReportMetric(float64(size), "card-bytes")
}

// BenchmarkWebhookOpen measures what every push costs before dispatch:
// decrypting, parsing the envelope and checking the signature and time.
func BenchmarkWebhookOpen(b *testing.B) {
	plain, err := json.Marshal(map[string]any{
		"schema": "2.0",
		"header": map[string]any{"event_id": "e1", "event_type": eventMessageReceive, "token": testToken},
		"event":  map[string]any{"message": map[string]any{"content": `{"text":"G7 2.6% shipped"}`}},
	})
	if err != nil {
		b.Fatal(err)
	}
	p := signedPush(b, plain, testNow)
	a := &Adapter{cfg: Config{EncryptKey: testEncryptKey, VerificationToken: testToken, Clock: bot.NewManualClock(testNow.Add(time.Minute))}}
	req := p.request()
	for b.Loop() {
		opened, _, err := a.open(p.body)
		if err != nil {
			b.Fatal(err)
		}
		var env envelope
		if err := json.Unmarshal(opened, &env); err != nil || !a.tokenOK(env.token()) {
			b.Fatal("envelope", err)
		}
		if err := a.verifyRequest(req.Header, p.body); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(p.body)), "push-bytes")
}
