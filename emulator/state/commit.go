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

// batch is one transaction's writes; done is released once they are
// durable (a WaitGroup rather than a channel: one allocation per batch,
// not two).
type batch struct {
	ops  []Op
	done sync.WaitGroup
	err  error
}

// wait blocks until the batch is durable; a nil batch (nothing written, or
// no backend) is.
func (b *batch) wait() error {
	if b == nil {
		return nil
	}
	b.done.Wait()
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
	b := &batch{ops: ops}
	b.done.Add(1)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		b.err = errClosed
		b.done.Done()
		return b
	}
	c.queue = append(c.queue, b)
	c.cond.Signal()
	c.mu.Unlock()
	return b
}

func (c *committer) loop() {
	defer close(c.stopped)
	var ops []Op // reused: a backend keeps no ops slice after Commit
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
		ops = ops[:0]
		for _, b := range group {
			ops = append(ops, b.ops...)
		}
		var err error
		if len(ops) > 0 {
			if err = c.b.Commit(ops); err != nil {
				c.onError(err)
			}
		}
		clear(ops) // let the written bytes go
		if cap(ops) > 4096 {
			ops = nil // after a whole tenant's batch
		}
		for _, b := range group {
			b.err = err
			b.done.Done()
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
