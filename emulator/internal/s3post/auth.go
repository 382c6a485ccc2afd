package s3post

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MaxGetExpiry is the longest validity SigV4 allows for a presigned URL.
const MaxGetExpiry = 7 * 24 * time.Hour

// maxSkew is how far a header-signed request's X-Amz-Date may be from the
// server's time.
const maxSkew = 15 * time.Minute

// Payload hashes a header-signed request may declare besides a hex SHA-256.
const (
	UnsignedPayload  = "UNSIGNED-PAYLOAD"
	StreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	emptySHA256      = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// PresignGet returns a SigV4 query-signed GET URL for objectURL, the
// object's full public URL (endpoint, bucket and key): the signature covers
// that URL's host and path, exactly as a standard presigner given the same
// credentials computes it.
func (s *Signer) PresignGet(objectURL string, now time.Time, expires time.Duration) string {
	u, err := url.Parse(objectURL)
	if err != nil {
		return objectURL
	}
	now = now.UTC()
	q := url.Values{}
	q.Set("X-Amz-Algorithm", Algorithm)
	q.Set("X-Amz-Credential", s.credential(now))
	q.Set("X-Amz-Date", now.Format(amzDate))
	q.Set("X-Amz-Expires", strconv.Itoa(int(expires/time.Second)))
	q.Set("X-Amz-SignedHeaders", "host")
	creq := canonicalRequest(http.MethodGet, u.Path, q, []string{"host:" + u.Host}, "host", UnsignedPayload)
	sig := s.sign(now.Format(amzDay), s.Region, stringToSign(now.Format(amzDate), scope(now.Format(amzDay), s.Region), creq))
	u.RawQuery = canonicalQuery(q) + "&X-Amz-Signature=" + sig
	u.RawPath = escapePath(u.Path)
	return u.String()
}

// Auth is a request whose SigV4 signature verified.
type Auth struct {
	AccessKeyID string
	// payload is the declared payload hash (header signing only).
	payload          string
	date, day, scope string
	seed             string // the request signature, the first link of a streaming chain
	signer           *Signer
}

// Authenticate checks the SigV4 signature of r, sent in the Authorization
// header or as presigned query parameters, as S3 does. host and path are
// the public host and path of the request (what the client signed: the
// path starts with the bucket for a path-style endpoint). now is the
// emulator's time: presigned URLs expire on it, and a header-signed
// request more than 15 minutes away from it is refused as skewed.
func (s *Signer) Authenticate(r *http.Request, host, path string, now time.Time) (*Auth, *Error) {
	if h := r.Header.Get("Authorization"); h != "" {
		return s.authHeader(r, h, host, path, now)
	}
	return s.authQuery(r, host, path, now)
}

var queryParams = []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"}

func (s *Signer) authQuery(r *http.Request, host, path string, now time.Time) (*Auth, *Error) {
	q := r.URL.Query()
	present := 0
	for _, k := range queryParams {
		if q.Get(k) != "" {
			present++
		}
	}
	switch {
	case present == 0:
		return nil, errorf(http.StatusForbidden, "AccessDenied", "Access Denied")
	case present < len(queryParams):
		return nil, errorf(http.StatusBadRequest, "AuthorizationQueryParametersError",
			"Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
	}
	if q.Get("X-Amz-Algorithm") != Algorithm {
		return nil, errorf(http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	a, e := s.credentialOf(q.Get("X-Amz-Credential"), "AuthorizationQueryParametersError",
		"Error parsing the X-Amz-Credential parameter; ")
	if e != nil {
		return nil, e
	}
	signed, err := time.Parse(amzDate, q.Get("X-Amz-Date"))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "AuthorizationQueryParametersError",
			"X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > MaxGetExpiry {
		return nil, errorf(http.StatusBadRequest, "AuthorizationQueryParametersError",
			"X-Amz-Expires must be a number of seconds between 1 and 604800")
	}
	sig := q.Get("X-Amz-Signature")
	q.Del("X-Amz-Signature")
	payload := q.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = UnsignedPayload
	}
	a.date = q.Get("X-Amz-Date")
	if e := s.check(r, a, q, q.Get("X-Amz-SignedHeaders"), payload, sig, host, path); e != nil {
		return nil, e
	}
	expiry := signed.Add(time.Duration(secs) * time.Second)
	if now.After(expiry) {
		return nil, errorf(http.StatusForbidden, "AccessDenied", "Request has expired",
			[2]string{"X-Amz-Expires", strconv.Itoa(secs)},
			[2]string{"Expires", expiry.Format("2006-01-02T15:04:05Z")},
			[2]string{"ServerTime", now.UTC().Format("2006-01-02T15:04:05Z")})
	}
	a.payload = UnsignedPayload
	return a, nil
}

func (s *Signer) authHeader(r *http.Request, h, host, path string, now time.Time) (*Auth, *Error) {
	malformed := func(msg string) *Error {
		return errorf(http.StatusBadRequest, "AuthorizationHeaderMalformed", msg)
	}
	rest, ok := strings.CutPrefix(h, Algorithm+" ")
	if !ok {
		return nil, errorf(http.StatusBadRequest, "InvalidArgument", "Unsupported Authorization Type",
			[2]string{"ArgumentName", "Authorization"}, [2]string{"ArgumentValue", "null"})
	}
	parts := map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		parts[k] = v
	}
	cred, signedHeaders, sig := parts["Credential"], parts["SignedHeaders"], parts["Signature"]
	if cred == "" || signedHeaders == "" || sig == "" {
		return nil, malformed("The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.")
	}
	a, e := s.credentialOf(cred, "AuthorizationHeaderMalformed", "The authorization header is malformed; ")
	if e != nil {
		return nil, e
	}
	date := r.Header.Get("X-Amz-Date")
	t, err := time.Parse(amzDate, date)
	if err != nil {
		return nil, errorf(http.StatusForbidden, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case payload == "":
		return nil, errorf(http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
	case payload != UnsignedPayload && payload != StreamingPayload && !isSHA256Hex(payload):
		return nil, errorf(http.StatusBadRequest, "InvalidArgument",
			"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.",
			[2]string{"ArgumentName", "x-amz-content-sha256"})
	}
	a.date = date
	if e := s.check(r, a, r.URL.Query(), signedHeaders, payload, sig, host, path); e != nil {
		return nil, e
	}
	if d := now.Sub(t); d > maxSkew || d < -maxSkew {
		return nil, errorf(http.StatusForbidden, "RequestTimeTooSkewed",
			"The difference between the request time and the current time is too large.",
			[2]string{"RequestTime", date}, [2]string{"ServerTime", now.UTC().Format(time.RFC3339)},
			[2]string{"MaxAllowedRequestTimeOffsetMS", strconv.Itoa(int(maxSkew / time.Millisecond))})
	}
	a.payload = payload
	return a, nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// credentialOf checks "AKID/YYYYMMDD/region/s3/aws4_request" against the
// signer's key and region.
func (s *Signer) credentialOf(c, code, prefix string) (*Auth, *Error) {
	akid, day, region, ok := parseCredential(c)
	if !ok {
		return nil, errorf(http.StatusBadRequest, code,
			prefix+"the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	if akid != s.AccessKeyID {
		return nil, errorf(http.StatusForbidden, "InvalidAccessKeyId",
			"The AWS Access Key Id you provided does not exist in our records.", [2]string{"AWSAccessKeyId", akid})
	}
	if region != s.Region {
		return nil, errorf(http.StatusBadRequest, code,
			fmt.Sprintf("%sthe region '%s' is wrong; expecting '%s'", prefix, region, s.Region), [2]string{"Region", s.Region})
	}
	return &Auth{AccessKeyID: akid, day: day, scope: scope(day, region), signer: s}, nil
}

// check recomputes the signature over the canonical request and compares.
func (s *Signer) check(r *http.Request, a *Auth, q url.Values, signedHeaders, payload, sig, host, path string) *Error {
	names := strings.Split(signedHeaders, ";")
	lines := make([]string, 0, len(names))
	for _, n := range names {
		lines = append(lines, n+":"+headerValue(r, n, host))
	}
	creq := canonicalRequest(r.Method, path, q, lines, signedHeaders, payload)
	sts := stringToSign(a.date, a.scope, creq)
	want := s.sign(a.day, s.Region, sts)
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(sig))) != 1 {
		return signatureMismatch(a.AccessKeyID, sts, sig, creq)
	}
	a.seed = want
	return nil
}

// signatureMismatch is S3's SignatureDoesNotMatch with the elements it
// sends: what it signed, what it got, and the canonical request (both as
// text and as hex bytes) when there is one.
func signatureMismatch(akid, sts, provided, creq string) *Error {
	extra := [][2]string{{"AWSAccessKeyId", akid}, {"StringToSign", sts}, {"SignatureProvided", provided},
		{"StringToSignBytes", hexBytes(sts)}}
	if creq != "" {
		extra = append(extra, [2]string{"CanonicalRequest", creq}, [2]string{"CanonicalRequestBytes", hexBytes(creq)})
	}
	return errorf(http.StatusForbidden, "SignatureDoesNotMatch",
		"The request signature we calculated does not match the signature you provided. Check your key and signing method.", extra...)
}

func hexBytes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%02x", s[i])
	}
	return b.String()
}

// headerValue is a signed header's canonical value: trimmed, inner runs of
// spaces collapsed, several values joined by commas. host is the public
// host; content-length falls back on the parsed length.
func headerValue(r *http.Request, name, host string) string {
	switch name {
	case "host":
		return host
	case "content-length":
		if v := r.Header.Get("Content-Length"); v != "" {
			return v
		}
		return strconv.FormatInt(r.ContentLength, 10)
	}
	vs := r.Header.Values(name)
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

// Body reads the request body as its declared payload hash says: a hex
// SHA-256 is checked, UNSIGNED-PAYLOAD taken as it is, and an aws-chunked
// stream (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) decoded with every chunk
// signature checked. At most limit bytes of payload are read; more is
// EntityTooLarge.
func (a *Auth) Body(r *http.Request, limit int64) ([]byte, *Error) {
	tooLarge := func(n int64) *Error {
		return errorf(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size",
			[2]string{"ProposedSize", strconv.FormatInt(n, 10)}, [2]string{"MaxSizeAllowed", strconv.FormatInt(limit, 10)})
	}
	if a.payload == StreamingPayload {
		return a.chunks(r.Body, limit, tooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, incomplete()
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(int64(len(data)))
	}
	if a.payload != UnsignedPayload && a.payload != "" {
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != a.payload {
			return nil, errorf(http.StatusBadRequest, "XAmzContentSHA256Mismatch",
				"The provided 'x-amz-content-sha256' header does not match what was computed.",
				[2]string{"ClientComputedContentSHA256", a.payload}, [2]string{"S3ComputedContentSHA256", got})
		}
	}
	return data, nil
}

func incomplete() *Error {
	return errorf(http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
}

// chunks decodes an aws-chunked body: "<hex size>;chunk-signature=<sig>\r\n
// <data>\r\n" repeated, ending with a zero-size chunk. Each signature
// chains on the previous one, starting from the request's.
func (a *Auth) chunks(body io.Reader, limit int64, tooLarge func(int64) *Error) ([]byte, *Error) {
	br := bufio.NewReader(io.LimitReader(body, limit+limit/8+64<<10))
	prev := a.seed
	var out bytes.Buffer
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, incomplete()
		}
		sizeHex, params, _ := strings.Cut(strings.TrimRight(line, "\r\n"), ";")
		sig, ok := strings.CutPrefix(params, "chunk-signature=")
		size, perr := strconv.ParseInt(sizeHex, 16, 64)
		if !ok || perr != nil || size < 0 {
			return nil, errorf(http.StatusBadRequest, "InvalidChunkSizeError", "Only the last chunk is allowed to have a size less than 8192 bytes")
		}
		if int64(out.Len())+size > limit {
			return nil, tooLarge(int64(out.Len()) + size)
		}
		chunk := make([]byte, size)
		if _, err := io.ReadFull(br, chunk); err != nil {
			return nil, incomplete()
		}
		var crlf [2]byte
		if _, err := io.ReadFull(br, crlf[:]); err != nil || string(crlf[:]) != "\r\n" {
			return nil, incomplete()
		}
		sum := sha256.Sum256(chunk)
		sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + a.date + "\n" + a.scope + "\n" + prev + "\n" + emptySHA256 + "\n" + hex.EncodeToString(sum[:])
		want := a.signer.sign(a.day, a.signer.Region, sts)
		if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(sig))) != 1 {
			return nil, signatureMismatch(a.AccessKeyID, sts, sig, "")
		}
		prev = want
		if size == 0 {
			return out.Bytes(), nil
		}
		out.Write(chunk)
	}
}

func scope(day, region string) string { return day + "/" + region + "/s3/aws4_request" }

func stringToSign(date, scope, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return Algorithm + "\n" + date + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

// canonicalRequest is SigV4's canonical request; path is unescaped (S3
// escapes each segment once), headers are "name:value" lines in the order
// of signedHeaders.
func canonicalRequest(method, path string, q url.Values, headers []string, signedHeaders, payload string) string {
	return method + "\n" + escapePath(path) + "\n" + canonicalQuery(q) + "\n" + strings.Join(headers, "\n") + "\n\n" +
		signedHeaders + "\n" + payload
}

func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, awsEscape(k, false)+"="+awsEscape(v, false))
		}
	}
	return strings.Join(parts, "&")
}

func escapePath(p string) string { return awsEscape(p, true) }

// awsEscape percent-encodes everything but RFC 3986 unreserved characters
// (and '/' when keepSlash), as SigV4 requires.
func awsEscape(s string, keepSlash bool) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && keepSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexd[c>>4])
			b.WriteByte(hexd[c&15])
		}
	}
	return b.String()
}
