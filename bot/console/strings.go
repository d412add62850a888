package console

import (
	"strings"

	"github.com/pulse-bot/pulse/bot"
)

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

// text returns the console's own string key (console_<key> in the
// catalogue) in the console's language, with its placeholders filled from
// args (pairs of name, value).
func (c *Console) text(key string, args ...string) string {
	return c.textIn(c.cfg.Locale, key, args...)
}

// textIn is text in loc: the heading of a message Pulse sends is in the
// message's language.
func (c *Console) textIn(loc bot.Locale, key string, args ...string) string {
	data := make(map[string]any, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		data[args[i]] = args[i+1]
	}
	return c.words.T(loc, "console_"+key, data)
}
