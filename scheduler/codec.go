package scheduler

import (
	"encoding/json"
	"fmt"

	"github.com/pulse-bot/pulse/bot"
)

// A queue entry holds a bot.Delivery as JSON. bot.Message's blocks are an
// interface, which encoding/json cannot decode, so each block is written as
// an object with one field named after its kind.

type wireDelivery struct {
	bot.Delivery
	Msg    wireMessage
	Thread []wireMessage `json:",omitempty"`
}

type wireMessage struct {
	Title  string      `json:",omitempty"`
	Blocks []wireBlock `json:",omitempty"`
	Locale bot.Locale  `json:",omitempty"`
}

type wireBlock struct {
	Text     *bot.Text     `json:"text,omitempty"`
	Fields   *bot.Fields   `json:"fields,omitempty"`
	Progress *bot.Progress `json:"progress,omitempty"`
	Buttons  *bot.Buttons  `json:"buttons,omitempty"`
	Context  *bot.Context  `json:"context,omitempty"`
	Divider  *bot.Divider  `json:"divider,omitempty"`
	Input    *bot.Input    `json:"input,omitempty"`
}

func encodeDelivery(d bot.Delivery) ([]byte, error) {
	w := wireDelivery{Delivery: d}
	var err error
	if w.Msg, err = toWire(d.Msg); err != nil {
		return nil, fmt.Errorf("encode delivery %s: %w", d.Key, err)
	}
	for _, m := range d.Thread {
		wm, err := toWire(m)
		if err != nil {
			return nil, fmt.Errorf("encode delivery %s: %w", d.Key, err)
		}
		w.Thread = append(w.Thread, wm)
	}
	w.Delivery.Msg, w.Delivery.Thread = bot.Message{}, nil
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode delivery %s: %w", d.Key, err)
	}
	return b, nil
}

func decodeDelivery(b []byte) (bot.Delivery, error) {
	var w wireDelivery
	if err := json.Unmarshal(b, &w); err != nil {
		return bot.Delivery{}, fmt.Errorf("decode delivery: %w", err)
	}
	d := w.Delivery
	var err error
	if d.Msg, err = fromWire(w.Msg); err != nil {
		return bot.Delivery{}, fmt.Errorf("decode delivery %s: %w", d.Key, err)
	}
	for _, wm := range w.Thread {
		m, err := fromWire(wm)
		if err != nil {
			return bot.Delivery{}, fmt.Errorf("decode delivery %s: %w", d.Key, err)
		}
		d.Thread = append(d.Thread, m)
	}
	return d, nil
}

func toWire(m bot.Message) (wireMessage, error) {
	w := wireMessage{Title: m.Title, Locale: m.Locale}
	for _, b := range m.Blocks {
		var wb wireBlock
		switch v := b.(type) {
		case bot.Text:
			wb.Text = &v
		case bot.Fields:
			wb.Fields = &v
		case bot.Progress:
			wb.Progress = &v
		case bot.Buttons:
			wb.Buttons = &v
		case bot.Context:
			wb.Context = &v
		case bot.Divider:
			wb.Divider = &v
		case bot.Input:
			wb.Input = &v
		default:
			return wireMessage{}, fmt.Errorf("block type %T has no queue encoding", b)
		}
		w.Blocks = append(w.Blocks, wb)
	}
	return w, nil
}

func fromWire(w wireMessage) (bot.Message, error) {
	m := bot.Message{Title: w.Title, Locale: w.Locale}
	for i, wb := range w.Blocks {
		var b bot.Block
		switch {
		case wb.Text != nil:
			b = *wb.Text
		case wb.Fields != nil:
			b = *wb.Fields
		case wb.Progress != nil:
			b = *wb.Progress
		case wb.Buttons != nil:
			b = *wb.Buttons
		case wb.Context != nil:
			b = *wb.Context
		case wb.Divider != nil:
			b = *wb.Divider
		case wb.Input != nil:
			b = *wb.Input
		default:
			return bot.Message{}, fmt.Errorf("block %d has no known kind", i)
		}
		m.Blocks = append(m.Blocks, b)
	}
	return m, nil
}
