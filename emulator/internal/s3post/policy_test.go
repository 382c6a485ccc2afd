package s3post

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"
)

// marshalPolicy is the policy as encoding/json writes it from maps and
// slices: what appendPolicy must produce byte for byte.
func marshalPolicy(p Policy, cred, date string) []byte {
	conds := []any{
		map[string]string{"bucket": p.Bucket},
		map[string]string{"key": p.Key},
		[]any{"content-length-range", p.MinSize, p.MaxSize},
	}
	if p.ContentType != "" {
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
	doc, _ := json.Marshal(map[string]any{"expiration": p.Expires.UTC().Format(policyTime), "conditions": conds})
	return doc
}

func TestPolicyDocumentIsWhatJSONWrites(t *testing.T) {
	t0 := time.Date(2026, 5, 4, 10, 0, 0, 0, time.FixedZone("x", -3*3600))
	base := Policy{Bucket: "notus-kyc-documents", Key: "kyc/6f1c/front", Now: t0, Expires: t0.Add(15 * time.Minute), MinSize: 1, MaxSize: 10 << 20}
	odd := "a\"b\\c<d>e&f\n\r\t\x01\x1f é \u2028\u2029 \xff\xfe 😀"
	for name, p := range map[string]Policy{
		"plain":      base,
		"type":       {Bucket: "b", Key: "k", Expires: t0, ContentType: "image/jpeg"},
		"prefix":     {Bucket: "b", Key: "k", Expires: t0, ContentType: "image/jpeg", ContentTypePrefix: "image/"},
		"any":        {Bucket: "b", Key: "k", Expires: t0, ContentType: "application/pdf", AnyContentType: true},
		"odd":        {Bucket: odd, Key: odd, Expires: t0, MinSize: -5, MaxSize: 0, ContentType: odd, ContentTypePrefix: odd},
		"odd equals": {Bucket: "b", Key: "k" + odd, Expires: t0, ContentType: odd},
	} {
		cred, date := "AKIA/20260504/sa-east-1/s3/aws4_request", "20260504T130000Z"
		if got, want := appendPolicy(nil, p, cred+odd, date), marshalPolicy(p, cred+odd, date); string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

func TestSigningKeyFollowsDayRegionAndSecret(t *testing.T) {
	s := &Signer{AccessKeyID: "AKIATEST", Secret: "one", Region: "sa-east-1"}
	derive := func(secret, day, region string) string {
		k := hmacSHA256([]byte("AWS4"+secret), day)
		k = hmacSHA256(hmacSHA256(hmacSHA256(k, region), "s3"), "aws4_request")
		return string(k)
	}
	for _, c := range []struct{ secret, day, region string }{
		{"one", "20260504", "sa-east-1"}, {"one", "20260504", "sa-east-1"}, {"one", "20260505", "sa-east-1"},
		{"one", "20260505", "us-east-1"}, {"two", "20260505", "us-east-1"},
	} {
		s.Secret = c.secret
		if string(s.signingKey(c.day, c.region).key) != derive(c.secret, c.day, c.region) {
			t.Errorf("%v: stale signing key", c)
		}
	}
}

func BenchmarkPresign(b *testing.B) {
	s := &Signer{AccessKeyID: "AKIATEST", Secret: "secret/key+value", Region: "sa-east-1"}
	t0 := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	p := Policy{Bucket: "notus-kyc-documents", Key: "kyc/6f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4a5b/front", Now: t0,
		Expires: t0.Add(15 * time.Minute), MinSize: 1, MaxSize: 10 << 20}
	b.ReportAllocs()
	for b.Loop() {
		s.Presign("http://localhost:8080/notus-kyc-documents", p)
	}
}

// TestFormAppendJSONIsWhatJSONWrites: Form.AppendJSON writes what
// encoding/json, without HTML escaping, writes of the form as a URL and a
// map of its fields; MarshalJSON what it writes with HTML escaping.
func TestFormAppendJSONIsWhatJSONWrites(t *testing.T) {
	odd := "a\"b\\c<d>e&f\n\x01\b\f é \u2028 \xff 😀"
	signed := signer.Presign("http://localhost:8080/notus-kyc-documents", Policy{Bucket: "b", Key: "kyc/1/front",
		Now: t0, Expires: t0.Add(time.Minute), ContentType: "image/jpeg"})
	untyped := signer.Presign("http://localhost:8080/notus-kyc-documents", Policy{Bucket: "b", Key: "kyc/1/back",
		Now: t0, Expires: t0.Add(time.Minute)})
	// A signed form changed afterwards is written as it now is.
	changed := signed
	changed.Policy, changed.Signature = odd, signed.Signature[:8]+"\""
	for _, f := range []*Form{
		&signed, &untyped, &changed,
		{URL: odd, Bucket: odd, Key: odd, ContentType: odd, Credential: odd, Date: odd, Policy: odd, Signature: odd},
		{URL: "u"},
		nil,
	} {
		var shape any
		if f != nil {
			shape = struct {
				URL    string            `json:"url"`
				Fields map[string]string `json:"fields"`
			}{f.URL, f.Fields()}
		}
		var want strings.Builder
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(shape); err != nil {
			t.Fatal(err)
		}
		if got := string(f.AppendJSON(nil)) + "\n"; got != want.String() {
			t.Errorf("\n got %s\nwant %s", got, want.String())
		}
		got, _ := json.Marshal(f)
		if want, _ := json.Marshal(shape); string(got) != string(want) {
			t.Errorf("json.Marshal:\n got %s\nwant %s", got, want)
		}
	}
}

// TestPresignStampsFollowTimeAndCredentials: the credential and date a
// signer keeps between forms are those a fresh signer would write.
func TestPresignStampsFollowTimeAndCredentials(t *testing.T) {
	s := &Signer{AccessKeyID: "AKIAONE", Secret: "one", Region: "sa-east-1"}
	t0 := time.Date(2026, 5, 4, 23, 59, 59, 0, time.UTC)
	for _, c := range []struct {
		at           time.Time
		akid, region string
	}{
		{t0, "AKIAONE", "sa-east-1"}, {t0.Add(500 * time.Millisecond), "AKIAONE", "sa-east-1"},
		{t0.Add(time.Second), "AKIAONE", "sa-east-1"}, {t0.Add(time.Second), "AKIAONE", "us-east-1"},
		{t0.Add(time.Second), "AKIATWO", "us-east-1"}, {t0.In(time.FixedZone("BRT", -3*3600)), "AKIATWO", "us-east-1"},
	} {
		s.AccessKeyID, s.Region = c.akid, c.region
		fresh := &Signer{AccessKeyID: c.akid, Secret: "one", Region: c.region}
		p := Policy{Bucket: "b", Key: "k", Now: c.at, Expires: c.at.Add(time.Minute), MinSize: 1, MaxSize: 2}
		if got, want := s.Presign("u", p), fresh.Presign("u", p); !maps.Equal(got.Fields(), want.Fields()) {
			t.Errorf("%v %s %s:\n got %v\nwant %v", c.at, c.akid, c.region, got.Fields(), want.Fields())
		}
	}
}
