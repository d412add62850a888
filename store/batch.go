package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// pipelineBatcher sends the pipelines of callers that arrive together as
// one: one write and one read on the connection, and one turn of Redis's
// event loop, where a burst otherwise paid a round trip per caller (group
// commit). The first caller to find no batch under way sends its own;
// whoever arrives while a batch is under way waits and goes in the next
// one, which the first of them sends. A lone caller goes at once, as with
// Pipelined.
type pipelineBatcher struct {
	mu      sync.Mutex
	sending bool
	waiting []*pipelineCall
}

// pipelineCall is one caller's commands and, once sent, their error.
type pipelineCall struct {
	ctx   context.Context
	queue func(redis.Pipeliner)
	// lead is closed when this call must send the next batch; done when
	// its replies are in.
	lead, done chan struct{}
	err        error
}

// maxPipelineBatch bounds the callers in one pipeline.
const maxPipelineBatch = 128

// Pipelined is redis.UniversalClient.Pipelined shared with the callers of
// the same moment: queue adds the caller's commands, whose replies it
// reads once Pipelined returns; the error is the first of its own
// commands' (redis.Nil included, as with Pipelined), or the pipeline's
// when the connection failed before any reply. When ctx ends first it
// returns ctx's error, whether the call was waiting or already sent; the
// commands may still run then, as after any timeout, and their replies
// must not be read.
func (b *pipelineBatcher) Pipelined(ctx context.Context, rdb redis.UniversalClient, queue func(redis.Pipeliner)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &pipelineCall{ctx: ctx, queue: queue, lead: make(chan struct{}), done: make(chan struct{})}
	b.mu.Lock()
	if b.sending {
		b.waiting = append(b.waiting, c)
		b.mu.Unlock()
		select {
		case <-c.done:
			return c.err
		case <-c.lead:
		case <-ctx.Done():
			b.giveUp(rdb, c)
			return ctx.Err()
		}
	} else {
		b.sending = true
		b.waiting = append(b.waiting, c)
		b.mu.Unlock()
	}
	// The batch runs under the latest deadline of its callers; this one
	// still ends at its own.
	go b.send(rdb)
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// giveUp withdraws c, whose caller stopped waiting: still waiting, it is
// not sent; handed the sending meanwhile, it sends the next batch all the
// same (in the background), so the calls behind it are not left waiting.
func (b *pipelineBatcher) giveUp(rdb redis.UniversalClient, c *pipelineCall) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-c.lead:
		go b.send(rdb)
		return
	default:
	}
	for i, w := range b.waiting {
		if w == c {
			b.waiting = append(b.waiting[:i], b.waiting[i+1:]...)
			return
		}
	}
}

// send sends the waiting calls as one pipeline, then hands the sending to
// the first call that arrived meanwhile, if any.
func (b *pipelineBatcher) send(rdb redis.UniversalClient) {
	b.mu.Lock()
	batch := b.waiting
	if len(batch) > maxPipelineBatch {
		batch = batch[:maxPipelineBatch]
	}
	b.waiting = b.waiting[len(batch):]
	b.mu.Unlock()

	sendPipelineSafely(rdb, batch)
	for _, c := range batch {
		close(c.done)
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.waiting) == 0 {
		b.sending = false
		return
	}
	close(b.waiting[0].lead)
}

// sendPipelineSafely is sendPipeline turning a panic (a client hook, a
// caller's queue, a bug) into every call's error, so the batch still ends
// and the sending passes on.
func sendPipelineSafely(rdb redis.UniversalClient, batch []*pipelineCall) {
	defer func() {
		if r := recover(); r != nil {
			for _, c := range batch {
				c.err = fmt.Errorf("pipeline panicked: %v", r)
			}
		}
	}()
	sendPipeline(rdb, batch)
}

// sendPipeline runs the batch's commands in one pipeline, under the latest
// of their deadlines (each caller bounds its own wait), and gives each
// call the error of its own commands.
func sendPipeline(rdb redis.UniversalClient, batch []*pipelineCall) {
	ctx, cancel := batchContext(batch)
	defer cancel()
	p := rdb.Pipeline()
	ends := make([]int, len(batch))
	for i, c := range batch {
		c.queue(p)
		ends[i] = p.Len()
	}
	cmds, perr := p.Exec(ctx)
	start, anyReply := 0, false
	for i, c := range batch {
		for _, cmd := range cmds[start:ends[i]] {
			if err := cmd.Err(); err != nil {
				anyReply = true
				if c.err == nil {
					c.err = err
				}
			}
		}
		start = ends[i]
	}
	if perr != nil && !anyReply {
		// No command failed, yet the pipeline did: the connection itself
		// was refused (WRONGPASS, …) before any reply.
		for _, c := range batch {
			c.err = perr
		}
	}
}

// batchContext is a context without the callers' cancellation (one
// caller giving up must not fail the others) that ends at the latest of
// their deadlines.
func batchContext(batch []*pipelineCall) (context.Context, context.CancelFunc) {
	var latest time.Time
	for _, c := range batch {
		d, ok := c.ctx.Deadline()
		if !ok {
			return context.WithCancel(context.WithoutCancel(batch[0].ctx))
		}
		if d.After(latest) {
			latest = d
		}
	}
	return context.WithDeadline(context.WithoutCancel(batch[0].ctx), latest)
}

// evalShared runs script through the shared pipeline b: by its hash, and
// once more in full (script.Run) when the server does not have it yet (a
// restart, SCRIPT FLUSH: NOSCRIPT means it did not run).
func evalShared(ctx context.Context, b *pipelineBatcher, rdb redis.UniversalClient, script *redis.Script, keys []string, args ...any) *redis.Cmd {
	var cmd *redis.Cmd
	err := b.Pipelined(ctx, rdb, func(p redis.Pipeliner) {
		cmd = script.EvalSha(ctx, p, keys, args...)
	})
	switch {
	case err != nil && (ctx.Err() != nil || cmd == nil):
		// Given up (a batch may still be writing cmd) or never queued.
		failed := redis.NewCmd(ctx)
		failed.SetErr(err)
		return failed
	case redis.HasErrorPrefix(err, "NOSCRIPT"):
		return script.Run(ctx, rdb, keys, args...)
	case err != nil && cmd.Err() == nil:
		cmd.SetErr(err) // the connection failed before any reply
	}
	return cmd
}
