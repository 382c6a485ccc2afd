package notus

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/s3post"
	"github.com/kycemu/kycemu/emulator/provider"
)

// upload is the bucket's browser-POST endpoint.
func (p *Provider) upload(w http.ResponseWriter, r *http.Request) {
	reqID := w.Header().Get("X-Request-Id")
	bucket := provider.Vars(r)["bucket"]
	if bucket != Bucket {
		noSuchBucket(bucket).Write(w, reqID)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 2*maxUpload)
	up, serr := p.signer.Receive(r, bucket, p.env.Clock.Now(), maxUpload)
	if serr != nil {
		serr.Write(w, reqID)
		return
	}
	if ferr, note := p.uploadFault(up.Object.Key, len(up.Object.Data)); note != "" {
		w.Header().Set("X-Kycemu-Fault", note)
		if ferr != nil {
			ferr.Write(w, reqID)
			return
		}
	}
	p.store(up.Object)
	up.Respond(w, reqID, provider.BaseURL(r)+"/_s3/"+bucket+"/"+up.Object.Key)
}

func noSuchBucket(name string) *s3post.Error {
	return &s3post.Error{Status: http.StatusNotFound, Code: "NoSuchBucket", Message: "The specified bucket does not exist",
		Extra: [][2]string{{"BucketName", name}}}
}

// store files an uploaded object under its session's slot. Keys are
// kyc/<sessionId>/<slot>; an object whose session is gone (after a reset)
// is accepted, as S3 would, and dropped.
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

// download serves an object through a presigned GET URL.
func (p *Provider) download(w http.ResponseWriter, r *http.Request) {
	reqID := w.Header().Get("X-Request-Id")
	v := provider.Vars(r)
	if v["bucket"] != Bucket {
		noSuchBucket(v["bucket"]).Write(w, reqID)
		return
	}
	if serr := p.signer.VerifyGet(r, r.URL.Path, p.env.Clock.Now()); serr != nil {
		serr.Write(w, reqID)
		return
	}
	obj := p.lookup(v["key"])
	if obj == nil {
		(&s3post.Error{Status: http.StatusNotFound, Code: "NoSuchKey", Message: "The specified key does not exist.",
			Extra: [][2]string{{"Key", v["key"]}}}).Write(w, reqID)
		return
	}
	h := w.Header()
	h.Set("Content-Type", obj.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(obj.Data)))
	h.Set("ETag", obj.ETag)
	h.Set("Last-Modified", obj.Uploaded.UTC().Format(http.TimeFormat))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(obj.Data)
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
	sum := md5.Sum(data)
	return &s3post.Object{Bucket: Bucket, Key: "kyc/" + s.id + "/face", ContentType: http.DetectContentType(data),
		Data: data, ETag: `"` + hex.EncodeToString(sum[:]) + `"`, Uploaded: now}
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
