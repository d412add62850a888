package feishu

import (
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

	"github.com/pulse-bot/pulse/bot"
)

// toast builds a card-callback toast whose content is the catalogue's key in
// loc and whose i18n map lets the Feishu client show its own language.
func (a *Adapter) toast(kind string, loc bot.Locale, key string) *callback.Toast {
	return &callback.Toast{
		Type:    kind,
		Content: a.catalog.T(loc, key, nil),
		I18nContent: map[string]string{
			"zh_cn": a.catalog.T(bot.Chinese, key, nil),
			"en_us": a.catalog.T(bot.English, key, nil),
		},
	}
}
