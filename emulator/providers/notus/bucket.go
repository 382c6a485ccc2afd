package notus

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/s3post"
	"github.com/kycemu/kycemu/emulator/provider"
)

// endpointOf gives the S3 endpoint a bucket route was reached through:
// the emulator's root (path-style: <root>/<bucket>/<key>), or the mount's
// /_s3 alias. Signatures cover the public host and path under it.
type endpointOf func(*http.Request) string

func atRoot(r *http.Request) string  { return provider.RootURL(r) }
func atMount(r *http.Request) string { return provider.BaseURL(r) + "/_s3" }

// bucketOf is the bucket a request names (the root routes only serve
// Notus's); ok is false, with NoSuchBucket written, for another.
func bucketOf(w http.ResponseWriter, r *http.Request) (string, bool) {
	bucket, ok := provider.Vars(r)["bucket"]
	if !ok {
		bucket = Bucket
	}
	if bucket != Bucket {
		noSuchBucket(bucket).Write(w, w.Header().Get("X-Request-Id"))
		return "", false
	}
	return bucket, true
}

// publicObject is the host and path a client signed for key.
func publicObject(at endpointOf, r *http.Request, key string) (host, path string) {
	u, err := url.Parse(at(r) + "/" + Bucket + "/" + key)
	if err != nil {
		return r.Host, r.URL.Path
	}
	return u.Host, u.Path
}

// upload is the bucket's browser-POST endpoint.
func (p *Provider) upload(at endpointOf) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		reqID := w.Header().Get("X-Request-Id")
		bucket, ok := bucketOf(w, r)
		if !ok {
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 2*maxUpload)
		up, serr := p.signer.Receive(r, bucket, p.env.Clock.Now(), maxUpload)
		if serr != nil {
			serr.Write(w, reqID)
			return
		}
		if !p.keep(w, reqID, up.Object) {
			return
		}
		up.Respond(w, reqID, at(r)+"/"+bucket+"/"+up.Object.Key)
	}
}

// keep applies a scripted upload fault, if any, and stores the object; it
// reports false when a fault answered instead.
func (p *Provider) keep(w http.ResponseWriter, reqID string, obj s3post.Object) bool {
	if ferr, note := p.uploadFault(obj.Key, len(obj.Data)); note != "" {
		w.Header().Set("X-Kycemu-Fault", note)
		if ferr != nil {
			ferr.Write(w, reqID)
			return false
		}
	}
	p.store(obj)
	return true
}

// put is S3's PutObject, signed in the Authorization header (a SHA-256,
// unsigned or aws-chunked payload) or presigned.
func (p *Provider) put(at endpointOf) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		reqID := w.Header().Get("X-Request-Id")
		bucket, ok := bucketOf(w, r)
		if !ok {
			return
		}
		key := provider.Vars(r)["key"]
		host, path := publicObject(at, r, key)
		now := p.env.Clock.Now()
		auth, serr := p.signer.Authenticate(r, host, path, now)
		if serr != nil {
			serr.Write(w, reqID)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 2*maxUpload)
		data, serr := auth.Body(r, maxUpload)
		if serr != nil {
			serr.Write(w, reqID)
			return
		}
		obj := s3post.NewObject(bucket, key, r.Header.Get("Content-Type"), data, now)
		if !p.keep(w, reqID, obj) {
			return
		}
		w.Header().Set("ETag", obj.ETag)
		w.Header().Set("x-amz-request-id", reqID)
		w.WriteHeader(http.StatusOK)
	}
}

func noSuchBucket(name string) *s3post.Error {
	return &s3post.Error{Status: http.StatusNotFound, Code: "NoSuchBucket", Message: "The specified bucket does not exist",
		Extra: [][2]string{{"BucketName", name}}}
}

// store files an uploaded object under its session's slot. Keys are
// kyc/<sessionId>/<slot>; an object under any other key, or whose session
// is gone (after a reset), is accepted, as S3 would, and dropped.
func (p *Provider) store(obj s3post.Object) {
	parts := strings.SplitN(obj.Key, "/", 3)
	if len(parts) != 3 || parts[0] != "kyc" {
		return
	}
	s, unlock, ok := p.anyones(parts[1])
	if !ok {
		return
	}
	defer unlock()
	if sl := s.slot(parts[2]); sl != nil {
		o := obj
		sl.object = &o
	}
}

// download is S3's GetObject (and HeadObject), presigned or signed in the
// Authorization header.
func (p *Provider) download(at endpointOf) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		reqID := w.Header().Get("X-Request-Id")
		if _, ok := bucketOf(w, r); !ok {
			return
		}
		key := provider.Vars(r)["key"]
		host, path := publicObject(at, r, key)
		if _, serr := p.signer.Authenticate(r, host, path, p.env.Clock.Now()); serr != nil {
			serr.Write(w, reqID)
			return
		}
		obj := p.lookup(key)
		if obj == nil {
			(&s3post.Error{Status: http.StatusNotFound, Code: "NoSuchKey", Message: "The specified key does not exist.",
				Extra: [][2]string{{"Key", key}}}).Write(w, reqID)
			return
		}
		h := w.Header()
		h.Set("Content-Type", obj.ContentType)
		h.Set("Content-Length", strconv.Itoa(len(obj.Data)))
		h.Set("ETag", obj.ETag)
		h.Set("Last-Modified", obj.Uploaded.UTC().Format(http.TimeFormat))
		h.Set("x-amz-request-id", reqID)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(obj.Data)
	}
}

func (p *Provider) lookup(key string) *s3post.Object {
	parts := strings.SplitN(key, "/", 3)
	if len(parts) != 3 || parts[0] != "kyc" {
		return nil
	}
	s, unlock, ok := p.anyones(parts[1])
	if !ok {
		return nil
	}
	defer unlock()
	obj := s.object(parts[2])
	if obj == nil {
		return nil
	}
	o := *obj
	return &o
}

// liveness stands in for the Notus liveness SDK: it marks a session's
// liveness check done and stores the face image (the request body, or a
// generated picture when the body is empty). Like process, it needs no API
// key.
func (p *Provider) liveness(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxUpload+1))
	if err != nil || len(data) > maxUpload {
		p.WriteError(w, r, provider.Errorf(provider.KindTooLarge, "face image is larger than %d bytes", maxUpload))
		return
	}
	if len(data) == 0 {
		data = placeholderFace()
	}
	s, unlock, ok := p.anyones(provider.Vars(r)["sessionId"])
	if !ok {
		p.WriteError(w, r, sessionNotFound())
		return
	}
	defer unlock()
	if s.status != Pending {
		p.WriteError(w, r, provider.Errorf(provider.KindConflict, "liveness can only be done while the session is PENDING").WithCode("SESSION_NOT_PENDING"))
		return
	}
	s.face = faceObject(s, data, p.env.Clock.Now())
	provider.WriteJSON(w, http.StatusOK, envelope{s.view()})
}

func faceObject(s *session, data []byte, now time.Time) *s3post.Object {
	o := s3post.NewObject(Bucket, "kyc/"+s.id+"/face", http.DetectContentType(data), data, now)
	return &o
}

// placeholderFace is a small generated PNG.
func placeholderFace() []byte {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 4)
	}
	img.Set(2, 2, color.White)
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}
