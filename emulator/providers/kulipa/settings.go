package kulipa

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// Settings are the emulator's knobs for Kulipa: provider-wide defaults,
// each of which a tenant (API key) may override through the control API.
type Settings struct {
	// RateLimit is how many requests an API key may make per RateWindow;
	// 0 turns the limit off. Default 300 (the SDK's figure).
	RateLimit int `json:"rateLimit"`
	// RateWindow is the length of a rate-limit window. Default 1m.
	RateWindow Duration `json:"rateWindow"`
	// ReviewDelay is how long a submitted KYC waits before the default plan
	// verifies it. Default 2s.
	ReviewDelay Duration `json:"reviewDelay"`
	// KycTTL is how long a KYC may stay pending before it expires.
	// Default 7 days.
	KycTTL Duration `json:"kycTtl"`
	// Partner allows import KYCs. Default false.
	Partner bool `json:"partner"`
}

// DefaultSettings returns the settings a new emulator starts with.
func DefaultSettings() Settings {
	return Settings{
		RateLimit:   300,
		RateWindow:  Duration(time.Minute),
		ReviewDelay: Duration(2 * time.Second),
		KycTTL:      Duration(7 * 24 * time.Hour),
	}
}

// patch is a partial Settings: nil fields leave the value alone.
type patch struct {
	RateLimit   *int      `json:"rateLimit"`
	RateWindow  *Duration `json:"rateWindow"`
	ReviewDelay *Duration `json:"reviewDelay"`
	KycTTL      *Duration `json:"kycTtl"`
	Partner     *bool     `json:"partner"`
}

func (s Settings) with(pt patch) Settings {
	if pt.RateLimit != nil {
		s.RateLimit = *pt.RateLimit
	}
	if pt.RateWindow != nil {
		s.RateWindow = *pt.RateWindow
	}
	if pt.ReviewDelay != nil {
		s.ReviewDelay = *pt.ReviewDelay
	}
	if pt.KycTTL != nil {
		s.KycTTL = *pt.KycTTL
	}
	if pt.Partner != nil {
		s.Partner = *pt.Partner
	}
	return s
}

// merge overlays other's set fields on pt.
func (pt patch) merge(other patch) patch {
	if other.RateLimit != nil {
		pt.RateLimit = other.RateLimit
	}
	if other.RateWindow != nil {
		pt.RateWindow = other.RateWindow
	}
	if other.ReviewDelay != nil {
		pt.ReviewDelay = other.ReviewDelay
	}
	if other.KycTTL != nil {
		pt.KycTTL = other.KycTTL
	}
	if other.Partner != nil {
		pt.Partner = other.Partner
	}
	return pt
}

func (pt patch) check() error {
	switch {
	case pt.RateLimit != nil && *pt.RateLimit < 0:
		return errors.New("rateLimit must be 0 (off) or more")
	case pt.RateWindow != nil && *pt.RateWindow < Duration(time.Second):
		return errors.New("rateWindow must be at least 1s")
	case pt.ReviewDelay != nil && *pt.ReviewDelay < 0:
		return errors.New("reviewDelay must not be negative")
	case pt.KycTTL != nil && *pt.KycTTL <= 0:
		return errors.New("kycTtl must be positive")
	}
	return nil
}

// Duration is a time.Duration written as a Go duration string ("90s").
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("a duration is a string such as \"90s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("a duration is a string such as \"90s\"")
	}
	*d = Duration(v)
	return nil
}

// tenantData is what Kulipa keeps per API key besides its records: the
// settings overrides, the rate-limit window and when its webhook key was
// first shown.
type tenantData struct {
	Patch       patch     `json:"patch"`
	WindowStart time.Time `json:"windowStart,omitzero"`
	Count       int       `json:"count,omitempty"`
	KeyCreated  time.Time `json:"keyCreated,omitzero"`
}

// tenantOf returns the tenant's data in a write transaction; the first
// one dates the tenant's webhook key.
func tenantOf(tx *state.Tx) *tenantData {
	d := tx.Data().(*tenantData)
	if d.KeyCreated.IsZero() {
		d.KeyCreated = tx.Now()
	}
	return d
}

// defaults returns the provider-wide settings.
func (p *Provider) defaults() Settings {
	var s Settings
	p.state.ViewShared(func(v any) { s = *v.(*Settings) })
	return s
}

// settingsOf returns the tenant's effective settings.
func (p *Provider) settingsOf(d *tenantData) Settings { return p.defaults().with(d.Patch) }

// Rate-limit headers.
const (
	headerLimit     = "X-Ratelimit-Limit"
	headerRemaining = "X-Ratelimit-Remaining"
	headerReset     = "X-Ratelimit-Reset"
)

// take counts one request against the tenant's window, or refuses it with
// 429 when the window is used up. Windows are fixed: one starts with the
// first request after the previous one ended.
func (p *Provider) take(tx *state.Tx, d *tenantData) *provider.Error {
	s := p.settingsOf(d)
	if s.RateLimit <= 0 {
		return nil
	}
	now := tx.Now()
	window := time.Duration(s.RateWindow)
	if d.Count == 0 || !now.Before(d.WindowStart.Add(window)) {
		d.WindowStart, d.Count = now, 0
	}
	if d.Count < s.RateLimit {
		d.Count++
		return nil
	}
	reset := strconv.Itoa(ceilSeconds(d.WindowStart.Add(window).Sub(now)))
	e := provider.Errorf(provider.KindRateLimited,
		"too many requests: this API key may make %d requests per %s; retry after the number of seconds in Retry-After",
		s.RateLimit, window).WithCode("rate_limit_error")
	e.Header = http.Header{"Retry-After": {reset}, headerLimit: {strconv.Itoa(s.RateLimit)}, headerRemaining: {"0"}, headerReset: {reset}}
	return e
}

// stampLimit writes the tenant's rate-limit headers (nothing when the limit
// is off).
func (p *Provider) stampLimit(w http.ResponseWriter, tx *state.Tx) {
	d := tx.Data().(*tenantData)
	s := p.settingsOf(d)
	if s.RateLimit <= 0 {
		return
	}
	now, window := tx.Now(), time.Duration(s.RateWindow)
	remaining, end := s.RateLimit, now.Add(window)
	if d.Count > 0 && now.Before(d.WindowStart.Add(window)) {
		remaining, end = max(s.RateLimit-d.Count, 0), d.WindowStart.Add(window)
	}
	h := w.Header()
	h.Set(headerLimit, strconv.Itoa(s.RateLimit))
	h.Set(headerRemaining, strconv.Itoa(remaining))
	h.Set(headerReset, strconv.Itoa(ceilSeconds(end.Sub(now))))
}

// ceilSeconds rounds a duration up to whole seconds.
func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// settingsView is the control API's answer.
type settingsView struct {
	Tenant string `json:"tenant,omitempty"`
	Settings
}

func controlError(w http.ResponseWriter, status int, code, msg string) {
	provider.WriteJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// getSettings answers the provider-wide settings, or a tenant's effective
// ones with ?tenant=<API key>.
func (p *Provider) getSettings(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("tenant")
	if name == "" {
		provider.WriteJSON(w, http.StatusOK, settingsView{Settings: p.defaults()})
		return
	}
	_ = p.state.View(name, func(tx *state.Tx) error {
		provider.WriteJSON(w, http.StatusOK, settingsView{Tenant: name, Settings: p.settingsOf(tx.Data().(*tenantData))})
		return nil
	})
}

// putSettings changes the provider-wide settings, or one tenant's
// overrides when the body names a tenant. Omitted fields are left alone.
func (p *Provider) putSettings(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Tenant string `json:"tenant"`
		patch
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		controlError(w, http.StatusBadRequest, "invalid_body",
			`send {"tenant"?: "<API key>", "rateLimit"?: 300, "rateWindow"?: "1m", "reviewDelay"?: "2s", "kycTtl"?: "168h", "partner"?: false}`)
		return
	}
	if err := in.patch.check(); err != nil {
		controlError(w, http.StatusBadRequest, "invalid_settings", err.Error())
		return
	}
	var out settingsView
	var err error
	if in.Tenant == "" {
		err = p.state.UpdateShared(func(v any) error {
			s := v.(*Settings)
			*s = s.with(in.patch)
			out.Settings = *s
			return nil
		})
	} else {
		err = p.state.Update(in.Tenant, func(tx *state.Tx) error {
			d := tenantOf(tx)
			d.Patch = d.Patch.merge(in.patch)
			out = settingsView{Tenant: in.Tenant, Settings: p.settingsOf(d)}
			return nil
		})
	}
	if err != nil {
		controlError(w, http.StatusServiceUnavailable, "storage_unavailable", "the settings could not be stored")
		return
	}
	provider.WriteJSON(w, http.StatusOK, out)
}
