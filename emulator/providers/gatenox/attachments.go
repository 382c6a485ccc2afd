package gatenox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// attachmentsPath is where attachment URLs point, below the mount.
const attachmentsPath = "/api/v1/attachments/"

// Stored files are records of kind "file" (their data a fileRec, their
// bytes a blob), so a download finds one by the key in its URL alone. A
// file's URL segment is, as in Gatenox's (Shrine's) URLs, unpadded
// base64url of {"id","storage","metadata"}.

type fileMetadata struct {
	Filename string `json:"filename"`
	Size     int    `json:"size"`
	MimeType string `json:"mime_type"`
}

type fileRef struct {
	ID       string       `json:"id"`
	Storage  string       `json:"storage"`
	Metadata fileMetadata `json:"metadata"`
}

// fileBlob is the blob name of a file record's bytes.
const fileBlob = "data"

// store keeps a file and returns what names it. A file the store cannot
// keep (over the blob budget) is still described, and downloads as 404.
func (p *Provider) store(tx *state.Tx, storage, filename, mimeType string, data []byte) fileRec {
	f := fileRec{Key: tx.Rand().String(fake.Hex, 32) + path.Ext(filename), Storage: storage, Filename: filename,
		Mime: mimeType, Size: len(data)}
	fr, err := tx.Create(state.NewRecord{Kind: kindFile, ID: f.Key, Data: &f})
	if err == nil {
		err = tx.PutBlob(fr, fileBlob, data)
	}
	if err != nil {
		p.env.Log.Warn("gatenox file not stored", "error", err)
	}
	return f
}

// segmentRef decodes a URL segment.
func segmentRef(segment string) (fileRef, bool) {
	var ref fileRef
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(segment, "="))
	if err != nil || json.Unmarshal(raw, &ref) != nil {
		return ref, false
	}
	return ref, true
}

func trimExt(name string) string { return strings.TrimSuffix(name, path.Ext(name)) }

// download streams a file named by the last segment of its URL. On
// /verifications/{id}/download/{rest} the file must belong to that case.
func (p *Provider) download(c *provider.Call) error {
	notFound := provider.NotFound("Not Found")
	ref, ok := segmentRef(c.Params["rest"])
	if !ok {
		return notFound
	}
	return p.view(c, func(tx *state.Tx) error {
		fr := tx.Get(kindFile, ref.ID)
		if fr == nil {
			return notFound
		}
		f := state.Data[fileRec](fr)
		if f.Storage != ref.Storage {
			return notFound
		}
		if id := c.Params["verification_id"]; id != "" && !caseHasFile(tx, id, f.Key) {
			return notFound
		}
		data, ok := tx.Blob(fr, fileBlob)
		if !ok {
			return notFound
		}
		h := c.W.Header()
		h.Set("Content-Type", f.Mime)
		h.Set("Content-Length", strconv.Itoa(len(data)))
		h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": f.Filename}))
		h.Set("Cache-Control", "private, max-age=0")
		c.W.WriteHeader(http.StatusOK)
		_, _ = c.W.Write(data) // files are immutable once stored
		return nil
	})
}

// caseHasFile reports whether a case of the company holds a file.
func caseHasFile(tx *state.Tx, caseID, key string) bool {
	var docs []*documentRec
	switch r := caseRecord(tx, caseID, KindCorporateCase, KindCase); {
	case r == nil:
		return false
	case r.Kind == KindCase:
		k := state.Data[kase](r)
		for i := range k.Person.Documents {
			docs = append(docs, &k.Person.Documents[i])
		}
	default:
		d := state.Data[corporateCase](r).data()
		docs = d.companyDocuments()
		for i := range d.People {
			for j := range d.People[i].Documents {
				docs = append(docs, &d.People[i].Documents[j])
			}
		}
	}
	for _, d := range docs {
		for _, a := range d.Attachments {
			if a.Original.Key == key || a.Thumb.Key == key || a.Medium.Key == key {
				return true
			}
		}
	}
	return false
}

// encoders reuses PNG encoders' buffers across images (each stored
// document has three).
type encoders struct{ pool sync.Pool }

func (e *encoders) Get() *png.EncoderBuffer {
	if b, ok := e.pool.Get().(*png.EncoderBuffer); ok {
		return b
	}
	return nil
}

func (e *encoders) Put(b *png.EncoderBuffer) { e.pool.Put(b) }

// png draws a small card-like image: a coloured background with a few
// darker lines, seeded from r.
func (p *Provider) png(r *fake.Source, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	bg := color.NRGBA{R: uint8(150 + r.Intn(100)), G: uint8(150 + r.Intn(100)), B: uint8(150 + r.Intn(100)), A: 255}
	ink := color.NRGBA{R: bg.R / 3, G: bg.G / 3, B: bg.B / 3, A: 255}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, bg)
		}
	}
	// A photo block on the left and text lines on the right.
	for y := h / 5; y < h*4/5; y++ {
		for x := w / 12; x < w/3; x++ {
			img.SetNRGBA(x, y, ink)
		}
	}
	for line := 0; line < 4; line++ {
		y0 := h/5 + line*h/6
		end := w*5/12 + (w/2)*(60+r.Intn(40))/100
		for y := y0; y < y0+max(1, h/30); y++ {
			for x := w * 5 / 12; x < end && x < w; x++ {
				img.SetNRGBA(x, y, ink)
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &p.encoders}
	_ = enc.Encode(&buf, img) // encoding to memory cannot fail
	return buf.Bytes()
}
