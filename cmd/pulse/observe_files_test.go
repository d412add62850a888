package main

import (
	"context"
	"errors"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/pulse-bot/pulse/bot"
)

type fileRecorder struct{ files []string }

func (r *fileRecorder) Send(context.Context, bot.Address, bot.Message, string) (bot.MessageRef, error) {
	return bot.MessageRef{}, nil
}

func (r *fileRecorder) SendFile(_ context.Context, _ bot.Address, f bot.File, key string) (bot.MessageRef, error) {
	r.files = append(r.files, f.Name+"@"+key)
	return bot.MessageRef{ID: key}, nil
}

type textOnly struct{}

func (textOnly) Send(context.Context, bot.Address, bot.Message, string) (bot.MessageRef, error) {
	return bot.MessageRef{}, nil
}

// The digest's chart passes through the metrics decorator to the platform,
// and is counted as an API call.
func TestObservedMessengerPassesFilesOn(t *testing.T) {
	m := newMetrics()
	rec := &fileRecorder{}
	o := &observedMessenger{next: rec, m: m, now: time.Now}
	to := bot.Address{Platform: bot.PlatformSlack, Channel: "C1"}
	if _, err := o.SendFile(context.Background(), to, bot.File{Name: "chart.png"}, "digest:file"); err != nil {
		t.Fatal(err)
	}
	if len(rec.files) != 1 || rec.files[0] != "chart.png@digest:file" {
		t.Fatalf("files = %v", rec.files)
	}
	var counted dto.Metric
	if err := m.apiCalls.WithLabelValues("slack", "ok").Write(&counted); err != nil || counted.GetCounter().GetValue() != 1 {
		t.Errorf("api calls counted %v (%v), want 1", counted.GetCounter().GetValue(), err)
	}
	plain := &observedMessenger{next: textOnly{}, m: m, now: time.Now}
	var nf *bot.NoFileSenderError
	if _, err := plain.SendFile(context.Background(), to, bot.File{Name: "x"}, "k"); !errors.As(err, &nf) {
		t.Errorf("err = %v, want NoFileSenderError", err)
	}
}
