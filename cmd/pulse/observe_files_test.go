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

type retractRecorder struct {
	textOnly
	refs []string
}

func (r *retractRecorder) Retract(_ context.Context, ref bot.MessageRef) error {
	r.refs = append(r.refs, ref.Channel+"/"+ref.ID)
	return nil
}

// TestObservedMessengerPassesRetractOn: `pulse serve` hands the service the
// metrics decorator, so /kudos undo can take back the DM and channel post
// only if the decorator is a bot.Retractor too.
func TestObservedMessengerPassesRetractOn(t *testing.T) {
	m := newMetrics()
	rec := &retractRecorder{}
	var msgr bot.Messenger = &observedMessenger{next: rec, m: m, now: time.Now}
	rt, ok := msgr.(bot.Retractor)
	if !ok {
		t.Fatal("the metrics decorator is not a bot.Retractor: /kudos undo takes nothing back under pulse serve")
	}
	if err := rt.Retract(context.Background(), bot.MessageRef{Platform: bot.PlatformSlack, Channel: "C1", ID: "1.2"}); err != nil {
		t.Fatal(err)
	}
	if len(rec.refs) != 1 || rec.refs[0] != "C1/1.2" {
		t.Fatalf("retracted %v", rec.refs)
	}
	plain := &observedMessenger{next: textOnly{}, m: m, now: time.Now}
	var nr *bot.NoRetractorError
	if err := plain.Retract(context.Background(), bot.MessageRef{Platform: bot.PlatformSlack, ID: "1"}); !errors.As(err, &nr) {
		t.Errorf("err = %v, want NoRetractorError", err)
	}
}
