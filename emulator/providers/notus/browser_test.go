package notus_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kycemu/kycemu/internal/browsertest"
	"github.com/kycemu/kycemu/testkit"
)

// appPage is a partner's page on another origin doing what Notus's official
// example app (notuslabs/notus-api-examples, fiat-kyc-nextjs-notus-api)
// does in the browser: its server creates the session with the API key;
// the browser puts every returned form field and then the chosen file into
// a FormData, POSTs it to the form's url with fetch, and calls process
// (which needs no key) with fetch; the server reads the result.
const appPage = `<!doctype html>
<title>KYC</title>
<input type="file" id="front"> <input type="file" id="back">
<button id="send">Send</button> <button id="refresh">Refresh</button>
<p id="status">idle</p><p id="etag"></p>
<script>
const notusAPI = %q;
let session;
async function upload(form, file) {
  const body = new FormData();
  for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
  body.append("file", file);
  const res = await fetch(form.url, {method: "POST", body});
  if (!res.ok) throw new Error("upload failed: " + res.status + " " + await res.text());
  return res.headers.get("ETag");
}
async function processSession(id) {
  const res = await fetch(notusAPI + "/kyc/individual-verification-sessions/standard/" + id + "/process", {method: "POST"});
  if (!res.ok) throw new Error((await res.json()).message);
  return (await res.json()).session.status;
}
async function refresh() {
  const res = await fetch("/result/" + session.session.id);
  document.getElementById("status").textContent = (await res.json()).session.status;
}
document.getElementById("send").onclick = async () => {
  const status = document.getElementById("status");
  try {
    status.textContent = "creating";
    session = await (await fetch("/session", {method: "POST"})).json();
    const etags = [await upload(session.frontDocumentUpload, document.getElementById("front").files[0]),
                   await upload(session.backDocumentUpload, document.getElementById("back").files[0])];
    document.getElementById("etag").textContent = etags.join(" ");
    status.textContent = await processSession(session.session.id);
  } catch (e) {
    status.textContent = "error: " + e.message;
  }
};
document.getElementById("refresh").onclick = () => refresh().catch(e => {
  document.getElementById("status").textContent = "error: " + e.message;
});
</script>`

func TestOfficialExampleUploadsFromABrowser(t *testing.T) {
	kyc := testkit.Start(t, testkit.WithManualClock(time.Time{}))
	api := kyc.URL + "/notus/api/v1"
	const key = "browser-key"

	// The partner's app: another origin than kycemu. Its server side holds
	// the API key, as the example's server actions do.
	server := func(method, url string, body io.Reader) (int, []byte) {
		req, _ := http.NewRequest(method, url, body)
		req.Header.Set("x-api-key", key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return http.StatusBadGateway, []byte(err.Error())
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, appPage, api)
	})
	mux.HandleFunc("POST /session", func(w http.ResponseWriter, r *http.Request) {
		status, b := server(http.MethodPost, api+"/kyc/individual-verification-sessions/standard", strings.NewReader(
			`{"firstName":"Ana","lastName":"Souza","birthDate":"15/03/1990","documentCategory":"DRIVERS_LICENSE","documentCountry":"BRAZIL","documentId":"12345678909","livenessRequired":false}`))
		w.WriteHeader(status)
		_, _ = w.Write(b)
	})
	mux.HandleFunc("GET /result/{id}", func(w http.ResponseWriter, r *http.Request) {
		status, b := server(http.MethodGet, api+"/kyc/individual-verification-sessions/standard/"+r.PathValue("id"), nil)
		w.WriteHeader(status)
		_, _ = w.Write(b)
	})
	app := httptest.NewServer(mux)
	defer app.Close()
	if strings.Split(app.URL, ":")[2] == strings.Split(kyc.URL, ":")[2] {
		t.Fatal("the app must be another origin")
	}

	// The user picks two photos.
	dir := t.TempDir()
	front, back := filepath.Join(dir, "front.png"), filepath.Join(dir, "back.png")
	for _, p := range []string{front, back} {
		if err := os.WriteFile(p, pngBytes, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	b := browsertest.New(t)
	b.Run(
		chromedp.Navigate(app.URL),
		chromedp.SetUploadFiles("#front", []string{front}),
		chromedp.SetUploadFiles("#back", []string{back}),
		chromedp.Click("#send"),
	)
	browsertest.Value(b, chromedp.Poll[bool](`!["idle", "creating"].includes(document.getElementById("status").textContent)`))
	if got := browsertest.Value(b, chromedp.Text("#status")); got != "VERIFYING" {
		t.Fatalf("after upload and process in the browser: %q", got)
	}
	// The bucket exposes ETag to the page, as a bucket CORS rule would.
	if etags := browsertest.Value(b, chromedp.Text("#etag")); !strings.HasPrefix(etags, `"`) || len(strings.Fields(etags)) != 2 {
		t.Fatalf("ETags the page read: %q", etags)
	}

	kyc.Advance(2 * time.Second) // the review
	b.Run(chromedp.Click("#refresh"))
	browsertest.Value(b, chromedp.Poll[bool](`document.getElementById("status").textContent !== "VERIFYING"`))
	if got := browsertest.Value(b, chromedp.Text("#status")); got != "COMPLETED" {
		t.Fatalf("after the review: %q", got)
	}
	// kycemu saw the two uploads come from the page's origin.
	var sessions struct {
		Sessions []struct{ Status string } `json:"sessions"`
	}
	_, raw := server(http.MethodGet, kyc.URL+"/_emulator/sessions?provider=notus&tenant="+key, nil)
	if err := json.Unmarshal(raw, &sessions); err != nil || len(sessions.Sessions) != 1 || sessions.Sessions[0].Status != "COMPLETED" {
		t.Fatalf("sessions: %s", raw)
	}
}
