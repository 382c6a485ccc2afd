// Package notus emulates the KYC API of Notus Labs: individual (standard and
// enhanced) and business verification sessions whose document images are
// uploaded straight to a storage bucket through S3 browser-POST forms, a
// process call that starts verification, and the session's life from
// PENDING to COMPLETED, FAILED or EXPIRED.
package notus

import (
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/kycemu/kycemu/emulator/internal/s3post"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/specs"
)

// Name is the mount name.
const Name = "notus"

// Bucket is the name of the emulated document bucket.
const Bucket = "notus-kyc-documents"

// Provider is the Notus Labs emulation.
type Provider struct {
	env     provider.Env
	openapi []byte
	signer  *s3post.Signer
	state   *state.Space
	// lastBucket is the bucket URL bucketURL made last, with the root URL
	// it was made of: requests mostly come with one Host.
	lastBucket atomic.Pointer[[2]string]
}

// bucketURL is the upload bucket's URL under root, the public root URL.
func (p *Provider) bucketURL(root string) string {
	if u := p.lastBucket.Load(); u != nil && u[0] == root {
		return u[1]
	}
	u := &[2]string{root, root + "/" + Bucket}
	p.lastBucket.Store(u)
	return u[1]
}

// New builds the provider on its space of the store.
func New(env provider.Env, st *state.Store) *Provider {
	r := env.Rand.Derive(Name, "bucket-credentials")
	p := &Provider{
		env:     env,
		openapi: specs.MustRead(Name),
		signer: &s3post.Signer{
			AccessKeyID: "AKIA" + r.String("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
			Secret:      r.String("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40),
			Region:      "sa-east-1",
		},
	}
	p.state = st.Space(Name, p.spec())
	return p
}

// Name returns "notus".
func (p *Provider) Name() string { return Name }

// Spec returns the OpenAPI document.
func (p *Provider) Spec() []byte { return p.openapi }

// Hosts returns the real API hosts.
func (p *Provider) Hosts() []string { return []string{"api.notus.team", "api.notuslabs.xyz"} }

// Handlers maps operations to handlers.
func (p *Provider) Handlers() map[string]provider.Handler {
	return map[string]provider.Handler{
		"createStandardIndividualSession":  p.create(kindStandard),
		"getStandardIndividualSession":     p.get(kindStandard),
		"processStandardIndividualSession": p.process(kindStandard),
		"createEnhancedIndividualSession":  p.create(kindEnhanced),
		"getEnhancedIndividualSession":     p.get(kindEnhanced),
		"processEnhancedIndividualSession": p.process(kindEnhanced),
		"createStandardBusinessSession":    p.create(kindBusiness),
		"getStandardBusinessSession":       p.get(kindBusiness),
		"processStandardBusinessSession":   p.process(kindBusiness),
		"createDocumentUrls":               p.documentURLs,
		"getFinancialLimits":               p.financialLimits,
	}
}

// Extras serves the liveness stand-in, the capture page standing in for
// the web SDK (page.go) and the document bucket's alias under the mount,
// /_s3/{bucket}.
func (p *Provider) Extras() []provider.Route {
	return append(p.bucketRoutes("/_s3/{bucket}", atMount),
		provider.Route{Method: http.MethodPost, Path: "/_liveness/{sessionId}", Handler: http.HandlerFunc(p.liveness)},
		provider.Route{Method: http.MethodGet, Path: "/_sdk/{sessionId}", Handler: http.HandlerFunc(p.page)},
		provider.Route{Method: http.MethodPost, Path: "/_sdk/{sessionId}", Handler: http.HandlerFunc(p.pageOutcome)})
}

// RootRoutes serve the document bucket at the emulator's root, where
// path-style S3 clients (minio-go, the AWS SDKs) address it with the
// emulator's URL as endpoint: POST /notus-kyc-documents (browser upload),
// GET/HEAD/PUT /notus-kyc-documents/{key}.
func (p *Provider) RootRoutes() []provider.Route {
	return p.bucketRoutes("/"+Bucket, atRoot)
}

func (p *Provider) bucketRoutes(prefix string, at endpointOf) []provider.Route {
	object := prefix + "/{key:.+}"
	return []provider.Route{
		{Method: http.MethodPost, Path: prefix, Handler: p.upload(at)},
		{Method: http.MethodPost, Path: prefix + "/", Handler: p.upload(at)},
		{Method: http.MethodGet, Path: object, Handler: p.download(at)},
		{Method: http.MethodHead, Path: object, Handler: p.download(at)},
		{Method: http.MethodPut, Path: object, Handler: p.put(at)},
	}
}

// CORS is the bucket's and the API's cross-origin policy, as a bucket CORS
// configuration for browser uploads sets it: ETag and the S3 request id
// readable by scripts.
func (p *Provider) CORS() provider.CORS {
	return provider.CORS{Methods: []string{"GET", "HEAD", "POST", "PUT"},
		ExposeHeaders: []string{"ETag", "Location", "x-amz-request-id", "X-Request-Id", "Retry-After"}}
}

// Authenticate takes the x-api-key header as the tenant. The name is
// looked up in its canonical form: Header.Get makes a new string of any
// other on every call.
func (p *Provider) Authenticate(r *http.Request) (string, *provider.Error) {
	key := strings.TrimSpace(r.Header.Get("X-Api-Key"))
	if key == "" {
		return "", provider.Errorf(provider.KindUnauthorized, "missing API key: send it in the x-api-key header").WithCode("UNAUTHORIZED")
	}
	return key, nil
}

var kindCodes = map[provider.Kind]string{
	provider.KindInvalid:       "INVALID_REQUEST",
	provider.KindUnauthorized:  "UNAUTHORIZED",
	provider.KindForbidden:     "FORBIDDEN",
	provider.KindNotFound:      "NOT_FOUND",
	provider.KindMethod:        "METHOD_NOT_ALLOWED",
	provider.KindConflict:      "CONFLICT",
	provider.KindTooLarge:      "PAYLOAD_TOO_LARGE",
	provider.KindUnprocessable: "UNPROCESSABLE_ENTITY",
	provider.KindRateLimited:   "TOO_MANY_REQUESTS",
	provider.KindUnavailable:   "SERVICE_UNAVAILABLE",
	provider.KindInternal:      "INTERNAL_SERVER_ERROR",
}

type errorBody struct {
	Message string `json:"message"`
	ID      string `json:"id"`
	Field   string `json:"field,omitempty"`
}

// WriteError writes {"message", "id", "field"?}.
func (p *Provider) WriteError(w http.ResponseWriter, _ *http.Request, e *provider.Error) {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	provider.WriteJSON(w, e.Status, errorBody{Message: msg, ID: e.CodeOr(kindCodes[e.Kind]), Field: e.Field})
}
