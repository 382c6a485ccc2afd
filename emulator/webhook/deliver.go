package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/kycemu/kycemu/emulator/provider"
)

// Headers kycemu adds to every delivery, beside the vendor's own.
const (
	HeaderDelivery = "X-Kycemu-Delivery"
	HeaderAttempt  = "X-Kycemu-Attempt"
)

// makeReady hands a queue to the workers; the caller holds the lock.
func (e *Engine) makeReady(q *queue) {
	e.ready = append(e.ready, q)
	e.start.Do(func() {
		for range e.cfg.Workers {
			e.wg.Add(1)
			go e.worker()
		}
	})
	e.cond.Signal()
}

// job is what a worker needs to make one attempt without the lock.
type job struct {
	id, url, secret string
	n               int
	body            []byte
	sign            func(string, []byte, time.Time) http.Header
}

func (e *Engine) worker() {
	defer e.wg.Done()
	for {
		e.mu.Lock()
		for len(e.ready) == 0 && !e.closed {
			e.cond.Wait()
		}
		if e.closed {
			e.mu.Unlock()
			return
		}
		q := e.ready[0]
		e.ready[0] = nil
		e.ready = e.ready[1:]
		if len(q.items) == 0 {
			q.busy = false
			e.mu.Unlock()
			continue
		}
		d := q.items[0]
		d.Status, d.NextAttemptAt = StatusDelivering, nil
		j := job{id: d.ID, url: d.URL, n: len(d.Attempts) + 1, body: d.Body, sign: d.sign,
			secret: e.tenant(d.Provider, d.Tenant).secret}
		if d.badSig {
			j.secret = provider.WrongSecret(j.secret)
		}
		e.mu.Unlock()

		a := e.safeAttempt(j)

		e.mu.Lock()
		e.settle(q, d, a)
		e.mu.Unlock()
	}
}

// safeAttempt makes an attempt; a panic (in a provider's signer, say)
// counts as a failed attempt and the worker goes on.
func (e *Engine) safeAttempt(j job) (a Attempt) {
	at := e.cfg.Clock.Now()
	defer func() {
		if v := recover(); v != nil {
			e.cfg.Log.Error("webhook: an attempt panicked", "delivery", j.id, "panic", v)
			a = Attempt{N: j.n, At: at, Error: "the emulator failed to sign or send this attempt"}
		}
	}()
	return e.attempt(j, at)
}

// attempt makes one HTTP call; no lock is held.
func (e *Engine) attempt(j job, at time.Time) (a Attempt) {
	a = Attempt{N: j.n, At: at}
	start := time.Now()
	defer func() { a.DurationMS = float64(time.Since(start).Microseconds()) / 1000 }()
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, j.url, bytes.NewReader(j.body))
	if err != nil {
		a.Error = "the target URL is not valid"
		return a
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "kycemu-webhooks/1")
	h.Set(HeaderDelivery, j.id)
	h.Set(HeaderAttempt, strconv.Itoa(j.n))
	if j.sign != nil {
		for k, vs := range j.sign(j.secret, j.body, e.cfg.Stamp.Now()) {
			h.Del(k)
			for _, v := range vs {
				h.Add(k, v)
			}
		}
	}
	a.Headers = h.Clone()
	resp, err := e.client.Do(req)
	if err != nil {
		a.Error = describe(err, e.cfg.Timeout)
		e.cfg.Log.Debug("webhook attempt failed", "delivery", j.id, "attempt", j.n, "error", a.Error)
		return a
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	a.StatusCode = resp.StatusCode
	if utf8.Valid(head) {
		a.Response = string(head)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.Error = fmt.Sprintf("the receiver answered %d", resp.StatusCode)
	}
	return a
}

// describe names a transport failure without echoing anything sensitive.
func describe(err error, timeout time.Duration) string {
	var ue *url.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "aborted: the emulator is closing"
	case errors.As(err, &ue) && ue.Timeout():
		return "timeout: no answer within " + timeout.String()
	case errors.As(err, &ue):
		return "request failed: " + ue.Err.Error()
	}
	return "request failed: " + err.Error()
}

// settle records an attempt and decides what comes next; the caller holds
// the lock.
func (e *Engine) settle(q *queue, d *delivery, a Attempt) {
	if e.cfg.OnAttempt != nil {
		e.cfg.OnAttempt(d.Provider, a)
	}
	if d.gone || e.closed {
		return
	}
	d.Attempts = append(d.Attempts, a)
	switch {
	case a.StatusCode >= 200 && a.StatusCode <= 299:
		e.finish(d, StatusDelivered, "")
		e.advance(q)
		return
	case len(d.Attempts) >= d.MaxAttempts:
		e.finish(d, StatusFailed, fmt.Sprintf("gave up after %d attempts", len(d.Attempts)))
		e.advance(q)
		return
	}
	due := a.At.Add(d.schedule[len(d.Attempts)-1])
	d.Status, d.NextAttemptAt = StatusRetrying, &due
	e.save(d)
	wait := due.Sub(e.cfg.Clock.Now())
	if wait <= 0 {
		e.makeReady(q)
		return
	}
	d.timer = e.after(wait, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if d.gone || e.closed || d.finished {
			return
		}
		d.timer = nil
		e.makeReady(q)
	})
}

// advance moves a queue past its finished head; the caller holds the lock.
func (e *Engine) advance(q *queue) {
	q.items[0] = nil
	q.items = q.items[1:]
	if len(q.items) > 0 {
		e.makeReady(q)
		return
	}
	q.busy = false
	if q.held == nil && e.queues[q.key] == q {
		delete(e.queues, q.key)
	}
}
