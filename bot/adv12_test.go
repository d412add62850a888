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

// Adversary of #12: a person's mood is for them and their managers
// (CanSeeMood). The check-in summary posts the team's average of the moods
// in so far and names who is missing; the digest posts the week's average
// again once the latecomer answered. Two averages in the same channel
// differing by one named answer give that answer: 4·b − 3·a.
func TestAdv12LateMoodCannotBeWorkedOutFromTwoChannelAverages(t *testing.T) {
	h := newRVHarness(t)
	ctx := context.Background()
	loc := rvStart.Location()
	period := bot.ISOWeek(rvStart, loc)
	for id, mood := range map[bot.UserID]int{rvAnn: 5, rvBen: 5, rvCat: 4} {
		if err := h.store.SaveCheckIn(ctx, bot.CheckIn{TeamID: "growth", Person: id, Period: period,
			Answers: []string{"fine", "none", "none"}, Mood: mood, Completed: rvStart, UpdatedAt: rvStart}, "", bot.AuditEntry{}); err != nil {
			t.Fatal(err)
		}
	}
	channelText := func(job bot.Job, at time.Time) string {
		plan, err := h.svc.PlanJob(ctx, bot.JobRequest{Job: job, TeamID: "growth", At: at})
		if err != nil {
			t.Fatalf("plan %s: %v", job, err)
		}
		var got []string
		for _, d := range plan {
			if d.To.Channel != "" {
				got = append(got, bot.PlainText(d.Msg))
			}
		}
		return strings.Join(got, "\n")
	}
	summary := channelText(bot.JobCheckInSummary, rvStart.Add(50*time.Hour))
	late := rvStart.Add(60 * time.Hour)
	if err := h.store.SaveCheckIn(ctx, bot.CheckIn{TeamID: "growth", Person: rvDan, Period: period,
		Answers: []string{"fine", "none", "none"}, Mood: 1, Completed: late, UpdatedAt: late}, "", bot.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	digest := channelText(bot.JobScorecardDigest, rvStart.AddDate(0, 0, 4))
	t.Logf("summary:\n%s\ndigest:\n%s", summary, digest)
	a, okA := moodIn(summary)
	b, okB := moodIn(digest)
	if okA && okB && a != b {
		t.Errorf("the channel reads the average %.1f with Dan missing and %.1f after he answered: Dan's mood is %.1f", a, b, 4*b-3*a)
	}
}

// moodIn reads the first "N.N/5" mood average out of a post.
func moodIn(text string) (float64, bool) {
	for _, f := range strings.Fields(text) {
		var v float64
		if strings.HasSuffix(f, "/5") {
			if _, err := fmt.Sscanf(strings.TrimSuffix(f, "/5"), "%g", &v); err == nil {
				return v, true
			}
		}
	}
	return 0, false
}
