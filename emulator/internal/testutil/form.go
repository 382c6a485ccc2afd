package testutil

import (
	"bytes"
	"mime/multipart"
	"net/url"
	"sort"
)

// Multipart encodes a form as a browser posts it with
// enctype="multipart/form-data": the fields, then one file per entry of
// files (named after the field, with ext), in name order.
func Multipart(fields url.Values, files map[string][]byte, ext string) (contentType string, body *bytes.Buffer) {
	body = &bytes.Buffer{}
	mw := multipart.NewWriter(body)
	for _, k := range sorted(fields) {
		for _, v := range fields[k] {
			_ = mw.WriteField(k, v)
		}
	}
	for _, k := range sorted(files) {
		fw, _ := mw.CreateFormFile(k, k+ext)
		_, _ = fw.Write(files[k])
	}
	_ = mw.Close()
	return mw.FormDataContentType(), body
}

func sorted[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
