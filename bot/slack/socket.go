package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// runSocketMode holds a Socket Mode connection until ctx ends. slack-go
// reconnects on its own; every envelope is queued in the inbox, then
// acknowledged (slash commands and modal submissions with their answer
// when it comes in time), exactly as over HTTP. A refused app token ends it with one clear line.
func (a *Adapter) runSocketMode(ctx context.Context) error {
	client := socketmode.New(a.api)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- client.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-done
			return nil
		case err := <-done:
			a.connected.Store(false)
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return fmt.Errorf("Socket Mode stopped, check SLACK_APP_TOKEN (%s)", authReason(err))
		case evt := <-client.Events:
			a.socketEvent(ctx, client, evt)
		}
	}
}

func (a *Adapter) socketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.connected.Store(false)
	case socketmode.EventTypeConnected:
		a.connected.Store(true)
		a.log.Info().Msg("slack socket mode connected")
	case socketmode.EventTypeConnectionError:
		a.connected.Store(false)
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			a.log.Warn().Err(ce.ErrorObj).Msg("slack socket mode connection failed; retrying")
		}
	case socketmode.EventTypeDisconnect:
		a.connected.Store(false)
	case socketmode.EventTypeEventsAPI:
		a.socketEventsAPI(ctx, client, evt.Request)
	case socketmode.EventTypeSlashCommand:
		a.socketCommand(ctx, client, evt.Request)
	case socketmode.EventTypeInteractive:
		a.socketInteraction(ctx, client, evt.Request)
	}
}

func (a *Adapter) socketEventsAPI(ctx context.Context, client *socketmode.Client, req *socketmode.Request) {
	if req == nil {
		return
	}
	var env envelope
	if err := json.Unmarshal(req.Payload, &env); err != nil {
		a.log.Warn().Err(err).Msg("slack socket event payload is not JSON")
		a.ack(client, req, nil)
		return
	}
	// Queue, then acknowledge: an envelope that could not be queued is
	// left unacknowledged, so Slack delivers it again. Each runs on its own
	// goroutine (bounded by bot.EnqueueWait) so the socket keeps reading.
	key := a.eventKey(env)
	if key == "" {
		a.ack(client, req, nil)
		return
	}
	stored, err := json.Marshal(env)
	if err != nil {
		a.ack(client, req, nil)
		return
	}
	a.goHeldNoSem(func(context.Context) {
		if _, err := a.queue(ctx, key, kindEvent, stored); err != nil {
			a.refused(err, key)
			return
		}
		a.ack(client, req, nil)
	})
}

func (a *Adapter) socketCommand(ctx context.Context, client *socketmode.Client, req *socketmode.Request) {
	if req == nil {
		return
	}
	var sc slack.SlashCommand
	if err := json.Unmarshal(req.Payload, &sc); err != nil {
		a.log.Warn().Err(err).Msg("slack socket command payload is not JSON")
		a.ack(client, req, nil)
		return
	}
	// Each command waits for its handler up to the reply deadline; do not
	// hold up the envelopes behind it.
	a.goHeldNoSem(func(context.Context) { a.ack(client, req, a.slashCommand(ctx, sc)) })
}

func (a *Adapter) socketInteraction(ctx context.Context, client *socketmode.Client, req *socketmode.Request) {
	if req == nil {
		return
	}
	var p interaction
	if err := json.Unmarshal(req.Payload, &p); err != nil {
		a.log.Warn().Err(err).Msg("slack socket interaction payload is not JSON")
		a.ack(client, req, nil)
		return
	}
	a.goHeldNoSem(func(context.Context) {
		ack, err := a.interact(ctx, p)
		if err != nil {
			return // not queued: left unacknowledged, Slack tells the person it failed
		}
		a.ack(client, req, ack)
	})
}

func (a *Adapter) ack(client *socketmode.Client, req *socketmode.Request, payload any) {
	var err error
	if payload == nil {
		err = client.Ack(*req)
	} else {
		err = client.Ack(*req, payload)
	}
	if err != nil {
		a.log.Warn().Err(err).Str("envelope", req.EnvelopeID).Msg("slack socket ack failed")
	}
}
