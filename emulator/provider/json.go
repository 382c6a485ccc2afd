package provider

import (
	"net/http"

	"github.com/kycemu/kycemu/emulator/internal/httpx"
)

func writeJSON(w http.ResponseWriter, status int, v any) { httpx.WriteJSON(w, status, v) }

// WriteJSON writes v as JSON with the given status; providers use it in
// their WriteError.
func WriteJSON(w http.ResponseWriter, status int, v any) { httpx.WriteJSON(w, status, v) }

// WriteJSONType writes v as JSON under an explicit content type.
func WriteJSONType(w http.ResponseWriter, status int, contentType string, v any) {
	httpx.WriteJSONType(w, status, contentType, v)
}
