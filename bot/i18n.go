package bot

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"
)

//go:embed locales/*.yaml
var localeFiles embed.FS

// Catalog holds every user-facing string in English and Simplified Chinese.
// Handlers never hard-code text: they ask the catalogue by key, so a
// language can be checked for completeness by a test.
type Catalog struct {
	localizers map[Locale]*i18n.Localizer
	keys       map[Locale]map[string]bool
}

// LoadCatalog reads the embedded message files (locales/<part>.<lang>.yaml).
func LoadCatalog() (*Catalog, error) {
	bundle := i18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	files, err := fs.Glob(localeFiles, "locales/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list message files: %w", err)
	}
	c := &Catalog{localizers: map[Locale]*i18n.Localizer{}, keys: map[Locale]map[string]bool{}}
	for _, f := range files {
		mf, err := bundle.LoadMessageFileFS(localeFiles, f)
		if err != nil {
			return nil, fmt.Errorf("load message file %s: %w", f, err)
		}
		loc := fileLocale(f)
		if c.keys[loc] == nil {
			c.keys[loc] = map[string]bool{}
		}
		for _, m := range mf.Messages {
			c.keys[loc][m.ID] = true
		}
	}
	c.localizers[English] = i18n.NewLocalizer(bundle, "en")
	c.localizers[Chinese] = i18n.NewLocalizer(bundle, "zh")
	return c, nil
}

func fileLocale(name string) Locale {
	base := strings.TrimSuffix(path.Base(name), ".yaml")
	return Locale(base[strings.LastIndex(base, ".")+1:])
}

// T returns the message key in locale l, filled with data. An unknown key
// comes back as the key itself, which the completeness test catches.
func (c *Catalog) T(l Locale, key string, data map[string]any) string {
	lz, ok := c.localizers[l]
	if !ok {
		lz = c.localizers[English]
	}
	s, err := lz.Localize(&i18n.LocalizeConfig{MessageID: key, TemplateData: data})
	if err != nil {
		return key
	}
	return s
}

// Keys returns the message ids defined for a locale, for completeness checks.
func (c *Catalog) Keys(l Locale) map[string]bool { return c.keys[l] }
