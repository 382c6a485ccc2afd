package drift

import (
	"bytes"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/kycemu/kycemu/testkit/verify"
)

// webhook receives one of the provider's real webhooks: it checks the
// signature scheme (and the signature, given the secret) and the payload
// against the spec's webhook schema, forwards it unchanged to the user's
// receiver and answers with the receiver's answer.
func (p *Proxy) webhook(w http.ResponseWriter, r *http.Request, up *upstream) {
	start := time.Now()
	x := &Exchange{Seq: p.nextSeq(), Time: p.clock.Now(), Provider: up.name, Kind: ExchangeWebhook, Operation: "webhook"}
	body, rest, err := readCapped(r.Body, p.maxBody)
	if err != nil || rest != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"error": map[string]string{
			"code": "too_large", "message": "webhook body could not be read whole"}})
		return
	}
	x.Event, x.Findings, x.Notes = checkWebhook(p.masker, up, r.Header, body)
	x.Request = Message{Method: r.Method, Path: p.masker.Path(r.URL.Path), Header: p.masker.Header(forwardHeader(r.Header)),
		Body: p.recordBody(r.Header.Get("Content-Type"), body, false)}
	if up.hook == "" {
		x.Notes = append(x.Notes, "no webhook target configured: answered 204, forwarded nowhere")
		w.WriteHeader(http.StatusNoContent)
		x.Response = Message{Status: http.StatusNoContent}
		p.finish(r.Context(), x, start)
		return
	}
	x.Request.URL = p.masker.URL(up.hook)
	out, err := http.NewRequestWithContext(r.Context(), http.MethodPost, up.hook, bytes.NewReader(body))
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]any{"error": map[string]string{"code": "bad_target", "message": "webhook target is not a valid URL"}})
		return
	}
	out.Header = forwardHeader(r.Header)
	resp, err := p.client.Do(out)
	if err != nil {
		x.Notes = append(x.Notes, "webhook target unreachable: "+describeErr(err))
		writeJSON(w, http.StatusBadGateway, map[string]any{"error": map[string]string{"code": "target_unreachable", "message": "the webhook target did not answer"}})
		x.Response = Message{Status: http.StatusBadGateway}
		p.finish(r.Context(), x, start)
		return
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	for k, vs := range forwardHeader(resp.Header) {
		w.Header()[k] = vs
	}
	x.Response = Message{Status: resp.StatusCode, Header: p.masker.Header(resp.Header), Body: p.recordBody(resp.Header.Get("Content-Type"), rb, false)}
	p.finish(r.Context(), x, start)
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(rb)
}

// checkWebhook checks one webhook's signature and payload.
func checkWebhook(m *Masker, up *upstream, h http.Header, body []byte) (string, []Finding, []string) {
	var notes []string
	findings := signatureFindings(up.name, h)
	if len(findings) == 0 && up.verifier != nil {
		if err := up.verifier.Verify(h, body); err != nil {
			findings = append(findings, Finding{Kind: KindSignature, In: "signature", Want: "verifies with the configured secret",
				Got: "does not verify"})
		}
	} else if len(findings) == 0 && signs(up.name) {
		notes = append(notes, "signature scheme checked, signature not verified: no webhook secret configured")
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "", append(findings, Finding{Kind: "type", In: "webhook", Want: "a JSON body", Got: "not JSON"}), notes
	}
	event := ""
	if obj, ok := v.(map[string]any); ok {
		for _, k := range []string{"event", "eventName", "type", "event_type"} {
			if s, ok := obj[k].(string); ok {
				event = m.String(s)
				break
			}
		}
	}
	if up.spec.webhook == nil {
		return event, append(findings, Finding{Kind: KindWebhook, In: "webhook", Want: "no webhooks", Got: "a webhook"}), notes
	}
	return event, append(findings, checkBody(m, "webhook", up.spec.webhook, body, false)...), notes
}

func signs(provider string) bool {
	switch provider {
	case "gu1", "notus", "kulipa":
		return true
	}
	return false
}

// signatureFindings checks a webhook's headers against the signature scheme
// kycemu's spec gives the provider, without the secret: the right headers,
// in the right encoding.
func signatureFindings(provider string, h http.Header) []Finding {
	sig := func(want, got string) []Finding {
		return []Finding{{Kind: KindSignature, In: "signature", Want: want, Got: got}}
	}
	switch provider {
	case "gu1", "notus":
		name := verify.GU1Header
		if provider == "notus" {
			name = verify.NotusHeader
		}
		want := name + ": hex HMAC-SHA256 of the body"
		v := strings.TrimPrefix(strings.TrimSpace(h.Get(name)), "sha256=")
		if v == "" {
			return sig(want, signatureHeaders(h))
		}
		if b, err := hex.DecodeString(v); err != nil || len(b) != 32 {
			return sig(want, name+": "+encodingOf(v))
		}
	case "kulipa":
		want := verify.KulipaSignatureHeader + " (hex DER ECDSA), " + verify.KulipaTimestampHeader + " (ms), " + verify.KulipaKeyIDHeader
		s, ts, id := h.Get(verify.KulipaSignatureHeader), h.Get(verify.KulipaTimestampHeader), h.Get(verify.KulipaKeyIDHeader)
		if s == "" || ts == "" || id == "" {
			return sig(want, signatureHeaders(h))
		}
		if strings.Trim(ts, "0123456789") != "" || len(ts) < 12 || len(ts) > 14 {
			return sig(verify.KulipaTimestampHeader+": milliseconds since the epoch", "another timestamp format")
		}
		der, err := hex.DecodeString(s)
		var rs struct{ R, S *big.Int }
		if err != nil {
			return sig(want, verify.KulipaSignatureHeader+": "+encodingOf(s))
		}
		if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) > 0 {
			return sig(want, verify.KulipaSignatureHeader+": hex, but not a DER ECDSA signature")
		}
	case "gatenox", "b2core":
		if got := signatureHeaders(h); got != "no signature header" {
			return sig("no signature ("+provider+" signs nothing)", got)
		}
	}
	return nil
}

// signatureHeaders names the signature-looking headers of a request.
func signatureHeaders(h http.Header) string {
	var names []string
	for k := range h {
		l := strings.ToLower(k)
		if strings.Contains(l, "signature") || strings.HasSuffix(l, "-sig") || strings.Contains(l, "hmac") {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return "no signature header"
	}
	sort.Strings(names)
	return "headers " + strings.Join(names, ", ")
}

// encodingOf describes how a signature value is written, never the value.
func encodingOf(v string) string {
	if _, err := hex.DecodeString(v); err == nil {
		return fmt.Sprintf("hex of %d bytes", len(v)/2)
	}
	if strings.Contains(v, "=") && strings.Contains(v, ",") {
		return "a list of key=value pairs"
	}
	if b, err := base64.StdEncoding.DecodeString(v); err == nil {
		return fmt.Sprintf("base64 of %d bytes", len(b))
	}
	if b, err := base64.RawURLEncoding.DecodeString(v); err == nil {
		return fmt.Sprintf("base64url of %d bytes", len(b))
	}
	return fmt.Sprintf("%d characters, neither hex nor base64", len(v))
}
