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

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
)

// attachmentsPath is where attachment URLs point, below the mount.
const attachmentsPath = "/api/v1/attachments/"

// file is a stored file. Its URL segment is, as in Gatenox's (Shrine's)
// URLs, unpadded base64url of {"id","storage","metadata"}.
type file struct {
	key      string // "<hex>.<ext>"
	storage  string // store or thumbs
	filename string
	mime     string
	data     []byte
}

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

// store keeps a file; the caller holds the lock.
func (t *tenant) store(r *fake.Source, storage, filename, mimeType string, data []byte) *file {
	f := &file{key: r.String(fake.Hex, 32) + path.Ext(filename), storage: storage, filename: filename,
		mime: mimeType, data: data}
	t.files[f.key] = f
	return f
}

// segment is the last path segment of the file's URL.
func (f *file) segment() string {
	b, _ := json.Marshal(fileRef{ID: f.key, Storage: f.storage,
		Metadata: fileMetadata{Filename: f.filename, Size: len(f.data), MimeType: f.mime}})
	return base64.RawURLEncoding.EncodeToString(b)
}

// lookup decodes a URL segment and finds the tenant's file it names; the
// caller holds the lock.
func (t *tenant) lookup(segment string) (*file, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(segment, "="))
	if err != nil {
		return nil, false
	}
	var ref fileRef
	if json.Unmarshal(raw, &ref) != nil {
		return nil, false
	}
	f, ok := t.files[ref.ID]
	if !ok || f.storage != ref.Storage {
		return nil, false
	}
	return f, true
}

func trimExt(name string) string { return strings.TrimSuffix(name, path.Ext(name)) }

// download streams a file named by the last segment of its URL.
func (p *Provider) download(c *provider.Call) error {
	notFound := provider.NotFound("Not Found")
	t, ok := p.tenants.Lookup(c.Tenant)
	if !ok {
		return notFound
	}
	t.mu.Lock()
	f, ok := t.lookup(c.Params["rest"])
	t.mu.Unlock()
	if !ok {
		return notFound
	}
	h := c.W.Header()
	h.Set("Content-Type", f.mime)
	h.Set("Content-Length", strconv.Itoa(len(f.data)))
	h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": f.filename}))
	h.Set("Cache-Control", "private, max-age=0")
	c.W.WriteHeader(http.StatusOK)
	_, _ = c.W.Write(f.data) // files are immutable once stored
	return nil
}

// pngImage draws a small card-like image: a coloured background with a
// few darker lines, seeded from r.
func pngImage(r *fake.Source, w, h int) []byte {
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
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	_ = enc.Encode(&buf, img) // encoding to memory cannot fail
	return buf.Bytes()
}
