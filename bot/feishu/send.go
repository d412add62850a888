package feishu

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkcontact "github.com/larksuite/oapi-sdk-go/v3/service/contact/v3"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"github.com/pulse-bot/pulse/bot"
)

// Feishu's rate-limit answers: the gateway's 429 (code 99991400) and the
// per-chat send limit (230020). Neither is a Go error from the SDK.
const (
	codeRateLimited     = 99991400
	codeChatRateLimited = 230020
	// defaultRetryWait is used when Feishu does not say when to come back.
	defaultRetryWait = time.Second
	maxRetryWait     = time.Minute
)

// reactionEmoji maps the core's neutral reaction names to Feishu emoji types.
var reactionEmoji = map[string]string{"check": "DONE"}

// Send posts msg as a card: into a thread under to.Thread, to a person's
// direct chat by open_id (to.User), or to a chat by chat_id (to.Channel).
// key becomes Feishu's uuid, so a retried send posts once.
func (a *Adapter) Send(ctx context.Context, to bot.Address, msg bot.Message, key string) (bot.MessageRef, error) {
	return a.deliver(ctx, to, msg, key, true)
}

// deliver is Send with a choice for replies: inThread opens (or joins) a
// thread under to.Thread; otherwise the reply quotes it in the chat.
func (a *Adapter) deliver(ctx context.Context, to bot.Address, msg bot.Message, key string, inThread bool) (bot.MessageRef, error) {
	content, err := cardJSON(msg, a.catalog)
	if err != nil {
		return bot.MessageRef{}, err
	}
	return a.post(ctx, to, "interactive", content, key, inThread)
}

// post sends one message of any type (a card, an image, a file) to the
// address, the way deliver describes.
func (a *Adapter) post(ctx context.Context, to bot.Address, msgType, content, key string, inThread bool) (bot.MessageRef, error) {
	var err error
	uuid := idempotencyUUID(key)
	var data *larkim.CreateMessageRespData
	switch {
	case to.Thread != "":
		body := larkim.NewReplyMessageReqBodyBuilder().MsgType(msgType).Content(content).ReplyInThread(inThread)
		if uuid != "" {
			body.Uuid(uuid)
		}
		req := larkim.NewReplyMessageReqBuilder().MessageId(to.Thread).Body(body.Build()).Build()
		var resp *larkim.ReplyMessageResp
		err = a.retry(ctx, "reply to "+to.Thread, func() (*larkcore.ApiResp, larkcore.CodeError, error) {
			resp, err = a.im.Message.Reply(ctx, req)
			return apiResult(resp, err, func() (*larkcore.ApiResp, larkcore.CodeError) { return resp.ApiResp, resp.CodeError })
		})
		if err == nil && resp.Data != nil {
			data = &larkim.CreateMessageRespData{MessageId: resp.Data.MessageId, ChatId: resp.Data.ChatId}
		}
	case to.User != "" || to.Channel != "":
		idType, id := "chat_id", to.Channel
		if to.User != "" {
			idType, id = "open_id", to.User.Local()
		}
		body := larkim.NewCreateMessageReqBodyBuilder().ReceiveId(id).MsgType(msgType).Content(content)
		if uuid != "" {
			body.Uuid(uuid)
		}
		req := larkim.NewCreateMessageReqBuilder().ReceiveIdType(idType).Body(body.Build()).Build()
		var resp *larkim.CreateMessageResp
		err = a.retry(ctx, "send to "+idType+" "+id, func() (*larkcore.ApiResp, larkcore.CodeError, error) {
			resp, err = a.im.Message.Create(ctx, req)
			return apiResult(resp, err, func() (*larkcore.ApiResp, larkcore.CodeError) { return resp.ApiResp, resp.CodeError })
		})
		if err == nil {
			data = resp.Data
		}
	default:
		return bot.MessageRef{}, errors.New("feishu send: the address has no user, channel or thread")
	}
	if err != nil {
		return bot.MessageRef{}, fmt.Errorf("feishu send: %w", err)
	}
	ref := bot.MessageRef{Platform: bot.PlatformFeishu, Channel: to.Channel}
	if data != nil {
		ref.ID = deref(data.MessageId)
		if c := deref(data.ChatId); c != "" {
			ref.Channel = c
		}
	}
	return ref, nil
}

// idempotencyUUID turns a send key into Feishu's uuid (at most 50
// characters; Feishu drops a repeated uuid within an hour).
func idempotencyUUID(key string) string {
	if key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(key))
	return "pulse-" + hex.EncodeToString(sum[:])[:40]
}

// react puts the core's reaction on a message.
func (a *Adapter) react(ctx context.Context, messageID, reaction string) error {
	emoji, ok := reactionEmoji[reaction]
	if !ok {
		emoji = "OK"
	}
	req := larkim.NewCreateMessageReactionReqBuilder().MessageId(messageID).
		Body(larkim.NewCreateMessageReactionReqBodyBuilder().
			ReactionType(larkim.NewEmojiBuilder().EmojiType(emoji).Build()).Build()).Build()
	var resp *larkim.CreateMessageReactionResp
	err := a.retry(ctx, "react to "+messageID, func() (*larkcore.ApiResp, larkcore.CodeError, error) {
		var err error
		resp, err = a.im.MessageReaction.Create(ctx, req)
		return apiResult(resp, err, func() (*larkcore.ApiResp, larkcore.CodeError) { return resp.ApiResp, resp.CodeError })
	})
	if err != nil {
		return fmt.Errorf("feishu reaction: %w", err)
	}
	return nil
}

// UploadImage uploads a PNG (the scorecard chart) and returns its image_key.
func (a *Adapter) UploadImage(ctx context.Context, png []byte) (string, error) {
	var resp *larkim.CreateImageResp
	err := a.retry(ctx, "upload image", func() (*larkcore.ApiResp, larkcore.CodeError, error) {
		// A fresh reader per attempt: a retried upload sends the whole image again.
		req := larkim.NewCreateImageReqBuilder().Body(larkim.NewCreateImageReqBodyBuilder().
			ImageType("message").Image(bytes.NewReader(png)).Build()).Build()
		var err error
		resp, err = a.im.Image.Create(ctx, req)
		return apiResult(resp, err, func() (*larkcore.ApiResp, larkcore.CodeError) { return resp.ApiResp, resp.CodeError })
	})
	if err != nil {
		return "", fmt.Errorf("feishu upload image: %w", err)
	}
	if resp.Data == nil || deref(resp.Data.ImageKey) == "" {
		return "", errors.New("feishu upload image: no image_key in the answer")
	}
	return deref(resp.Data.ImageKey), nil
}

// apiResult unpacks an SDK response for retry; parts is only called when
// the response is not nil.
func apiResult[T any](resp *T, err error, parts func() (*larkcore.ApiResp, larkcore.CodeError)) (*larkcore.ApiResp, larkcore.CodeError, error) {
	if err != nil {
		return nil, larkcore.CodeError{}, err
	}
	if resp == nil {
		return nil, larkcore.CodeError{}, errors.New("empty response")
	}
	raw, ce := parts()
	return raw, ce, nil
}

// retry calls do until Feishu accepts it. A rate-limited answer (HTTP 429,
// code 99991400 or 230020) waits until x-ogw-ratelimit-reset and tries again
// with the same request, so the same uuid; any other failure is returned.
// The SDK reports these as successful calls with a code, so the code is
// checked here for every call.
func (a *Adapter) retry(ctx context.Context, what string, do func() (*larkcore.ApiResp, larkcore.CodeError, error)) error {
	for attempt := 1; ; attempt++ {
		raw, ce, err := do()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if ce.Code == 0 && (raw == nil || raw.StatusCode < 300) {
			return nil
		}
		limited := ce.Code == codeRateLimited || ce.Code == codeChatRateLimited ||
			(raw != nil && raw.StatusCode == http.StatusTooManyRequests)
		if !limited {
			return fmt.Errorf("%s: code %d: %s", what, ce.Code, ce.Msg)
		}
		if attempt == maxSendAttempts {
			return &RateLimitError{Call: what, Code: ce.Code, Wait: retryAfter(raw)}
		}
		d := retryAfter(raw)
		a.log.Warn().Str("call", what).Int("code", ce.Code).Dur("wait", d).Int("attempt", attempt).Msg("feishu rate limit; retrying")
		if err := a.wait(ctx, d); err != nil {
			return fmt.Errorf("%s: waiting out the rate limit: %w", what, err)
		}
	}
}

// RateLimitError says Feishu still refused a call for its rate limit after
// the adapter's own retries. RetryAfter lets the scheduler's shared limiter
// hold every replica's sends for as long as Feishu asked.
type RateLimitError struct {
	Call string
	Code int
	Wait time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%s: rate limited (code %d), retry after %s", e.Call, e.Code, e.Wait)
}

// RetryAfter is how long Feishu asked to wait.
func (e *RateLimitError) RetryAfter() time.Duration { return e.Wait }

// retryAfter reads x-ogw-ratelimit-reset, the seconds until the limit resets.
func retryAfter(raw *larkcore.ApiResp) time.Duration {
	if raw == nil {
		return defaultRetryWait
	}
	secs, err := strconv.Atoi(raw.Header.Get("x-ogw-ratelimit-reset"))
	if err != nil || secs <= 0 {
		return defaultRetryWait
	}
	d := time.Duration(secs) * time.Second
	if d > maxRetryWait {
		d = maxRetryWait
	}
	return d
}

// profile returns what Feishu's contact API says about a person, cached.
// A failed lookup (say, the app lacks the contact scope) does not stop the
// event: the person gets fallbackName. The contact API tells no language,
// so Locale stays empty and the core falls back to the team's language and
// then to Chinese, Feishu's default.
func (a *Adapter) profile(ctx context.Context, user bot.UserID, fallbackName string) bot.Profile {
	key := "feishu:profile:" + string(user)
	if s, ok, err := a.cfg.Cache.CacheGet(ctx, key); err == nil && ok {
		var p bot.Profile
		if json.Unmarshal([]byte(s), &p) == nil {
			return p
		}
	}
	p := bot.Profile{Name: fallbackName}
	ttl := profileTTL
	req := larkcontact.NewGetUserReqBuilder().UserId(user.Local()).UserIdType("open_id").Build()
	resp, err := a.contact.User.Get(ctx, req)
	switch {
	case err != nil:
		a.log.Warn().Err(err).Str("user", string(user)).Msg("feishu contact lookup failed")
		ttl = 10 * time.Minute
	case !resp.Success():
		a.log.Warn().Int("code", resp.Code).Str("msg", resp.Msg).Str("user", string(user)).Msg("feishu contact lookup refused")
		ttl = 10 * time.Minute
	case resp.Data != nil && resp.Data.User != nil:
		u := resp.Data.User
		if n := deref(u.Name); n != "" {
			p.Name = n
		}
		p.TimeZone = deref(u.TimeZone)
	}
	if b, err := json.Marshal(p); err == nil {
		if err := a.cfg.Cache.CacheSet(ctx, key, string(b), ttl); err != nil {
			a.log.Warn().Err(err).Msg("feishu profile not cached")
		}
	}
	return p
}

// ensureBotOpenID returns the bot's own open_id from bot/v3/info, fetched
// once; mentions of it mark a group message as a command.
func (a *Adapter) ensureBotOpenID(ctx context.Context) (string, error) {
	a.mu.Lock()
	id := a.botOpenID
	a.mu.Unlock()
	if id != "" {
		return id, nil
	}
	raw, err := larkcore.Request(ctx, &larkcore.ApiReq{
		HttpMethod:                http.MethodGet,
		ApiPath:                   "/open-apis/bot/v3/info",
		SupportedAccessTokenTypes: []larkcore.AccessTokenType{larkcore.AccessTokenTypeTenant},
	}, a.sdk)
	if err != nil {
		return "", fmt.Errorf("feishu: fetch bot info from %s: %w (check FEISHU_APP_ID, FEISHU_APP_SECRET and FEISHU_BASE_URL)", a.cfg.BaseURL, err)
	}
	var body struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
		Bot  struct {
			OpenID  string `json:"open_id"`
			AppName string `json:"app_name"`
		} `json:"bot"`
	}
	if err := json.Unmarshal(raw.RawBody, &body); err != nil {
		return "", fmt.Errorf("feishu: read bot info: %w", err)
	}
	if body.Code != 0 || body.Bot.OpenID == "" {
		return "", fmt.Errorf("feishu: bot info refused (code %d: %s): enable the bot capability for the app", body.Code, body.Msg)
	}
	a.mu.Lock()
	a.botOpenID = body.Bot.OpenID
	a.mu.Unlock()
	a.log.Info().Str("bot", body.Bot.AppName).Msg("feishu bot identified")
	return body.Bot.OpenID, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Retract recalls a message Pulse sent (DELETE /im/v1/messages/:id), such
// as the kudos DM and group post of an undone kudos.
func (a *Adapter) Retract(ctx context.Context, ref bot.MessageRef) error {
	req := larkim.NewDeleteMessageReqBuilder().MessageId(ref.ID).Build()
	err := a.retry(ctx, "recall "+ref.ID, func() (*larkcore.ApiResp, larkcore.CodeError, error) {
		resp, err := a.im.Message.Delete(ctx, req)
		return apiResult(resp, err, func() (*larkcore.ApiResp, larkcore.CodeError) { return resp.ApiResp, resp.CodeError })
	})
	if err != nil {
		return fmt.Errorf("feishu recall %s: %w", ref.ID, err)
	}
	return nil
}
