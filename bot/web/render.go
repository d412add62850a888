package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// pageNames are the page templates; each is parsed with layout.html.
var pageNames = []string{"signin", "status", "my", "team", "company", "reviews"}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"pct":     func(v float64) string { return fmt.Sprintf("%.0f%%", v) },
		"message": viewOf,
	}
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).
			ParseFS(templateFiles, "templates/layout.html", "templates/message.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse web page %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// pageData is what every page template gets.
type pageData struct {
	cat    *bot.Catalog
	zone   *time.Location
	Locale bot.Locale
	Title  string
	// Nav is empty on pages shown before sign-in.
	Nav  []navLink
	CSRF string
	// Token is the sign-in token on the sign-in page.
	Token string
	// Status is the one sentence of a status page.
	Status string
	Page   any
}

// T translates key with pairs of name and value: {{.T "web_x" "Team" .Name}}.
func (d pageData) T(key string, kv ...any) string {
	var data map[string]any
	if len(kv) > 1 {
		data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			data[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	return d.cat.T(d.Locale, key, data)
}

// Date is a day in the viewer's zone, as chat shows dates.
func (d pageData) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	zone := d.zone
	if zone == nil {
		zone = time.UTC
	}
	return t.In(zone).Format("2006-01-02")
}

// Time is a moment in the viewer's zone.
func (d pageData) Time(t time.Time) string {
	zone := d.zone
	if zone == nil {
		zone = time.UTC
	}
	return t.In(zone).Format("2006-01-02 15:04 MST")
}

type navLink struct {
	Href, Label string
	Current     bool
}

// tr translates a key of the catalogue.
func (s *Server) tr(l bot.Locale, key string, data map[string]any) string {
	return s.svc.Catalog().T(l, key, data)
}

// render executes a page into a buffer first, so a template error never
// leaves half a page behind.
func (s *Server) render(w http.ResponseWriter, name string, status int, d pageData) {
	d.cat = s.svc.Catalog()
	var buf bytes.Buffer
	if err := s.pages[name].Execute(&buf, d); err != nil {
		s.log.Error().Err(err).Str("page", name).Msg("render web page")
		http.Error(w, s.tr(d.Locale, "error_internal", nil), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderStatus answers with a page of one translated sentence.
func (s *Server) renderStatus(w http.ResponseWriter, l bot.Locale, status int, key string) {
	s.render(w, "status", status, pageData{Locale: l, Title: s.tr(l, "web_title", nil), Status: s.tr(l, key, nil)})
}

// fail answers a request that could not be served: a refusal from the
// core in its own words (403), anything else as an internal error.
func (s *Server) fail(w http.ResponseWriter, l bot.Locale, err error) {
	if text, ok := s.svc.Refusal(l, err); ok {
		s.render(w, "status", http.StatusForbidden, pageData{Locale: l, Title: s.tr(l, "web_title", nil), Status: text})
		return
	}
	s.log.Error().Err(err).Msg("web page")
	s.renderStatus(w, l, http.StatusInternalServerError, "error_internal")
}

// messageView is a core Message prepared for the message template: the
// blocks a page can show, each with its kind.
type messageView struct {
	Title  string
	Blocks []blockView
}

type blockView struct {
	Kind     string
	Text     string
	Lines    []string
	Fields   []bot.Field
	Progress bot.Progress
}

// viewOf turns a core Message into HTML-ready parts; the template escapes
// every string. Buttons and form inputs are chat-only and left out.
func viewOf(m bot.Message) messageView {
	v := messageView{Title: m.Title}
	for _, b := range m.Blocks {
		switch b := b.(type) {
		case bot.Text:
			v.Blocks = append(v.Blocks, blockView{Kind: "text", Lines: strings.Split(b.Text, "\n")})
		case bot.Context:
			v.Blocks = append(v.Blocks, blockView{Kind: "context", Text: b.Text})
		case bot.Fields:
			v.Blocks = append(v.Blocks, blockView{Kind: "fields", Fields: b})
		case bot.Progress:
			v.Blocks = append(v.Blocks, blockView{Kind: "progress", Progress: b})
		case bot.Divider:
			v.Blocks = append(v.Blocks, blockView{Kind: "divider"})
		}
	}
	return v
}
