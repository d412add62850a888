package parse

import "testing"

func TestSplitCommand(t *testing.T) {
	m := Mention("slack:T1:U1")
	tests := []struct {
		in   string
		want Command
		ok   bool
	}{
		// Goals.
		{"/goal new Raise conversion to 3% by Q3", Command{VerbGoal, "new", "Raise conversion to 3% by Q3"}, true},
		{"goal NEW  Title", Command{VerbGoal, "new", "Title"}, true},
		{"/Goal", Command{VerbGoal, "list", ""}, true},
		{"/goal list mine", Command{VerbGoal, "list", "mine"}, true},
		{"/goal mine", Command{VerbGoal, "list", "mine"}, true},
		{"/goal G7 2.6% on track", Command{VerbGoal, "update", "G7 2.6% on track"}, true},
		{"/goal g7 +0.3", Command{VerbGoal, "update", "g7 +0.3"}, true},
		{"/goal update G7 3", Command{VerbGoal, "update", "G7 3"}, true},
		{"/goal show G7", Command{VerbGoal, "show", "G7"}, true},
		{"/goal done G7 shipped", Command{VerbGoal, "done", "G7 shipped"}, true},
		{"/goal drop G7 no longer needed", Command{VerbGoal, "drop", "G7 no longer needed"}, true},
		{"/goal edit G7 due Q4", Command{VerbGoal, "edit", "G7 due Q4"}, true},
		{"/goal tree team growth", Command{VerbGoal, "tree", "team growth"}, true},
		{"/goal frobnicate G7", Command{VerbGoal, "frobnicate", "G7"}, true},
		{"/goal G0 5", Command{VerbGoal, "g0", "5"}, true},
		{"/目标 新建 提升转化率 到 3%", Command{VerbGoal, "new", "提升转化率 到 3%"}, true},
		{"目标 新增 提升转化率", Command{VerbGoal, "new", "提升转化率"}, true},
		{"目标列表", Command{VerbGoal, "list", ""}, true},
		{"目标 列表 我的", Command{VerbGoal, "list", "我的"}, true},
		{"目标新建提升转化率 到 3%", Command{VerbGoal, "new", "提升转化率 到 3%"}, true},
		{"／目标　查看　Ｇ７", Command{VerbGoal, "show", "Ｇ７"}, true},
		{"目标 Ｇ７ ５０％", Command{VerbGoal, "update", "Ｇ７ ５０％"}, true},
		{"目标 完成 G7", Command{VerbGoal, "done", "G7"}, true},
		{"目标G7 50%", Command{VerbGoal, "update", "G7 50%"}, true},
		{"/帮助目标", Command{VerbHelp, "goal", ""}, true},
		{"帮助我", Command{}, false},
		{"点赞很多", Command{}, false},
		{"目标 放弃 G7 不做了", Command{VerbGoal, "drop", "G7 不做了"}, true},
		{"目标 编辑 G7 截止 Q4", Command{VerbGoal, "edit", "G7 截止 Q4"}, true},
		{"目标 修改 G7 截止 Q4", Command{VerbGoal, "edit", "G7 截止 Q4"}, true},
		{"目标 树", Command{VerbGoal, "tree", ""}, true},
		{"目标 更新 G7 50%", Command{VerbGoal, "update", "G7 50%"}, true},
		// Kudos.
		{"/kudos " + m + " thanks! #ownership", Command{VerbKudos, "give", m + " thanks! #ownership"}, true},
		{"kudos: " + m + " thanks", Command{VerbKudos, "give", m + " thanks"}, true},
		{"/kudos", Command{VerbKudos, "give", ""}, true},
		{"/kudos undo", Command{VerbKudos, "undo", ""}, true},
		{"/kudos mine last week", Command{VerbKudos, "mine", "last week"}, true},
		{"/kudos board", Command{VerbKudos, "board", ""}, true},
		{"/kudos leaderboard this week", Command{VerbKudos, "board", "this week"}, true},
		{"点赞" + m + "谢谢你", Command{VerbKudos, "give", m + "谢谢你"}, true},
		{"点赞 撤回", Command{VerbKudos, "undo", ""}, true},
		{"点赞 撤销", Command{VerbKudos, "undo", ""}, true},
		{"点赞 我的 上周", Command{VerbKudos, "mine", "上周"}, true},
		{"点赞 排行榜", Command{VerbKudos, "board", ""}, true},
		{"点赞 排行", Command{VerbKudos, "board", ""}, true},
		// Check-ins.
		{"/checkin", Command{VerbCheckIn, "", ""}, true},
		{"/checkin skip on holiday", Command{VerbCheckIn, "skip", "on holiday"}, true},
		{"/checkin away until 2026-08-15", Command{VerbCheckIn, "away", "until 2026-08-15"}, true},
		{"/checkin back", Command{VerbCheckIn, "back", ""}, true},
		{"/checkin status team growth", Command{VerbCheckIn, "status", "team growth"}, true},
		{"/checkin dance", Command{VerbCheckIn, "dance", ""}, true},
		{"check-in", Command{VerbCheckIn, "", ""}, true},
		{"周报", Command{VerbCheckIn, "", ""}, true},
		{"周报 跳过 生病了", Command{VerbCheckIn, "skip", "生病了"}, true},
		{"周报跳过生病了", Command{VerbCheckIn, "skip", "生病了"}, true},
		{"周报 请假 到 8月15日", Command{VerbCheckIn, "away", "到 8月15日"}, true},
		{"周报 回来", Command{VerbCheckIn, "back", ""}, true},
		{"周报 状态", Command{VerbCheckIn, "status", ""}, true},
		// Scorecards.
		{"/scorecard", Command{VerbScorecard, "", ""}, true},
		{"/scorecard last week", Command{VerbScorecard, "", "last week"}, true},
		{"/scorecard team growth 2026-W48", Command{VerbScorecard, "", "team growth 2026-W48"}, true},
		{"/scorecard me last week", Command{VerbScorecard, "me", "last week"}, true},
		{"/scorecard export csv team growth", Command{VerbScorecard, "export", "csv team growth"}, true},
		{"记分卡 我", Command{VerbScorecard, "me", ""}, true},
		{"记分卡 导出 json", Command{VerbScorecard, "export", "json"}, true},
		{"记分卡 团队 增长组 上周", Command{VerbScorecard, "", "团队 增长组 上周"}, true},
		// Admin.
		{"/pulse", Command{VerbPulse, "help", ""}, true},
		{"/pulse team create growth #growth", Command{VerbPulse, "team create", "growth #growth"}, true},
		{"/pulse team add growth " + m, Command{VerbPulse, "team add", "growth " + m}, true},
		{"/pulse team remove growth " + m, Command{VerbPulse, "team remove", "growth " + m}, true},
		{"/pulse team managers growth " + m, Command{VerbPulse, "team managers", "growth " + m}, true},
		{"/pulse team set growth timezone Asia/Shanghai", Command{VerbPulse, "team set", "growth timezone Asia/Shanghai"}, true},
		{"/pulse team show growth", Command{VerbPulse, "team show", "growth"}, true},
		{"/pulse team list", Command{VerbPulse, "team list", ""}, true},
		{"/pulse team", Command{VerbPulse, "team", ""}, true},
		{"/pulse team explode growth", Command{VerbPulse, "team explode", "growth"}, true},
		{"/pulse me timezone Europe/Berlin", Command{VerbPulse, "me timezone", "Europe/Berlin"}, true},
		{"/pulse me language zh", Command{VerbPulse, "me language", "zh"}, true},
		{"/pulse forget me", Command{VerbPulse, "forget", ""}, true},
		{"/pulse forget", Command{VerbPulse, "forget", ""}, true},
		{"/pulse forget confirm", Command{VerbPulse, "forget confirm", ""}, true},
		{"/pulse status", Command{VerbPulse, "status", ""}, true},
		{"/pulse help", Command{VerbPulse, "help", ""}, true},
		{"/pulse audit team growth", Command{VerbPulse, "audit", "team growth"}, true},
		{"/pulse wat", Command{VerbPulse, "wat", ""}, true},
		{"pulse 团队 创建 增长组", Command{VerbPulse, "team create", "增长组"}, true},
		{"pulse 团队 添加 增长组 " + m, Command{VerbPulse, "team add", "增长组 " + m}, true},
		{"pulse 我 时区 Asia/Shanghai", Command{VerbPulse, "me timezone", "Asia/Shanghai"}, true},
		{"pulse 我 语言 中文", Command{VerbPulse, "me language", "中文"}, true},
		{"pulse 忘记 我", Command{VerbPulse, "forget", ""}, true},
		{"pulse 忘记 确认", Command{VerbPulse, "forget confirm", ""}, true},
		{"pulse 审计", Command{VerbPulse, "audit", ""}, true},
		// Help, feedback, review.
		{"/help", Command{VerbHelp, "", ""}, true},
		{"help goal", Command{VerbHelp, "goal", ""}, true},
		{"帮助 点赞", Command{VerbHelp, "kudos", ""}, true},
		{"帮助", Command{VerbHelp, "", ""}, true},
		{"/feedback give " + m + " great demo", Command{VerbFeedback, "give", m + " great demo"}, true},
		{"反馈 请求 " + m + " about 演讲", Command{VerbFeedback, "request", m + " about 演讲"}, true},
		{"/review start team growth H1 due 2026-07-01", Command{VerbReview, "start", "team growth H1 due 2026-07-01"}, true},
		{"评估 我的", Command{VerbReview, "mine", ""}, true},
		// Not commands.
		{"", Command{}, false},
		{"   ", Command{}, false},
		{"G7 2.6% shipped", Command{}, false},
		{"hello there", Command{}, false},
		{"goalkeeper saves", Command{}, false},
		{"目标感很重要", Command{}, false},
		{"/", Command{}, false},
		{"🎉 kudos", Command{}, false},
	}
	for _, tt := range tests {
		got, ok := SplitCommand(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("SplitCommand(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
