package notus

import (
	"encoding/json"
	"reflect"
	"testing"
)

// readBodies are create bodies as clients send them, which DecodeJSON
// reads itself; leftBodies are bodies it leaves to encoding/json, unusual
// or bad.
var (
	readBodies = []string{
		`{"firstName":"Ana","lastName":"Souza","birthDate":"15/03/1990","documentCategory":"DRIVERS_LICENSE","documentCountry":"BRAZIL","documentId":"12345678901"}`,
		`{"firstName":"Ana","lastName":"Souza","birthDate":"1990-03-15","documentCategory":"PASSPORT","documentCountry":"BRAZIL","documentId":"1","livenessRequired":true,"financialLimit":2500.5}`,
		` { "firstName" : "Zoë" , "financialLimit" : null , "livenessRequired" : null , "lastName" : null }` + "\n",
		`{"firstName":"Ana","firstName":"Bia","financialLimit":1,"financialLimit":null,"livenessRequired":true,"livenessRequired":false}`,
		`{"firstName":"Ana","nationality":"BRAZILIAN","email":"ana@example.com","address":"R. 1","city":"X","state":"SP","postalCode":"0"}`,
		`{"financialLimit":-0.0e-0}`, `{}`,
	}
	leftBodies = []string{
		`{"financialLimit":1e400}`, `{"financialLimit":"1"}`, `{"livenessRequired":"yes"}`, `{"livenessRequired":1}`,
		`{"firstName":1}`, `{"firstName":true}`, `{"firstName":["Ana"]}`, `{"firstName":{}}`, `{"FirstName":"Ana"}`,
		`{"firstname":"Ana"}`, `{"nickname":"Ana"}`, `{"firstName":"A\u006ea"}`, `{"firstName":"A\"na"}`,
		"{\"firstName\":\"\xffAna\"}", `{"address":{"street":"R. 1"}}`, `[]`, `null`, `"Ana"`, `{not json`,
		`{"firstName":"Ana"}x`, ``,
	}
)

// TestDecodeJSONIsWhatUnmarshalDecodes holds createIndividual's DecodeJSON
// to json.Unmarshal: whatever it reads, Unmarshal reads without an error
// into the same value; whatever it leaves, it leaves untouched. It must
// read the usual bodies, or the fast path would go unused.
func TestDecodeJSONIsWhatUnmarshalDecodes(t *testing.T) {
	for _, body := range readBodies {
		if !checkDecodeJSON(t, []byte(body)) {
			t.Errorf("%s: not read", body)
		}
	}
	for _, body := range leftBodies {
		if checkDecodeJSON(t, []byte(body)) {
			t.Errorf("%s: read", body)
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, body := range append(readBodies, leftBodies...) {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkDecodeJSON(t, body) })
}

func checkDecodeJSON(t *testing.T, body []byte) bool {
	t.Helper()
	var fast, want createIndividual
	read := fast.DecodeJSON(body)
	err := json.Unmarshal(body, &want)
	switch {
	case !read && !reflect.DeepEqual(fast, createIndividual{}):
		t.Fatalf("%s: left %+v behind", body, fast)
	case read && err != nil:
		t.Fatalf("%s: read, but json.Unmarshal says %v", body, err)
	case read && !reflect.DeepEqual(fast, want):
		t.Fatalf("%s: read %+v, json.Unmarshal %+v", body, fast, want)
	}
	return read
}

func TestDecodeJSONAllocatesOnce(t *testing.T) {
	body := []byte(readBodies[0])
	if n := testing.AllocsPerRun(100, func() {
		var in createIndividual
		if !in.DecodeJSON(body) {
			t.Fatal("not read")
		}
	}); n != 1 {
		t.Fatalf("%v allocations, want 1 (the strings)", n)
	}
}

// TestBucketURLFollowsTheRoot: the bucket URL kept between requests is the
// one of the root asked about.
func TestBucketURLFollowsTheRoot(t *testing.T) {
	p := &Provider{}
	for _, root := range []string{"http://a:1", "http://a:1", "https://b", "http://a:1"} {
		if got, want := p.bucketURL(root), root+"/"+Bucket; got != want {
			t.Fatalf("%s: %s, want %s", root, got, want)
		}
	}
}
