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
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
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
	id      string
	priv    *ecdsa.PrivateKey
	wrong   *ecdsa.PrivateKey // for the bad_signature fault
	pem     string
	created time.Time
}

// newSigningKey derives a P-256 key pair from a seeded source: the scalar
// is 48 seeded bytes reduced into [1, N-1], so the same seed and tenant
// always give the same key (ecdsa.GenerateKey ignores custom readers).
func newSigningKey(src *fake.Source, now time.Time) *signingKey {
	k := &signingKey{id: "dwk-" + src.UUID(), created: now}
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

func (p *Provider) getWebhookKey(c *provider.Call) error {
	t := p.tenants.Get(c.Tenant)
	if !strings.EqualFold(c.Params["keyId"], t.key.id) {
		return provider.NotFound("webhook key not found")
	}
	at := stampOf(t.key.created)
	return c.JSON(http.StatusOK, webhookKeyView{ID: t.key.id, Algorithm: Algorithm, PublicKey: t.key.pem,
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

// notifyKyc sends the webhook of k's current status; the caller holds the
// tenant lock (Send never blocks).
func (p *Provider) notifyKyc(k *kyc, at time.Time) {
	name := kycEvents[k.status]
	p.send(k, name, kycEvent{EventID: k.tenant.events.UUID(), EventName: name, EventTargetID: k.id,
		UserID: k.user.id, KycType: k.typ, KycStatus: k.status, RejectionReason: k.reason, CreatedAt: stampOf(at)})
}

// notifyUser announces that k's user became active.
func (p *Provider) notifyUser(k *kyc, at time.Time) {
	u := k.user
	p.send(k, EventUserActivated, userEvent{EventID: k.tenant.events.UUID(), EventName: EventUserActivated,
		EventTargetID: u.id, UserID: u.id, UserStatus: u.status, CreatedAt: stampOf(at)})
}

func (p *Provider) send(k *kyc, name string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		p.env.Log.Error("kulipa webhook encoding failed", "error", err)
		return
	}
	var faults []provider.WebhookFault
	if k.plan != nil {
		faults = k.plan.Webhooks
	}
	p.env.Webhooks.Send(provider.Event{Provider: Name, Tenant: k.tenant.name, Name: name, SessionID: k.id,
		Body: body, Sign: k.tenant.key.sign, Faults: faults, Retry: retrySchedule()})
}
