package kulipa

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
)

// IdempotencyHeader carries the client's idempotency key.
const IdempotencyHeader = "x-idempotency-key"

// ReplayHeader marks a replayed response (kycemu's addition).
const ReplayHeader = "x-kycemu-idempotent-replay"

// Idempotency store limits.
const (
	idemTTL = 24 * time.Hour
	// idemMax caps the keys kept per tenant; the oldest go first.
	idemMax = 10000
)

// idempotency keeps, for 24 hours on the emulator clock, the first
// response to each combination of a tenant's idempotency key with a
// request's method, path, query and body: Kulipa's page identifies a
// request by all five, so the same key on another request is another
// combination, not a conflict.
type idempotency struct {
	mu    sync.Mutex
	m     map[idemKey]*idemEntry
	order []*idemEntry // insertion order, for expiry
}

// idemKey is the SHA-256 of the idempotency key, method, path, query and
// body.
type idemKey [sha256.Size]byte

type idemEntry struct {
	key    idemKey
	at     time.Time
	done   bool
	status int
	header http.Header
	body   []byte
}

// combination identifies a request as Kulipa does: the idempotency key,
// method, path, query and body.
func combination(key string, r *http.Request, body []byte) idemKey {
	h := sha256.New()
	for _, s := range []string{key, r.Method, r.URL.Path, r.URL.RawQuery} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(body)
	var out idemKey
	h.Sum(out[:0])
	return out
}

// expire forgets entries older than the TTL; the caller holds the lock.
func (s *idempotency) expire(now time.Time) {
	i := 0
	for ; i < len(s.order); i++ {
		e := s.order[i]
		if now.Sub(e.at) < idemTTL && len(s.order)-i <= idemMax {
			break
		}
		if s.m[e.key] == e {
			delete(s.m, e.key)
		}
	}
	if i > 0 {
		clear(s.order[:i])
		s.order = s.order[i:]
	}
}

// begin looks the combination up. It returns the finished entry to
// replay, or a new in-flight entry the caller must finish or abandon, or an
// error when an identical request is still running.
func (s *idempotency) begin(key idemKey, now time.Time) (replay, fresh *idemEntry, err *provider.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	if e, ok := s.m[key]; ok {
		if !e.done {
			return nil, nil, provider.Errorf(provider.KindConflict,
				"an identical request with this idempotency key is still being processed").WithCode("idempotency_error")
		}
		return e, nil, nil
	}
	e := &idemEntry{key: key, at: now}
	s.m[key] = e
	s.order = append(s.order, e)
	return nil, e, nil
}

// finish stores the response of an in-flight entry.
func (s *idempotency) finish(e *idemEntry, status int, header http.Header, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.status, e.header, e.body, e.done = status, header, body, true
}

// abandon forgets an in-flight entry whose request failed on the server's
// side, so that a retry is processed again.
func (s *idempotency) abandon(e *idemEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[e.key] == e {
		delete(s.m, e.key)
	}
}

// own lists the headers a replay gets fresh rather than from the store.
var own = map[string]bool{
	"X-Request-Id": true, headerLimit: true, headerRemaining: true, headerReset: true, "Retry-After": true, "Content-Length": true,
}

// capture tees a response so it can be stored.
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

// op wraps a handler: it stamps the rate-limit headers and, for writes,
// serves the idempotency store around the handler. Errors the handler
// returns are written here, so that they are stored like any response.
func (p *Provider) op(h provider.Handler, idempotent bool) provider.Handler {
	return func(c *provider.Call) error {
		t := p.tenants.Get(c.Tenant)
		p.stampLimit(c.W, t)
		key := c.R.Header.Get(IdempotencyHeader)
		if !idempotent || key == "" {
			return h(c)
		}
		replay, entry, perr := t.idem.begin(combination(key, c.R, c.Body), p.env.Clock.Now())
		if perr != nil {
			return perr
		}
		if replay != nil {
			hd := c.W.Header()
			for k, vs := range replay.header {
				hd[k] = append([]string(nil), vs...)
			}
			hd.Set(ReplayHeader, "true")
			c.W.WriteHeader(replay.status)
			_, _ = c.W.Write(replay.body)
			return nil
		}
		done := false
		defer func() {
			if !done {
				t.idem.abandon(entry)
			}
		}()
		cw := &capture{ResponseWriter: c.W}
		orig := c.W
		c.W = cw
		err := h(c)
		c.W = orig
		var pe *provider.Error
		if err != nil {
			if !errors.As(err, &pe) || pe.Status >= 500 {
				return err
			}
			if pe.Status == 0 {
				pe.Status = provider.StatusOf(pe.Kind)
			}
			pe.CopyHeader(cw)
			p.WriteError(cw, c.R, pe)
		}
		if cw.status >= 500 {
			return nil
		}
		stored := http.Header{}
		for k, vs := range cw.Header() {
			if !own[k] {
				stored[k] = append([]string(nil), vs...)
			}
		}
		t.idem.finish(entry, cw.status, stored, bytes.Clone(cw.body.Bytes()))
		done = true
		return nil
	}
}
