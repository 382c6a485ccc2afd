package kulipa

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// IdempotencyHeader carries the client's idempotency key.
const IdempotencyHeader = "x-idempotency-key"

// ReplayHeader marks a replayed response (kycemu's addition).
const ReplayHeader = "x-kycemu-idempotent-replay"

// idemTTL is how long an answer is kept, on the emulator clock.
const idemTTL = 24 * time.Hour

// An answer is kept as soon as it is recorded: a finished record, so that
// the store's bounds drop kept answers (oldest first, with finished KYCs)
// before live users and KYCs. Its expiry step deletes it idemTTL later.
const (
	answerNew  = "new"
	answerKept = "kept"
)

var idemMachine = provider.NewMachine(answerNew, map[string][]string{answerNew: {answerKept}})

// combination identifies a request as Kulipa does: the idempotency key,
// method, path, query and body, here also the API key (record ids are
// unique across tenants). It is the hex SHA-256 of them all.
func combination(tenant, key string, r *http.Request, body []byte) string {
	h := sha256.New()
	for _, s := range []string{tenant, key, r.Method, r.URL.Path, r.URL.RawQuery} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// own lists the headers a replay gets fresh rather than from the store.
var own = map[string]bool{
	"X-Request-Id": true, headerLimit: true, headerRemaining: true, headerReset: true, "Retry-After": true, "Content-Length": true,
}

// capture tees a response so it can be kept.
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}

// txHandler serves an operation inside a transaction of the caller's
// tenant.
type txHandler func(c *provider.Call, tx *state.Tx) error

// read wraps a read-only operation: one read transaction that stamps the
// rate-limit headers and runs h.
func (p *Provider) read(h txHandler) provider.Handler {
	return func(c *provider.Call) error {
		return p.state.View(c.Tenant, func(tx *state.Tx) error {
			p.stampLimit(c.W, tx)
			return h(c, tx)
		})
	}
}

// write wraps a write: one write transaction that stamps the rate-limit
// headers and, when the request carries an idempotency key, replays the
// answer kept for it or keeps the one h gives. An identical request that
// arrives while its twin runs waits for it and gets the replay.
func (p *Provider) write(h txHandler) provider.Handler {
	return func(c *provider.Call) error {
		key := c.R.Header.Get(IdempotencyHeader)
		return p.state.Update(c.Tenant, func(tx *state.Tx) error {
			p.stampLimit(c.W, tx)
			if key == "" {
				return h(c, tx)
			}
			return p.idempotent(c, tx, combination(c.Tenant, key, c.R, c.Body), h)
		})
	}
}

// idempotent replays the answer kept under id, or runs h and keeps its
// answer: errors the API decides are kept too, server errors are not.
func (p *Provider) idempotent(c *provider.Call, tx *state.Tx, id string, h txHandler) error {
	now := tx.Now()
	kept := tx.Get(kindIdem, id)
	if kept != nil && now.Before(state.Data[answer](kept).At.Add(idemTTL)) {
		replay(c.W, state.Data[answer](kept))
		return nil
	}
	cw := &capture{ResponseWriter: c.W}
	orig := c.W
	c.W = cw
	err := h(c, tx)
	c.W = orig
	if err != nil {
		var pe *provider.Error
		if !errors.As(err, &pe) || pe.Status >= 500 {
			return err
		}
		if pe.Status == 0 {
			pe.Status = provider.StatusOf(pe.Kind)
		}
		pe.CopyHeader(cw)
		writeError(cw, pe)
	}
	if cw.status >= 500 {
		return nil
	}
	a := answer{At: now, Status: cw.status, Header: http.Header{}, Body: bytes.Clone(cw.body.Bytes())}
	for k, vs := range cw.Header() {
		if !own[k] {
			a.Header[k] = append([]string(nil), vs...)
		}
	}
	if kept != nil {
		// Expired, but its expiry step has not run yet: the new answer
		// takes its place (deleting and creating one id in a transaction
		// would lose the new record in the backend).
		*state.Data[answer](kept) = a
		tx.Unschedule(kept)
	} else {
		r, cerr := tx.Create(state.NewRecord{Kind: kindIdem, ID: id, Data: &a, Status: answerNew, By: "client"})
		if cerr != nil {
			return cerr
		}
		tx.Move(r, answerKept, "client", "")
		kept = r
	}
	tx.Schedule(kept, now.Add(idemTTL), provider.Step{Status: "expired", Reason: "the idempotency key expired"})
	return nil
}

// replay writes a kept answer again, marked as a replay.
func replay(w http.ResponseWriter, a *answer) {
	hd := w.Header()
	for k, vs := range a.Header {
		hd[k] = append([]string(nil), vs...)
	}
	hd.Set(ReplayHeader, "true")
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}
