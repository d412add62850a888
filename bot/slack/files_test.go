package slack

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

var chartPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR scorecard chart bytes")

// chartReply answers every event with a scorecard and its chart.
func chartReply(vis bot.Visibility) *bottest.Handler {
	return &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		return bot.Response{Reply: textReply("Scorecard of Growth, 2026-W48"), Visibility: vis,
			File: &bot.File{Name: "scorecard-growth-2026-W48.png", MIME: "image/png", Data: chartPNG}}, nil
	}}
}

// assertUpload checks the external upload flow shared chartPNG in channel.
func assertUpload(t *testing.T, h *harness, channel string) {
	t.Helper()
	gets := h.slack.callsTo("files.getUploadURLExternal")
	if len(gets) != 1 || gets[0].Form.Get("filename") != "scorecard-growth-2026-W48.png" || gets[0].Form.Get("length") != strconv.Itoa(len(chartPNG)) {
		t.Fatalf("getUploadURLExternal %+v", gets)
	}
	ups := h.slack.callsTo("/upload/F1")
	if len(ups) != 1 || !bytes.Contains(ups[0].Body, chartPNG) {
		t.Fatalf("upload POST did not carry the PNG (%d posts)", len(ups))
	}
	done := h.slack.callsTo("files.completeUploadExternal")
	if len(done) != 1 || done[0].Form.Get("channel_id") != channel || !strings.Contains(done[0].Form.Get("files"), `"id":"F1"`) {
		t.Fatalf("completeUploadExternal %+v, want channel_id %s", done, channel)
	}
	if len(h.slack.callsTo("files.upload")) != 0 {
		t.Error("files.upload is retired")
	}
}

// TestPrivateScorecardInChannelSendsChartToDM checks a /scorecard typed in
// a channel answers in the body and shares the chart in the asker's DM:
// files cannot be ephemeral.
func TestPrivateScorecardInChannelSendsChartToDM(t *testing.T) {
	h := newHarness(t, chartReply(bot.Private))
	resp := h.postForm("/slack/commands", commandForm(t, h, "/scorecard", "team growth"))
	if body := readBody(t, resp); !strings.Contains(body, `"response_type":"ephemeral"`) || !strings.Contains(body, "Scorecard of Growth") {
		t.Fatalf("ack body %s", body)
	}
	h.settle()
	if got := fmt.Sprint(h.slack.methods()); got != "[conversations.open files.getUploadURLExternal /upload/F1 files.completeUploadExternal]" {
		t.Fatalf("calls %s", got)
	}
	assertUpload(t, h, "DU2147483697")
}

// TestPublicReplyShareChartInChannel checks a public reply's file goes
// where the command was typed.
func TestPublicReplyShareChartInChannel(t *testing.T) {
	h := newHarness(t, chartReply(bot.Public))
	h.postForm("/slack/commands", commandForm(t, h, "/scorecard", "team growth"))
	h.settle()
	if len(h.slack.callsTo("conversations.open")) != 0 {
		t.Error("a public file needs no DM")
	}
	assertUpload(t, h, "C2147483705")
}

// TestCommandInDMSharesChartThere checks a command in the bot's DM gets
// the file in that DM without opening it again.
func TestCommandInDMSharesChartThere(t *testing.T) {
	h := newHarness(t, chartReply(bot.Private))
	form := commandForm(t, h, "/scorecard", "me")
	form.Set("channel_id", "D0DM1")
	form.Set("channel_name", "directmessage")
	h.postForm("/slack/commands", form)
	h.settle()
	if len(h.slack.callsTo("conversations.open")) != 0 {
		t.Error("the DM was opened again")
	}
	assertUpload(t, h, "D0DM1")
}

// TestLateReplyThenChart checks a slow scorecard replies through
// response_url and then shares the chart.
func TestLateReplyThenChart(t *testing.T) {
	// The handler answers only once the command's acknowledgement has gone
	// out, so the reply is late however fast the worker is.
	acked := make(chan struct{})
	chart := chartReply(bot.Private)
	h := newHarness(t, &bottest.Handler{Respond: func(ev bot.Event) (bot.Response, error) {
		<-acked
		return chart.Respond(ev)
	}})
	expired := make(chan time.Time)
	close(expired)
	h.a.deadline = func(time.Duration) (<-chan time.Time, func()) { return expired, func() {} }
	h.postForm("/slack/commands", commandForm(t, h, "/scorecard", "team growth"))
	close(acked)
	h.slack.waitFor("files.completeUploadExternal")
	h.settle()
	m := h.slack.methods()
	if len(m) == 0 || m[0] != "response/scorecard" {
		t.Fatalf("calls %v: the reply must come before the file", m)
	}
	assertUpload(t, h, "DU2147483697")
}

// TestMentionReplyThenChartInChannel checks an @mention answered publicly
// posts the reply, then the chart, in the channel.
func TestMentionReplyThenChartInChannel(t *testing.T) {
	h := newHarness(t, chartReply(bot.Public))
	h.postEvent(loadJSON(t, "event_app_mention.json", nil))
	h.slack.waitFor("files.completeUploadExternal")
	h.settle()
	if got := fmt.Sprint(h.slack.methods()); got != "[chat.postMessage files.getUploadURLExternal /upload/F1 files.completeUploadExternal]" {
		t.Fatalf("calls %s", got)
	}
	assertUpload(t, h, "C0LAN2Q65")
}

// TestChartFallsBackToDMWhenBotNotInChannel checks a public reply in a
// channel the bot was never invited to still delivers the file, in the DM.
func TestChartFallsBackToDMWhenBotNotInChannel(t *testing.T) {
	h := newHarness(t, chartReply(bot.Public))
	h.slack.override["files.completeUploadExternal"] = `{"ok":false,"error":"not_in_channel"}`
	h.postForm("/slack/commands", commandForm(t, h, "/scorecard", "team growth"))
	h.settle()
	done := h.slack.callsTo("files.completeUploadExternal")
	if len(done) != 2 || done[0].Form.Get("channel_id") != "C2147483705" || done[1].Form.Get("channel_id") != "DU2147483697" {
		t.Fatalf("completes %+v, want the channel then the DM", done)
	}
}

// TestSendFileIsKeyedAndThreads checks the Messenger side: to a person's
// DM, in a thread, and once per key.
func TestSendFileIsKeyedAndThreads(t *testing.T) {
	h := newHarness(t, &bottest.Handler{})
	var fs bot.FileSender = h.a
	f := bot.File{Name: "scorecard-growth-2026-W48.png", MIME: "image/png", Data: chartPNG}
	to := bot.Address{Platform: bot.PlatformSlack, User: bot.NewUserID(bot.PlatformSlack, testTeam, "U2147483697"), Thread: "1700000000.000001"}
	ref, err := fs.SendFile(context.Background(), to, f, "digest:growth:2026-W48:file")
	if err != nil {
		t.Fatal(err)
	}
	again, err := fs.SendFile(context.Background(), to, f, "digest:growth:2026-W48:file")
	if err != nil {
		t.Fatal(err)
	}
	if ref != again || ref.Channel != "DU2147483697" || ref.ID != "F1" {
		t.Errorf("refs %+v %+v", ref, again)
	}
	assertUpload(t, h, "DU2147483697")
	if ts := h.slack.callsTo("files.completeUploadExternal")[0].Form.Get("thread_ts"); ts != "1700000000.000001" {
		t.Errorf("thread_ts %q", ts)
	}
	if _, err := fs.SendFile(context.Background(), bot.Address{Platform: bot.PlatformSlack}, f, ""); err == nil {
		t.Error("an empty address was accepted")
	}
	if _, err := fs.SendFile(context.Background(), bot.Address{Platform: bot.PlatformSlack, Channel: "C1"}, bot.File{Name: "empty.csv"}, ""); err == nil {
		t.Error("an empty file was accepted")
	}
}
