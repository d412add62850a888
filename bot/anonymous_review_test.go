package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
)

// peerTexts are the first answers of ben, cat, dan and otto's anonymous
// peer reviews of ann, in that order; none says anything about its author.
var peerTexts = []string{"alpha framing", "bravo follow-through", "charlie mentoring", "delta estimates"}

// Done-when, for anonymous peer reviews: after 2, 3 and 4 of ann's four
// approved peers submitted, neither ann, her manager, an admin, the chat
// export, the CLI export, the audit log nor Redis links a review to a
// peer; reviews show only merged, and only when no new one can arrive alone.
func TestAnonymousPeerReviewsCannotBeLinkedToAnyone(t *testing.T) {
	peers := []bot.UserID{rvBen, rvCat, rvDan, rvOtto}
	for _, n := range []int{2, 3, 4} {
		t.Run(fmt.Sprintf("%d reviews", n), func(t *testing.T) {
			h := newRVHarness(t)
			ctx := context.Background()
			h.say(rvAda, "/pulse team add growth @otto")
			rvHas(t, h.say(rvMia, "/review start team Growth Mid-year due 2026-12-15 peers 4 anonymous"), "Mid-year")
			h.say(rvAnn, "/review nominate @ben @cat @dan @otto")
			h.say(rvMia, "/review approve @ann")
			for i := 0; i < n; i++ {
				for _, a := range []string{peerTexts[i], "second " + peerTexts[i], "third " + peerTexts[i], "4", "3"} {
					h.say(peers[i], "/review answer @ann "+a)
				}
				rvHas(t, h.say(peers[i], "/review write @ann"), "without your name")
			}
			for _, a := range []string{"solid", "listen", "good", "4", "4"} {
				h.say(rvMia, "/review answer @ann "+a)
			}
			given := peerTexts[:n]
			// Before release nobody sees the reviews, not even once every
			// approved peer answered: the manager could approve one more
			// peer and read the difference.
			before := map[string]string{
				"manager's show":   h.say(rvMia, "/review show @ann"),
				"admin's show":     h.say(rvAda, "/review show @ann"),
				"manager's status": h.say(rvMia, "/review status team growth"),
			}
			for name, got := range before {
				assertNoLink(t, name, got, given, peers[:n])
			}
			for _, name := range []string{"manager's show", "admin's show"} {
				if strings.Contains(before[name], peerTexts[0]) {
					t.Errorf("%s before release shows the reviews: %s", name, before[name])
				}
			}
			h.say(rvMia, "/review release @ann anyway")
			readers := map[string]string{
				"release message":       lastSent(t, h.out, rvAnn),
				"ann's show":            h.say(rvAnn, "/review show @ann"),
				"ann's mine":            h.say(rvAnn, "/review mine"),
				"manager's show":        h.say(rvMia, "/review show @ann"),
				"admin's show":          h.say(rvAda, "/review show @ann"),
				"admin's audit":         h.say(rvAda, "/pulse audit team growth"),
				"manager's chat export": h.chatExport(rvMia),
				"admin's chat export":   h.chatExport(rvAda),
				"CLI export":            h.cliExport(),
			}
			for name, got := range readers {
				assertNoLink(t, name, got, given, peers[:n])
			}
			// After release: merged, from three reviews, for ann and her managers.
			for _, name := range []string{"release message", "ann's show", "manager's show", "admin's show"} {
				for _, text := range given {
					if shown, want := strings.Contains(readers[name], text), n >= bot.AnonymityFloor; shown != want {
						t.Errorf("%s shows %q: %v, want %v", name, text, shown, want)
					}
				}
				if n >= bot.AnonymityFloor && !strings.Contains(readers[name], fmt.Sprintf("Peer reviews (%d, anonymous)", n)) {
					t.Errorf("%s does not show the %d reviews merged: %s", name, n, readers[name])
				}
			}
			for _, name := range []string{"manager's chat export", "admin's chat export"} {
				if shown, want := strings.Contains(readers[name], peerTexts[0]), n >= bot.AnonymityFloor; shown != want {
					t.Errorf("%s shows the reviews: %v, want %v", name, shown, want)
				}
			}
			// The audit says that someone wrote and submitted, not who.
			log, err := h.store.AuditLog(ctx, "growth", 0)
			if err != nil {
				t.Fatal(err)
			}
			submitted := 0
			for _, e := range log {
				if e.Detail != bot.RolePeer {
					continue
				}
				if e.Action == "review.submitted" {
					submitted++
				}
				if e.Actor != "" || e.Action == "review.submitted" && e.Key != "" {
					t.Errorf("the audit says who wrote a peer review: %+v", e)
				}
			}
			if submitted != n {
				t.Errorf("audit has %d peer submissions, want %d (that someone submitted)", submitted, n)
			}
			// What is stored: who reviewed whom, and the reviews, apart.
			cycles, err := h.store.ReviewCycles(ctx, "growth")
			if err != nil || len(cycles) != 1 {
				t.Fatalf("cycles = %v, %v", cycles, err)
			}
			stored, err := h.store.CycleAnonymousReviews(ctx, "growth", cycles[0].ID)
			if err != nil || len(stored.Answered) != n || len(stored.Reviews) != n {
				t.Fatalf("stored = %+v, %v; want %d answerers and %d reviews", stored, err, n, n)
			}
			named, err := h.store.CycleAnswers(ctx, "growth", cycles[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range named {
				if a.Role == bot.RolePeer {
					t.Errorf("a peer review is kept under its author: %+v", a)
				}
			}
			assertRedisHoldsNoLink(t, h.store.(*store.Store), given, peers[:n])
		})
	}
}
