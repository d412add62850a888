package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// enqueueBatcher sends the queueing scripts of deliveries that arrive
// together in one pipeline: one write and one read on the connection, for
// the acknowledgement path and for Redis, where a burst otherwise paid a
// round trip per delivery (group commit). The first caller to find no
// batch under way sends its own; whoever arrives while a batch is under
// way waits and goes in the next one, which the first of them sends. A
// lone delivery goes at once, as before.
type enqueueBatcher struct {
	mu      sync.Mutex
	sending bool
	waiting []*enqueueCall
}

// enqueueCall is one delivery's script and, once sent, its answer.
type enqueueCall struct {
	ctx  context.Context
	keys []string
	args []any
	// lead is closed when this call must send the next batch; done when
	// its answer is in.
	lead, done chan struct{}
	n          int64
	err        error
}

// maxEnqueueBatch bounds one pipeline.
const maxEnqueueBatch = 128

// run queues c in the next batch and returns its answer, or c's context
// error when that ends first (the delivery may still be queued then: a
// platform's retry finds it, as after any timeout).
func (b *enqueueBatcher) run(rdb redis.UniversalClient, c *enqueueCall) (int64, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	c.lead, c.done = make(chan struct{}), make(chan struct{})
	b.mu.Lock()
	if b.sending {
		b.waiting = append(b.waiting, c)
		b.mu.Unlock()
		select {
		case <-c.done:
			return c.n, c.err
		case <-c.lead:
		case <-c.ctx.Done():
			b.giveUp(rdb, c)
			return 0, c.ctx.Err()
		}
	} else {
		b.sending = true
		b.waiting = append(b.waiting, c)
		b.mu.Unlock()
	}
	b.send(rdb)
	<-c.done
	return c.n, c.err
}

// giveUp withdraws c, whose caller stopped waiting: still waiting, it is
// not sent; handed the sending meanwhile, it sends the next batch all the
// same (in the background), so the calls behind it are not left waiting.
func (b *enqueueBatcher) giveUp(rdb redis.UniversalClient, c *enqueueCall) {
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

// send sends the waiting calls (c among them) as one pipeline, then hands
// the sending to the first call that arrived meanwhile, if any.
func (b *enqueueBatcher) send(rdb redis.UniversalClient) {
	b.mu.Lock()
	batch := b.waiting
	if len(batch) > maxEnqueueBatch {
		batch = batch[:maxEnqueueBatch]
	}
	b.waiting = b.waiting[len(batch):]
	b.mu.Unlock()

	sendEnqueuesSafely(rdb, batch)
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

// sendEnqueuesSafely is sendEnqueues turning a panic (a client hook, a
// bug) into every call's error, so the batch still ends and the sending
// passes on.
func sendEnqueuesSafely(rdb redis.UniversalClient, batch []*enqueueCall) {
	defer func() {
		if r := recover(); r != nil {
			for _, c := range batch {
				c.n, c.err = 0, fmt.Errorf("enqueue panicked: %v", r)
			}
		}
	}()
	sendEnqueues(rdb, batch)
}

// sendEnqueues runs the batch's scripts in one pipeline, under the latest
// of their deadlines (each caller bounds its own wait); a script Redis
// does not have yet is loaded and its calls sent again (NOSCRIPT means
// they did not run).
func sendEnqueues(rdb redis.UniversalClient, batch []*enqueueCall) {
	ctx, cancel := batchContext(batch)
	defer cancel()
	pending := batch
	for try := 0; try < 2 && len(pending) > 0; try++ {
		cmds := make([]*redis.Cmd, len(pending))
		_, perr := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, c := range pending {
				cmds[i] = p.EvalSha(ctx, enqueueScript.Hash(), c.keys, c.args...)
			}
			return nil
		})
		var again []*enqueueCall
		for i, c := range pending {
			c.n, c.err = cmds[i].Int64()
			if cmds[i].Err() == nil && cmds[i].Val() == nil && perr != nil {
				c.err = perr // no reply: the connection itself was refused (WRONGPASS, …)
			}
			if c.err != nil && strings.HasPrefix(c.err.Error(), "NOSCRIPT") {
				again = append(again, c)
			}
		}
		if len(again) > 0 {
			if err := enqueueScript.Load(ctx, rdb).Err(); err != nil {
				return // the calls keep their NOSCRIPT error
			}
		}
		pending = again
	}
}

// batchContext is a context without the callers' cancellation (one
// caller giving up must not fail the others) that ends at the latest of
// their deadlines.
func batchContext(batch []*enqueueCall) (context.Context, context.CancelFunc) {
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
