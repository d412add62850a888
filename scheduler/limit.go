package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/scheduler/jobrun"
)

// RetryAfterError is implemented by errors that mean "rate limited, retry
// after D". Platform adapters' Send errors should implement it for Slack's
// HTTP 429 with Retry-After and Feishu's 99991400 / HTTP 429 with
// x-ogw-ratelimit-reset, so the limiter waits what the platform asks
// instead of guessing. errors.As finds it through wrapping.
type RetryAfterError interface {
	RetryAfter() time.Duration
}

// Limit is a platform's send rate, shared by every replica.
type Limit struct {
	// PerSecond is the sustained rate of the whole app; 0 means unlimited.
	PerSecond float64
	// Burst is how many sends may go at once after a quiet spell.
	Burst int
	// ConversationPerSecond limits one channel or direct chat; 0 means unlimited.
	ConversationPerSecond float64
	ConversationBurst     int
}

// DefaultLimits are the platforms' published limits, a little under them:
//
//   - Slack: chat.postMessage allows about one message per second per
//     channel with short bursts, under a workspace-wide limit that Slack does
//     not publish; Pulse sends 1/s per conversation (burst 3) and 10/s for
//     the app (burst 20). A 429's Retry-After corrects anything above that.
//   - Feishu: an app may call the send-message API 50 times per second and
//     1000 times per minute, and send 5 per second to one user or chat;
//     Pulse sends 16/s sustained (1000/min) with bursts of 50, 5/s per
//     conversation.
//   - Console: unlimited.
func DefaultLimits() map[bot.Platform]Limit {
	return map[bot.Platform]Limit{
		bot.PlatformSlack:  {PerSecond: 10, Burst: 20, ConversationPerSecond: 1, ConversationBurst: 3},
		bot.PlatformFeishu: {PerSecond: 16, Burst: 50, ConversationPerSecond: 5, ConversationBurst: 5},
	}
}

// SendPace is the shared, cross-replica pacing a Limiter takes its slots
// from; the store implements it on Redis.
type SendPace interface {
	// Take grants one send under scope if every rule allows it, or says how
	// long to wait before asking again.
	Take(ctx context.Context, scope string, now time.Time, rules ...jobrun.RateRule) (time.Duration, error)
	// Hold stops every send under scope until until (after a platform said
	// to slow down).
	Hold(ctx context.Context, scope string, now, until time.Time) error
}

// LimiterConfig is what a Limiter needs. Pace is required.
type LimiterConfig struct {
	Pace SendPace
	// Limits per platform; nil means DefaultLimits. A platform not listed is unlimited.
	Limits map[bot.Platform]Limit
	Clock  bot.Clock
	// After waits; default time.After.
	After func(time.Duration) <-chan time.Time
	Log   zerolog.Logger
	// MaxRetries bounds the retries of one send after rate-limit errors (default 5).
	MaxRetries int
	// Backoff is the least wait after a rate-limit error; it doubles per retry (default 1 s).
	Backoff time.Duration
}

// Limiter paces sends per platform across all replicas (Redis-backed) and
// retries sends the platform rate-limited. Wrap the messenger the core
// sends with, so every message — prompts, digests, thread replies,
// notices — goes through it.
type Limiter struct {
	rl  SendPace
	cfg LimiterConfig
	// turn lets one goroutine per platform at a time wait for the shared
	// pace, so a process's workers queue here instead of all polling Redis
	// for the same slot.
	turn map[bot.Platform]chan struct{}
}

// NewLimiter returns a Limiter.
func NewLimiter(cfg LimiterConfig) (*Limiter, error) {
	if cfg.Pace == nil {
		return nil, errors.New("new limiter: a shared send pace is required")
	}
	if cfg.Limits == nil {
		cfg.Limits = DefaultLimits()
	}
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	turn := make(map[bot.Platform]chan struct{}, len(cfg.Limits))
	for p := range cfg.Limits {
		turn[p] = make(chan struct{}, 1)
	}
	return &Limiter{rl: cfg.Pace, cfg: cfg, turn: turn}, nil
}

// shortWait is the longest wait for the shared pace during which a worker
// keeps its process's turn; a longer wait (a busy conversation, a hold)
// lets the process's other workers go first.
const shortWait = 50 * time.Millisecond

// Wait blocks until a message to to may be sent, and takes its slot.
func (l *Limiter) Wait(ctx context.Context, to bot.Address) error {
	limit, ok := l.cfg.Limits[to.Platform]
	if !ok {
		return nil
	}
	rules := []jobrun.RateRule{
		{Name: "app", Interval: interval(limit.PerSecond), Burst: limit.Burst},
		{Name: "to:" + conversation(to), Interval: interval(limit.ConversationPerSecond), Burst: limit.ConversationBurst},
	}
	turn := l.turn[to.Platform]
	for {
		select {
		case turn <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		wait, err := l.rl.Take(ctx, string(to.Platform), l.cfg.Clock.Now(), rules...)
		if err != nil || wait <= 0 {
			<-turn
			return err
		}
		if wait > shortWait {
			<-turn
		}
		select {
		case <-ctx.Done():
			if wait <= shortWait {
				<-turn
			}
			return ctx.Err()
		case <-l.cfg.After(wait):
		}
		if wait <= shortWait {
			<-turn
		}
	}
}

func interval(perSecond float64) time.Duration {
	if perSecond <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / perSecond)
}

// conversation names where a message goes: its channel, or the person for
// a direct message.
func conversation(to bot.Address) string {
	if to.Channel != "" {
		return to.Channel
	}
	return string(to.User)
}

// Wrap returns a messenger that sends through m at the shared pace. When m
// answers with a RetryAfterError, every replica holds that platform's sends
// for the time asked (at least the backoff, which doubles per retry), and
// the send is tried again, up to MaxRetries times.
func (l *Limiter) Wrap(m bot.Messenger) bot.Messenger { return &limited{l: l, next: m} }

// maxRetryBackoff caps the doubling wait between rate-limited retries.
const maxRetryBackoff = time.Minute

type limited struct {
	l    *Limiter
	next bot.Messenger
}

// Send sends msg when the limiter allows, retrying rate-limit errors.
func (m *limited) Send(ctx context.Context, to bot.Address, msg bot.Message, key string) (bot.MessageRef, error) {
	return m.paced(ctx, to, func() (bot.MessageRef, error) { return m.next.Send(ctx, to, msg, key) })
}

// SendFile sends f at the same shared pace as messages, retrying rate-limit
// errors, when the wrapped messenger can send files (bot.FileSender);
// otherwise it answers *bot.NoFileSenderError, which the service logs and
// skips.
func (m *limited) SendFile(ctx context.Context, to bot.Address, f bot.File, key string) (bot.MessageRef, error) {
	fs, ok := m.next.(bot.FileSender)
	if !ok {
		return bot.MessageRef{}, &bot.NoFileSenderError{Platform: to.Platform}
	}
	return m.paced(ctx, to, func() (bot.MessageRef, error) { return fs.SendFile(ctx, to, f, key) })
}

// Retract takes a message back at the same shared pace as sends, when the
// wrapped messenger can (bot.Retractor); otherwise it answers
// *bot.NoRetractorError.
func (m *limited) Retract(ctx context.Context, ref bot.MessageRef) error {
	rt, ok := m.next.(bot.Retractor)
	if !ok {
		return &bot.NoRetractorError{Platform: ref.Platform}
	}
	_, err := m.paced(ctx, bot.Address{Platform: ref.Platform, Channel: ref.Channel}, func() (bot.MessageRef, error) {
		return ref, rt.Retract(ctx, ref)
	})
	return err
}

// paced runs send when the limiter allows, retrying rate-limit errors.
func (m *limited) paced(ctx context.Context, to bot.Address, send func() (bot.MessageRef, error)) (bot.MessageRef, error) {
	backoff := m.l.cfg.Backoff
	for retry := 0; ; retry++ {
		if err := m.l.Wait(ctx, to); err != nil {
			return bot.MessageRef{}, fmt.Errorf("wait to send to %s: %w", conversation(to), err)
		}
		ref, err := send()
		var ra RetryAfterError
		if err == nil || !errors.As(err, &ra) || retry >= m.l.cfg.MaxRetries {
			return ref, err
		}
		wait := max(ra.RetryAfter(), backoff)
		backoff = min(2*backoff, maxRetryBackoff)
		now := m.l.cfg.Clock.Now()
		m.l.cfg.Log.Warn().Str("platform", string(to.Platform)).Dur("retry_in", wait).Int("retry", retry+1).
			Msg("platform rate limit; holding sends")
		if _, shared := m.l.cfg.Limits[to.Platform]; !shared {
			// No shared pace for this platform: wait here.
			select {
			case <-ctx.Done():
				return bot.MessageRef{}, ctx.Err()
			case <-m.l.cfg.After(wait):
			}
			continue
		}
		if err := m.l.rl.Hold(ctx, string(to.Platform), now, now.Add(wait)); err != nil {
			return bot.MessageRef{}, fmt.Errorf("send to %s: %w", conversation(to), err)
		}
	}
}
