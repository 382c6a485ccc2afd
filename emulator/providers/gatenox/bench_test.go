package gatenox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/testkit"
)

// BenchmarkCreateInvites measures POST /api/v1/invites/individuals through
// the whole stack: a real HTTP connection, routing, authentication,
// request validation against the spec, the handler (plans, timelines,
// tokens) and, with strict on, response validation. One recipient per call,
// and ten.
func BenchmarkCreateInvites(b *testing.B) {
	for _, strict := range []bool{false, true} {
		for _, n := range []int{1, 10} {
			b.Run(fmt.Sprintf("strict=%v/recipients=%d", strict, n), func(b *testing.B) {
				emu, err := emulator.New(emulator.WithStrictResponses(strict), emulator.WithClock(clock.NewManual(t0)), emulator.WithSeed(1))
				if err != nil {
					b.Fatal(err)
				}
				srv := httptest.NewServer(emu)
				defer func() { srv.Close(); _ = emu.Close() }()
				var body bytes.Buffer
				body.WriteString(`{"recipients":[`)
				for i := range n {
					if i > 0 {
						body.WriteByte(',')
					}
					fmt.Fprintf(&body, `{"email":"person%d@example.com","customer_id":"ext_id_%d","redirect_url_success":"https://client.example/ok"}`, i, i)
				}
				body.WriteString(`]}`)
				raw := body.Bytes()
				client := srv.Client()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					req, _ := http.NewRequest(http.MethodPost, srv.URL+"/gatenox/api/v1/invites/individuals", bytes.NewReader(raw))
					req.Header.Set("Authorization", "Bearer bench-token")
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
			})
		}
	}
}

// BenchmarkGetCase measures GET /api/v1/verification_individuals/{id}
// (a completed invitation's case) through the whole stack.
func BenchmarkGetCase(b *testing.B) {
	for _, strict := range []bool{false, true} {
		b.Run(fmt.Sprintf("strict=%v", strict), func(b *testing.B) {
			srv := testkit.Start(b, testkit.WithManualClock(t0), testkit.WithSeed(1), testkit.WithStrictResponses(strict))
			e := &env{t: b, emu: srv.Emulator(), srv: srv}
			c := e.client("bench-token")
			inv := c.inviteOne("case@example.com")
			caseID := c.complete(inv)
			u := srv.URL + "/gatenox/api/v1/verification_individuals/" + caseID
			client := srv.Client()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req, _ := http.NewRequest(http.MethodGet, u, nil)
				req.Header.Set("Authorization", "Bearer bench-token")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}

// BenchmarkCorporateCase measures a KYB case being made through the whole
// stack: a corporate invitation (POST /api/v1/invites/corporates), then the
// business user sending the company's data from the hosted page, which
// builds the company, a director who is the UBO, their documents with
// generated files, the audit rows and the webhooks.
func BenchmarkCorporateCase(b *testing.B) {
	srv := testkit.Start(b, testkit.WithManualClock(t0), testkit.WithSeed(1), testkit.WithStrictResponses(false))
	e := &env{t: b, emu: srv.Emulator(), srv: srv}
	c := e.client("bench-kyb")
	e.settings(c.token, map[string]any{"autoSubmit": false})
	form := url.Values{"action": {"submit"}, "formal_name": {"Bench Ltd"}, "director_given_names": {"Ana"}, "director_surname": {"Souza"}}.Encode()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	b.ReportAllocs()
	b.ResetTimer()
	invite := []byte(`{"recipients":[{"email":"bench@corp.example"}]}`)
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/gatenox/api/v1/invites/corporates", bytes.NewReader(invite))
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out struct {
			Invites []struct {
				InvitationURL string `json:"invitation_url"`
			} `json:"invites"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Invites) != 1 {
			b.Fatalf("invite: %d %v", resp.StatusCode, err)
		}
		resp.Body.Close()
		req, _ = http.NewRequest(http.MethodPost, out.Invites[0].InvitationURL, strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err = client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// BenchmarkCompanyDetails measures GET .../company_details and .../graph of
// a started KYB case, strict response validation off and on.
func BenchmarkCompanyDetails(b *testing.B) {
	for _, strict := range []bool{false, true} {
		b.Run(fmt.Sprintf("strict=%v", strict), func(b *testing.B) {
			srv := testkit.Start(b, testkit.WithManualClock(t0), testkit.WithSeed(1), testkit.WithStrictResponses(strict))
			e := &env{t: b, emu: srv.Emulator(), srv: srv}
			c := e.client("bench-kyb")
			e.settings(c.token, map[string]any{"autoSubmit": false})
			inv := c.inviteCompany(map[string]any{"email": "bench@corp.example"})
			if r := e.act(inv["id"].(string), "submit"); r.status != 200 {
				b.Fatalf("submit: %d %s", r.status, r.raw)
			}
			caseID := c.corporateCaseOf(inv["id"].(string))
			c.form("/api/v1/verifications/" + caseID + "/state/start")
			client := srv.Client()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, p := range []string{"/company_details", "/graph"} {
					req, _ := http.NewRequest(http.MethodGet, srv.URL+"/gatenox/api/v1/verifications/"+caseID+p, nil)
					req.Header.Set("Authorization", "Bearer bench-kyb")
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
			}
		})
	}
}
