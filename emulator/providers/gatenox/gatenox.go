// Package gatenox emulates the API of Gatenox (Gatenox Hub / Compliance
// Cloud): individual (KYC) and corporate (KYB) invitations, whose links
// kycemu serves as hosted pages; the cases a submission creates, with
// their people, companies, addresses, documents and ownership graph,
// revisions by timestamp and an audit log; the compliance officer's state
// endpoints on Gatenox's process graph; externally calculated risk scores;
// screening checks of people, companies and crypto addresses; the company
// register, completeness profiles and verified crypto addresses; and
// unsigned state_change webhooks. Everything it keeps lives in the state
// layer.
package gatenox

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/specs"
)

// Name is the mount name.
const Name = "gatenox"

// Provider is the Gatenox emulation.
type Provider struct {
	env      provider.Env
	spec     []byte
	state    *state.Space
	encoders encoders
}

// New builds the provider on its space of the store.
func New(env provider.Env, st *state.Store) *Provider {
	p := &Provider{env: env, spec: specs.MustRead(Name)}
	p.state = st.Space(Name, p.stateSpec())
	return p
}

// Name returns "gatenox".
func (p *Provider) Name() string { return Name }

// Spec returns the OpenAPI document.
func (p *Provider) Spec() []byte { return p.spec }

// Hosts returns the production and sandbox API hosts.
func (p *Provider) Hosts() []string {
	return []string{"api.app.gatenox.com", "api.sandbox.gatenox.com"}
}

// Handlers maps operations to handlers. Each handler reports the time it
// took on the emulator clock in X-Runtime.
func (p *Provider) Handlers() map[string]provider.Handler {
	individualState := func(ev string) provider.Handler { return p.stateCall(ev, "verification_individual_id", individualOnly) }
	verificationState := func(ev string) provider.Handler { return p.stateCall(ev, "verification_id", anyCase) }
	hs := map[string]provider.Handler{
		"createIndividualInvites":                p.createInvites,
		"listIndividualInvites":                  p.listInvites,
		"listVerificationIndividuals":            p.listCases,
		"getVerificationIndividual":              p.getCase,
		"getVerificationIndividualPerson":        p.getPerson,
		"listVerificationIndividualAddresses":    p.listAddresses,
		"getVerificationIndividualAddress":       p.getAddress,
		"getVerificationIndividualAuditLog":      p.getAuditLog(individualOnly),
		"startVerificationIndividual":            individualState(evStart),
		"qaVerificationIndividual":               individualState(evQA),
		"backToComplianceVerificationIndividual": individualState(evBackToCompliance),
		"completeVerificationIndividual":         individualState(evComplete),
		"reopenVerificationIndividual":           individualState(evReopen),
		"rejectVerificationIndividual":           individualState(evReject),
		"downloadAttachment":                     p.download,
		"uploadExternalRiskScore":                p.uploadRiskScore,

		"createCorporateInvites": p.createCorporateInvites,
		"listCorporateInvites":   p.listCorporateInvites,
		"acceptCorporateInvite":  p.acceptCorporateInvite,
		"resendCorporateInvite":  p.resendCorporateInvite,

		"listVerifications":                  p.listVerifications,
		"getVerification":                    p.getVerification,
		"getVerificationAuditLog":            p.getAuditLog(anyCase),
		"listVerificationAddresses":          p.serveList("addresses", "address", addressItems),
		"getVerificationAddress":             p.serveList("addresses", "address", addressItems),
		"listVerificationCompanyDocuments":   p.serveList("company_documents", "company_document", companyDocumentItems),
		"getVerificationCompanyDocument":     p.serveList("company_documents", "company_document", companyDocumentItems),
		"listVerificationDirectors":          p.serveList("directors", "director", directorItems(false)),
		"getVerificationDirector":            p.serveList("directors", "director", directorItems(true)),
		"listVerificationCompanies":          p.serveList("companies", "company", companyItems(false)),
		"getVerificationCompany":             p.serveList("companies", "company", companyItems(true)),
		"listVerificationPeople":             p.serveList("people", "person", peopleItems(false)),
		"getVerificationPerson":              p.serveList("people", "person", peopleItems(true)),
		"listVerificationUbos":               p.serveList("ubos", "ubo", uboItems(false)),
		"getVerificationUbo":                 p.serveList("ubos", "ubo", uboItems(true)),
		"getVerificationCompanyDetails":      p.companyDetails,
		"getVerificationGraph":               p.graph,
		"downloadVerificationFile":           p.download,
		"startVerification":                  verificationState(evStart),
		"qaVerification":                     verificationState(evQA),
		"backToComplianceVerification":       verificationState(evBackToCompliance),
		"completeVerification":               verificationState(evComplete),
		"reopenVerification":                 verificationState(evReopen),
		"rejectVerification":                 verificationState(evReject),
		"requestDataUpdateVerification":      verificationState(evRequestDataUpdate),
		"cancelDataUpdateVerification":       verificationState(evCancelDataUpdate),
		"requestRiskScoreUpdateVerification": verificationState(evRequestRiskScore),
		"cancelRiskScoreUpdateVerification":  verificationState(evCancelRiskScoreUpdate),

		"listIndividualChecks":     p.listChecks(KindCheckIndividual),
		"createIndividualCheck":    p.createCheck(KindCheckIndividual),
		"getIndividualCheck":       p.getCheck(KindCheckIndividual),
		"updateIndividualCheck":    p.updateCheck(KindCheckIndividual),
		"listCompanyChecks":        p.listChecks(KindCheckCompany),
		"createCompanyCheck":       p.createCheck(KindCheckCompany),
		"getCompanyCheck":          p.getCheck(KindCheckCompany),
		"updateCompanyCheck":       p.updateCheck(KindCheckCompany),
		"listCryptoAddressChecks":  p.listChecks(KindCheckCrypto),
		"createCryptoAddressCheck": p.createCheck(KindCheckCrypto),
		"getCryptoAddressCheck":    p.getCheck(KindCheckCrypto),
		"updateCryptoAddressCheck": p.updateCheck(KindCheckCrypto),
		"listEntityChecks":         p.listEntityChecks,

		"getCompanyByNumber":          p.lookupCompany,
		"listCompletenessProfiles":    p.completenessProfiles,
		"listVerifiedCryptoAddresses": p.verifiedCryptoAddresses,
	}
	for op, h := range hs {
		hs[op] = p.timed(h)
	}
	return hs
}

// timed sets X-Runtime once the handler is done. The core buffers the
// response until the pipeline ends, so the header still goes out with it.
func (p *Provider) timed(h provider.Handler) provider.Handler {
	return func(c *provider.Call) error {
		start := p.env.Clock.Now()
		err := h(c)
		c.W.Header().Set("X-Runtime", runtimeOf(p.env.Clock.Now().Sub(start)))
		return err
	}
}

func runtimeOf(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return fmt.Sprintf("%.6f", d.Seconds())
}

// Extras serves the hosted invitation pages behind invitation_url.
func (p *Provider) Extras() []provider.Route {
	return []provider.Route{
		{Method: http.MethodGet, Path: "/invitations/kyc/{token}", Handler: http.HandlerFunc(p.page)},
		{Method: http.MethodPost, Path: "/invitations/kyc/{token}", Handler: http.HandlerFunc(p.pageAction)},
		{Method: http.MethodGet, Path: "/referrals/join/{referral}/{token}", Handler: http.HandlerFunc(p.corporatePage)},
		{Method: http.MethodPost, Path: "/referrals/join/{referral}/{token}", Handler: http.HandlerFunc(p.corporatePageAction)},
	}
}

// Authenticate takes the company access token from Authorization: Bearer;
// the token is the tenant. A token blocked through the control API is
// refused like a missing one.
func (p *Provider) Authenticate(r *http.Request) (string, *provider.Error) {
	scheme, token, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", provider.Errorf(provider.KindUnauthorized, "missing token")
	}
	var blocked bool
	_ = p.state.View(token, func(tx *state.Tx) error {
		blocked = settingsOf(tx).Blocked
		return nil
	})
	if blocked {
		return "", provider.Errorf(provider.KindUnauthorized, "the token is blocked")
	}
	return token, nil
}

// contentType is what Gatenox, a Rails application, answers JSON with.
const contentType = "application/json; charset=utf-8"

// reply writes a JSON answer with Gatenox's headers.
func reply(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Cache-Control", "no-store, must-revalidate, private, max-age=0")
	if h.Get("X-Runtime") == "" {
		h.Set("X-Runtime", runtimeOf(0))
	}
	provider.WriteJSONType(w, status, contentType, v)
}

// ok answers a call with 200 (or status) and v.
func ok(c *provider.Call, status int, v any) error {
	reply(c.W, status, v)
	return nil
}

// stamp formats times as Rails does in Gatenox's answers.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func stampPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := stamp(*t)
	return &s
}

func strPtr(s string) *string { return &s }

// optional turns "" into nil.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
