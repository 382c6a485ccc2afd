// Package s3post emulates the part of Amazon S3 that KYC uploads use: POST
// uploads authorised by a SigV4-signed POST policy, requests signed with
// SigV4 in the Authorization header (PutObject, GetObject, with SHA-256,
// unsigned or aws-chunked payloads) and presigned URLs. It signs forms the way the AWS SDKs' createPresignedPost does and
// checks submitted forms the way S3 does (signature, expiration, every
// condition, content-length-range, no unlisted fields), answering failures
// in S3's XML error format.
package s3post

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/jsonx"
)

const (
	// Algorithm is the only signing algorithm accepted.
	Algorithm  = "AWS4-HMAC-SHA256"
	amzDate    = "20060102T150405Z"
	amzDay     = "20060102"
	policyTime = jsonx.MillisLayout // written by jsonx.AppendMillis
)

// Signer holds the fake credentials of one emulated bucket owner. Its
// fields are set once, before the first use; it is then safe for
// concurrent use.
type Signer struct {
	AccessKeyID string
	Secret      string
	Region      string

	// key caches the last derived signing key: it depends only on the day,
	// the region and the secret, so one derivation (four HMACs) serves
	// every form and request of a day.
	key atomic.Pointer[signingKey]
	// stamps caches the credential and date fields of the last second a
	// form was presigned in: every form of that second shares them.
	stamps atomic.Pointer[formStamps]
}

type formStamps struct {
	sec             int64 // Unix seconds, the fields' resolution
	akid, region    string
	cred, date, day string
}

type signingKey struct {
	day, region, secret string
	key                 []byte
	// macs holds HMACs keyed with key, reset between uses, so signing
	// costs no key schedule and no allocation.
	macs sync.Pool
}

// Form is what a client needs to upload: the URL to POST to and the fields
// to send before the file. Its JSON is {"url":…,"fields":{…}}, the fields
// an object keyed by field name.
//
// The fields are kept by meaning rather than in a map: a form is built for
// every upload a session offers, and a map of its eight fields costs more
// than the form's own strings.
type Form struct {
	URL string
	// Bucket, Key, ContentType, Credential (X-Amz-Credential), Date
	// (X-Amz-Date), Policy and Signature (X-Amz-Signature) are the
	// fields' values; the X-Amz-Algorithm field is always Algorithm. An
	// empty ContentType means no Content-Type field.
	Bucket, Key, ContentType, Credential, Date, Policy, Signature string

	// policy and signature are what Presign set Policy and Signature to,
	// base64 and hex: while the fields still hold them (a comparison that
	// costs nothing when they share their bytes), AppendJSON writes them
	// without looking for characters to escape, as there are none.
	policy, signature string
}

// list returns the form's fields, name and value, in name order (the order
// encoding/json writes a map in, and AppendJSON writes them in) using buf's
// room.
func (f *Form) list(buf *[8][2]string) [][2]string {
	l := buf[:0]
	if f.ContentType != "" {
		l = append(l, [2]string{"Content-Type", f.ContentType})
	}
	return append(l, [2]string{"Policy", f.Policy}, [2]string{"X-Amz-Algorithm", Algorithm},
		[2]string{"X-Amz-Credential", f.Credential}, [2]string{"X-Amz-Date", f.Date},
		[2]string{"X-Amz-Signature", f.Signature}, [2]string{"bucket", f.Bucket}, [2]string{"key", f.Key})
}

// Fields returns the form's fields by name, as a client sends them.
func (f *Form) Fields() map[string]string {
	var buf [8][2]string
	l := f.list(&buf)
	m := make(map[string]string, len(l))
	for _, kv := range l {
		m[kv[0]] = kv[1]
	}
	return m
}

// AppendJSON appends the form as an encoding/json Encoder without HTML
// escaping writes {"url":…,"fields":Fields()} (httpx.JSONAppender).
//
// The fields are written in list's order, their names as constants.
func (f *Form) AppendJSON(b []byte) []byte {
	if f == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"url":`...)
	b = jsonx.AppendString(b, f.URL, false)
	b = append(b, `,"fields":{`...)
	if f.ContentType != "" {
		b = append(b, `"Content-Type":`...)
		b = jsonx.AppendString(b, f.ContentType, false)
		b = append(b, ',')
	}
	b = append(b, `"Policy":`...)
	b = appendSigned(b, f.Policy, f.policy)
	b = append(b, `,"X-Amz-Algorithm":"`+Algorithm+`","X-Amz-Credential":`...)
	b = jsonx.AppendString(b, f.Credential, false)
	b = append(b, `,"X-Amz-Date":`...)
	b = jsonx.AppendString(b, f.Date, false)
	b = append(b, `,"X-Amz-Signature":`...)
	b = appendSigned(b, f.Signature, f.signature)
	b = append(b, `,"bucket":`...)
	b = jsonx.AppendString(b, f.Bucket, false)
	b = append(b, `,"key":`...)
	b = jsonx.AppendString(b, f.Key, false)
	return append(b, "}}"...)
}

// appendSigned appends v, a form's policy or signature, as a JSON string:
// as it is when it is still signed, what Presign wrote (base64 or hex).
func appendSigned(b []byte, v, signed string) []byte {
	if v != signed {
		return jsonx.AppendString(b, v, false)
	}
	b = append(b, '"')
	b = append(b, v...)
	return append(b, '"')
}

// MarshalJSON writes the form for encoding/json (which escapes HTML in it
// as it would in a map).
func (f Form) MarshalJSON() ([]byte, error) { return f.AppendJSON(nil), nil }

// Policy describes one upload to authorise.
type Policy struct {
	Bucket string
	Key    string
	// Now is when the form is issued; Expires when it stops working.
	Now     time.Time
	Expires time.Time
	// MinSize and MaxSize bound the file (content-length-range).
	MinSize, MaxSize int64
	// ContentType is sent as a field; ContentTypePrefix, when set, is a
	// starts-with condition on it (so a client may change the type within
	// the prefix, e.g. image/png for image/).
	ContentType       string
	ContentTypePrefix string
	// AnyContentType allows any Content-Type (a starts-with "" condition).
	AnyContentType bool
}

// Presign returns the form for one upload to url.
//
// Creating a session presigns several forms, so Presign keeps its garbage
// down to what the form holds: the policy and its signature share one
// string, cut from a reused buffer (the policy document and its base64
// never leave it), and the forms of a second share their credential and
// date.
func (s *Signer) Presign(url string, p Policy) Form {
	st := s.stampsAt(p.Now)
	cred, date, day := st.cred, st.date, st.day

	sp := scratch.Get().(*[]byte)
	buf := appendPolicy((*sp)[:0], p, cred, date)
	docEnd := len(buf)
	buf = base64.StdEncoding.AppendEncode(buf, buf[:docEnd])
	policyEnd := len(buf)
	buf = s.appendSignature(buf, day, s.Region, buf[docEnd:policyEnd])
	signed := string(buf[docEnd:])
	policy, sig := signed[:policyEnd-docEnd], signed[policyEnd-docEnd:]
	if cap(buf) <= maxScratch {
		*sp = buf[:0]
		scratch.Put(sp)
	}

	return Form{URL: url, Bucket: p.Bucket, Key: p.Key, ContentType: p.ContentType,
		Credential: cred, Date: date, Policy: policy, Signature: sig, policy: policy, signature: sig}
}

// stampsAt returns the credential, date and day of forms issued at t,
// formatted once a second.
func (s *Signer) stampsAt(t time.Time) *formStamps {
	sec := t.Unix()
	if st := s.stamps.Load(); st != nil && st.sec == sec && st.akid == s.AccessKeyID && st.region == s.Region {
		return st
	}
	now := t.UTC()
	var stack [96]byte
	b := append(stack[:0], s.AccessKeyID...)
	b = append(b, '/')
	dayAt := len(b)
	b = now.AppendFormat(b, amzDay)
	dayEnd := len(b)
	b = append(b, '/')
	b = append(b, s.Region...)
	b = append(b, "/s3/aws4_request"...)
	credEnd := len(b)
	b = now.AppendFormat(b, amzDate)
	all := string(b) // one string the three fields are cut from
	st := &formStamps{sec: sec, akid: s.AccessKeyID, region: s.Region,
		cred: all[:credEnd], date: all[credEnd:], day: all[dayAt:dayEnd]}
	s.stamps.Store(st)
	return st
}

// scratch holds Presign's working buffers. One form needs about 1 KB; a
// buffer grown past maxScratch by an unusually long key is dropped rather
// than kept for every later form.
var scratch = sync.Pool{New: func() any {
	b := make([]byte, 0, 2048)
	return &b
}}

const maxScratch = 16 << 10

// appendPolicy appends the POST policy of p as JSON, byte for byte what
// encoding/json makes of it as maps and slices (keys sorted, HTML
// characters escaped), without building them:
//
//	{"conditions":[{"bucket":…},{"key":…},["content-length-range",min,max],
//	 (Content-Type,) {"x-amz-algorithm":…},{"x-amz-credential":…},
//	 {"x-amz-date":…}],"expiration":…}
func appendPolicy(b []byte, p Policy, cred, date string) []byte {
	pair := func(k, v string) {
		b = append(b, '{')
		b = jsonx.AppendString(b, k, true)
		b = append(b, ':')
		b = jsonx.AppendString(b, v, true)
		b = append(b, "},"...)
	}
	b = append(b, `{"conditions":[`...)
	pair("bucket", p.Bucket)
	pair("key", p.Key)
	b = append(b, `["content-length-range",`...)
	b = strconv.AppendInt(b, p.MinSize, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, p.MaxSize, 10)
	b = append(b, "],"...)
	if p.ContentType != "" {
		if p.ContentTypePrefix != "" || p.AnyContentType {
			b = append(b, `["starts-with","$Content-Type",`...)
			b = jsonx.AppendString(b, p.ContentTypePrefix, true)
			b = append(b, "],"...)
		} else {
			pair("Content-Type", p.ContentType)
		}
	}
	pair("x-amz-algorithm", Algorithm)
	pair("x-amz-credential", cred)
	pair("x-amz-date", date)
	b[len(b)-1] = ']' // the last condition's comma
	b = append(b, `,"expiration":`...)
	b = append(b, '"')
	b = jsonx.AppendMillis(b, p.Expires)
	return append(b, `"}`...)
}

func (s *Signer) credential(t time.Time) string {
	return s.AccessKeyID + "/" + scope(t.UTC().Format(amzDay), s.Region)
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// signingKey returns the SigV4 key for a day and region, derived once
// and kept until either (or the secret) changes.
func (s *Signer) signingKey(day, region string) *signingKey {
	if k := s.key.Load(); k != nil && k.day == day && k.region == region && k.secret == s.Secret {
		return k
	}
	b := hmacSHA256([]byte("AWS4"+s.Secret), day)
	b = hmacSHA256(b, region)
	b = hmacSHA256(b, "s3")
	k := &signingKey{day: day, region: region, secret: s.Secret, key: hmacSHA256(b, "aws4_request")}
	k.macs.New = func() any { return hmac.New(sha256.New, k.key) }
	s.key.Store(k)
	return k
}

func (s *Signer) sign(day, region, stringToSign string) string {
	return string(s.appendSignature(make([]byte, 0, 2*sha256.Size), day, region, []byte(stringToSign)))
}

// appendSignature appends the hex SigV4 signature of msg to dst; msg may
// be part of dst (Presign signs the policy where it encoded it).
func (s *Signer) appendSignature(dst []byte, day, region string, msg []byte) []byte {
	k := s.signingKey(day, region)
	mac := k.macs.Get().(hash.Hash)
	mac.Reset()
	mac.Write(msg)
	n := len(dst)
	// The raw sum lands where its hex goes, then moves aside: dst is
	// heap memory already, where a local array would escape through the
	// interface call.
	dst = mac.Sum(dst)
	k.macs.Put(mac)
	var sum [sha256.Size]byte
	copy(sum[:], dst[n:])
	return hex.AppendEncode(dst[:n], sum[:])
}

// parseCredential splits "AKID/20260101/region/s3/aws4_request".
func parseCredential(c string) (akid, day, region string, ok bool) {
	parts := strings.Split(c, "/")
	if len(parts) != 5 || parts[3] != "s3" || parts[4] != "aws4_request" {
		return "", "", "", false
	}
	if _, err := time.Parse(amzDay, parts[1]); err != nil {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}
