package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
)

// anonymousTexts are the answers of ben, cat, dan and mia, in that order;
// none says anything about its author.
var anonymousTexts = []string{"alpha plan", "bravo pacing", "charlie call", "delta tone"}

// Finding 1 / done-when: after an anonymous request with 2, 3 and 4
// answers, no reader and no record links an answer to a person.
func TestAnonymousAnswersCannotBeLinkedToAnyone(t *testing.T) {
	answerers := []bot.UserID{rvBen, rvCat, rvDan, rvMia}
	for _, n := range []int{2, 3, 4} {
		t.Run(fmt.Sprintf("%d answers", n), func(t *testing.T) {
			h := newRVHarness(t)
			ctx := context.Background()
			h.say(rvAnn, "/feedback request @ben @cat @dan @mia about the launch anonymous")
			reqs, err := h.store.TeamFeedbackRequests(ctx, "growth")
			if err != nil || len(reqs) != 1 {
				t.Fatalf("requests = %v, %v", reqs, err)
			}
			id := reqs[0].ID
			for i := 0; i < n; i++ {
				rvHas(t, h.say(answerers[i], "/feedback answer "+id+" "+anonymousTexts[i]), "anonymously")
			}
			given := anonymousTexts[:n]

			// The requester: no message per answer; a batch only from three.
			var toAnn []string
			for _, m := range h.out.To(rvAnn) {
				toAnn = append(toAnn, bot.PlainText(m.Msg))
			}
			wantMsgs := 0
			if n >= bot.AnonymityFloor {
				wantMsgs = 1
			}
			if len(toAnn) != wantMsgs {
				t.Fatalf("requester got %d messages %q; want %d batch", len(toAnn), toAnn, wantMsgs)
			}
			mine := h.say(rvAnn, "/feedback mine")
			readers := map[string]string{
				"requester's messages": strings.Join(toAnn, "\n"),
				"requester's mine":     mine,
				"manager's about":      h.say(rvMia, "/feedback about @ann"),
				"admin's about":        h.say(rvAda, "/feedback about @ann"),
				"admin's audit":        h.say(rvAda, "/pulse audit team growth"),
				"manager's mine":       h.say(rvMia, "/feedback mine"),
			}
			for name, export := range map[string]func() string{
				"manager's chat export": func() string { return h.chatExport(rvMia) },
				"admin's chat export":   func() string { return h.chatExport(rvAda) },
				"CLI export":            func() string { return h.cliExport() },
			} {
				readers[name] = export()
			}
			for name, got := range readers {
				assertNoLink(t, name, got, given, answerers[:n])
			}
			// Only the requester reads the texts, and only from three answers
			// (the batch of the third); the fourth waits for the next batch.
			for i, text := range given {
				shown := strings.Contains(mine, text)
				if want := n >= bot.AnonymityFloor && i < bot.AnonymityFloor; shown != want {
					t.Errorf("requester sees %q: %v, want %v", text, shown, want)
				}
				for _, name := range []string{"manager's about", "admin's about", "manager's chat export", "admin's chat export", "admin's audit"} {
					if strings.Contains(readers[name], text) {
						t.Errorf("%s shows the anonymous answer %q", name, text)
					}
				}
			}
			for _, line := range strings.Split(readers["admin's audit"], "\n") {
				if !strings.Contains(line, "feedback.answered") {
					continue
				}
				for _, p := range answerers {
					if strings.Contains(line, string(p)) {
						t.Errorf("the audit says who answered: %s", line)
					}
				}
			}
			if got := strings.Count(readers["admin's audit"], "feedback.answered"); got != n {
				t.Errorf("audit has %d answer entries, want %d (that someone answered): %s", got, n, readers["admin's audit"])
			}
			assertRedisHoldsNoLink(t, h.store.(*store.Store), given, answerers[:n])

			// The deadline hands over nothing more: a leftover below three
			// on its own would point at whoever answered after the batch.
			plan, err := h.svc.PlanFeedbackReminders(ctx, "growth", reqs[0].Due.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range plan {
				if d.Person == rvAnn {
					t.Errorf("the deadline sends the requester %q", bot.PlainText(d.Msg))
				}
			}
		})
	}
}

func (h *rvHarness) chatExport(user bot.UserID) string {
	h.t.Helper()
	resp := h.do(user, "/scorecard export json team growth")
	if resp.File == nil {
		h.t.Fatalf("%s: no export file: %q", user, bot.PlainText(resp.Reply))
	}
	return string(resp.File.Data)
}

func (h *rvHarness) cliExport() string {
	h.t.Helper()
	var buf bytes.Buffer
	if err := h.svc.Export(context.Background(), &buf, bot.ExportRequest{Format: "json"}); err != nil {
		h.t.Fatal(err)
	}
	return buf.String()
}

// assertNoLink fails when a part of got that holds an answer also names an
// answerer: a line of text, or a JSON object of an export.
func assertNoLink(t *testing.T, name, got string, texts []string, people []bot.UserID) {
	t.Helper()
	var doc any
	var parts []string
	if json.Unmarshal([]byte(got), &doc) == nil {
		parts = jsonObjects(doc)
	} else {
		parts = strings.Split(got, "\n")
	}
	for _, part := range parts {
		for _, text := range texts {
			if !strings.Contains(part, text) {
				continue
			}
			for _, p := range people {
				if strings.Contains(part, string(p)) || strings.Contains(strings.ToLower(part), strings.ToLower(p.Local())+":") {
					t.Errorf("%s links %q to %s: %s", name, text, p, part)
				}
			}
		}
	}
}

// jsonObjects returns every object of a JSON document as one record: its
// own scalar fields and lists of scalars, without nested objects.
func jsonObjects(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		var own []string
		for k, c := range x {
			switch c.(type) {
			case map[string]any:
			case []any:
				if b, err := json.Marshal(c); err == nil && !strings.Contains(string(b), "{") {
					own = append(own, k+"="+string(b))
				}
			default:
				own = append(own, fmt.Sprintf("%s=%v", k, c))
			}
			out = append(out, jsonObjects(c)...)
		}
		out = append(out, strings.Join(own, " "))
	case []any:
		for _, c := range x {
			out = append(out, jsonObjects(c)...)
		}
	}
	return out
}

// assertRedisHoldsNoLink reads every key of the test's store: no key or
// value that holds an answer names an answerer, and no record keeps an
// answer beside an id, an author or a time.
func assertRedisHoldsNoLink(t *testing.T, st *store.Store, texts []string, people []bot.UserID) {
	t.Helper()
	ctx := context.Background()
	rdb := st.Client()
	keys, err := rdb.Keys(ctx, st.Key("*")).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range keys {
		typ, err := rdb.Type(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		var values []string
		switch typ {
		case "string":
			v, _ := rdb.Get(ctx, key).Result()
			values = []string{v}
		case "hash":
			for f, v := range rdb.HGetAll(ctx, key).Val() {
				values = append(values, f+"="+v)
			}
		case "list":
			values = rdb.LRange(ctx, key, 0, -1).Val()
		case "set":
			values = rdb.SMembers(ctx, key).Val()
		case "zset":
			values = rdb.ZRange(ctx, key, 0, -1).Val()
		}
		for _, v := range values {
			if !holdsAny([]string{v}, texts) {
				continue
			}
			for _, p := range people {
				if strings.Contains(key+v, string(p)) {
					t.Errorf("redis %s links an answer to %s: %s", key, p, v)
				}
			}
			if strings.Contains(v, `"at"`) || strings.Contains(v, `"from"`) || strings.Contains(v, `"id"`) {
				t.Errorf("redis %s keeps an answer with an id, author or time: %s", key, v)
			}
		}
	}
}

func holdsAny(values, texts []string) bool {
	for _, v := range values {
		for _, text := range texts {
			if strings.Contains(v, text) {
				return true
			}
		}
	}
	return false
}
