package control

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Session is the provider-neutral view of a verification session.
type Session struct {
	Provider  string       `json:"provider"`
	Tenant    string       `json:"tenant"`
	ID        string       `json:"id"`
	Kind      string       `json:"kind"`
	Status    Status       `json:"status"`
	Scenario  string       `json:"scenario,omitempty"`
	Actions   []string     `json:"actions"`
	CreatedAt time.Time    `json:"createdAt"`
	UpdatedAt time.Time    `json:"updatedAt"`
	History   []Transition `json:"history"`
}

// Transition is one status change in a session's life.
type Transition struct {
	From   Status    `json:"from,omitempty"`
	To     Status    `json:"to"`
	At     time.Time `json:"at"`
	By     string    `json:"by"` // client, timeline, control, clock
	Reason string    `json:"reason,omitempty"`
}

// SessionFilter selects sessions; zero fields match everything.
type SessionFilter struct {
	Provider string
	Tenant   string
	Status   Status
}

// Sessions lists sessions across providers, oldest first.
func (c *Client) Sessions(ctx context.Context, f SessionFilter) ([]Session, error) {
	q := url.Values{}
	for k, v := range map[string]string{"provider": f.Provider, "tenant": f.Tenant, "status": string(f.Status)} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out struct {
		Sessions []Session `json:"sessions"`
	}
	if err := c.do(ctx, http.MethodGet, "/sessions", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Sessions, nil
}

// Session returns one session by id, whichever provider holds it.
func (c *Client) Session(ctx context.Context, id string) (Session, error) {
	var s Session
	err := c.do(ctx, http.MethodGet, "/sessions/"+url.PathEscape(id), nil, nil, &s)
	return s, err
}

// Act forces an action on a session ("approve", "reject", "expire",
// "process", ... as listed in Session.Actions) and returns the session
// after it. reason may be empty.
func (c *Client) Act(ctx context.Context, id, action, reason string) (Session, error) {
	var in struct {
		Reason string `json:"reason,omitempty"`
	}
	in.Reason = reason
	var s Session
	err := c.do(ctx, http.MethodPost, "/sessions/"+url.PathEscape(id)+"/"+url.PathEscape(action), nil, in, &s)
	return s, err
}

// Approve forces a session to its provider's approved outcome.
func (c *Client) Approve(ctx context.Context, id string) (Session, error) {
	return c.Act(ctx, id, "approve", "")
}

// Reject forces a session to its provider's rejected outcome.
func (c *Client) Reject(ctx context.Context, id, reason string) (Session, error) {
	return c.Act(ctx, id, "reject", reason)
}

// Expire forces a session to expire.
func (c *Client) Expire(ctx context.Context, id string) (Session, error) {
	return c.Act(ctx, id, "expire", "")
}

// WaitStatus polls a session every interval until its status is one of
// statuses or ctx ends. Use it with a real clock; with a manual clock,
// Advance moves sessions synchronously and no waiting is needed.
//
// Mistakes fail at once, before any waiting: a status the session's kind
// does not have (the error lists the ones it has), a session resting in a
// final status other than those wanted, an unknown session. A session that
// reaches another final status while waited for ends the wait then. When
// ctx ends on a manual clock that did not move during the wait, the error
// says so.
func (c *Client) WaitStatus(ctx context.Context, id string, interval time.Duration, statuses ...Status) (Session, error) {
	s, err := c.Session(ctx, id)
	if err != nil && (IsNotFound(err) || ctx.Err() != nil) {
		return s, err
	}
	var (
		k0    Clock
		final []Status
	)
	if err == nil {
		if final, err = c.checkStatuses(ctx, s, statuses); err != nil {
			return s, err
		}
		k0, _ = c.Clock(ctx)
	}
	for {
		if err == nil && slices.Contains(statuses, s.Status) {
			return s, nil
		}
		if err == nil {
			if err := stuck(s, statuses, final); err != nil {
				return s, err
			}
		}
		select {
		case <-ctx.Done():
			return s, c.waitFailed(id, statuses, s, k0, ctx.Err())
		case <-time.After(interval):
		}
		s, err = c.Session(ctx, id)
		if err != nil && ctx.Err() == nil && IsNotFound(err) {
			return s, err
		}
	}
}

// waitFailed explains a wait that ran out: on a manual clock that stood
// still, that is the likely reason.
func (c *Client) waitFailed(id string, want []Status, s Session, k0 Clock, cause error) error {
	err := fmt.Errorf("kycemu control: wait for session %s to be %s: %w (last status %q)", id, joinQuoted(want), cause, s.Status)
	if k0.Mode != "manual" {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if k, kerr := c.Clock(ctx); kerr == nil && k.Now.Equal(k0.Now) {
		return fmt.Errorf("%w: the emulator's clock is manual and nothing advanced it during the wait (it still reads %s, %d timers pending); "+
			"on a manual clock timelines only move when the clock does: call Advance instead of waiting",
			err, k.Now.Format(time.RFC3339), k.PendingTimers)
	}
	return err
}

// Clock is the emulator clock's state.
type Clock struct {
	Mode          string    `json:"mode"` // real or manual
	Now           time.Time `json:"now"`
	PendingTimers int       `json:"pendingTimers,omitempty"`
}

// Clock reads the emulator clock.
func (c *Client) Clock(ctx context.Context) (Clock, error) {
	var k Clock
	err := c.do(ctx, http.MethodGet, "/clock", nil, nil, &k)
	return k, err
}

// Advance moves a manual clock forward by d, firing every timeline step,
// expiry and webhook retry that falls due, in order, before it returns. It
// fails (409 clock_not_manual) on a real clock.
func (c *Client) Advance(ctx context.Context, d time.Duration) (Clock, error) {
	var k Clock
	err := c.do(ctx, http.MethodPost, "/clock", nil, map[string]string{"advance": d.String()}, &k)
	return k, err
}

// SetClock moves a manual clock forward to t.
func (c *Client) SetClock(ctx context.Context, t time.Time) (Clock, error) {
	var k Clock
	err := c.do(ctx, http.MethodPost, "/clock", nil, map[string]string{"set": t.UTC().Format(time.RFC3339Nano)}, &k)
	return k, err
}

// Request is one entry of the request journal.
type Request struct {
	Seq         uint64          `json:"seq"`
	RequestID   string          `json:"requestId"`
	Time        time.Time       `json:"time"`
	Provider    string          `json:"provider,omitempty"`
	Tenant      string          `json:"tenant,omitempty"`
	Operation   string          `json:"operation,omitempty"`
	Method      string          `json:"method"`
	Path        string          `json:"path"`
	Query       string          `json:"query,omitempty"`
	Status      int             `json:"status"`
	DurationMS  float64         `json:"durationMs"`
	Scenario    string          `json:"scenario,omitempty"`
	Fault       string          `json:"fault,omitempty"`
	Error       string          `json:"error,omitempty"`
	RequestBody json.RawMessage `json:"requestBody,omitempty"`
}

// RequestFilter selects journal entries; zero fields match everything.
type RequestFilter struct {
	Provider  string
	Tenant    string
	Operation string // an operationId of the provider's spec
	Limit     int    // only the most recent Limit entries
}

// Requests reads the request journal, oldest first.
func (c *Client) Requests(ctx context.Context, f RequestFilter) ([]Request, error) {
	q := url.Values{}
	for k, v := range map[string]string{"provider": f.Provider, "tenant": f.Tenant, "operation": f.Operation} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out struct {
		Requests []Request `json:"requests"`
	}
	if err := c.do(ctx, http.MethodGet, "/requests", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Requests, nil
}

// ClearRequests empties the journal, or only one tenant's entries.
func (c *Client) ClearRequests(ctx context.Context, tenant string) error {
	q := url.Values{}
	if tenant != "" {
		q.Set("tenant", tenant)
	}
	return c.do(ctx, http.MethodDelete, "/requests", q, nil, nil)
}
