package state

import "sync"

// committer writes transactions' batches to the backend in the order they
// were enqueued, grouping whatever queued up during one commit into the
// next (group commit): a transaction waits for one commit of the backend,
// never for the others' one by one.
type committer struct {
	b       Backend
	onError func(error)

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []*batch
	closed  bool
	stopped chan struct{}
}

// batch is one transaction's writes; done closes once they are durable.
type batch struct {
	ops  []Op
	done chan struct{}
	err  error
}

// wait blocks until the batch is durable; a nil batch (nothing written, or
// no backend) is.
func (b *batch) wait() error {
	if b == nil {
		return nil
	}
	<-b.done
	return b.err
}

func newCommitter(b Backend, onError func(error)) *committer {
	c := &committer{b: b, onError: onError, stopped: make(chan struct{})}
	c.cond = sync.NewCond(&c.mu)
	if b != nil {
		go c.loop()
	} else {
		close(c.stopped)
	}
	return c
}

// enqueue hands over a batch (possibly empty, to wait for what came
// before); it returns nil without a backend.
func (c *committer) enqueue(ops []Op) *batch {
	if c.b == nil {
		return nil
	}
	b := &batch{ops: ops, done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		b.err = errClosed
		close(b.done)
		return b
	}
	c.queue = append(c.queue, b)
	c.cond.Signal()
	c.mu.Unlock()
	return b
}

func (c *committer) loop() {
	defer close(c.stopped)
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.closed {
			c.cond.Wait()
		}
		if len(c.queue) == 0 {
			c.mu.Unlock()
			return
		}
		group := c.queue
		c.queue = nil
		c.mu.Unlock()
		var ops []Op
		for _, b := range group {
			ops = append(ops, b.ops...)
		}
		var err error
		if len(ops) > 0 {
			if err = c.b.Commit(ops); err != nil {
				c.onError(err)
			}
		}
		for _, b := range group {
			b.err = err
			close(b.done)
		}
	}
}

// close commits what is queued and stops the loop.
func (c *committer) close() error {
	c.mu.Lock()
	c.closed = true
	c.cond.Signal()
	c.mu.Unlock()
	<-c.stopped
	return nil
}
