// Package onboarding is an example of a service that integrates a KYC
// provider the way a real team would, and of how its tests run against
// kycemu, in-process (testkit) and in a container (testkit/container).
//
// The service onboards customers through Notus Labs: it creates a
// verification session, forwards the document photos its app uploads to
// Notus's storage through the presigned S3 forms, asks Notus to process
// them, and learns the outcome from Notus's signed webhooks (or, as a
// fallback, by polling). Nothing in this package knows about kycemu.
//
//	POST /customers                       applicant JSON -> customer (awaiting_documents)
//	PUT  /customers/{id}/documents/{side} image body (front, back) -> 204
//	POST /customers/{id}/submit           -> customer (verifying)
//	GET  /customers/{id}[?refresh=1]      -> customer (refresh polls Notus)
//	POST /webhooks/notus                  Notus's signed events
package onboarding

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
)

// Customer statuses.
const (
	AwaitingDocuments = "awaiting_documents"
	Verifying         = "verifying"
	Approved          = "approved"
	Rejected          = "rejected"
	Expired           = "expired"
)

// Customer is one onboarding.
type Customer struct {
	ID             string  `json:"id"`
	Name           string  `json:"name"`
	Status         string  `json:"status"`
	NotusSessionID string  `json:"notusSessionId"`
	IndividualID   *string `json:"individualId,omitempty"`
	// Missing lists the document sides still to upload.
	Missing []string `json:"missingDocuments"`

	forms map[string]*UploadForm
}

// Config configures a Service.
type Config struct {
	Notus *NotusClient
	// WebhookSecret verifies X-Notus-Signature on incoming webhooks.
	WebhookSecret string
	Log           *slog.Logger
}

// Service onboards customers. Its zero value is not usable; call New.
type Service struct {
	cfg       Config
	mu        sync.Mutex
	customers map[string]*Customer
	bySession map[string]*Customer
}

// New returns a service.
func New(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{cfg: cfg, customers: map[string]*Customer{}, bySession: map[string]*Customer{}}
}

// Handler returns the service's HTTP API.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /customers", s.create)
	mux.HandleFunc("PUT /customers/{id}/documents/{side}", s.document)
	mux.HandleFunc("POST /customers/{id}/submit", s.submit)
	mux.HandleFunc("GET /customers/{id}", s.get)
	mux.HandleFunc("POST /webhooks/notus", s.webhook)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// upstream maps a Notus failure to this service's answer.
func upstream(w http.ResponseWriter, err error) {
	var ne *NotusError
	if errors.As(err, &ne) && ne.Status < 500 {
		fail(w, http.StatusUnprocessableEntity, "rejected by the verification provider: "+ne.ID)
		return
	}
	fail(w, http.StatusBadGateway, "verification provider unavailable")
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "cus_" + hex.EncodeToString(b[:])
}

// view copies a customer under the lock.
func (c *Customer) view() Customer {
	v := *c
	v.Missing = []string{}
	for _, side := range []string{"front", "back"} {
		if c.forms[side] != nil {
			v.Missing = append(v.Missing, side)
		}
	}
	v.forms = nil
	return v
}

func (s *Service) create(w http.ResponseWriter, r *http.Request) {
	var a Applicant
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&a); err != nil {
		fail(w, http.StatusBadRequest, "body must be an applicant JSON object")
		return
	}
	created, err := s.cfg.Notus.CreateSession(r.Context(), a)
	if err != nil {
		s.cfg.Log.Warn("notus create session failed", "error", err)
		upstream(w, err)
		return
	}
	c := &Customer{ID: newID(), Name: a.FirstName + " " + a.LastName, Status: AwaitingDocuments,
		NotusSessionID: created.Session.ID, forms: map[string]*UploadForm{"front": created.Front}}
	if created.Back != nil {
		c.forms["back"] = created.Back
	}
	s.mu.Lock()
	s.customers[c.ID] = c
	s.bySession[c.NotusSessionID] = c
	v := c.view()
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, v)
}

func (s *Service) lookup(id string) (*Customer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.customers[id]
	return c, ok
}

// document forwards one photo to Notus's storage with the session's form.
func (s *Service) document(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(r.PathValue("id"))
	if !ok {
		fail(w, http.StatusNotFound, "no such customer")
		return
	}
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "image/") {
		fail(w, http.StatusUnsupportedMediaType, "send the photo as image/jpeg or image/png")
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		fail(w, http.StatusBadRequest, "unreadable body")
		return
	}
	side := r.PathValue("side")
	s.mu.Lock()
	form := c.forms[side]
	s.mu.Unlock()
	if form == nil {
		fail(w, http.StatusConflict, "this side is not expected (already uploaded, or no such side)")
		return
	}
	if err := s.cfg.Notus.Upload(r.Context(), form, ct, data); err != nil {
		s.cfg.Log.Warn("notus upload failed", "error", err)
		fail(w, http.StatusBadGateway, "the document could not be stored")
		return
	}
	s.mu.Lock()
	delete(c.forms, side)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) submit(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(r.PathValue("id"))
	if !ok {
		fail(w, http.StatusNotFound, "no such customer")
		return
	}
	s.mu.Lock()
	missing := len(c.forms)
	sessionID := c.NotusSessionID
	s.mu.Unlock()
	if missing > 0 {
		fail(w, http.StatusConflict, "documents are missing")
		return
	}
	ns, err := s.cfg.Notus.Process(r.Context(), sessionID)
	if err != nil {
		upstream(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.apply(c, ns.Status, ns.IndividualID))
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) {
	c, ok := s.lookup(r.PathValue("id"))
	if !ok {
		fail(w, http.StatusNotFound, "no such customer")
		return
	}
	if r.URL.Query().Get("refresh") != "" {
		ns, err := s.cfg.Notus.GetSession(r.Context(), c.NotusSessionID)
		if err != nil {
			upstream(w, err)
			return
		}
		writeJSON(w, http.StatusOK, s.apply(c, ns.Status, ns.IndividualID))
		return
	}
	s.mu.Lock()
	v := c.view()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, v)
}

// apply moves a customer to the status matching Notus's; a final outcome
// is never undone by a late or replayed event.
func (s *Service) apply(c *Customer, notusStatus string, individualID *string) Customer {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := map[string]string{"VERIFYING": Verifying, "COMPLETED": Approved, "FAILED": Rejected, "EXPIRED": Expired}[notusStatus]
	switch c.Status {
	case Approved, Rejected, Expired:
	default:
		if next != "" {
			c.Status = next
		}
		if individualID != nil {
			c.IndividualID = individualID
		}
	}
	return c.view()
}

// notusEvent is the body of a Notus webhook.
type notusEvent struct {
	Event        string  `json:"event"`
	SessionID    string  `json:"sessionId"`
	Status       string  `json:"status"`
	IndividualID *string `json:"individualId"`
}

// webhook checks the signature before reading anything, then applies the
// event. Unknown sessions are acknowledged so the sender stops retrying.
func (s *Service) webhook(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		fail(w, http.StatusBadRequest, "unreadable body")
		return
	}
	mac := hmac.New(sha256.New, []byte(s.cfg.WebhookSecret))
	mac.Write(body)
	got, err := hex.DecodeString(r.Header.Get("X-Notus-Signature"))
	if err != nil || s.cfg.WebhookSecret == "" || !hmac.Equal(got, mac.Sum(nil)) {
		s.cfg.Log.Warn("notus webhook with a bad signature refused")
		fail(w, http.StatusUnauthorized, "bad signature")
		return
	}
	var ev notusEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		fail(w, http.StatusBadRequest, "body is not a Notus event")
		return
	}
	s.mu.Lock()
	c, ok := s.bySession[ev.SessionID]
	s.mu.Unlock()
	if ok {
		s.apply(c, ev.Status, ev.IndividualID)
	}
	w.WriteHeader(http.StatusNoContent)
}

// Customer returns a customer by id.
func (s *Service) Customer(_ context.Context, id string) (Customer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.customers[id]
	if !ok {
		return Customer{}, false
	}
	return c.view(), true
}
