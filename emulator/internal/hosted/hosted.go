// Package hosted holds what the end-user pages of every provider share: the
// page layout, its style and script (embedded, no build step), the selfie
// widget, the "test outcome" choice, and reading uploaded images. A
// provider's page is its own template that defines "content"; the layout
// around it is the same for all, so every page is labelled, keyboard-usable
// and carries stable data-testid hooks the same way.
package hosted

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

//go:embed layout.html hosted.css hosted.js
var files embed.FS

// Frame is what the layout shows around a page's content; a page's data
// embeds it.
type Frame struct {
	// Title is the page's heading and title.
	Title string
	// Brand names the vendor whose page this stands in for.
	Brand string
	// Notice and Error are a message to the person, neutral or wrong.
	Notice, Error string
}

// Page is a provider's page: its content template (which defines
// "content") within the shared layout.
type Page struct {
	name, content string
	parse         sync.Once
	t             *template.Template
}

// Parse declares a page from its content template. The template is parsed
// when the page is first rendered, not at package initialisation, so a
// process that shows no page pays nothing for it; a broken template panics
// then, as template.Must does (pages are fixed at build time and every
// provider's tests render theirs).
func Parse(name, content string) *Page { return &Page{name: name, content: content} }

func (p *Page) template() *template.Template {
	p.parse.Do(func() {
		t := template.New(p.name).Funcs(template.FuncMap{
			"css": func() template.CSS { return template.CSS(asset("hosted.css")) },
			"js":  func() template.JS { return template.JS(asset("hosted.js")) },
		})
		template.Must(t.ParseFS(files, "layout.html"))
		p.t = template.Must(t.Parse(p.content))
	})
	return p.t
}

func asset(name string) string {
	b, _ := files.ReadFile(name)
	return string(b)
}

// Render writes a page with the given status; it is never cached.
func Render(w http.ResponseWriter, status int, p *Page, data any) {
	var buf bytes.Buffer
	if err := p.template().ExecuteTemplate(&buf, "layout", data); err != nil {
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Test outcomes a page offers besides what the person does.
const (
	// OutcomeScenario leaves the decision to the session's scenario.
	OutcomeScenario = ""
	// OutcomeApprove and OutcomeReject decide at once.
	OutcomeApprove = "approve"
	OutcomeReject  = "reject"
)

// OutcomeOf reads the test outcome a form chose ("outcome").
func OutcomeOf(r *http.Request) (string, error) {
	switch o := r.PostFormValue("outcome"); o {
	case "", "scenario":
		return OutcomeScenario, nil
	case OutcomeApprove, OutcomeReject:
		return o, nil
	}
	return "", errors.New("choose approve, reject or the scenario's outcome")
}

// MaxFile bounds one uploaded file; MaxForm bounds a whole page form.
const (
	MaxFile = 10 << 20
	MaxForm = 3*MaxFile + 64<<10
)

// ParseForm reads a posted page form (urlencoded or multipart), bounded by
// MaxForm.
func ParseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxForm)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(MaxForm); err != nil {
			return errors.New("the form could not be read (each file is at most 10 MB)")
		}
		return nil
	}
	if err := r.ParseForm(); err != nil {
		return errors.New("the form could not be read")
	}
	return nil
}

// File is an uploaded file.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// Image reads the file of a form field that must be a picture (JPEG, PNG,
// WebP or GIF) or, when pdf is true, a PDF; nil when the field is empty.
// The content type is what the bytes are, not what the browser said.
func Image(r *http.Request, field string, pdf bool) (*File, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File[field]) == 0 {
		return nil, nil
	}
	fh := r.MultipartForm.File[field][0]
	if fh.Size == 0 {
		return nil, nil
	}
	if fh.Size > MaxFile {
		return nil, fmt.Errorf("the file is larger than 10 MB")
	}
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("the file could not be read")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFile+1))
	if err != nil || len(data) > MaxFile {
		return nil, fmt.Errorf("the file could not be read")
	}
	ct := http.DetectContentType(data)
	switch {
	case ct == "image/jpeg", ct == "image/png", ct == "image/webp", ct == "image/gif":
	case pdf && ct == "application/pdf":
	case pdf:
		return nil, fmt.Errorf("the file must be a picture (JPEG, PNG, WebP) or a PDF")
	default:
		return nil, fmt.Errorf("the file must be a picture (JPEG, PNG or WebP)")
	}
	name := fh.Filename
	if len(name) > 100 {
		name = name[:100]
	}
	return &File{Name: name, ContentType: ct, Data: data}, nil
}
