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
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

const (
	// Algorithm is the only signing algorithm accepted.
	Algorithm  = "AWS4-HMAC-SHA256"
	amzDate    = "20060102T150405Z"
	amzDay     = "20060102"
	policyTime = "2006-01-02T15:04:05.000Z"
)

// Signer holds the fake credentials of one emulated bucket owner.
type Signer struct {
	AccessKeyID string
	Secret      string
	Region      string
}

// Form is what a client needs to upload: the URL to POST to and the fields
// to send before the file.
type Form struct {
	URL    string            `json:"url"`
	Fields map[string]string `json:"fields"`
}

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
func (s *Signer) Presign(url string, p Policy) Form {
	cred := s.credential(p.Now)
	date := p.Now.UTC().Format(amzDate)
	conds := []any{
		map[string]string{"bucket": p.Bucket},
		map[string]string{"key": p.Key},
		[]any{"content-length-range", p.MinSize, p.MaxSize},
	}
	fields := map[string]string{
		"bucket":           p.Bucket,
		"key":              p.Key,
		"X-Amz-Algorithm":  Algorithm,
		"X-Amz-Credential": cred,
		"X-Amz-Date":       date,
	}
	if p.ContentType != "" {
		fields["Content-Type"] = p.ContentType
		if p.ContentTypePrefix != "" || p.AnyContentType {
			conds = append(conds, []any{"starts-with", "$Content-Type", p.ContentTypePrefix})
		} else {
			conds = append(conds, map[string]string{"Content-Type": p.ContentType})
		}
	}
	conds = append(conds,
		map[string]string{"x-amz-algorithm": Algorithm},
		map[string]string{"x-amz-credential": cred},
		map[string]string{"x-amz-date": date},
	)
	doc, _ := json.Marshal(map[string]any{
		"expiration": p.Expires.UTC().Format(policyTime),
		"conditions": conds,
	})
	policy := base64.StdEncoding.EncodeToString(doc)
	fields["Policy"] = policy
	fields["X-Amz-Signature"] = s.sign(p.Now.UTC().Format(amzDay), s.Region, policy)
	return Form{URL: url, Fields: fields}
}

func (s *Signer) credential(t time.Time) string {
	return fmt.Sprintf("%s/%s/%s/s3/aws4_request", s.AccessKeyID, t.UTC().Format(amzDay), s.Region)
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// signingKey derives the SigV4 key for a day and region.
func (s *Signer) signingKey(day, region string) []byte {
	k := hmacSHA256([]byte("AWS4"+s.Secret), day)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, "s3")
	return hmacSHA256(k, "aws4_request")
}

func (s *Signer) sign(day, region, stringToSign string) string {
	return hex.EncodeToString(hmacSHA256(s.signingKey(day, region), stringToSign))
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
