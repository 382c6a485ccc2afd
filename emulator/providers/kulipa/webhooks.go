package kulipa

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// Webhook signature headers.
const (
	SignatureHeader   = "x-kulipa-signature"
	SignatureTSHeader = "x-kulipa-signature-ts"
	KeyIDHeader       = "x-kulipa-key-id"
	// Algorithm is what GET /v1/webhooks/keys/{keyId} reports.
	Algorithm = "ECDSA_SHA_256"
)

// signingKey is a tenant's webhook signing key.
type signingKey struct {
	id    string
	priv  *ecdsa.PrivateKey
	wrong *ecdsa.PrivateKey // for the bad_signature fault
	pem   string
}

// keyOf returns the tenant's signing key. It is derived from the seed and
// the API key alone, so it is the same after a restart and nothing of it
// needs storing.
func (p *Provider) keyOf(tenant string) *signingKey {
	if k := p.keys.get(tenant); k != nil {
		return k
	}
	k := newSigningKey(p.env.Rand.Derive(Name, tenant, "webhook-key"))
	p.keys.put(tenant, k)
	return k
}

// keyCache keeps derived signing keys: deriving one costs about two
// signatures. It holds at most maxKeys and starts afresh when full.
type keyCache struct {
	mu sync.Mutex
	m  map[string]*signingKey
}

const maxKeys = 1024

func (c *keyCache) get(tenant string) *signingKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[tenant]
}

func (c *keyCache) put(tenant string, k *signingKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxKeys {
		c.m = map[string]*signingKey{}
	}
	c.m[tenant] = k
}

var _ provider.WebhookSigner = (*Provider)(nil)

// SignWebhook signs a tenant's webhook sent at the given time (see
// signingKey.sign); the webhook engine signs every attempt through it, so
// a retry after a restart is signed with the key the endpoint serves.
func (p *Provider) SignWebhook(tenant, secret string, body []byte, at time.Time) http.Header {
	return p.keyOf(tenant).sign(secret, body, at)
}

// newSigningKey derives a P-256 key pair from a seeded source: the scalar
// is 48 seeded bytes reduced into [1, N-1], so the same seed and tenant
// always give the same key (ecdsa.GenerateKey ignores custom readers).
func newSigningKey(src *fake.Source) *signingKey {
	k := &signingKey{id: "dwk-" + src.UUID()}
	k.priv = scalarKey(src)
	k.wrong = scalarKey(src)
	der, err := x509.MarshalPKIXPublicKey(&k.priv.PublicKey)
	if err == nil {
		k.pem = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	return k
}

func scalarKey(src *fake.Source) *ecdsa.PrivateKey {
	curve := elliptic.P256()
	n1 := new(big.Int).Sub(curve.Params().N, big.NewInt(1))
	for {
		raw, _ := hex.DecodeString(src.String(fake.Hex, 96))
		d := new(big.Int).SetBytes(raw)
		d.Mod(d, n1).Add(d, big.NewInt(1))
		b := make([]byte, 32)
		d.FillBytes(b)
		if priv, err := ecdsa.ParseRawPrivateKey(curve, b); err == nil {
			return priv
		}
	}
}

// sign returns the signature headers of body sent at the given time:
// ECDSA P-256 over SHA-256 of "<ms>.<body>", hex of the DER encoding.
func (k *signingKey) sign(secret string, body []byte, at time.Time) http.Header {
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	priv := k.priv
	if provider.IsWrongSecret(secret) { // a bad_signature fault: sign with a key never published
		priv = k.wrong
	}
	msg := make([]byte, 0, len(ts)+1+len(body))
	msg = append(append(append(msg, ts...), '.'), body...)
	digest := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
	if err != nil {
		return http.Header{}
	}
	return http.Header{
		http.CanonicalHeaderKey(SignatureHeader):   {hex.EncodeToString(sig)},
		http.CanonicalHeaderKey(SignatureTSHeader): {ts},
		http.CanonicalHeaderKey(KeyIDHeader):       {k.id},
	}
}

type webhookKeyView struct {
	ID        string `json:"id"`
	Algorithm string `json:"algorithm"`
	PublicKey string `json:"publicKey"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

// getWebhookKey answers the caller's signing key; its date is when the
// API key was first seen.
func (p *Provider) getWebhookKey(c *provider.Call, tx *state.Tx) error {
	key := p.keyOf(c.Tenant)
	if !strings.EqualFold(c.Params["keyId"], key.id) {
		return provider.NotFound("webhook key not found")
	}
	created := tx.Data().(*tenantData).KeyCreated
	if created.IsZero() { // the tenant was evicted since it authenticated
		created = tx.Now()
	}
	at := stampOf(created)
	return c.JSON(http.StatusOK, webhookKeyView{ID: key.id, Algorithm: Algorithm, PublicKey: key.pem,
		CreatedAt: at, UpdatedAt: at})
}

// Webhook event names.
const (
	EventKycCreated    = "kyc.created"
	EventKycSubmitted  = "kyc.submitted"
	EventKycVerified   = "kyc.verified"
	EventKycRejected   = "kyc.rejected"
	EventKycExpired    = "kyc.expired"
	EventUserActivated = "user.activated"
)

var kycEvents = map[string]string{
	Pending:   EventKycCreated,
	Submitted: EventKycSubmitted,
	Verified:  EventKycVerified,
	Rejected:  EventKycRejected,
	Expired:   EventKycExpired,
}

type kycEvent struct {
	EventID         string  `json:"eventId"`
	EventName       string  `json:"eventName"`
	EventTargetID   string  `json:"eventTargetId"`
	UserID          string  `json:"userId"`
	KycType         string  `json:"kycType"`
	KycStatus       string  `json:"kycStatus"`
	RejectionReason *string `json:"rejectionReason"`
	CreatedAt       string  `json:"createdAt"`
}

type userEvent struct {
	EventID       string `json:"eventId"`
	EventName     string `json:"eventName"`
	EventTargetID string `json:"eventTargetId"`
	UserID        string `json:"userId"`
	UserStatus    string `json:"userStatus"`
	CreatedAt     string `json:"createdAt"`
}

// notifyKyc sends the webhook of r's current status (Send never blocks).
func (p *Provider) notifyKyc(tx *state.Tx, r *state.Record, at time.Time) {
	name, k := kycEvents[r.Status], state.Data[kyc](r)
	p.send(r, name, kycEvent{EventID: tx.Rand("events").UUID(), EventName: name, EventTargetID: r.ID,
		UserID: k.UserID, KycType: k.Type, KycStatus: r.Status, RejectionReason: k.Reason, CreatedAt: stampOf(at)})
}

// notifyUser announces that r's user (ur) became active.
func (p *Provider) notifyUser(tx *state.Tx, r, ur *state.Record, at time.Time) {
	p.send(r, EventUserActivated, userEvent{EventID: tx.Rand("events").UUID(), EventName: EventUserActivated,
		EventTargetID: ur.ID, UserID: ur.ID, UserStatus: state.Data[user](ur).Status, CreatedAt: stampOf(at)})
}

func (p *Provider) send(r *state.Record, name string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		p.env.Log.Error("kulipa webhook encoding failed", "error", err)
		return
	}
	var faults []provider.WebhookFault
	if r.Plan != nil {
		faults = r.Plan.Webhooks
	}
	tenant := r.Tenant
	p.env.Webhooks.Send(provider.Event{Provider: Name, Tenant: tenant, Name: name, SessionID: r.ID, Body: body,
		Sign: func(secret string, body []byte, at time.Time) http.Header {
			return p.SignWebhook(tenant, secret, body, at)
		},
		Faults: faults, Retry: retrySchedule()})
}
