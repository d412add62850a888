package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store"
	"github.com/pulse-bot/pulse/store/storetest"
)

// Check-ins keep the questions their answers were given to, teams their
// question roles, conversations the questions they were opened with — on
// Redis and on the embedded store — and a check-in stored before questions
// were kept still reads.
func TestQuestionsKeptWithAnswers(t *testing.T) {
	t.Run("redis", func(t *testing.T) { testQuestionsKept(t, storetest.MustOpen(t)) })
	t.Run("embedded", func(t *testing.T) { testQuestionsKept(t, storetest.MustOpenEmbedded(t)) })
}

func testQuestionsKept(t *testing.T, s *store.Store) {
	ctx := context.Background()
	team := bot.NewTeam("Eng", bot.PlatformSlack, "C1", t0)
	team.Questions = []string{"Who helped you?", "What did you ship?"}
	team.HighlightQuestion, team.BlockersQuestion, team.QuestionsSince = 2, bot.NoQuestion, t0
	must(t, "save team", s.SaveTeam(ctx, team, bot.AuditEntry{}))
	got, err := s.GetTeam(ctx, team.ID)
	must(t, "get team", err)
	if got.HighlightQuestion != 2 || got.BlockersQuestion != bot.NoQuestion || !got.QuestionsSince.Equal(t0) {
		t.Fatalf("team roles read back as %d %d %v", got.HighlightQuestion, got.BlockersQuestion, got.QuestionsSince)
	}

	qs := []bot.Question{{Text: "Who helped you?"}, {Key: "checkin_q_done", Role: bot.RoleHighlight}, {Text: "阻碍？", Role: bot.RoleBlockers}}
	c := bot.CheckIn{TeamID: team.ID, Person: alice, Period: "2026-W10", Answers: []string{"Carol", "Docs", "无"}, Questions: qs,
		Mood: 4, Completed: t0, UpdatedAt: t0}
	must(t, "save check-in", s.SaveCheckIn(ctx, c, "", bot.AuditEntry{}))
	back, err := s.GetCheckIn(ctx, team.ID, "2026-W10", alice)
	must(t, "get check-in", err)
	if !reflect.DeepEqual(back.Questions, qs) {
		t.Fatalf("questions read back as %+v, want %+v", back.Questions, qs)
	}

	conv := bot.Conversation{TeamID: team.ID, Period: "2026-W10", Questions: qs}
	must(t, "set conversation", s.SetConversation(ctx, alice, conv))
	open, err := s.Conversation(ctx, alice)
	must(t, "conversation", err)
	if !reflect.DeepEqual(open, conv) {
		t.Fatalf("conversation read back as %+v, want %+v", open, conv)
	}

	// A record written before questions were kept: no "qs" field.
	old, err := json.Marshal(map[string]any{"ans": []string{"a", "b", "c"}, "mood": 3, "done": t0, "upd": t0})
	must(t, "encode old record", err)
	must(t, "write old record", s.Client().HSet(ctx, s.Key("{team:"+team.ID+"}:checkins:2026-W10"), string(bob), old).Err())
	list, err := s.TeamCheckIns(ctx, team.ID, "2026-W10")
	must(t, "team check-ins", err)
	if len(list) != 2 || list[1].Person != bob || list[1].Questions != nil || len(list[1].Answers) != 3 {
		t.Fatalf("old record read as %+v", list)
	}
}
