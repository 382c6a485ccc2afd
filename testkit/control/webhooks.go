package control

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Delivery is one outbound webhook event on its way to one URL.
type Delivery struct {
	ID        string `json:"id"`
	Seq       uint64 `json:"seq"`
	Provider  string `json:"provider"`
	Tenant    string `json:"tenant"`
	Event     Event  `json:"event"`
	SessionID string `json:"sessionId,omitempty"`
	// URL is the target; "" when none was configured (Status
	// "undeliverable").
	URL           string          `json:"url"`
	Status        string          `json:"status"`
	Faults        []string        `json:"faults,omitempty"`
	RedeliveryOf  string          `json:"redeliveryOf,omitempty"`
	CreatedAt     time.Time       `json:"createdAt"`
	NextAttemptAt *time.Time      `json:"nextAttemptAt,omitempty"`
	FinishedAt    *time.Time      `json:"finishedAt,omitempty"`
	MaxAttempts   int             `json:"maxAttempts"`
	Attempts      []Attempt       `json:"attempts"`
	Body          json.RawMessage `json:"body"`
	Error         string          `json:"error,omitempty"`
}

// Attempt is one try of a delivery.
type Attempt struct {
	N          int       `json:"n"`
	At         time.Time `json:"at"`
	StatusCode int       `json:"statusCode,omitempty"`
	Error      string    `json:"error,omitempty"`
	DurationMS float64   `json:"durationMs"`
	Response   string    `json:"response,omitempty"`
}

// DeliveryFilter selects deliveries; zero fields match everything.
type DeliveryFilter struct {
	Provider  string
	Tenant    string
	SessionID string
	Event     Event
	Status    string
	Limit     int
}

// Deliveries reads the webhook delivery journal, oldest first.
func (c *Client) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	q := url.Values{}
	for k, v := range map[string]string{"provider": f.Provider, "tenant": f.Tenant, "session": f.SessionID,
		"event": string(f.Event), "status": f.Status} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out struct {
		Deliveries []Delivery `json:"deliveries"`
	}
	if err := c.do(ctx, http.MethodGet, "/webhooks/deliveries", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Deliveries, nil
}

// Delivery returns one delivery with its attempts.
func (c *Client) Delivery(ctx context.Context, id string) (Delivery, error) {
	var d Delivery
	err := c.do(ctx, http.MethodGet, "/webhooks/deliveries/"+url.PathEscape(id), nil, nil, &d)
	return d, err
}

// Redeliver sends a finished delivery's event again, as a new delivery to
// the target configured now.
func (c *Client) Redeliver(ctx context.Context, id string) (Delivery, error) {
	var d Delivery
	err := c.do(ctx, http.MethodPost, "/webhooks/deliveries/"+url.PathEscape(id)+"/redeliver", nil, nil, &d)
	return d, err
}

// SetWebhookURL sends a provider's webhooks for one tenant (for every
// tenant of the provider when tenant is "") to target.
func (c *Client) SetWebhookURL(ctx context.Context, provider, tenant, target string) error {
	if target == "" {
		return errors.New("kycemu control: set webhook url: empty url (use DeleteWebhookURL)")
	}
	in := map[string]string{"provider": provider, "url": target}
	if tenant != "" {
		if err := CheckTenant(provider, tenant); err != nil {
			return err
		}
		in["tenant"] = tenant
	}
	return c.do(ctx, http.MethodPut, "/webhooks/endpoints", nil, in, nil)
}

// DeleteWebhookURL removes a URL set with SetWebhookURL.
func (c *Client) DeleteWebhookURL(ctx context.Context, provider, tenant string) error {
	q := url.Values{"provider": {provider}}
	if tenant != "" {
		q.Set("tenant", tenant)
	}
	return c.do(ctx, http.MethodDelete, "/webhooks/endpoints", q, nil, nil)
}

// WebhookConfig is a tenant's webhook secret and where its events go.
type WebhookConfig struct {
	Provider string `json:"provider"`
	Tenant   string `json:"tenant"`
	// Secret signs the tenant's webhooks.
	Secret string `json:"secret"`
	// URL is where the tenant's events go now; URLSource says which
	// setting chose it (event, tenant, provider, default).
	URL       string `json:"url"`
	URLSource string `json:"urlSource"`
}

// WebhookConfig returns a tenant's webhook secret and target.
func (c *Client) WebhookConfig(ctx context.Context, provider, tenant string) (WebhookConfig, error) {
	var w WebhookConfig
	if err := CheckTenant(provider, tenant); err != nil {
		return w, err
	}
	err := c.do(ctx, http.MethodGet, "/webhooks/secret", url.Values{"provider": {provider}, "tenant": {tenant}}, nil, &w)
	return w, err
}

// RouteWebhooks sends a tenant's webhooks of a provider to target and
// returns the secret they are signed with. A tenant not shaped like the
// provider's (CheckTenant), or a provider that sends no webhooks, is
// refused before anything changes.
func (c *Client) RouteWebhooks(ctx context.Context, provider, tenant, target string) (secret string, err error) {
	if err := CheckTenant(provider, tenant); err != nil {
		return "", err
	}
	if err := c.checkSendsWebhooks(ctx, provider); err != nil {
		return "", err
	}
	if err := c.SetWebhookURL(ctx, provider, tenant, target); err != nil {
		return "", err
	}
	w, err := c.WebhookConfig(ctx, provider, tenant)
	if err != nil {
		return "", err
	}
	return w.Secret, nil
}
