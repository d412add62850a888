package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// Adversary of #12: an anonymous answer that arrives after the last batch
// of three must never be handed over on its own, not even at the deadline.
// With four asked, three answer, the batch arrives; the fourth answers
// later and says so. Were the leftover released at the deadline, the one
// new line would be the fourth answerer's — whoever "just said so".
func TestAdv12LeftoverAnonymousAnswersNeverArriveAlone(t *testing.T) {
	answerers := []bot.UserID{rvBen, rvCat, rvDan, rvMia}
	for _, n := range []int{4, 5} {
		t.Run(fmt.Sprintf("%d answers", n), func(t *testing.T) {
			h := newRVHarness(t)
			ctx := context.Background()
			h.say(rvAnn, "/feedback request @ben @cat @dan @mia @ada about the launch anonymous")
			reqs, err := h.store.TeamFeedbackRequests(ctx, "growth")
			if err != nil || len(reqs) != 1 {
				t.Fatalf("requests = %v, %v", reqs, err)
			}
			id := reqs[0].ID
			texts := append(append([]string(nil), anonymousTexts...), "echo words")
			people := append(append([]bot.UserID(nil), answerers...), rvAda)
			for i := 0; i < n; i++ {
				rvHas(t, h.say(people[i], "/feedback answer "+id+" "+texts[i]), "anonymously")
			}
			leftover := texts[bot.AnonymityFloor:n]

			// The deadline passes: no delivery and no later reading shows a
			// leftover fewer than three.
			after := reqs[0].Due.Add(time.Hour)
			plan, err := h.svc.PlanFeedbackReminders(ctx, "growth", after)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range plan {
				for _, text := range leftover {
					if strings.Contains(bot.PlainText(d.Msg), text) {
						t.Errorf("the deadline hands over %q on its own (%d after the batch): %s", text, len(leftover), bot.PlainText(d.Msg))
					}
				}
			}
			h.clock.Set(after)
			mine := h.say(rvAnn, "/feedback mine")
			for _, text := range texts[:bot.AnonymityFloor] {
				rvHas(t, mine, text)
			}
			for _, text := range leftover {
				if strings.Contains(mine, text) {
					t.Errorf("after the deadline /feedback mine shows the leftover %q: %s", text, mine)
				}
			}
		})
	}
}
