package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/bot/console"
	"github.com/pulse-bot/pulse/scheduler"
)

// The demo team of `pulse try`.
const (
	demoWorkspace = "demo"
	demoTeam      = "Growth"
	demoChannel   = "growth"
	demoManager   = "maya"
)

// demoMembers are the demo team's members; the first is who you type as.
var demoMembers = []string{"alice", "bob", "chen"}

// try runs the terminal chat on a demo team, seeded through the service
// itself so the first screen already has goals, history and kudos.
func (e *environment) try(ctx context.Context, args []string) error {
	fs := newFlagSet("try", e.stderr)
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := mustBeEmpty("try", positional); err != nil {
		return err
	}
	b, err := e.openBackend(ctx, true)
	if err != nil {
		return err
	}
	defer b.close()

	clock := &offsetClock{base: bot.SystemClock{}}
	router := bot.Router{bot.PlatformConsole: discard{}}
	e.cfg.Admins = append(e.cfg.Admins, demoUser(demoManager))
	c, err := e.newCore(b, router, clock)
	if err != nil {
		return err
	}
	locale := console.LocaleFromEnv(firstNonEmpty(e.getenv("LC_ALL"), e.getenv("LANG")))

	seeded, err := seedDemo(ctx, c.svc, b, clock)
	if err != nil {
		return err
	}
	clock.Set(0)

	people := append(append([]string(nil), demoMembers...), demoManager)
	con, err := console.New(console.Config{
		In:        e.stdin,
		Out:       e.stdout,
		Handler:   c.svc,
		Workspace: demoWorkspace,
		Users:     people,
		Channel:   demoChannel,
		RunJob:    demoJobRunner(c.sched, clock),
		Clock:     clock,
		Locale:    locale,
		Echo:      !isTerminal(e.stdin),
	})
	if err != nil {
		return err
	}
	router[bot.PlatformConsole] = con
	fmt.Fprintln(e.stdout, demoIntro(locale, b.inMemory, e.cfg.RedisURL, seeded))
	stopWeb, err := e.tryWeb(ctx, b, c.svc, clock, locale)
	if err != nil {
		return err
	}
	defer stopWeb()
	return con.Run(ctx)
}

func demoUser(name string) bot.UserID {
	return bot.NewUserID(bot.PlatformConsole, demoWorkspace, name)
}

// demoJobRunner runs a job for the demo team now, for `/run <job>`.
func demoJobRunner(sched *scheduler.Scheduler, clock bot.Clock) func(ctx context.Context, job string) (string, error) {
	return func(ctx context.Context, name string) (string, error) {
		job, ok := bot.ParseJob(name)
		if !ok {
			return "", fmt.Errorf("unknown job %q; use one of %s", name, jobList())
		}
		rec, err := sched.RunNow(ctx, job, bot.TeamID(demoTeam), clock.Now())
		if err != nil {
			return "", err
		}
		return describeRun(rec), nil
	}
}

func jobList() string {
	names := make([]string, len(bot.Jobs))
	for i, j := range bot.Jobs {
		names[i] = string(j)
	}
	return strings.Join(names, ", ")
}

// isTerminal reports whether r is a terminal, which echoes what is typed;
// a pipe does not, so the console echoes lines itself.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// demoIntro is the first thing `pulse try` prints.
func demoIntro(l bot.Locale, inMemory bool, redisURL string, seeded bool) string {
	var where string
	switch {
	case inMemory && l == bot.Chinese:
		where = "数据保存在内存中（内置 Redis），退出后即消失。设置 REDIS_URL 可保存到你自己的 Redis。"
	case inMemory:
		where = "Data lives in memory (an embedded Redis) and is gone when you quit; set REDIS_URL to keep it in your own Redis."
	case l == bot.Chinese:
		where = "数据保存在 Redis：" + redactURL(redisURL) + "。"
	default:
		where = "Data is kept in Redis at " + redactURL(redisURL) + "."
	}
	var again string
	if !seeded {
		if l == bot.Chinese {
			again = "\n演示团队 Growth 已存在，沿用现有数据。"
		} else {
			again = "\nThe demo team Growth was already there; its data is kept as it was."
		}
	}
	if l == bot.Chinese {
		return "Pulse 演示：团队 Growth —— maya（经理，管理员）、alice、bob、chen（中文）。\n" + where + again + "\n" +
			"你现在是 alice。试试：/goal list team growth · /goal tree · /scorecard me · /kudos @bob 谢谢代码评审 #teamwork\n" +
			"在频道里发进展：# G2 2.8% 新结账页上线 · 换人：/as maya，然后 /scorecard · 定时任务：/run checkin-prompt · /help 查看全部\n"
	}
	return "Pulse demo: team Growth — maya (manager, admin), alice, bob, chen (writes in Chinese).\n" + where + again + "\n" +
		"You are alice. Try: /goal list team growth · /goal tree · /scorecard me · /kudos @bob thanks for the review #teamwork\n" +
		"Post progress in the channel: # G2 2.8% new checkout live · switch: /as maya, then /scorecard · jobs: /run checkin-prompt · /help for more\n"
}

// redactURL hides the password of a Redis URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// seedStep is one thing a demo person says while the clock is set back.
type seedStep struct {
	ago  time.Duration
	user string
	// channel posts the text in the team channel instead of a direct message.
	channel bool
	text    string
}

// seedDemo creates the demo team and its history, unless a team of that
// name exists already (a second `pulse try` on the same Redis). It reports
// whether it seeded.
func seedDemo(ctx context.Context, svc *bot.Service, b *backend, clock *offsetClock) (bool, error) {
	teamID := bot.TeamID(demoTeam)
	if _, err := b.store.GetTeam(ctx, teamID); err == nil {
		return false, nil
	} else if !errors.Is(err, bot.ErrNotFound) {
		return false, fmt.Errorf("look for the demo team: %w", err)
	}
	const day = 24 * time.Hour
	clock.Set(-29 * day)
	team := bot.NewTeam(demoTeam, bot.PlatformConsole, demoChannel, time.Time{})
	for _, m := range demoMembers {
		team.Members = append(team.Members, demoUser(m))
	}
	team.Managers = []bot.UserID{demoUser(demoManager)}
	team.Values = []string{"customer-first", "ownership", "teamwork"}
	team.Leaderboard = true
	if err := svc.ApplyTeam(ctx, team); err != nil {
		return false, fmt.Errorf("seed demo team: %w", err)
	}
	s := &seeder{svc: svc, clock: clock, nonce: fmt.Sprintf("%x", time.Now().UnixNano())}

	due := func(weeks int) string { return clock.Now().AddDate(0, 0, 7*weeks).Format("2006-01-02") }
	if err := s.say(ctx, seedStep{ago: 28 * day, user: "chen", text: "/pulse me language zh"}); err != nil {
		return false, err
	}
	goals := []struct{ user, title, rest string }{
		{demoManager, "Grow weekly active buyers", "from 12k to 15k by " + due(14) + " for team " + demoTeam},
		{"alice", "Raise checkout conversion", "from 2.1% to 3% by " + due(13)},
		{"bob", "Onboard new merchants", "from 0 to 40 merchants by " + due(12)},
		{"chen", "上线新版结账页面", "截止 " + due(8)},
	}
	ids := map[string]string{}
	for i, g := range goals {
		text := "/goal new " + g.title + " " + g.rest
		if i > 0 && ids[goals[0].title] != "" && g.user == "alice" {
			text += " under " + ids[goals[0].title]
		}
		if err := s.say(ctx, seedStep{ago: 28 * day, user: g.user, text: text}); err != nil {
			return false, err
		}
		id, err := goalIDByTitle(ctx, b, teamID, g.title)
		if err != nil {
			return false, fmt.Errorf("seed demo goal %q (Pulse said: %s): %w", g.title, s.lastReply, err)
		}
		ids[g.title] = id
	}
	team7, conv, merch, page := ids[goals[0].title], ids[goals[1].title], ids[goals[2].title], ids[goals[3].title]
	mention := func(name string) string { return bot.Mention(demoUser(name)) }
	steps := []seedStep{
		{ago: 21 * day, user: "alice", channel: true, text: conv + " 2.3% new copy on the cart page"},
		{ago: 20 * day, user: "bob", text: "/goal " + merch + " 8 first eight merchants signed"},
		{ago: 14 * day, user: "chen", text: "/goal " + page + " 30 设计评审完成"},
		{ago: 14 * day, user: demoManager, text: "/goal " + team7 + " 12.6k"},
		{ago: 10 * day, user: "alice", channel: true, text: conv + " 2.5% one-click checkout live"},
		{ago: 7 * day, user: "bob", text: "/goal " + merch + " 15 at risk two merchants slipped to next month"},
		{ago: 6 * day, user: demoManager, text: "/kudos " + mention("alice") + " " + mention("bob") + " great launch of one-click checkout #customer-first"},
		{ago: 5 * day, user: "chen", text: "/goal " + page + " 60 支付联调完成"},
		{ago: 3 * day, user: "chen", text: "/kudos " + mention("alice") + " 谢谢你帮忙排查支付问题 #teamwork"},
		{ago: 2 * day, user: "bob", channel: true, text: "kudos " + mention("chen") + " thanks for the fast review #ownership"},
		{ago: 1 * day, user: demoManager, text: "/goal " + team7 + " 13.4k"},
		{ago: 2 * time.Hour, user: "alice", text: "/checkin"},
		{ago: 2 * time.Hour, user: "alice", text: "Shipped one-click checkout to all users"},
		{ago: 2 * time.Hour, user: "alice", text: "A/B test of the new cart copy"},
		{ago: 2 * time.Hour, user: "alice", text: "Waiting on the payments team for Apple Pay keys"},
		{ago: 2 * time.Hour, user: "alice", text: "4"},
	}
	for _, st := range steps {
		if err := s.say(ctx, st); err != nil {
			return false, err
		}
	}
	return true, nil
}

// seeder says the demo's lines through the service, as the demo people.
type seeder struct {
	svc       *bot.Service
	clock     *offsetClock
	nonce     string
	n         int
	lastReply string
}

func (s *seeder) say(ctx context.Context, st seedStep) error {
	s.clock.Set(-st.ago)
	s.n++
	user := demoUser(st.user)
	ev := bot.Event{
		Key:      fmt.Sprintf("seed:%s:%d", s.nonce, s.n),
		Kind:     bot.KindCommand,
		Platform: bot.PlatformConsole,
		User:     user,
		Profile:  bot.Profile{Name: st.user},
		Channel:  "dm-" + st.user,
		Direct:   true,
		Text:     st.text,
		Names:    map[bot.UserID]string{},
	}
	for _, name := range append(append([]string(nil), demoMembers...), demoManager) {
		if strings.Contains(st.text, bot.Mention(demoUser(name))) {
			ev.Names[demoUser(name)] = name
		}
	}
	if st.channel {
		ev.Kind, ev.Channel, ev.Direct = bot.KindMessage, demoChannel, false
	}
	ev.Message = bot.MessageRef{Platform: bot.PlatformConsole, Channel: ev.Channel, ID: ev.Key}
	resp, err := s.svc.Handle(ctx, ev)
	s.lastReply = strings.ReplaceAll(bot.PlainText(resp.Reply), "\n", " ")
	if err != nil {
		return fmt.Errorf("seed demo: %s said %q: %w", st.user, st.text, err)
	}
	return nil
}

func goalIDByTitle(ctx context.Context, b *backend, teamID, title string) (string, error) {
	goals, err := b.store.TeamGoals(ctx, teamID)
	if err != nil {
		return "", fmt.Errorf("list goals: %w", err)
	}
	for _, g := range goals {
		if g.Title == title {
			return g.ID, nil
		}
	}
	return "", errors.New("the goal was not created")
}
