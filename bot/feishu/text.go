package feishu

import (
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

	"github.com/pulse-bot/pulse/bot"
)

// The few words the adapter says itself (toasts, a default submit button).
// Everything else comes from the core, already in the person's language.
const (
	textRetry       = "retry"
	textWorking     = "working"
	textCheckFields = "check_fields"
	textDone        = "done"
	textSubmit      = "submit"
)

var texts = map[string]map[bot.Locale]string{
	textRetry:       {bot.English: "Something went wrong. Please try again.", bot.Chinese: "出了点问题，请再试一次。"},
	textWorking:     {bot.English: "Working on it…", bot.Chinese: "正在处理…"},
	textCheckFields: {bot.English: "Please check the marked fields.", bot.Chinese: "请检查标出的内容。"},
	textDone:        {bot.English: "Done.", bot.Chinese: "已完成。"},
	textSubmit:      {bot.English: "Submit", bot.Chinese: "提交"},
}

// text returns the adapter's own text in loc, Chinese when loc is unknown
// (Feishu's people mostly read Chinese).
func text(loc bot.Locale, key string) string {
	if s, ok := texts[key][loc]; ok {
		return s
	}
	return texts[key][bot.Chinese]
}

// toast builds a card-callback toast whose content is in loc and whose i18n
// map lets the Feishu client show its own language.
func toast(kind string, loc bot.Locale, key string) *callback.Toast {
	return &callback.Toast{
		Type:    kind,
		Content: text(loc, key),
		I18nContent: map[string]string{
			"zh_cn": text(bot.Chinese, key),
			"en_us": text(bot.English, key),
		},
	}
}
