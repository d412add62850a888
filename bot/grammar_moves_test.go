package bot_test

import (
	"context"
	"slices"
	"testing"

	"github.com/pulse-bot/pulse/bot"
)

// Regressions found by reading each grammar moved into bot/parse beside the
// code it replaced (git show e5cddf7:bot/<file>.go).

// A name typed without "@" (or a stray separator) in "/pulse team
// add|remove|managers" is refused with one sentence and changes nothing.
// The moved grammar returned an empty spec and no error for such a word: the
// team name was lost too, so an admin was told they are in no team, and a
// manager's "/pulse team managers growth alice" took every manager off
// their own team (here the admin is a member of Growth).
func TestTeamPeopleRefusesAPlainNameAndChangesNothing(t *testing.T) {
	h := newHarness(t)
	h.say(admin, "/pulse team add growth "+bot.Mention(admin))
	for _, c := range []struct {
		who       bot.UserID
		cmd, want string
	}{
		{maya, "/pulse team add growth dan", "I can't tell who @dan is"},
		{admin, "/pulse team managers growth alice", "I can't tell who @alice is"},
		{admin, "/pulse team add growth dan", "I can't tell who @dan is"},
		{admin, "/pulse team remove growth bob", "I can't tell who @bob is"},
		{admin, "/pulse team add growth @dan", "I can't tell who @dan is"},
		{chen, "/pulse team managers growth 小王", "我不知道 @小王 是谁"},
	} {
		mustContain(t, text(h.say(c.who, c.cmd)), c.want)
	}
	team, err := h.store.GetTeam(context.Background(), "growth")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(team.Managers, []bot.UserID{maya}) || !slices.Equal(team.Members, []bot.UserID{alice, bob, chen, admin}) {
		t.Fatalf("team changed by refused commands: managers %v, members %v", team.Managers, team.Members)
	}
}

// Mentions may be joined the way people list them ("@a, @b", "@a 和 @b"),
// as kudos take them.
func TestTeamPeopleTakesMentionsJoinedByCommasAndAnd(t *testing.T) {
	h := newHarness(t)
	dan := bot.NewUserID(bot.PlatformConsole, "demo", "dan")
	eve := bot.NewUserID(bot.PlatformConsole, "demo", "eve")
	mustContain(t, text(h.say(admin, "/pulse team add growth "+bot.Mention(dan)+", "+bot.Mention(eve))), "Growth")
	team, err := h.store.GetTeam(context.Background(), "growth")
	if err != nil {
		t.Fatal(err)
	}
	if !team.HasMember(dan) || !team.HasMember(eve) {
		t.Fatalf("members %v, want dan and eve added", team.Members)
	}
	mustContain(t, text(h.say(admin, "/pulse team managers growth "+bot.Mention(maya)+" 和 "+bot.Mention(alice))), "Growth")
	if team, err = h.store.GetTeam(context.Background(), "growth"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(team.Managers, []bot.UserID{maya, alice}) {
		t.Fatalf("managers %v, want maya and alice", team.Managers)
	}
}

// A full-width "ｔｅａｍ" (typed with a Chinese input method) names a team
// as it did before the review grammar moved, when the keyword was folded.
func TestReviewStartTakesFullWidthTeamKeyword(t *testing.T) {
	h := newHarness(t)
	mustContain(t, text(h.say(maya, "/review start ｔｅａｍ Growth H2 review due 2026-12-15 peers 3")), "C1", "H2 review")
}

// Team values typed with Chinese commas or 、 are separate values, and a
// switch takes full-width letters; the keyword tables moved into bot/parse.
func TestTeamSetValuesInChinesePunctuationAndFullWidthSwitch(t *testing.T) {
	h := newHarness(t)
	mustContain(t, text(h.say(maya, "/pulse team set growth 价值观 担当，坦诚、＃创新")), "Growth")
	mustContain(t, text(h.say(maya, "/pulse team set growth leaderboard ＯＮ")), "Growth")
	team, err := h.store.GetTeam(context.Background(), "growth")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(team.Values, []string{"担当", "坦诚", "创新"}) || !team.Leaderboard {
		t.Fatalf("values %q, leaderboard %v", team.Values, team.Leaderboard)
	}
}

// "/review answer @zoe …" with a name the platform did not turn into a
// mention is refused by name: it used to be taken as the writer's own
// self-review, answer text "@zoe …" included.
func TestReviewAnswerAboutAnUnlinkedNameIsRefused(t *testing.T) {
	h := newRVHarness(t)
	rvHas(t, h.say(rvMia, "/review start team Growth H2 review due 2026-12-15 peers 3"), "C1")
	h.refused(rvBen, "/review answer @zoe clear writing", "I can't tell who @zoe is")
	h.refused(rvBen, "/review write @zoe", "I can't tell who @zoe is")
	rvHas(t, h.say(rvBen, "/review answer clear writing"), "Saved. 2/5")
}

// A person typed as "@zoe" without a link is named in the refusal of
// "/goal list" and "/scorecard", not reported as a wrong usage or period.
func TestGoalListAndScorecardNameAnUnlinkedPerson(t *testing.T) {
	h := newHarness(t)
	mustContain(t, text(h.say(alice, "/goal list @zoe")), "I can't tell who @zoe is")
	mustContain(t, text(h.say(maya, "/scorecard @zoe last week")), "I can't tell who @zoe is")
	mustContain(t, text(h.say(chen, "/goal list ＠小王")), "我不知道 @小王 是谁")
	mustContain(t, text(h.say(maya, "/scorecard "+bot.Mention(alice)+": 2026-W48")), "Alice")
}
