package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/bottest"
)

// adv26SlowInbox stands for a Redis that answers, but slowly: each
// Enqueue takes delay (inside bot.EnqueueWait, so it is not refused).
type adv26SlowInbox struct {
	bot.Inbox
	delay time.Duration
}

func (s adv26SlowInbox) Enqueue(ctx context.Context, e bot.InboxEntry, ttl time.Duration) (bool, error) {
	time.Sleep(s.delay)
	return s.Inbox.Enqueue(ctx, e, ttl)
}

// Slack shows a slash command's answer only if it comes within 3 s of the
// request; later, the person sees "operation_timeout" and the body is
// thrown away. The request waits replyDeadline (2.5 s) for its worker,
// counted from when the command was queued, not from when it arrived: the
// queueing may itself take up to bot.EnqueueWait (1.2 s). With queueing
// at 1 s and the work done at 2.1 s after that, the worker hands the reply
// to the request (so it does not go by response_url), and the request
// answers at about 3.1 s: the reply is lost although the command was saved,
// and the person, told it failed, types it again (a second update).
func TestAdv26SlashCommandReplyIsNotAnsweredPastSlacksThreeSeconds(t *testing.T) {
	rec := &bottest.Handler{Respond: func(bot.Event) (bot.Response, error) {
		time.Sleep(2100 * time.Millisecond) // a slow core, under load
		return bot.Response{Reply: bot.Message{Blocks: []bot.Block{bot.Text{Text: "adv26 saved"}}}, Visibility: bot.Private}, nil
	}}
	h := newHarness(t, rec)
	h.a.inbox = adv26SlowInbox{Inbox: h.a.inbox, delay: time.Second}
	started := time.Now()
	resp := h.postForm("/slack/commands", commandForm(t, h, "/goal", "G1 +1"))
	body := readBody(t, resp)
	took := time.Since(started)
	h.settle()
	viaURL := false
	for _, c := range h.slack.callsTo("response/goal") {
		if strings.Contains(string(c.Body), "adv26 saved") {
			viaURL = true
		}
	}
	inBody := strings.Contains(body, "adv26 saved")
	t.Logf("answered in %s; reply in the body: %v; by response_url: %v", took.Round(time.Millisecond), inBody, viaURL)
	if took > 3*time.Second && !viaURL {
		t.Errorf("the slash command was answered after %s (Slack waits 3 s) and its reply went nowhere else: lost", took.Round(time.Millisecond))
	}
}
