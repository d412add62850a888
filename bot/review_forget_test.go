package bot_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// forget runs /pulse forget me to the end for user.
func (h *rvHarness) forget(user bot.UserID) {
	h.t.Helper()
	h.say(user, "/pulse forget confirm")
}

// TestFeedbackRequestFollowsTheTransitionTable puts a request in each state
// of the table (open, expired, closed by a forget) and tries each action for
// a colleague not asked, asked and unanswered, and asked and answered: the
// answer command and the reminder happen exactly when the table says.
func TestFeedbackRequestFollowsTheTransitionTable(t *testing.T) {
	var acts []bot.RequestAction
	for a := range bot.RequestTransitions {
		acts = append(acts, a)
	}
	sort.Slice(acts, func(i, j int) bool { return acts[i] < acts[j] })
	type who struct {
		id              bot.UserID
		asked, answered bool
	}
	people := []who{{rvOtto, false, false}, {rvCat, true, false}, {rvBen, true, true}}
	for _, state := range []bot.RequestState{bot.RequestOpen, bot.RequestExpired, bot.RequestClosed} {
		for _, act := range acts {
			for _, p := range people {
				t.Run(fmt.Sprintf("%s/%s/%s", state, act, p.id.Local()), func(t *testing.T) {
					h := newRVHarness(t)
					rvHas(t, h.say(rvAnn, "/feedback request @ben @cat @dan anonymous by 2026-11-30"), "FR1")
					rvHas(t, h.say(rvBen, "/feedback answer FR1 clear goals"), "Thanks")
					at := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
					switch state {
					case bot.RequestExpired:
						at = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
					case bot.RequestClosed:
						h.forget(rvDan)
					}
					h.clock.Set(at)
					want := bot.RequestAllowsOK(act, state, p.asked, p.answered)
					switch act {
					case bot.ActAnswerRequest:
						got := h.say(p.id, "/feedback answer FR1 more focus")
						if strings.HasPrefix(got, "Thanks") != want {
							t.Fatalf("table says %v; %s's answer got %q", want, p.id.Local(), got)
						}
					case bot.ActRemindRequest:
						list, err := h.svc.PlanFeedbackReminders(context.Background(), "growth", at)
						if err != nil {
							t.Fatal(err)
						}
						got := false
						for _, d := range list {
							got = got || d.Person == p.id
						}
						if got != want {
							t.Fatalf("table says %v; reminder to %s: %v (%d planned)", want, p.id.Local(), got, len(list))
						}
					}
				})
			}
		}
	}
}

// TestForgetMeClosesOrRecountsWhatItTouches: a colleague forgotten from an
// anonymous request that then can never reach the floor closes it (no
// "2 of 2 answered", no "1 more needed" forever); from a larger one it is
// re-counted; a forgotten peer reopens an anonymous sheet's approval; and
// the last unreleased person forgotten closes the cycle.
func TestForgetMeClosesOrRecountsWhatItTouches(t *testing.T) {
	h := newRVHarness(t)
	rvHas(t, h.say(rvAnn, "/feedback request @ben @cat @dan anonymous"), "FR1")
	rvHas(t, h.say(rvAnn, "/feedback request @ben @cat @dan @mia anonymous"), "FR2")
	for _, id := range []bot.UserID{rvBen, rvCat} {
		h.say(id, "/feedback answer FR1 ok")
		h.say(id, "/feedback answer FR2 ok")
	}
	rvHas(t, h.say(rvMia, "/review start team Growth H2 due 2026-12-15"), "Started")
	rvHas(t, h.say(rvMia, "/review approve @ann @ben @cat @dan"), "Approved")
	h.forget(rvDan)

	mine := h.say(rvAnn, "/feedback mine")
	rvHas(t, mine, "FR1 was closed", "FR2: 2 of 3 answered")
	rvLacks(t, mine, "2 of 2", "FR1: 2 anonymous answer(s) held back")
	h.refused(rvBen, "/feedback answer FR1 late thought", "too few colleagues")
	status := h.say(rvMia, "/review status team growth")
	rvHas(t, status, "Peers approved: 0/3")
	h.refused(rvMia, "/review approve @ann @ben @cat", "at least 3 peers")
	rvHas(t, h.say(rvMia, "/review approve @ann @ben @cat @mia"), "Mia manages Growth")

	// Everyone but Ben released; Ben forgotten: the cycle closes itself.
	for _, id := range []bot.UserID{rvAnn, rvCat} {
		for _, a := range []string{"a", "b", "c", "4", "4"} {
			h.say(rvMia, "/review answer @"+id.Local()+" "+a)
		}
		rvHas(t, h.say(rvMia, "/review release @"+id.Local()+" anyway"), "Released")
	}
	h.forget(rvBen)
	rvHas(t, h.say(rvMia, "/review start team Growth Next due 2026-12-30"), "Started C2")
}
