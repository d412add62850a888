// Package bottest holds the test doubles every package of Pulse shares,
// like go-joe's joetest: a Handler that records the events an adapter
// hands the core, and a Messenger that records what the core sends, so
// tests assert on what crossed the boundary instead of keeping copies.
package bottest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/pulse-bot/pulse/bot"
)

// Handler is a bot.Handler that records every event and answers with
// Respond (an empty Response when Respond is nil).
type Handler struct {
	Respond func(ev bot.Event) (bot.Response, error)
	// Gate, when set, blocks Handle until it is closed or the context ends
	// (a slow core).
	Gate chan struct{}

	mu     sync.Mutex
	events []bot.Event
}

// Handle records ev and answers it.
func (h *Handler) Handle(ctx context.Context, ev bot.Event) (bot.Response, error) {
	if h.Gate != nil {
		select {
		case <-h.Gate:
		case <-ctx.Done():
			return bot.Response{}, ctx.Err()
		}
	}
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
	if h.Respond == nil {
		return bot.Response{}, nil
	}
	return h.Respond(ev)
}

// Events returns a copy of the events handled so far, oldest first.
func (h *Handler) Events() []bot.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bot.Event(nil), h.events...)
}

// Sent is one message a Messenger was asked to send.
type Sent struct {
	To  bot.Address
	Msg bot.Message
	Key string
}

// SentFile is one file a Messenger was asked to send.
type SentFile struct {
	To   bot.Address
	File bot.File
	Key  string
}

// Messenger is a bot.Messenger that records every send. It sends no
// files; FileMessenger does.
type Messenger struct {
	mu        sync.Mutex
	sent      []Sent
	retracted []bot.MessageRef
}

// FileMessenger is a Messenger that also sends files (a bot.FileSender).
// FileErr, when set, fails SendFile.
type FileMessenger struct {
	Messenger
	FileErr error

	files []SentFile
}

var _ bot.FileSender = (*FileMessenger)(nil)

// Send records msg and returns a reference numbered in send order ("m1", "m2" …).
func (m *Messenger) Send(_ context.Context, to bot.Address, msg bot.Message, key string) (bot.MessageRef, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, Sent{To: to, Msg: msg, Key: key})
	return bot.MessageRef{Platform: to.Platform, Channel: to.Channel, ID: fmt.Sprintf("m%d", len(m.sent))}, nil
}

// Retract records that ref was taken back (Messenger is a bot.Retractor).
func (m *Messenger) Retract(_ context.Context, ref bot.MessageRef) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.retracted = append(m.retracted, ref)
	return nil
}

// Retracted returns the references taken back, in order.
func (m *Messenger) Retracted() []bot.MessageRef {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]bot.MessageRef(nil), m.retracted...)
}

// SendFile records f unless FileErr is set.
func (m *FileMessenger) SendFile(_ context.Context, to bot.Address, f bot.File, key string) (bot.MessageRef, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.FileErr != nil {
		return bot.MessageRef{}, m.FileErr
	}
	m.files = append(m.files, SentFile{To: to, File: f, Key: key})
	return bot.MessageRef{Platform: to.Platform, Channel: to.Channel, ID: fmt.Sprintf("f%d", len(m.files))}, nil
}

// Sent returns a copy of the messages sent so far, oldest first.
func (m *Messenger) Sent() []Sent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Sent(nil), m.sent...)
}

// Files returns a copy of the files sent so far, oldest first.
func (m *FileMessenger) Files() []SentFile {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]SentFile(nil), m.files...)
}

// To returns the messages sent to person id, oldest first.
func (m *Messenger) To(id bot.UserID) []Sent {
	var out []Sent
	for _, s := range m.Sent() {
		if s.To.User == id {
			out = append(out, s)
		}
	}
	return out
}

// LogBuffer is a log destination that the goroutines of an adapter, a
// server or a worker may write while a test reads it.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Line is the first line written that contains every one of parts, or "".
func (l *LogBuffer) Line(parts ...string) string {
	for _, line := range strings.Split(l.String(), "\n") {
		all := line != ""
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return line
		}
	}
	return ""
}
