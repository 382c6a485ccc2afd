package notus

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kycemu/kycemu/emulator/internal/s3post"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
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
		if !p.keep(w, r, reqID, up.Object) {
			return
		}
		up.Respond(w, reqID, at(r)+"/"+bucket+"/"+up.Object.Key)
	}
}

// keep applies a scripted upload fault, if any, and stores the object; it
// reports false when a fault (or a full store) answered instead.
func (p *Provider) keep(w http.ResponseWriter, r *http.Request, reqID string, obj s3post.Object) bool {
	if id, _, ok := sessionKey(obj.Key); ok {
		w.Header().Set(provider.SessionHeader, id) // the journal links the upload to its session
	}
	if ferr, note := p.uploadFault(r.Context(), obj.Key, len(obj.Data)); note != "" {
		w.Header().Set("X-Kycemu-Fault", note)
		if ferr != nil {
			ferr.Write(w, reqID)
			return false
		}
	}
	if err := p.store(obj); err != nil {
		(&s3post.Error{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable",
			Message: "Please reduce your request rate."}).Write(w, reqID)
		return false
	}
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
		if !p.keep(w, r, reqID, obj) {
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

// sessionKey splits a key kyc/<sessionId>/<slot>.
func sessionKey(key string) (id, name string, ok bool) {
	parts := strings.SplitN(key, "/", 3)
	if len(parts) != 3 || parts[0] != "kyc" {
		return "", "", false
	}
	return parts[1], parts[2], true
}

// store files an uploaded object under its session's slot. Keys are
// kyc/<sessionId>/<slot>; an object under any other key, or whose session
// is gone (after a reset or eviction), is accepted, as S3 would, and
// dropped. It fails only when the store cannot keep the write.
func (p *Provider) store(obj s3post.Object) error {
	id, name, ok := sessionKey(obj.Key)
	if !ok {
		return nil
	}
	err := p.onSession(id, true, func(tx *state.Tx, r *state.Record) error {
		sl := state.Data[session](r).slot(name)
		if sl == nil {
			return nil
		}
		if err := tx.PutBlob(r, name, obj.Data); err != nil {
			return nil // over the tenant's upload budget: dropped, as a full bucket would
		}
		sl.Object = objectOf(obj)
		return nil
	})
	if errors.Is(err, state.ErrNoRecord) {
		return nil
	}
	return err
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

// lookup returns a stored object with its bytes, or nil.
func (p *Provider) lookup(key string) *s3post.Object {
	id, name, ok := sessionKey(key)
	if !ok {
		return nil
	}
	var out *s3post.Object
	_ = p.onSession(id, false, func(tx *state.Tx, r *state.Record) error {
		meta := state.Data[session](r).object(name)
		if meta == nil {
			return nil
		}
		data, ok := tx.Blob(r, name)
		if !ok {
			return nil // dropped to keep the upload budget
		}
		out = &s3post.Object{Bucket: Bucket, Key: meta.Key, ContentType: meta.ContentType, Data: data,
			ETag: meta.ETag, Uploaded: meta.Uploaded}
		return nil
	})
	return out
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
	err = p.onSession(provider.Vars(r)["sessionId"], true, func(tx *state.Tx, rec *state.Record) error {
		if rec.Status != Pending {
			return provider.Errorf(provider.KindConflict, "liveness can only be done while the session is PENDING").WithCode("SESSION_NOT_PENDING")
		}
		if err := p.storeFace(tx, rec, data); err != nil {
			return err
		}
		provider.WriteJSON(w, http.StatusOK, sessionAnswer{rec})
		return nil
	})
	var pe *provider.Error
	switch {
	case errors.Is(err, state.ErrNoRecord):
		p.WriteError(w, r, sessionNotFound())
	case errors.As(err, &pe):
		p.WriteError(w, r, pe)
	case err != nil:
		p.WriteError(w, r, provider.Errorf(provider.KindUnavailable, "the face image could not be stored"))
	}
}

// storeFace keeps a session's liveness image.
func (p *Provider) storeFace(tx *state.Tx, r *state.Record, data []byte) error {
	if err := tx.PutBlob(r, "face", data); err != nil {
		return provider.Errorf(provider.KindTooLarge, "the project's uploads are over their budget")
	}
	o := s3post.NewObject(Bucket, "kyc/"+r.ID+"/face", http.DetectContentType(data), data, tx.Now())
	state.Data[session](r).Face = objectOf(o)
	return nil
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
