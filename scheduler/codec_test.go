package scheduler

import (
	"reflect"
	"testing"

	"github.com/pulse-bot/pulse/bot"
)

func everyBlock() bot.Message {
	return bot.Message{Title: "Weekly check-in · 每周签到", Locale: bot.Chinese, Blocks: []bot.Block{
		bot.Text{Text: "What did you get done?\n第二行"},
		bot.Fields{{Label: "Answered", Value: "3/5"}, {Label: "Missing", Value: "—"}},
		bot.Progress{Label: "G7", Percent: 42.5, Pace: -1, Status: bot.AtRisk, Detail: "pace 60%"},
		bot.Buttons{{ID: "checkin.start", Label: "Start", Value: "eng/2026-W13", Command: "/checkin"}, {ID: "x", Label: "Forget", Danger: true}},
		bot.Context{Text: "2 left"},
		bot.Divider{},
		bot.Input{ID: "done", Label: "Done", Placeholder: "…", Initial: "a", Multiline: true, Optional: true},
	}}
}

func TestQueueCodecKeepsEveryBlockKind(t *testing.T) {
	d := bot.Delivery{
		Key: "checkin-summary:eng:2026-W13", Job: bot.JobCheckInSummary, TeamID: "eng", Period: "2026-W13",
		Person: "slack:T1:U1", To: bot.Address{Platform: bot.PlatformSlack, Channel: "C1", Thread: "1.2"},
		Msg: everyBlock(), Thread: []bot.Message{everyBlock(), {Title: "only a title"}},
	}
	b, err := encodeDelivery(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeDelivery(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, d) {
		t.Errorf("round trip changed the delivery:\n got %#v\nwant %#v", got, d)
	}
	if _, err := decodeDelivery([]byte(`{"Key":"k","Msg":{"Blocks":[{}]}}`)); err == nil {
		t.Error("a block of no known kind decoded")
	}
}

func FuzzDecodeDelivery(f *testing.F) {
	seed, err := encodeDelivery(bot.Delivery{Key: "k", TeamID: "eng", Msg: everyBlock()})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"Msg":{"Blocks":[{"text":{"Text":"x"},"divider":{}}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeDelivery(b)
		if err != nil {
			return
		}
		again, err := encodeDelivery(d)
		if err != nil {
			t.Fatalf("decoded delivery does not encode: %v", err)
		}
		d2, err := decodeDelivery(again)
		if err != nil || !reflect.DeepEqual(d, d2) {
			t.Fatalf("re-encoding changed the delivery: %v", err)
		}
	})
}
