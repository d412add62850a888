package feishu

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

const (
	fakeImageKey = "img_v2_041b28e3-5680-48c2-9af2-497ace79333g"
	fakeFileKey  = "file_456a92d6-c6ea-4de4-ac3f-7afcf44ac78g"
	p2pChat      = "oc_5ce6d572455d361153b7xx51da133945"
)

var (
	chartPNG  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR 周报图表")
	exportCSV = []byte("\ufeffkind,id,title\ngoal,G1,提高结账转化率\n")
)

func withFile(vis bot.Visibility, f bot.File) func(bot.Event) (bot.Response, error) {
	return func(bot.Event) (bot.Response, error) {
		return bot.Response{Locale: bot.Chinese, Visibility: vis, Reply: bot.Message{Title: "Growth 团队记分卡"}, File: &f}, nil
	}
}

func chartFile() bot.File {
	return bot.File{Name: "scorecard-growth-2026-W48.png", MIME: "image/png", Data: chartPNG}
}

// contentOf decodes a send's content and checks its msg_type.
func contentOf(t *testing.T, c apiCall, msgType string) map[string]string {
	t.Helper()
	if c.Body["msg_type"] != msgType {
		t.Fatalf("msg_type = %v, want %s", c.Body["msg_type"], msgType)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(c.Body["content"].(string)), &m); err != nil {
		t.Fatalf("content %v: %v", c.Body["content"], err)
	}
	return m
}

// TestP2PScorecardSendsChartAsImage checks a scorecard asked in the direct
// chat answers with the card, then the chart through im/v1/images and an
// image message in the same chat.
func TestP2PScorecardSendsChartAsImage(t *testing.T) {
	f := newFakeFeishu(t)
	a, _ := testAdapter(t, f, &bottest.Handler{Respond: withFile(bot.Private, chartFile())}, ModeWebhook)
	signedPush(t, payload(t, "message_receive_p2p.json", nil), testNow).send(t, a)
	settle(a)

	ups := f.callsTo("/open-apis/im/v1/images")
	if len(ups) != 1 || ups[0].Body["image_type"] != "message" || ups[0].Body["image"] != string(chartPNG) {
		t.Fatalf("image upload %+v", ups)
	}
	sends := f.sends()
	if len(sends) != 2 {
		t.Fatalf("%d sends, want the card and the image", len(sends))
	}
	cardOf(t, sends[0])
	img := sends[1]
	if img.Query["receive_id_type"] != "chat_id" || img.Body["receive_id"] != p2pChat {
		t.Fatalf("image sent to %v %v", img.Query, img.Body["receive_id"])
	}
	if c := contentOf(t, img, "image"); c["image_key"] != fakeImageKey || len(c) != 1 {
		t.Fatalf("image content %v", c)
	}
	if u, _ := img.Body["uuid"].(string); u == "" || u == sends[0].Body["uuid"] {
		t.Fatalf("image uuid %q must be its own (card's %v)", u, sends[0].Body["uuid"])
	}
}

// TestExportSendsCSVAsFile checks a CSV export goes up through
// im/v1/files as a stream with its name, then as a file message.
func TestExportSendsCSVAsFile(t *testing.T) {
	f := newFakeFeishu(t)
	csv := bot.File{Name: "growth-2026-W48.csv", MIME: "text/csv; charset=utf-8", Data: exportCSV}
	a, _ := testAdapter(t, f, &bottest.Handler{Respond: withFile(bot.Private, csv)}, ModeWebhook)
	signedPush(t, payload(t, "message_receive_p2p.json", nil), testNow).send(t, a)
	settle(a)

	if n := len(f.callsTo("/open-apis/im/v1/images")); n != 0 {
		t.Fatalf("a CSV went up as an image (%d)", n)
	}
	ups := f.callsTo("/open-apis/im/v1/files")
	if len(ups) != 1 || ups[0].Body["file_type"] != "stream" || ups[0].Body["file_name"] != csv.Name || ups[0].Body["file"] != string(exportCSV) {
		t.Fatalf("file upload %+v", ups)
	}
	sends := f.sends()
	if len(sends) != 2 || sends[1].Body["receive_id"] != p2pChat {
		t.Fatalf("sends %+v", sends)
	}
	if c := contentOf(t, sends[1], "file"); c["file_key"] != fakeFileKey || len(c) != 1 {
		t.Fatalf("file content %v", c)
	}
}

// TestGroupPrivateChartGoesToP2PByOpenID checks a private answer to a group
// command sends both the card and the chart to the person by open_id.
func TestGroupPrivateChartGoesToP2PByOpenID(t *testing.T) {
	f := newFakeFeishu(t)
	a, _ := testAdapter(t, f, &bottest.Handler{Respond: withFile(bot.Private, chartFile())}, ModeWebhook)
	signedPush(t, payload(t, "message_receive_group.json", nil), testNow).send(t, a)
	settle(a)
	sends := f.sends()
	if len(sends) != 2 {
		t.Fatalf("%d sends", len(sends))
	}
	for _, s := range sends {
		if s.Path != "/open-apis/im/v1/messages" || s.Query["receive_id_type"] != "open_id" || s.Body["receive_id"] != testUserOpenIDGroup(t) {
			t.Fatalf("private send went to %s %v %v", s.Path, s.Query, s.Body["receive_id"])
		}
	}
	contentOf(t, sends[1], "image")
}

// testUserOpenIDGroup is the sender of the group message sample.
func testUserOpenIDGroup(t *testing.T) string {
	t.Helper()
	var doc struct {
		Event struct {
			Sender struct {
				SenderID userIDs `json:"sender_id"`
			} `json:"sender"`
		} `json:"event"`
	}
	if err := json.Unmarshal(payload(t, "message_receive_group.json", nil), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Event.Sender.SenderID.OpenID
}

// TestCardActionFileFollowsTheCard checks a button whose answer carries a
// file updates the card in the callback and sends the file as a message.
func TestCardActionFileFollowsTheCard(t *testing.T) {
	f := newFakeFeishu(t)
	a, _ := testAdapter(t, f, &bottest.Handler{Respond: withFile(bot.Private, chartFile())}, ModeWS)
	resp, err := a.dispatcher.Do(context.Background(), payload(t, "card_action_trigger.json", nil))
	settle(a)
	if err != nil {
		t.Fatal(err)
	}
	if b := mustJSON(t, resp); !findText(b["card"], "Growth 团队记分卡") {
		t.Fatalf("answer %v", b)
	}
	sends := f.sends()
	if len(sends) != 1 || sends[0].Body["receive_id"] != testUserOpenID {
		t.Fatalf("sends %+v, want only the image, to the person", sends)
	}
	contentOf(t, sends[0], "image")
}

// TestSendFileUploadsOncePerKey checks the Messenger side: the digest's
// chart to a group chat, and a retried delivery reusing the upload and the
// uuid so Feishu posts it once.
func TestSendFileUploadsOncePerKey(t *testing.T) {
	f := newFakeFeishu(t)
	a, _ := testAdapter(t, f, &bottest.Handler{}, ModeWS)
	var fs bot.FileSender = a
	to := bot.Address{Platform: bot.PlatformFeishu, Channel: "oc_team_growth"}
	for i := 0; i < 2; i++ {
		if _, err := fs.SendFile(context.Background(), to, chartFile(), "digest:growth:2026-W48:file"); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.callsTo("/open-apis/im/v1/images")); n != 1 {
		t.Fatalf("%d uploads, want 1", n)
	}
	sends := f.sends()
	if len(sends) != 2 || sends[0].Body["uuid"] != sends[1].Body["uuid"] || sends[0].Body["receive_id"] != "oc_team_growth" {
		t.Fatalf("sends %+v: want the same uuid twice to the chat", sends)
	}
	if _, err := fs.SendFile(context.Background(), to, bot.File{Name: "empty.csv"}, ""); err == nil {
		t.Error("an empty file was accepted")
	}
	// A picture over the image limit, or of a type Feishu does not show, goes up as a file.
	if isImage(bot.File{MIME: "image/svg+xml", Data: []byte("<svg/>")}) || !isImage(bot.File{MIME: "image/png; x=y", Data: chartPNG}) {
		t.Error("isImage")
	}
}
