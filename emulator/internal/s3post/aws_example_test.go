package s3post

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestAWSDocumentedExample feeds the browser-upload example from the Amazon
// S3 documentation ("Example: Browser-based upload using HTTP POST, using
// AWS Signature Version 4"), with AWS's example credentials, to Receive:
// the published signature must verify and every published condition hold.
func TestAWSDocumentedExample(t *testing.T) {
	aws := &Signer{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Region: "us-east-1"}
	const policy = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"
	const signature = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
	if got := aws.sign("20151229", "us-east-1", policy); got != signature {
		t.Fatalf("signature %s, AWS documents %s", got, signature)
	}
	fields := [][2]string{
		{"key", "user/user1/photo.jpg"},
		{"acl", "public-read"},
		{"success_action_redirect", "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"},
		{"Content-Type", "image/jpeg"},
		{"x-amz-meta-uuid", "14365123651274"},
		{"x-amz-server-side-encryption", "AES256"},
		{"X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"},
		{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
		{"X-Amz-Date", "20151229T000000Z"},
		{"x-amz-meta-tag", ""},
		{"Policy", policy},
		{"X-Amz-Signature", signature},
	}
	now := time.Date(2015, 12, 29, 10, 0, 0, 0, time.UTC)
	up, err := aws.Receive(post(t, fields, []byte("\xff\xd8\xffjpeg")), "sigv4examplebucket", now, 1<<20)
	if err != nil {
		t.Fatalf("AWS's own example was refused: %v", err)
	}
	w := httptest.NewRecorder()
	up.Respond(w, "r", "")
	if w.Code != http.StatusSeeOther || up.Object.Key != "user/user1/photo.jpg" {
		t.Fatalf("%d %+v", w.Code, up.Object)
	}
	// The example policy expires at 2015-12-30T12:00:00Z.
	if _, err := aws.Receive(post(t, fields, []byte("x")), "sigv4examplebucket", time.Date(2015, 12, 30, 12, 0, 0, 0, time.UTC), 1<<20); err == nil || err.Message != "Invalid according to Policy: Policy expired." {
		t.Fatalf("after expiry: %v", err)
	}
}
