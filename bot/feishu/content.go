package feishu

import (
	"encoding/json"
	"strconv"
	"strings"
)

// decoded is what Pulse reads from a received message's content.
type decoded struct {
	// Text is the message as one string; people are "@_user_N" placeholders
	// that resolveMentions turns into Mention tokens.
	Text string
	// Mentions adds placeholders for people a rich-text message names by
	// open_id in the at element itself, rather than through the event's
	// mentions list.
	Mentions []mention
	// NotText marks a message with no words to read: an image, a file, a
	// sticker, audio or video.
	NotText bool
}

// Message types (https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content).
const (
	msgText        = "text"
	msgPost        = "post"
	msgInteractive = "interactive"
)

// decodeContent reads a text or post (rich text) message, and marks the
// media types as NotText; ok is false for every other type (cards, shared
// chats, system messages…) and for content that is not the JSON its type
// promises.
func decodeContent(msgType, content string) (decoded, bool) {
	switch msgType {
	case "image", "file", "sticker", "audio", "media":
		return decoded{NotText: true}, true
	case msgText:
		var c struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal([]byte(content), &c); err != nil {
			return decoded{}, false
		}
		return decoded{Text: c.Text}, true
	case msgPost:
		p, ok := parsePost(content)
		if !ok {
			return decoded{}, false
		}
		return p.decode(), true
	}
	return decoded{}, false
}

// post is a rich-text message body: a title and paragraphs of elements.
type post struct {
	Title   string          `json:"title"`
	Content [][]postElement `json:"content"`
}

// postElement is one element of a paragraph. Pulse reads the text of text,
// a (links), md, code_block and at elements; images, media, emotions and
// rules carry no words.
type postElement struct {
	Tag      string `json:"tag"`
	Text     string `json:"text"`
	Href     string `json:"href"`
	UserID   string `json:"user_id"`
	OpenID   string `json:"open_id"`
	UserName string `json:"user_name"`
}

// parsePost accepts the shapes a post arrives in: the receive event's
// {"title","content"}; the same wrapped in its language
// ({"zh_cn": {...}}, as sent through im/v1/messages and shown in the
// documentation's examples); and that wrapped once more in {"post": …}, the
// custom-bot shape. Of several languages the first with content wins, in
// the order zh_cn, en_us, ja_jp, then any other.
func parsePost(content string) (post, bool) {
	var direct post
	if err := json.Unmarshal([]byte(content), &direct); err == nil && len(direct.Content) > 0 {
		return direct, true
	}
	var wrapped map[string]json.RawMessage
	if err := json.Unmarshal([]byte(content), &wrapped); err != nil {
		return post{}, false
	}
	if inner, ok := wrapped["post"]; ok {
		return parsePost(string(inner))
	}
	langs := []string{"zh_cn", "en_us", "ja_jp"}
	for lang := range wrapped {
		if lang != "zh_cn" && lang != "en_us" && lang != "ja_jp" {
			langs = append(langs, lang)
		}
	}
	for _, lang := range langs {
		var p post
		if raw, ok := wrapped[lang]; ok && json.Unmarshal(raw, &p) == nil && (len(p.Content) > 0 || p.Title != "") {
			return p, true
		}
	}
	return direct, true
}

// decode writes the post as lines of text. The title is read only when
// the body is empty, so a title above an update ("周报") does not become
// its first word. A post of pictures or videos and no words is NotText,
// like an image message.
func (p post) decode() decoded {
	var d decoded
	lines := make([]string, 0, len(p.Content))
	media := false
	for _, para := range p.Content {
		var b strings.Builder
		for _, el := range para {
			b.WriteString(d.element(el))
			media = media || el.Tag == "img" || el.Tag == "media"
		}
		lines = append(lines, b.String())
	}
	d.Text = strings.TrimSpace(strings.Join(lines, "\n"))
	if d.Text == "" {
		d.Text = strings.TrimSpace(p.Title)
	}
	d.NotText = d.Text == "" && media
	return d
}

// element is the text of one post element.
func (d *decoded) element(el postElement) string {
	switch el.Tag {
	case "text", "md", "code_block":
		return el.Text
	case "a":
		if el.Text != "" {
			return el.Text
		}
		return el.Href
	case "at":
		return d.at(el)
	}
	return ""
}

// at reads a mention: "@_user_N" is the event's placeholder; "all" is
// @everyone, kept as text the core escapes; an open_id (in user_id or
// open_id) becomes a placeholder of its own; anything else (a user_id
// Pulse cannot map to an open_id) is kept as the name typed, which the
// core answers with "mention them so the name turns into a link".
func (d *decoded) at(el postElement) string {
	id := el.UserID
	switch {
	case strings.HasPrefix(id, "@_"):
		return id
	case id == "all" || el.OpenID == "all":
		return "@all"
	}
	openID := el.OpenID
	if openID == "" && strings.HasPrefix(id, "ou_") {
		openID = id
	}
	if openID != "" {
		key := "@_pulse_at_" + strconv.Itoa(len(d.Mentions)+1)
		d.Mentions = append(d.Mentions, mention{Key: key, ID: userIDs{OpenID: openID}, Name: el.UserName})
		return " " + key + " "
	}
	if el.UserName != "" {
		return "@" + el.UserName
	}
	return ""
}
