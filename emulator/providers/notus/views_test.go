package notus

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/s3post"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// TestAnswersWriteWhatJSONWrites holds the hand-written answers to what
// encoding/json, without HTML escaping (as answers are written), makes of
// the same values in the shapes they had as anonymous structs.
func TestAnswersWriteWhatJSONWrites(t *testing.T) {
	odd := "a\"b\\c<d>&\n\t\x01\b é \u2028 \xff 😀"
	id, typ, at := "6f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4a5b", "RG", "2026-05-04T10:00:00.000Z"
	doc := document{ID: "123", Type: &typ, Category: odd}
	views := []any{
		individualView{ID: id, Status: Pending, FirstName: "Maria", LastName: "Silva", BirthDate: "1990-04-12",
			Document: document{ID: "1", Category: "RG"}, CreatedAt: at},
		individualView{ID: odd, IndividualID: &odd, Status: odd, LivenessRequired: true, FirstName: odd, LastName: odd,
			BirthDate: odd, Document: doc, CreatedAt: odd, UpdatedAt: &at},
		businessView{ID: id, Status: Pending, LegalName: "ACME", CNPJ: "1", Owners: []ownerView{}, CreatedAt: at},
		businessView{ID: odd, BusinessID: &odd, Status: odd, LegalName: odd, CNPJ: odd, LegalNature: odd, Email: odd, Phone: odd,
			Owners:    []ownerView{{FirstName: odd, LastName: odd, BirthDate: odd, Document: doc}, {Document: document{}}},
			CreatedAt: odd, UpdatedAt: &odd},
		businessView{ID: id},
	}
	form := &s3post.Form{URL: "http://x/" + odd, Key: odd, Bucket: "b", Policy: "p"}
	check := func(a interface{ AppendJSON([]byte) []byte }, shape any) {
		t.Helper()
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(shape); err != nil {
			t.Fatal(err)
		}
		if got := string(a.AppendJSON(nil)) + "\n"; got != want.String() {
			t.Errorf("%T:\n got %s\nwant %s", a, got, want.String())
		}
	}
	for _, v := range views {
		check(individualCreated{v, form, nil, nil, false}, struct {
			Session             any          `json:"session"`
			FrontDocumentUpload *s3post.Form `json:"frontDocumentUpload"`
			BackDocumentUpload  *s3post.Form `json:"backDocumentUpload"`
		}{v, form, nil})
		check(individualCreated{v, form, form, form, true}, struct {
			Session              any          `json:"session"`
			FrontDocumentUpload  *s3post.Form `json:"frontDocumentUpload"`
			BackDocumentUpload   *s3post.Form `json:"backDocumentUpload"`
			ProofOfAddressUpload *s3post.Form `json:"proofOfAddressUpload"`
		}{v, form, form, form})
		for _, owners := range [][]ownerUploads{nil, {}, {{DocumentID: odd, FrontDocumentUpload: form}, {}}} {
			check(businessCreated{v, form, nil, owners}, struct {
				Session              any            `json:"session"`
				ProofOfAddressUpload *s3post.Form   `json:"proofOfAddressUpload"`
				SocialContractUpload *s3post.Form   `json:"socialContractUpload"`
				OwnersUploads        []ownerUploads `json:"ownersUploads"`
			}{v, form, nil, owners})
		}
	}
}

// TestSessionAnswerWritesTheView: the answer to reads is the session's
// view in an envelope, as encoding/json writes it.
func TestSessionAnswerWritesTheView(t *testing.T) {
	odd := "a\"b\\c<d>&\n\t\x01\b é \u2028 \xff 😀"
	t0 := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	typ := "RG"
	moved := []provider.Transition{{To: Pending, At: t0}, {To: Verifying, At: t0.Add(time.Second)}}
	for _, r := range []*state.Record{
		{Key: state.Key{Kind: string(kindStandard), ID: "1"}, Status: Pending, Created: t0, Updated: t0,
			Data: &session{Person: person{FirstName: "Maria", Document: document{ID: "1", Category: "RG"}}}},
		{Key: state.Key{Kind: string(kindEnhanced), ID: odd}, Status: Completed, Created: t0, Updated: t0.Add(time.Minute),
			History: moved, Data: &session{LivenessRequired: true, IdentityID: odd,
				Person: person{FirstName: odd, LastName: odd, BirthDate: odd, Document: document{ID: odd, Type: &typ, Category: odd}}}},
		{Key: state.Key{Kind: string(kindBusiness), ID: "2"}, Status: Pending, Created: t0, Updated: t0,
			Data: &session{Business: &business{LegalName: odd}}},
		{Key: state.Key{Kind: string(kindBusiness), ID: "3"}, Status: Verifying, Created: t0, History: moved,
			Data: &session{IdentityID: "i", Business: &business{CNPJ: "1", Owners: []person{{FirstName: odd}, {}}}}},
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(struct {
			Session any `json:"session"`
		}{view(r)}); err != nil {
			t.Fatal(err)
		}
		if got := string(sessionAnswer{r}.AppendJSON(nil)) + "\n"; got != want.String() {
			t.Errorf("%s:\n got %s\nwant %s", r.Kind, got, want.String())
		}
	}
}

func BenchmarkCreatedAnswer(b *testing.B) {
	typ, at := "RG", "2026-05-04T10:00:00.000Z"
	v := individualView{ID: "6f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4a5b", Status: Pending, FirstName: "Maria", LastName: "Silva",
		BirthDate: "1990-04-12", Document: document{ID: "12345678900", Type: &typ, Category: "RG"}, CreatedAt: at}
	f := &s3post.Form{URL: "http://localhost:8080/notus-kyc-documents", Bucket: "notus-kyc-documents",
		Key: "kyc/6f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4a5b/front", Credential: "AKIATEST/20260504/sa-east-1/s3/aws4_request",
		Date: "20260504T100000Z", Policy: "eyJjb25kaXRpb25zIjpbeyJidWNrZXQiOiJub3R1cy1reWMtZG9jdW1lbnRzIn1dfQ==",
		Signature: "3f2a9c0d1e4b5a6978877665544332211ffeeddccbbaa99887766554433221100"}
	c := individualCreated{v, f, f, nil, false}
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 4096)
		for b.Loop() {
			buf = c.AppendJSON(buf[:0])
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(c)
		}
	})
}
