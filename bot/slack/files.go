package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/pulse-bot/pulse/bot"
)

var _ bot.FileSender = (*Adapter)(nil)

// SendFile shares f in a channel, or in a person's DM (to.User), under
// to.Thread when set. It implements bot.FileSender, so the digest's chart
// reaches the team channel. With a key, a file already shared returns the
// earlier reference instead of uploading again. The reference's ID is the
// file id: Slack shares the file asynchronously and names no message.
func (a *Adapter) SendFile(ctx context.Context, to bot.Address, f bot.File, key string) (bot.MessageRef, error) {
	if key != "" {
		if raw, ok, err := a.cache.CacheGet(ctx, "slack:sent:"+key); err == nil && ok {
			if ch, id, found := strings.Cut(raw, "|"); found {
				return bot.MessageRef{Platform: bot.PlatformSlack, Channel: ch, ID: id}, nil
			}
		}
	}
	channel := to.Channel
	if to.User != "" {
		var err error
		if channel, err = a.dmChannel(ctx, to.User); err != nil {
			return bot.MessageRef{}, fmt.Errorf("slack file %s to %s: %w", f.Name, to.User, err)
		}
	}
	if channel == "" {
		return bot.MessageRef{}, fmt.Errorf("slack file %s: address has neither user nor channel", f.Name)
	}
	id, err := a.upload(ctx, channel, to.Thread, f.Name, f.Data)
	if err != nil {
		return bot.MessageRef{}, err
	}
	if key != "" {
		if err := a.cache.CacheSet(ctx, "slack:sent:"+key, channel+"|"+id, sentTTL); err != nil {
			a.log.Warn().Err(err).Str("key", key).Msg("slack sent-key cache write failed")
		}
	}
	return bot.MessageRef{Platform: bot.PlatformSlack, Channel: channel, ID: id}, nil
}

// UploadFile shares a file (a scorecard chart, an export) in a channel with
// Slack's external upload flow: files.getUploadURLExternal, the upload
// itself, then files.completeUploadExternal (files.upload is retired).
func (a *Adapter) UploadFile(ctx context.Context, channel, filename string, data []byte) error {
	_, err := a.upload(ctx, channel, "", filename, data)
	return err
}

// upload runs the external upload flow into channel (and thread) and
// returns the file id. A rate limit on any step retries the whole flow.
func (a *Adapter) upload(ctx context.Context, channel, thread, filename string, data []byte) (string, error) {
	if len(data) == 0 {
		return "", fmt.Errorf("slack upload %s: empty file", filename)
	}
	var id string
	err := a.call(ctx, "files.uploadExternal", func(ctx context.Context) error {
		fs, err := a.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Filename:        filename,
			Title:           filename,
			FileSize:        len(data),
			Reader:          bytes.NewReader(data),
			Channel:         channel,
			ThreadTimestamp: thread,
		})
		if err == nil && fs != nil {
			id = fs.ID
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("slack upload %s to %s: %w", filename, channel, err)
	}
	return id, nil
}

// sendResponseFile shares a Response's file with the asker. Files cannot be
// ephemeral, so only a public reply's file goes where the command was
// typed; a private one goes to the asker's DM (a direct chat already is
// one). When the bot may not post in the channel (a slash command works in
// channels the bot was never invited to), the file goes to the DM instead.
// Failures are logged with the event key, as replies' are.
func (a *Adapter) sendResponseFile(ctx context.Context, t target, resp bot.Response) error {
	dm := bot.Address{Platform: bot.PlatformSlack, User: bot.NewUserID(bot.PlatformSlack, a.self().TeamID, t.user)}
	to := dm
	if t.channel != "" && (t.direct || resp.Visibility == bot.Public) {
		to = bot.Address{Platform: bot.PlatformSlack, Channel: t.channel, Thread: t.thread}
	}
	key := t.key + ":file"
	_, err := a.SendFile(ctx, to, *resp.File, key)
	if err != nil && to.Channel != "" && !t.direct && notInChannel(err) {
		a.log.Warn().Err(err).Str("event_key", t.key).Msg("slack file cannot go to the channel; sending it to the DM")
		_, err = a.SendFile(ctx, dm, *resp.File, key)
	}
	return err
}

// notInChannel reports whether Slack refused a share because the bot is
// not in the channel (or cannot see it).
func notInChannel(err error) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && (se.Err == "not_in_channel" || se.Err == "channel_not_found")
}
