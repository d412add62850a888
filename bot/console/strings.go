package console

import (
	"strings"

	"github.com/pulse-bot/pulse/bot"
)

// texts holds the console's own words: its help and its notices. Pulse's
// replies come from the core's catalogue; these are only about the terminal
// chat itself, so they live beside the adapter that prints them.
var texts = map[bot.Locale]map[string]string{
	bot.English: {
		"help": "Console commands:\n" +
			"  /as <name>   type as someone else (people: {people})\n" +
			"  /run <job>   run a scheduled job now ({jobs})\n" +
			"  # <text>     post text in the team channel #{channel}, where progress (G7 2.6% …) and kudos are picked up\n" +
			"  /help        this help\n" +
			"  /quit        leave\n" +
			"Anything else is sent to Pulse as a direct message. Type `help` for Pulse's commands.",
		"now_as":           "Now typing as {name}.",
		"bad_name":         "A name is letters, digits, dot, dash or underscore; type /as <name>, for example /as bob.",
		"run_usage":        "Say which job to run: /run <job>, one of {jobs}.",
		"run_unavailable":  "Jobs cannot be run from this console.",
		"run_failed":       "The job {job} failed: {error}",
		"no_reply":         "(no reply)",
		"failed":           "Pulse could not answer: {error}",
		"reaction":         "(Pulse reacted with {reaction} to your message)",
		"form_intro":       "Answer each field on its own line; an empty line keeps the value in [brackets]; a line starting with / is a command, never an answer, and /cancel leaves the form.",
		"form_left":        "You left the form and nothing was sent; type {command} to open it again.",
		"form_cancelled":   "Form cancelled; nothing was sent.",
		"form_required":    "This field is required.",
		"to_dm":            "→ DM to {name}:",
		"to_channel":       "→ #{channel}:",
		"to_thread":        "→ #{channel} (thread):",
		"bye":              "Bye.",
		"file":             "📎 {name} ({size} bytes):",
		"file_saved":       "📎 saved {name} ({size}) to {path}",
		"file_save_failed": "📎 {name} ({size}) could not be saved: {error}",
		"bytes":            "{n} bytes",
	},
	bot.Chinese: {
		"help": "控制台命令：\n" +
			"  /as <名字>   换一个人输入（可选：{people}）\n" +
			"  /run <任务>  立即运行一个定时任务（{jobs}）\n" +
			"  # <文字>     在团队频道 #{channel} 发一条消息，目标进展（G7 2.6% …）和点赞会被记录\n" +
			"  /help        显示本帮助\n" +
			"  /quit        退出\n" +
			"其他内容都会作为私信发给 Pulse。输入 `help` 查看 Pulse 的命令。",
		"now_as":           "现在以 {name} 的身份输入。",
		"bad_name":         "名字只能包含字母、数字、点、横线或下划线；请输入 /as <名字>，例如 /as bob。",
		"run_usage":        "请说明要运行哪个任务：/run <任务>，可选 {jobs}。",
		"run_unavailable":  "此控制台不能运行任务。",
		"run_failed":       "任务 {job} 运行失败：{error}",
		"no_reply":         "（没有回复）",
		"failed":           "Pulse 无法回答：{error}",
		"reaction":         "（Pulse 用 {reaction} 回应了你的消息）",
		"form_intro":       "每行回答一个字段；空行保留 [方括号] 中的值；以 / 开头的一行是命令，不算回答，输入 /cancel 放弃表单。",
		"form_left":        "你离开了表单，什么都没有发送；输入 {command} 可重新打开。",
		"form_cancelled":   "已取消表单，什么都没有发送。",
		"form_required":    "此项必填。",
		"to_dm":            "→ 私信给 {name}：",
		"to_channel":       "→ #{channel}：",
		"to_thread":        "→ #{channel}（话题回复）：",
		"bye":              "再见。",
		"file":             "📎 {name}（{size} 字节）：",
		"file_saved":       "📎 已将 {name}（{size}）保存到 {path}",
		"file_save_failed": "📎 无法保存 {name}（{size}）：{error}",
		"bytes":            "{n} 字节",
	},
}

// LocaleFromEnv picks the console's language from a LANG or LC_ALL value
// such as "zh_CN.UTF-8", so a Chinese terminal gets Chinese console help.
// Anything that is not Chinese is English.
func LocaleFromEnv(lang string) bot.Locale {
	l := strings.ToLower(lang)
	if strings.HasPrefix(l, "zh") {
		return bot.Chinese
	}
	return bot.English
}

// text returns the console string key in locale l with {name} placeholders
// replaced from args (pairs of name, value).
func text(l bot.Locale, key string, args ...string) string {
	m, ok := texts[l]
	if !ok {
		m = texts[bot.English]
	}
	s, ok := m[key]
	if !ok {
		s = texts[bot.English][key]
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+args[i]+"}", args[i+1])
	}
	return s
}
