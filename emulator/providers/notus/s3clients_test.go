package notus_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/minio/minio-go/v7"
	mcreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/kycemu/kycemu/testkit"
	"github.com/kycemu/kycemu/testkit/control"
)

// s3env is an emulator on a manual clock that starts at the wall-clock
// time, as S3 clients sign with the wall clock and S3 refuses requests
// more than 15 minutes off.
type s3env struct {
	*env
	creds control.S3
}

func newS3Env(t *testing.T) *s3env {
	t.Helper()
	srv := testkit.Start(t, testkit.WithManualClock(time.Time{}), testkit.WithSeed(7))
	e := &env{t: t, emu: srv.Emulator(), srv: srv, api: srv.URL + "/notus/api/v1"}
	return &s3env{env: e, creds: srv.S3("notus")}
}

func (e *s3env) minio() *minio.Client {
	e.t.Helper()
	u, _ := url.Parse(e.creds.Endpoint)
	mc, err := minio.New(u.Host, &minio.Options{Creds: mcreds.NewStaticV4(e.creds.AccessKeyID, e.creds.SecretAccessKey, ""),
		Region: e.creds.Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		e.t.Fatal(err)
	}
	return mc
}

func (e *s3env) aws(secret string) *s3.Client {
	return s3.New(s3.Options{Region: e.creds.Region, BaseEndpoint: aws.String(e.creds.Endpoint), UsePathStyle: e.creds.ForcePathStyle,
		Credentials: credentials.NewStaticCredentialsProvider(e.creds.AccessKeyID, secret, "")})
}

// postForm uploads data as a browser does: every field, then "file".
func postForm(t *testing.T, target string, fields map[string]string, data []byte) response {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "photo.png")
	_, _ = fw.Write(data)
	_ = mw.Close()
	resp, err := http.Post(target, mw.FormDataContentType(), &b)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

// keyOf is the object key a session's form uploads to.
func keyOf(f *form) string { return f.Fields["key"] }

func TestS3ClientsUploadAndDownload(t *testing.T) {
	e := newS3Env(t)
	ctx := context.Background()
	if e.creds.Bucket != "notus-kyc-documents" || e.creds.Endpoint != e.srv.URL || e.creds.Region != "sa-east-1" || e.creds.SecretAccessKey == "" {
		t.Fatalf("credentials %+v", e.creds)
	}
	if e.creds.ForcePathStyle != true {
		t.Fatal("the bucket is addressed path-style")
	}

	// The default form carries exactly the seven fields Notus documents.
	c := e.create(standard, "key-a", person())
	var names []string
	for k := range c.Front.Fields {
		names = append(names, k)
	}
	want := "Policy X-Amz-Algorithm X-Amz-Credential X-Amz-Date X-Amz-Signature bucket key"
	if strings.Join(slices.Sorted(slices.Values(names)), " ") != want || c.Front.URL != e.creds.Endpoint+"/"+e.creds.Bucket {
		t.Fatalf("form %s %v", c.Front.URL, names)
	}

	t.Run("minio-go", func(t *testing.T) {
		mc := e.minio()
		info, err := mc.PutObject(ctx, e.creds.Bucket, keyOf(c.Front), bytes.NewReader(pngBytes), int64(len(pngBytes)),
			minio.PutObjectOptions{ContentType: "image/png"})
		if err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		obj, err := mc.GetObject(ctx, e.creds.Bucket, keyOf(c.Front), minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(obj)
		st, _ := obj.Stat()
		if err != nil || !bytes.Equal(got, pngBytes) || st.ContentType != "image/png" || st.ETag != info.ETag {
			t.Fatalf("GetObject: %v, %d bytes, %+v (put ETag %s)", err, len(got), st, info.ETag)
		}
		// A browser POST with a policy minio-go signed.
		pp := minio.NewPostPolicy()
		_ = pp.SetBucket(e.creds.Bucket)
		_ = pp.SetKey(keyOf(c.Back))
		_ = pp.SetExpires(time.Now().Add(10 * time.Minute))
		_ = pp.SetContentLengthRange(1, 1<<20)
		target, fields, err := mc.PresignedPostPolicy(ctx, pp)
		if err != nil {
			t.Fatal(err)
		}
		if r := postForm(t, target.String(), fields, pngBytes); r.status != http.StatusNoContent || r.header.Get("ETag") == "" {
			t.Fatalf("POST with minio's policy: %d %s", r.status, r.body)
		}
		// A presigned GET minio-go made.
		link, err := mc.PresignedGetObject(ctx, e.creds.Bucket, keyOf(c.Back), time.Minute, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r := e.do(http.MethodGet, link.String(), "", nil); r.status != 200 || !bytes.Equal(r.body, pngBytes) {
			t.Fatalf("minio presigned GET: %d %s", r.status, r.body)
		}
		// The session has both sides: it can be processed.
		if r := e.do(http.MethodPost, e.api+standard+"/"+c.Session.ID+"/process", "", nil); r.status != http.StatusOK {
			t.Fatalf("process after minio uploads: %d %s", r.status, r.body)
		}
	})

	t.Run("aws-sdk-go-v2", func(t *testing.T) {
		c := e.create(standard, "key-b", person())
		ac := e.aws(e.creds.SecretAccessKey)
		if _, err := ac.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.creds.Bucket), Key: aws.String(keyOf(c.Front)),
			Body: bytes.NewReader(pngBytes), ContentType: aws.String("image/png")}); err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		out, err := ac.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(e.creds.Bucket), Key: aws.String(keyOf(c.Front))})
		if err != nil {
			t.Fatalf("GetObject: %v", err)
		}
		got, _ := io.ReadAll(out.Body)
		if !bytes.Equal(got, pngBytes) || aws.ToString(out.ContentType) != "image/png" {
			t.Fatalf("GetObject: %d bytes, %s", len(got), aws.ToString(out.ContentType))
		}
		pc := s3.NewPresignClient(ac)
		post, err := pc.PresignPostObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.creds.Bucket), Key: aws.String(keyOf(c.Back))})
		if err != nil {
			t.Fatal(err)
		}
		if r := postForm(t, post.URL, post.Values, pngBytes); r.status != http.StatusNoContent {
			t.Fatalf("POST with the SDK's policy: %d %s", r.status, r.body)
		}
		get, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(e.creds.Bucket), Key: aws.String(keyOf(c.Back))})
		if err != nil {
			t.Fatal(err)
		}
		if r := e.do(http.MethodGet, get.URL, "", nil); r.status != 200 || !bytes.Equal(r.body, pngBytes) {
			t.Fatalf("SDK presigned GET: %d %s", r.status, r.body)
		}
		// A wrong secret is S3's SignatureDoesNotMatch, which the SDK reads.
		_, err = e.aws("not-the-secret").GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(e.creds.Bucket), Key: aws.String(keyOf(c.Front))})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "SignatureDoesNotMatch" {
			t.Fatalf("wrong secret: %v", err)
		}
		// A payload that is not the one signed is caught.
		other := sha256.Sum256([]byte("another photo"))
		req, _ := http.NewRequest(http.MethodPut, e.creds.Endpoint+"/"+e.creds.Bucket+"/"+keyOf(c.Front), bytes.NewReader(pngBytes))
		req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(other[:]))
		if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: e.creds.AccessKeyID, SecretAccessKey: e.creds.SecretAccessKey},
			req, hex.EncodeToString(other[:]), "s3", e.creds.Region, time.Now()); err != nil {
			t.Fatal(err)
		}
		if r := e.send(req); r.status != 400 || parseS3Error(t, r).Code != "XAmzContentSHA256Mismatch" {
			t.Fatalf("tampered payload: %d %s", r.status, r.body)
		}
	})
}

// kycemu's presigned GET URLs are what a standard SigV4 presigner computes
// for the same credentials, host, path, time and expiry.
func TestPresignedGetsMatchStandardPresigners(t *testing.T) {
	e := newS3Env(t)
	ctx := context.Background()
	c := e.create(standard, "key-a", person())
	e.mustUpload(c.Front, pngBytes)
	e.mustUpload(c.Back, pngBytes)

	// minio-go presigns on the wall clock: move the emulator's clock to
	// minio's signing time, then ask kycemu for the same link.
	link, err := e.minio().PresignedGetObject(ctx, e.creds.Bucket, keyOf(c.Front), 600*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	at, _ := time.Parse("20060102T150405Z", link.Query().Get("X-Amz-Date"))
	if _, err := e.srv.Control().SetClock(ctx, at); err != nil {
		t.Fatal(err)
	}
	r := e.do(http.MethodPost, e.api+"/admin/kyc/verification-sessions/document-urls", "key-a",
		map[string]any{"sessionId": c.Session.ID, "sessionType": "STANDARD_INDIVIDUAL", "expiresInSeconds": 600})
	urls := r.json(t)
	ours, _ := url.Parse(urls["frontDocumentUrl"].(string))
	if ours.Host != link.Host || ours.Path != link.Path || ours.Query().Get("X-Amz-Signature") != link.Query().Get("X-Amz-Signature") {
		t.Fatalf("kycemu %s\nminio   %s", ours, link)
	}

	// aws-sdk-go-v2's signer, given the link without its signature.
	back, _ := url.Parse(urls["backDocumentUrl"].(string))
	q := back.Query()
	sig := q.Get("X-Amz-Signature")
	q.Del("X-Amz-Signature")
	unsigned := *back
	unsigned.RawQuery = q.Encode()
	signedAt, _ := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders"} {
		q.Del(k) // the signer adds these itself
	}
	unsigned.RawQuery = q.Encode()
	req, _ := http.NewRequest(http.MethodGet, unsigned.String(), nil)
	signed, _, err := v4.NewSigner().PresignHTTP(ctx, aws.Credentials{AccessKeyID: e.creds.AccessKeyID, SecretAccessKey: e.creds.SecretAccessKey},
		req, "UNSIGNED-PAYLOAD", "s3", e.creds.Region, signedAt)
	if err != nil {
		t.Fatal(err)
	}
	theirs, _ := url.Parse(signed)
	if theirs.Query().Get("X-Amz-Signature") != sig {
		t.Fatalf("kycemu %s\naws     %s", back, theirs)
	}

	// What S3 answers when a link is broken.
	noSig := *back
	nq := back.Query()
	nq.Del("X-Amz-Signature")
	noSig.RawQuery = nq.Encode()
	if r := e.do(http.MethodGet, noSig.String(), "", nil); r.status != 400 || parseS3Error(t, r).Code != "AuthorizationQueryParametersError" {
		t.Errorf("no signature: %d %s", r.status, r.body)
	}
	bad := *back
	bq := back.Query()
	bq.Set("X-Amz-Signature", strings.Repeat("0", 64))
	bad.RawQuery = bq.Encode()
	r = e.do(http.MethodGet, bad.String(), "", nil)
	var doc struct {
		Code, AWSAccessKeyId, StringToSign, SignatureProvided, StringToSignBytes, CanonicalRequest, RequestId string
	}
	if err := xml.Unmarshal(r.body, &doc); err != nil || r.status != 403 || doc.Code != "SignatureDoesNotMatch" ||
		doc.AWSAccessKeyId != e.creds.AccessKeyID || doc.SignatureProvided != strings.Repeat("0", 64) ||
		!strings.HasPrefix(doc.StringToSign, "AWS4-HMAC-SHA256\n") || doc.StringToSignBytes == "" ||
		!strings.HasPrefix(doc.CanonicalRequest, "GET\n/notus-kyc-documents/") || doc.RequestId == "" {
		t.Errorf("bad signature: %d %+v", r.status, doc)
	}
}
