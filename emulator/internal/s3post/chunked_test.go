package s3post

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// chunked encodes data as aws-chunked with chunk signatures chained from
// the seed signature, as a streaming SigV4 client does.
func chunked(a *Auth, chunks ...string) string {
	var b strings.Builder
	prev := a.seed
	for _, c := range append(chunks, "") {
		sum := sha256.Sum256([]byte(c))
		sig := signer.sign(a.day, signer.Region, "AWS4-HMAC-SHA256-PAYLOAD\n"+a.date+"\n"+a.scope+"\n"+prev+"\n"+emptySHA256+"\n"+hex.EncodeToString(sum[:]))
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n%s\r\n", len(c), sig, c)
		prev = sig
	}
	return b.String()
}

func TestChunkedBodies(t *testing.T) {
	a := &Auth{AccessKeyID: signer.AccessKeyID, payload: StreamingPayload, date: "20260504T100000Z", day: "20260504",
		scope: scope("20260504", signer.Region), seed: strings.Repeat("a", 64), signer: signer}
	body := func(s string) *http.Request { return httptest.NewRequest(http.MethodPut, "/b/k", strings.NewReader(s)) }
	good := chunked(a, "hello ", "world")
	if data, err := a.Body(body(good), 1<<10); err != nil || string(data) != "hello world" {
		t.Fatalf("good body: %q %v", data, err)
	}
	cases := []struct {
		name, body string
		limit      int64
		status     int
		code       string
	}{
		{"tampered chunk", strings.Replace(good, "world", "WORLD", 1), 1 << 10, 403, "SignatureDoesNotMatch"},
		{"truncated", good[:len(good)-20], 1 << 10, 400, "IncompleteBody"},
		{"no final chunk", chunked(a, "hello ")[:strings.LastIndex(chunked(a, "hello "), "0;")], 1 << 10, 400, "IncompleteBody"},
		{"bad size", "zz;chunk-signature=00\r\nhello\r\n", 1 << 10, 400, "InvalidChunkSizeError"},
		{"no signature", "5\r\nhello\r\n0\r\n\r\n", 1 << 10, 400, "InvalidChunkSizeError"},
		{"over the limit", good, 8, 400, "EntityTooLarge"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Body(body(tc.body), tc.limit)
			if err == nil || err.Status != tc.status || err.Code != tc.code {
				t.Fatalf("got %v, want %d %s", err, tc.status, tc.code)
			}
		})
	}
}
