package s3post

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// MaxGetExpiry is the longest validity SigV4 allows for a presigned URL.
const MaxGetExpiry = 7 * 24 * time.Hour

// PresignGet returns a SigV4 query-signed GET URL. base is the public URL up
// to the provider mount, path the object's path below it (starting with /),
// host the Host the client will send.
func (s *Signer) PresignGet(base, path, host string, now time.Time, expires time.Duration) string {
	q := url.Values{}
	q.Set("X-Amz-Algorithm", Algorithm)
	q.Set("X-Amz-Credential", s.credential(now))
	q.Set("X-Amz-Date", now.UTC().Format(amzDate))
	q.Set("X-Amz-Expires", strconv.Itoa(int(expires/time.Second)))
	q.Set("X-Amz-SignedHeaders", "host")
	sig := s.sign(now.UTC().Format(amzDay), s.Region, stringToSign(now.UTC().Format(amzDate),
		scope(now.UTC().Format(amzDay), s.Region), canonicalGet(escapePath(path), q, host)))
	return base + escapePath(path) + "?" + canonicalQuery(q) + "&X-Amz-Signature=" + sig
}

// VerifyGet checks a presigned GET request; path is the request path below
// the provider mount.
func (s *Signer) VerifyGet(r *http.Request, path string, now time.Time) *Error {
	q := r.URL.Query()
	sig := q.Get("X-Amz-Signature")
	if sig == "" || q.Get("X-Amz-Credential") == "" || q.Get("X-Amz-Date") == "" || q.Get("X-Amz-Expires") == "" {
		return errorf(http.StatusForbidden, "AccessDenied", "Access Denied")
	}
	if q.Get("X-Amz-Algorithm") != Algorithm {
		return errorf(http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
	}
	akid, day, region, ok := parseCredential(q.Get("X-Amz-Credential"))
	if !ok {
		return errorf(http.StatusBadRequest, "AuthorizationQueryParametersError",
			"Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	if akid != s.AccessKeyID {
		return errorf(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	}
	signed, err := time.Parse(amzDate, q.Get("X-Amz-Date"))
	if err != nil {
		return errorf(http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > MaxGetExpiry {
		return errorf(http.StatusBadRequest, "AuthorizationQueryParametersError",
			"X-Amz-Expires must be a number of seconds between 1 and 604800")
	}
	q.Del("X-Amz-Signature")
	want := s.sign(day, region, stringToSign(q.Get("X-Amz-Date"), scope(day, region), canonicalGet(escapePath(path), q, r.Host)))
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(sig))) != 1 {
		return errorf(http.StatusForbidden, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	}
	expiry := signed.Add(time.Duration(secs) * time.Second)
	if now.After(expiry) {
		return errorf(http.StatusForbidden, "AccessDenied", "Request has expired",
			[2]string{"X-Amz-Expires", strconv.Itoa(secs)},
			[2]string{"Expires", expiry.Format("2006-01-02T15:04:05Z")},
			[2]string{"ServerTime", now.UTC().Format("2006-01-02T15:04:05Z")})
	}
	return nil
}

func scope(day, region string) string { return day + "/" + region + "/s3/aws4_request" }

func stringToSign(date, scope, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return Algorithm + "\n" + date + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

func canonicalGet(path string, q url.Values, host string) string {
	return "GET\n" + path + "\n" + canonicalQuery(q) + "\nhost:" + strings.TrimSpace(host) + "\n\nhost\nUNSIGNED-PAYLOAD"
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
