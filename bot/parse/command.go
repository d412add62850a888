package parse

import (
	"strings"
)

// Verb is a top-level command.
type Verb string

// The verbs of the command language (SPEC.md "Command language").
const (
	VerbGoal      Verb = "goal"
	VerbKudos     Verb = "kudos"
	VerbCheckIn   Verb = "checkin"
	VerbScorecard Verb = "scorecard"
	VerbPulse     Verb = "pulse"
	VerbHelp      Verb = "help"
	VerbFeedback  Verb = "feedback"
	VerbReview    Verb = "review"
)

// Command is a command split into its verb, its canonical English
// subcommand and the rest of the text, so handlers switch on one spelling
// whichever language the user typed in.
type Command struct {
	Verb Verb
	Sub  string
	// Args is the user's text after the verb and subcommand, as typed, trimmed.
	Args string
}

// verbWords maps every spelling of a verb (folded) to the verb.
var verbWords = map[string]Verb{
	"goal": VerbGoal, "goals": VerbGoal, "目标": VerbGoal,
	"kudos": VerbKudos, "kudo": VerbKudos, "点赞": VerbKudos,
	"checkin": VerbCheckIn, "check-in": VerbCheckIn, "周报": VerbCheckIn,
	"scorecard": VerbScorecard, "记分卡": VerbScorecard, "计分卡": VerbScorecard,
	"pulse": VerbPulse,
	"help":  VerbHelp, "帮助": VerbHelp,
	"feedback": VerbFeedback, "反馈": VerbFeedback,
	"review": VerbReview, "reviews": VerbReview, "评估": VerbReview,
}

// hanVerbs are the Chinese verbs, which people often write glued to the
// subcommand ("目标列表").
var hanVerbs = []string{"目标", "点赞", "周报", "记分卡", "计分卡", "帮助", "反馈", "评估"}

// subWords maps each verb's subcommand spellings (folded) to the canonical
// English subcommand.
var subWords = map[Verb]map[string]string{
	VerbGoal: {
		"new": "new", "add": "new", "create": "new", "新建": "new", "新增": "new", "创建": "new", "添加": "new",
		"list": "list", "ls": "list", "列表": "list", "列出": "list",
		"show": "show", "view": "show", "查看": "show", "详情": "show",
		"done": "done", "complete": "done", "完成": "done",
		"drop": "drop", "abandon": "drop", "放弃": "drop",
		"edit": "edit", "change": "edit", "修改": "edit", "编辑": "edit",
		"tree": "tree", "树": "tree", "对齐": "tree",
		"update": "update", "更新": "update", "进展": "update",
	},
	VerbKudos: {
		"undo": "undo", "撤回": "undo", "撤销": "undo",
		"mine": "mine", "我的": "mine",
		"board": "board", "leaderboard": "board", "排行": "board", "排行榜": "board",
		"give": "give",
	},
	VerbCheckIn: {
		"start": "", "开始": "", "填写": "",
		"skip": "skip", "跳过": "skip",
		"away": "away", "请假": "away", "休假": "away",
		"back": "back", "回来": "back", "销假": "back",
		"status": "status", "状态": "status",
	},
	VerbScorecard: {
		"me": "me", "mine": "me", "我": "me", "我的": "me",
		"export": "export", "导出": "export",
	},
	VerbPulse: {
		"team": "team", "团队": "team",
		"me": "me", "我": "me",
		"forget": "forget", "忘记": "forget", "删除": "forget",
		"status": "status", "状态": "status",
		"help": "help", "帮助": "help",
		"audit": "audit", "审计": "audit",
		"web": "web", "网页": "web",
		"token": "token", "tokens": "token", "令牌": "token", "密钥": "token",
	},
	VerbFeedback: {
		"give": "give", "给": "give", "提供": "give",
		"request": "request", "ask": "request", "请求": "request", "征求": "request", "索取": "request",
		"answer": "answer", "reply": "answer", "回答": "answer", "回复": "answer",
		"mine": "mine", "received": "mine", "我的": "mine", "收到": "mine",
		"about": "about", "关于": "about", "查看": "about",
		"visibility": "visibility", "可见": "visibility", "可见性": "visibility", "可见范围": "visibility",
	},
	VerbReview: {
		"start": "start", "开始": "start", "发起": "start",
		"status": "status", "状态": "status",
		"release": "release", "发布": "release", "公布": "release",
		"mine": "mine", "我的": "mine",
		"meeting": "meeting", "会议": "meeting", "面谈": "meeting",
		"action": "action", "行动": "action", "改进": "action",
		"nominate": "nominate", "提名": "nominate",
		"approve": "approve", "批准": "approve", "审批": "approve",
		"write": "write", "form": "write", "填写": "write", "撰写": "write", "写": "write",
		"answer": "answer", "回答": "answer",
		"show": "show", "view": "show", "查看": "show",
		"flag": "flag", "标记": "flag",
		"questions": "questions", "问题": "questions",
		"close": "close", "结束": "close", "关闭": "close",
		"cancel": "cancel", "取消": "cancel",
	},
}

// pulseSecond maps the second word of two-word /pulse subcommands.
var pulseSecond = map[string]map[string]string{
	"team": {
		"create": "create", "new": "create", "创建": "create", "新建": "create",
		"add": "add", "添加": "add", "加入": "add",
		"remove": "remove", "移除": "remove", "删除": "remove",
		"managers": "managers", "manager": "managers", "经理": "managers", "管理者": "managers", "主管": "managers",
		"set": "set", "设置": "set",
		"show": "show", "查看": "show",
		"list": "list", "列表": "list",
	},
	"me": {
		"timezone": "timezone", "tz": "timezone", "时区": "timezone",
		"language": "language", "lang": "language", "语言": "language",
		"team": "team", "团队": "team", "主团队": "team",
	},
	"token": {
		"create": "create", "new": "create", "创建": "create", "新建": "create",
		"list": "list", "ls": "list", "列表": "list", "列出": "list",
		"revoke": "revoke", "delete": "revoke", "撤销": "revoke", "吊销": "revoke", "删除": "revoke",
	},
	"web": {
		"signout": "signout", "logout": "signout", "退出": "signout", "登出": "signout",
	},
	"forget": {
		"me": "", "我": "",
		"confirm": "confirm", "确认": "confirm",
	},
}

// SplitCommand recognises a command at the start of text: an optional
// leading "/" (or "／"), then an English verb or its Chinese keyword, any
// case, then the subcommand in either language. ok is false when text does
// not start with a verb, so the caller can look for progress or kudos.
//
// Subcommands come back in canonical English: "/目标 列表" is {goal list}.
// A goal id right after "goal" means an update ("/goal G7 2.6%" is {goal
// update "G7 2.6%"}); "goal" alone lists. Any word kudos does not know
// starts a kudos ("give", Args all). Scorecard periods and teams stay in
// Args. A subcommand no table knows comes back lower-cased as typed, so the
// service can say it does not know it.
func SplitCommand(text string) (Command, bool) {
	toks := tokenize(text)
	if len(toks) == 0 {
		return Command{}, false
	}
	first := toks[0]
	word := fold(first.text)
	word = strings.TrimPrefix(word, "/")
	word = strings.TrimRight(word, ":")
	verb, ok := verbWords[word]
	if !ok {
		// A Chinese verb glued to its subcommand: "目标列表", "/周报跳过".
		verb, first, ok = splitGluedVerb(text, first)
		if !ok {
			return Command{}, false
		}
		toks[0] = first
	} else {
		toks = toks[1:]
	}
	sub, rest := splitSub(verb, text, toks)
	args := ""
	if len(rest) > 0 {
		args = strings.TrimSpace(text[rest[0].start:])
	}
	return Command{Verb: verb, Sub: sub, Args: args}, true
}

// splitGluedVerb recognises a Chinese verb written without a space before
// its subcommand. It returns the verb and the token for what follows it.
func splitGluedVerb(text string, first token) (Verb, token, bool) {
	s := first.text
	lead := 0
	if strings.HasPrefix(s, "/") {
		lead = 1
	} else if strings.HasPrefix(s, "／") {
		lead = len("／")
	}
	for _, v := range hanVerbs {
		if !strings.HasPrefix(s[lead:], v) || len(s) <= lead+len(v) {
			continue
		}
		start := first.start + lead + len(v)
		rest := token{text: text[start:first.end], start: start, end: first.end}
		verb := verbWords[v]
		if gluedSubKnown(verb, text, rest) {
			return verb, rest, true
		}
	}
	return "", token{}, false
}

// gluedSubKnown reports whether what follows a glued Chinese verb is one of
// its subcommands (or a goal id after 目标), so "目标列表" is a command and
// "目标感很重要" is not.
func gluedSubKnown(verb Verb, text string, rest token) bool {
	if _, _, ok := lookupSub(subWords[verb], text, []token{rest}); ok {
		return true
	}
	switch verb {
	case VerbGoal:
		return looksLikeGoalID(rest.text)
	case VerbHelp:
		_, ok := verbWords[fold(rest.text)]
		return ok
	}
	return false
}

// splitSub reads the subcommand from toks and returns it with the tokens left for Args.
func splitSub(verb Verb, text string, toks []token) (string, []token) {
	if len(toks) == 0 {
		switch verb {
		case VerbGoal:
			return "list", nil
		case VerbKudos:
			return "give", nil
		case VerbPulse:
			return "help", nil
		}
		return "", nil
	}
	word := fold(toks[0].text)
	table := subWords[verb]
	sub, rest, known := lookupSub(table, text, toks)
	switch verb {
	case VerbGoal:
		if _, ok := GoalID(toks[0].text); ok {
			return "update", toks
		}
		if word == "mine" || word == "我的" {
			return "list", toks
		}
	case VerbKudos:
		if !known {
			return "give", toks
		}
	case VerbScorecard:
		if !known {
			return "", toks
		}
	case VerbCheckIn:
		if isTeamWord(word) {
			// "/checkin team growth" starts the check-in of that team.
			return "", toks
		}
	case VerbFeedback:
		if !known && strings.HasPrefix(toks[0].text, "<@") {
			// "/feedback @alice …": giving is the default.
			return "give", toks
		}
	case VerbHelp:
		if v, ok := verbWords[strings.TrimPrefix(word, "/")]; ok {
			return string(v), toks[1:]
		}
	case VerbPulse:
		if known {
			return pulseSub(sub, text, rest)
		}
	}
	if !known {
		return word, toks[1:]
	}
	return sub, rest
}

// lookupSub finds the subcommand that starts toks in table, also when a
// Chinese subcommand is glued to its argument ("跳过生病了"). It returns the
// canonical subcommand and the tokens after it.
func lookupSub(table map[string]string, text string, toks []token) (string, []token, bool) {
	if sub, ok := table[fold(toks[0].text)]; ok {
		return sub, toks[1:], true
	}
	tok := toks[0]
	best := ""
	for w := range table {
		r := []rune(w)
		if len(r) == 0 || !isHan(r[0]) {
			continue
		}
		if strings.HasPrefix(tok.text, w) && len(tok.text) > len(w) && len(w) > len(best) {
			best = w
		}
	}
	if best == "" {
		return "", nil, false
	}
	start := tok.start + len(best)
	restTok := token{text: text[start:tok.end], start: start, end: tok.end}
	return table[best], append([]token{restTok}, toks[1:]...), true
}

// pulseSub reads the second word of two-word /pulse subcommands ("team
// add", "me timezone", "forget confirm"); "forget me" is just "forget".
func pulseSub(sub, text string, toks []token) (string, []token) {
	second, ok := pulseSecond[sub]
	if !ok || len(toks) == 0 {
		return sub, toks
	}
	s2, rest, known := lookupSub(second, text, toks)
	switch {
	case !known && sub == "forget":
		return sub, toks
	case !known:
		return sub + " " + fold(toks[0].text), toks[1:]
	case s2 == "":
		return sub, rest
	}
	return sub + " " + s2, rest
}
