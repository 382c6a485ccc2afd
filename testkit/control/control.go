// Package control is a client for kycemu's control API (/_emulator/...): it
// forces outcomes, moves a manual clock, reads the request journal and
// resets state on any running kycemu, whether it serves in-process
// (testkit.Start), in a container (testkit/container) or as a CI service
// container reached by URL.
//
// The package imports neither the emulator nor Docker, so it is cheap to
// depend on. Client methods take a context and return errors; Harness wraps
// a Client for tests and fails the test instead.
package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client talks to one kycemu's control API. It is safe for concurrent use.
type Client struct {
	base string
	hc   *http.Client

	mu        sync.Mutex
	providers map[string]Provider // cached catalogue (BaseURL, fail-fast checks)
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client. Default: a client with a 30-second
// timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// New returns a client for the kycemu serving at baseURL, such as
// "http://localhost:8080" (no /_emulator suffix).
func New(baseURL string, opts ...Option) *Client {
	c := &Client{base: strings.TrimSuffix(baseURL, "/"), hc: &http.Client{Timeout: 30 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// URL returns the emulator's base URL.
func (c *Client) URL() string { return c.base }

// Error is an error answered by the control API:
// {"error":{"code":"...","message":"..."}}.
type Error struct {
	StatusCode int
	Code       string
	Message    string
	// Problems lists every problem of a scenario that does not load, each
	// as "file:line:col: message".
	Problems []string
}

func (e *Error) Error() string {
	if len(e.Problems) > 1 {
		return fmt.Sprintf("kycemu control: %d %s: %s", e.StatusCode, e.Code, strings.Join(e.Problems, "; "))
	}
	return fmt.Sprintf("kycemu control: %d %s: %s", e.StatusCode, e.Code, e.Message)
}

// IsNotFound reports whether err is a control API 404 (unknown session,
// provider, delivery, scenario...).
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusNotFound
}

// rawBody is a request body sent as is.
type rawBody struct {
	contentType string
	data        []byte
}

// do sends a control request; in is JSON-encoded when non-nil (a rawBody is
// sent as is), out decoded when non-nil.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body io.Reader
	contentType := "application/json"
	if rb, ok := in.(rawBody); ok {
		body, contentType = bytes.NewReader(rb.data), rb.contentType
	} else if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	u := c.base + "/_emulator" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("call %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("read %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var env struct {
			Error struct {
				Code     string `json:"code"`
				Message  string `json:"message"`
				Problems []struct {
					Text string `json:"text"`
				} `json:"problems"`
			} `json:"error"`
		}
		if json.Unmarshal(raw, &env) != nil || env.Error.Code == "" {
			env.Error.Code = "http_" + strconv.Itoa(resp.StatusCode)
			env.Error.Message = strings.TrimSpace(string(raw))
		}
		e := &Error{StatusCode: resp.StatusCode, Code: env.Error.Code, Message: env.Error.Message}
		for _, p := range env.Error.Problems {
			e.Problems = append(e.Problems, p.Text)
		}
		return e
	}
	if out == nil {
		return nil
	}
	if b, ok := out.(*[]byte); ok {
		*b = raw
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode %s %s: %w", method, path, err)
	}
	return nil
}

// Health is the answer of GET /_emulator/health.
type Health struct {
	Status        string   `json:"status"`
	Version       string   `json:"version"`
	Providers     []string `json:"providers"`
	Clock         Clock    `json:"clock"`
	UptimeSeconds float64  `json:"uptimeSeconds"`
	Seed          int64    `json:"seed"`
}

// Health reads the emulator's health.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	err := c.do(ctx, http.MethodGet, "/health", nil, nil, &h)
	return h, err
}

// WaitHealthy polls the health endpoint every interval until it answers or
// ctx ends.
func (c *Client) WaitHealthy(ctx context.Context, interval time.Duration) (Health, error) {
	for {
		h, err := c.Health(ctx)
		if err == nil {
			return h, nil
		}
		select {
		case <-ctx.Done():
			return Health{}, fmt.Errorf("wait for kycemu at %s: %w (last error: %v)", c.base, ctx.Err(), err)
		case <-time.After(interval):
		}
	}
}

// Operation is one operation of a provider's spec.
type Operation struct {
	ID     string `json:"operationId"`
	Method string `json:"method"`
	Path   string `json:"path"`
}

// Provider describes a mounted provider.
type Provider struct {
	Name        string      `json:"name"`
	Title       string      `json:"title"`
	SpecVersion string      `json:"specVersion"`
	Mount       string      `json:"mount"`
	BasePaths   []string    `json:"basePaths"`
	Hosts       []string    `json:"hosts"`
	Operations  []Operation `json:"operations"`
	// Kinds lists the provider's session kinds with their statuses.
	Kinds []Kind `json:"kinds"`
	// Events lists the webhook events the provider sends (none for B2Core).
	Events []Event `json:"events"`
}

// Kind is one kind of session of a provider (Notus's STANDARD_INDIVIDUAL,
// gu1's validation, Gatenox's invitation and case...) and the statuses its
// status machine moves between.
type Kind struct {
	Name     string   `json:"name"`
	Initial  Status   `json:"initial"`
	Statuses []Status `json:"statuses"`
	// Terminal lists the statuses no move leaves.
	Terminal []Status `json:"terminal"`
}

// Kind returns the named session kind of the provider.
func (p Provider) Kind(name string) (Kind, bool) {
	for _, k := range p.Kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// Providers lists the mounted providers.
func (c *Client) Providers(ctx context.Context) ([]Provider, error) {
	var out struct {
		Providers []Provider `json:"providers"`
	}
	if err := c.do(ctx, http.MethodGet, "/providers", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Providers, nil
}

// BaseURL returns the URL a client of the named provider uses in place of
// the vendor's real base URL: the emulator URL, the mount and the first base
// path of the provider's spec, e.g. http://localhost:8080/notus/api/v1 for
// https://api.notus.team/api/v1. The catalogue is fetched once and cached.
func (c *Client) BaseURL(ctx context.Context, provider string) (string, error) {
	p, err := c.provider(ctx, provider)
	if err != nil {
		return "", err
	}
	base := ""
	if len(p.BasePaths) > 0 {
		base = strings.TrimSuffix(p.BasePaths[0], "/")
	}
	return c.base + p.Mount + base, nil
}

// Provider returns one mounted provider from the catalogue, which is
// fetched once and cached. An unknown name is an error that lists the
// mounted ones.
func (c *Client) Provider(ctx context.Context, name string) (Provider, error) {
	return c.provider(ctx, name)
}

func (c *Client) provider(ctx context.Context, name string) (Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.providers == nil {
		list, err := c.Providers(ctx)
		if err != nil {
			return Provider{}, err
		}
		c.providers = make(map[string]Provider, len(list))
		for _, p := range list {
			c.providers[p.Name] = p
		}
	}
	p, ok := c.providers[name]
	if !ok {
		names := make([]string, 0, len(c.providers))
		for n := range c.providers {
			names = append(names, n)
		}
		sort.Strings(names)
		return Provider{}, fmt.Errorf("kycemu control: no provider %q is mounted; the providers are %s", name, strings.Join(names, ", "))
	}
	return p, nil
}

// Spec returns a provider's OpenAPI document as YAML.
func (c *Client) Spec(ctx context.Context, provider string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/_emulator/specs/"+url.PathEscape(provider), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get spec: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &Error{StatusCode: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode), Message: "spec not served"}
	}
	return b, nil
}

// Reset forgets every tenant's sessions, journal entries and other state.
func (c *Client) Reset(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/reset", nil, nil, nil)
}

// ResetTenant forgets one tenant's state (a tenant is a credential: an
// API key, a bearer token, an organisation id).
func (c *Client) ResetTenant(ctx context.Context, tenant string) error {
	if tenant == "" {
		return errors.New("kycemu control: reset tenant: empty tenant (use Reset to reset everything)")
	}
	return c.do(ctx, http.MethodPost, "/reset", nil, map[string]string{"tenant": tenant}, nil)
}

// S3 is what an S3 client (minio-go, the AWS SDKs) needs to reach a
// provider's emulated bucket (Notus's document bucket): kycemu's fake
// credentials, the region, the bucket name and the endpoint, the
// emulator's root URL, to be addressed path-style
// (<endpoint>/<bucket>/<key>).
type S3 struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	Region          string `json:"region"`
	Bucket          string `json:"bucket"`
	Endpoint        string `json:"endpoint"`
	ForcePathStyle  bool   `json:"forcePathStyle"`
}

// S3 returns a provider's bucket credentials (GET
// /_emulator/providers/{provider}/s3; only notus has a bucket).
func (c *Client) S3(ctx context.Context, provider string) (S3, error) {
	var out S3
	err := c.do(ctx, http.MethodGet, "/providers/"+url.PathEscape(provider)+"/s3", nil, nil, &out)
	return out, err
}
