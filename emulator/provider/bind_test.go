package provider

import (
	"errors"
	"testing"
)

// decoder reads the body "fast" itself and leaves any other to
// encoding/json.
type decoder struct {
	Name string `json:"name"`
	fast bool
}

func (d *decoder) DecodeJSON(body []byte) bool {
	if string(body) != "fast" {
		return false
	}
	d.Name, d.fast = "decoded", true
	return true
}

func TestBindAsksTheBodyFirst(t *testing.T) {
	var d decoder
	if err := (&Call{Body: []byte("fast")}).Bind(&d); err != nil || !d.fast || d.Name != "decoded" {
		t.Fatalf("%+v %v", d, err)
	}
	d = decoder{}
	if err := (&Call{Body: []byte(`{"name":"json"}`)}).Bind(&d); err != nil || d.fast || d.Name != "json" {
		t.Fatalf("%+v %v", d, err)
	}
	for _, body := range []string{"", "{", `{"name":1}`} {
		var pe *Error
		if err := (&Call{Body: []byte(body)}).Bind(&decoder{}); !errors.As(err, &pe) || pe.Kind != KindInvalid || pe.Field != "" {
			t.Errorf("%q: %v", body, err)
		}
	}
}
