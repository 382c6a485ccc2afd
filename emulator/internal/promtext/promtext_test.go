package promtext_test

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kycemu/kycemu/emulator/internal/promtext"
)

// fixture is a registry with every kind of family, awkward label values
// and help texts, and the float values that need care.
func fixture() *promtext.Registry {
	r := promtext.NewRegistry()
	// Registered out of name order, labels declared out of name order.
	r.Register(func(s *promtext.Scrape) {
		d := promtext.NewDesc("zeta_values", "Values that need care.", promtext.TypeGauge, "v")
		for name, v := range map[string]float64{
			"nan": math.NaN(), "inf": math.Inf(1), "-inf": math.Inf(-1), "zero": 0, "one": 1, "minus one": -1,
			"million": 1e6, "bytes": 4287488, "half": 0.5, "tiny": 1.5e-7, "maxint64": math.MaxInt64, "maxuint64": math.MaxUint64,
		} {
			s.Add(d, v, name)
		}
		q := []promtext.Quantile{{Quantile: 1, Value: 0.000677549}, {Quantile: 0, Value: 0.000201982}, {Quantile: 0.5, Value: 0.000461443}}
		s.AddSummary(promtext.NewDesc("app_pause_seconds", "Pauses.", promtext.TypeSummary, "kind"), 5, 0.002230878, q, "gc")
	})
	req := r.CounterVec(promtext.NewDesc("app_requests_total", "Requests, by \"route\" and status.\nA second line, with a \\ backslash.",
		promtext.TypeCounter, "status", "route"))
	req.With("200", "/b").Add(3)
	req.With("200", "/a").Inc()
	req.With("404", "we\"ird\\route\n").Inc()
	req.With("500", "ünï").Inc()
	req.With("200", "bad \xff").Inc()
	r.CounterVec(promtext.NewDesc("app_unused_total", "Never counted: not written.", promtext.TypeCounter, "x"))
	r.GaugeFunc(promtext.NewDesc("app_temperature_celsius", "A gauge read at scrape.", promtext.TypeGauge).WithUnit("celsius"),
		func() float64 { return -1.5 })
	r.Register(func(s *promtext.Scrape) {
		s.Add(promtext.NewDesc("app_build_info", "Always 1.", promtext.TypeGauge, "version"), 1, "v1.2.3")
		s.Add(promtext.NewDesc("app_bytes_total", "A counter read at scrape.", promtext.TypeCounter).WithUnit("bytes"), 1.2345e9)
	})
	return r
}

// units are the fixture's families with a unit, which the text format
// does not carry.
var units = map[string]string{"app_temperature_celsius": "celsius", "app_bytes_total": "bytes"}

func appendFormat(t testing.TB, r *promtext.Registry, f promtext.Format) []byte {
	t.Helper()
	b, err := r.Append(nil, f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parseText parses the text format as Prometheus does and returns the
// families in name order.
func parseText(t testing.TB, b []byte) []*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("does not parse as the text format: %v\n%s", err, b)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range fams {
			if !yield(n) {
				return
			}
		}
	})
	out := make([]*dto.MetricFamily, len(names))
	for i, n := range names {
		out[i] = fams[n]
	}
	return out
}

// TestTextIsWhatExpfmtWrites: the text output parses, and writing what
// was parsed with Prometheus' own encoder gives the same bytes: escaping,
// float formatting and layout are Prometheus'.
func TestTextIsWhatExpfmtWrites(t *testing.T) {
	ours := appendFormat(t, fixture(), promtext.FormatText)
	var theirs bytes.Buffer
	for _, f := range parseText(t, ours) {
		if _, err := expfmt.MetricFamilyToText(&theirs, f); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(ours, theirs.Bytes()) {
		t.Fatalf("ours:\n%s\nexpfmt's:\n%s", ours, theirs.Bytes())
	}
	for _, line := range []string{
		`# HELP app_requests_total Requests, by "route" and status.\nA second line, with a \\ backslash.`,
		`app_requests_total{route="we\"ird\\route\n",status="404"} 1`,
		`app_requests_total{route="bad ` + "\uFFFD" + `",status="200"} 1`,
		`app_pause_seconds{kind="gc",quantile="0.5"} 0.000461443`,
		`app_pause_seconds_count{kind="gc"} 5`,
		`zeta_values{v="bytes"} 4.287488e+06`,
		`zeta_values{v="inf"} +Inf`,
		`zeta_values{v="nan"} NaN`,
	} {
		if !bytes.Contains(ours, []byte("\n"+line+"\n")) {
			t.Errorf("no line %s in\n%s", line, ours)
		}
	}
	if bytes.Contains(ours, []byte("app_unused_total")) {
		t.Error("a counter vector without series was written")
	}
}

// TestOpenMetricsIsWhatExpfmtWrites: the OpenMetrics output is what
// Prometheus' OpenMetrics encoder writes of the same families, followed
// by # EOF, and passes a strict check of its structure.
func TestOpenMetricsIsWhatExpfmtWrites(t *testing.T) {
	r := fixture()
	var theirs bytes.Buffer
	for _, f := range parseText(t, appendFormat(t, r, promtext.FormatText)) {
		if u, ok := units[f.GetName()]; ok {
			f.Unit = new(u)
		}
		if _, err := expfmt.MetricFamilyToOpenMetrics(&theirs, f); err != nil {
			t.Fatal(err)
		}
	}
	theirs.WriteString("# EOF\n")
	ours := appendFormat(t, r, promtext.FormatOpenMetrics)
	if !bytes.Equal(ours, theirs.Bytes()) {
		t.Fatalf("ours:\n%s\nexpfmt's:\n%s", ours, theirs.Bytes())
	}
	if dups := checkOpenMetrics(t, ours); len(dups) > 0 {
		t.Errorf("families named twice: %v", dups)
	}
	for _, line := range []string{
		"# TYPE app_requests counter",
		`app_requests_total{route="/a",status="200"} 1.0`,
		"# TYPE app_bytes counter\n# UNIT app_bytes bytes\napp_bytes_total 1.2345e+09",
		"# UNIT app_temperature_celsius celsius",
		`app_pause_seconds{kind="gc",quantile="0.0"} 0.000201982`,
		`app_pause_seconds_count{kind="gc"} 5`,
		`zeta_values{v="one"} 1.0`,
		`# HELP app_requests Requests, by \"route\" and status.\nA second line, with a \\ backslash.`,
	} {
		if !bytes.Contains(ours, []byte("\n"+line+"\n")) {
			t.Errorf("no line %s in\n%s", line, ours)
		}
	}
}

// checkOpenMetrics checks an OpenMetrics 1.0.0 exposition line by line:
// metadata before samples, a sample's name fits its family's type, labels
// and values are well formed, units suffix their family, # EOF ends it.
// It returns the family names declared more than once.
func checkOpenMetrics(t testing.TB, b []byte) (dups []string) {
	t.Helper()
	body, ok := bytes.CutSuffix(b, []byte("# EOF\n"))
	if !ok || bytes.Contains(body, []byte("# EOF")) {
		t.Fatalf("does not end with one # EOF:\n%s", b)
	}
	var (
		fam, typ string
		samples  int
		seen     = map[string]bool{}
	)
	for i, line := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("line %d %q: %s", i+1, line, fmt.Sprintf(format, args...))
		}
		if line == "" {
			fail("empty line")
		}
		if meta, ok := strings.CutPrefix(line, "# "); ok {
			kind, rest, _ := strings.Cut(meta, " ")
			name, value, _ := strings.Cut(rest, " ")
			switch kind {
			case "HELP", "TYPE":
				if sameFamily := kind == "TYPE" && name == fam && typ == "" && samples == 0; !sameFamily {
					// A new family (a TYPE after its HELP is the same one).
					if seen[name] {
						dups = append(dups, name)
					}
					seen[name] = true
					fam, typ, samples = name, "", 0
				}
				if kind == "TYPE" {
					switch value {
					case "counter", "gauge", "summary":
						typ = value
					default:
						fail("type %q", value)
					}
					if typ == "counter" && strings.HasSuffix(name, "_total") {
						fail("a counter family named with _total")
					}
				}
			case "UNIT":
				if name != fam || typ == "" || samples > 0 || !strings.HasSuffix(fam, "_"+value) {
					fail("a UNIT out of place or not suffixing the family")
				}
			default:
				fail("unknown comment")
			}
			continue
		}
		if typ == "" {
			fail("a sample before its family's TYPE")
		}
		samples++
		name, labels, value := splitSample(t, line)
		switch {
		case typ == "counter" && name == fam+"_total":
		case typ == "gauge" && name == fam:
		case typ == "summary" && name == fam && slices.Contains(labels, "quantile"):
		case typ == "summary" && (name == fam+"_sum" || name == fam+"_count"):
		default:
			fail("sample %s does not belong to %s family %s", name, typ, fam)
		}
		if _, err := strconv.ParseFloat(value, 64); err != nil {
			fail("value %q", value)
		}
	}
	return dups
}

// splitSample splits name{a="x",b="y"} value, checking the label syntax
// and escapes, and returns the label names.
func splitSample(t testing.TB, line string) (name string, labels []string, value string) {
	t.Helper()
	i := strings.IndexAny(line, "{ ")
	if i <= 0 {
		t.Fatalf("sample %q has no name", line)
	}
	name, rest := line[:i], line[i:]
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			eq := strings.Index(rest, `="`)
			if eq <= 0 {
				t.Fatalf("sample %q: bad label", line)
			}
			labels = append(labels, rest[:eq])
			rest = rest[eq+2:]
			j := 0
			for ; j < len(rest) && rest[j] != '"'; j++ {
				if rest[j] == '\\' {
					if j+1 == len(rest) || !strings.ContainsRune(`\"n`, rune(rest[j+1])) {
						t.Fatalf("sample %q: bad escape", line)
					}
					j++
				}
			}
			if j == len(rest) {
				t.Fatalf("sample %q: unterminated label value", line)
			}
			rest = rest[j+1:]
			if strings.HasPrefix(rest, ",") {
				rest = rest[1:]
				continue
			}
			if !strings.HasPrefix(rest, "}") {
				t.Fatalf("sample %q: labels not closed", line)
			}
			rest = rest[1:]
			break
		}
	}
	value, ok := strings.CutPrefix(rest, " ")
	if !ok || value == "" || strings.Contains(value, " ") {
		t.Fatalf("sample %q: bad value", line)
	}
	return name, labels, value
}

// TestOrder: families by name, labels by name, series by label values in
// that order, whatever the order of registration, declaration and use.
func TestOrder(t *testing.T) {
	r := promtext.NewRegistry()
	b := r.CounterVec(promtext.NewDesc("b_total", "B.", promtext.TypeCounter, "status", "route"))
	a := r.CounterVec(promtext.NewDesc("a_total", "A.", promtext.TypeCounter))
	r.GaugeFunc(promtext.NewDesc("a_gauge", "G.", promtext.TypeGauge), func() float64 { return 2 })
	for _, rs := range [][2]string{{"500", "/z"}, {"200", "/z"}, {"404", "/a"}, {"200", "/a"}, {"201", "/a"}} {
		b.With(rs[0], rs[1]).Inc()
	}
	a.With().Inc()
	want := `# HELP a_gauge G.
# TYPE a_gauge gauge
a_gauge 2
# HELP a_total A.
# TYPE a_total counter
a_total 1
# HELP b_total B.
# TYPE b_total counter
b_total{route="/a",status="200"} 1
b_total{route="/a",status="201"} 1
b_total{route="/a",status="404"} 1
b_total{route="/z",status="200"} 1
b_total{route="/z",status="500"} 1
`
	for range 3 {
		if got := appendFormat(t, r, promtext.FormatText); string(got) != want {
			t.Fatalf("got\n%s\nwant\n%s", got, want)
		}
	}
}

// TestCountersConcurrently: counts from many goroutines, with scrapes
// between them, all arrive (run with -race).
func TestCountersConcurrently(t *testing.T) {
	r := promtext.NewRegistry()
	v := r.CounterVec(promtext.NewDesc("hits_total", "Hits.", promtext.TypeCounter, "worker", "kind"))
	const workers, each = 8, 5000
	var wg sync.WaitGroup
	stop := make(chan struct{})
	scraped := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				scraped <- n
				return
			default:
			}
			parseText(t, appendFormat(t, r, promtext.FormatText))
			n++
		}
	}()
	for w := range workers {
		wg.Go(func() {
			mine := v.With(strconv.Itoa(w%2), "kept")
			for i := range each {
				mine.Inc()
				v.With(strconv.Itoa(w%2), "looked-up").Add(uint64(i % 2))
			}
		})
	}
	wg.Wait()
	close(stop)
	if n := <-scraped; n == 0 {
		t.Log("no scrape ran while counting")
	}
	fams := parseText(t, appendFormat(t, r, promtext.FormatText))
	got := map[string]float64{}
	for _, m := range fams[0].GetMetric() {
		var key []string
		for _, l := range m.GetLabel() {
			key = append(key, l.GetValue())
		}
		got[strings.Join(key, ",")] = m.GetCounter().GetValue()
	}
	want := map[string]float64{"kept,0": workers / 2 * each, "kept,1": workers / 2 * each,
		"looked-up,0": workers / 2 * each / 2, "looked-up,1": workers / 2 * each / 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("counted %v; want %v", got, want)
	}
}

func TestNegotiate(t *testing.T) {
	const text, om = promtext.ContentTypeText, promtext.ContentTypeOpenMetrics
	for accept, want := range map[string]string{
		"":                             text,
		"*/*":                          text,
		"text/plain":                   text,
		"text/plain; version=0.0.4":    text,
		"application/openmetrics-text": om,
		"Application/OpenMetrics-Text; Version=1.0.0":          om,
		"application/openmetrics-text;version=0.0.1":           "application/openmetrics-text; version=0.0.1; charset=utf-8",
		"application/openmetrics-text;version=2.0.0":           text,
		"text/plain;version=1.0.0":                             text,
		"application/openmetrics-text;q=0":                     text,
		"application/openmetrics-text;q=x":                     text,
		"application/openmetrics-text;q=1.5":                   text,
		"text/plain;q=0.5, application/openmetrics-text;q=0.4": text,
		"text/plain;q=0.4, application/openmetrics-text;q=0.5": om,
		"text/plain, application/openmetrics-text":             text, // a tie: the first
		"*/*;q=1, application/openmetrics-text;q=0.1":          om,   // */* is passed over
		// Prometheus 2 and 3, and Prometheus asking for protobuf first.
		"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1":                                                                               om,
		"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1": om,
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,text/plain;version=0.0.4;q=0.3":                                                                                     text,
		// Nonsense.
		";;;,,=": text,
		"application/openmetrics-text; version=\"1.0.0": text,
		"\x00\xff": text,
		strings.Repeat("a/b;q=0.1,", 1000) + "application/openmetrics-text;q=0.2": om,
	} {
		format, ct := promtext.Negotiate(accept)
		if ct != want || (format == promtext.FormatOpenMetrics) != strings.HasPrefix(want, "application/openmetrics-text") {
			t.Errorf("Accept %.80q: %v %q; want %q", accept, format, ct, want)
		}
	}
}

func TestServeHTTP(t *testing.T) {
	r := fixture()
	for accept, want := range map[string]string{"": promtext.ContentTypeText, "application/openmetrics-text": promtext.ContentTypeOpenMetrics, "garbage;;": promtext.ContentTypeText} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			req := httptest.NewRequest(method, "/metrics", nil)
			req.Header.Set("Accept", accept)
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			res := w.Result()
			body := w.Body.Bytes()
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != want || res.Header.Get("Vary") != "Accept" {
				t.Fatalf("%s Accept %q: %d %v", method, accept, res.StatusCode, res.Header)
			}
			if method == http.MethodHead {
				if len(body) != 0 {
					t.Fatal("HEAD answered a body")
				}
				continue
			}
			if n, _ := strconv.Atoi(res.Header.Get("Content-Length")); n != len(body) || n == 0 {
				t.Fatalf("Content-Length %s for %d bytes", res.Header.Get("Content-Length"), len(body))
			}
			if want == promtext.ContentTypeText {
				parseText(t, body)
			} else {
				checkOpenMetrics(t, body)
			}
		}
	}

	// A collector that adds the same series twice fails the scrape.
	r.Register(func(s *promtext.Scrape) {
		d := promtext.NewDesc("twice", "Twice.", promtext.TypeGauge, "k")
		s.Add(d, 1, "same")
		s.Add(d, 2, "same")
	})
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if w.Code != 500 || !strings.Contains(w.Body.String(), `twice has two series with labels {k="same"}`) {
		t.Fatalf("duplicate series: %d %s", w.Code, w.Body)
	}
}

func TestMisusePanics(t *testing.T) {
	g := promtext.NewDesc("g", "G.", promtext.TypeGauge, "a")
	for name, f := range map[string]func(){
		"bad metric name":        func() { promtext.NewDesc("1abc", "", promtext.TypeGauge) },
		"empty metric name":      func() { promtext.NewDesc("", "", promtext.TypeGauge) },
		"dash in name":           func() { promtext.NewDesc("a-b", "", promtext.TypeGauge) },
		"counter without _total": func() { promtext.NewDesc("hits", "", promtext.TypeCounter) },
		"no type":                func() { promtext.NewDesc("x", "", 0) },
		"bad label":              func() { promtext.NewDesc("x", "", promtext.TypeGauge, "a:b") },
		"reserved label":         func() { promtext.NewDesc("x", "", promtext.TypeGauge, "__name") },
		"quantile on a summary":  func() { promtext.NewDesc("x", "", promtext.TypeSummary, "quantile") },
		"label twice":            func() { promtext.NewDesc("x", "", promtext.TypeGauge, "a", "a") },
		"unit not a suffix":      func() { promtext.NewDesc("x_seconds", "", promtext.TypeGauge).WithUnit("bytes") },
		"too few values": func() {
			promtext.NewRegistry().CounterVec(promtext.NewDesc("x_total", "", promtext.TypeCounter, "a", "b")).With("1")
		},
		"gauge as a vector": func() { promtext.NewRegistry().CounterVec(g) },
		"vector twice": func() {
			r := promtext.NewRegistry()
			r.CounterVec(promtext.NewDesc("x_total", "", promtext.TypeCounter))
			r.CounterVec(promtext.NewDesc("x_total", "", promtext.TypeCounter))
		},
		"labelled gauge func": func() { promtext.NewRegistry().GaugeFunc(g, func() float64 { return 0 }) },
		"family described twice": func() {
			r := promtext.NewRegistry()
			r.Register(func(s *promtext.Scrape) {
				s.Add(g, 1, "x")
				s.Add(promtext.NewDesc("g", "G.", promtext.TypeGauge, "a"), 1, "y")
			})
			r.Append(nil, promtext.FormatText)
		},
		"summary through Add": func() {
			r := promtext.NewRegistry()
			r.Register(func(s *promtext.Scrape) { s.Add(promtext.NewDesc("s", "", promtext.TypeSummary), 1) })
			r.Append(nil, promtext.FormatText)
		},
		"wrong value count in a collector": func() {
			r := promtext.NewRegistry()
			r.Register(func(s *promtext.Scrape) { s.Add(g, 1) })
			r.Append(nil, promtext.FormatText)
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	// Names that are fine.
	promtext.NewDesc("a:b_c9", "", promtext.TypeGauge, "_x", "Y9")
	promtext.NewDesc("x_seconds_total", "", promtext.TypeCounter).WithUnit("seconds")
}

// failTB records checkOpenMetrics' first failure instead of failing.
type failTB struct {
	testing.TB
	failed bool
}

func (f *failTB) Helper() {}
func (f *failTB) Fatalf(string, ...any) {
	f.failed = true
	panic(f)
}

// TestCheckOpenMetricsRejects: the structural check fails on what is not
// OpenMetrics, so its passing means something.
func TestCheckOpenMetricsRejects(t *testing.T) {
	for _, bad := range []string{
		"# TYPE a counter\na_total 1\n",                         // no # EOF
		"# TYPE a counter\na_total 1\n# EOF\n# EOF\n",           // two
		"# TYPE a_total counter\na_total 1\n# EOF\n",            // a counter family with _total
		"# TYPE a counter\na 1\n# EOF\n",                        // a counter sample without it
		"a 1\n# EOF\n",                                          // no TYPE
		"# TYPE a gauge\na{x=\"\\q\"} 1\n# EOF\n",               // a bad escape
		"# TYPE a gauge\na{x=\"1} 1\n# EOF\n",                   // an unterminated value
		"# TYPE a_bytes gauge\n# UNIT a_bytes seconds\n# EOF\n", // a unit that is not the suffix
		"# TYPE a gauge\na 1\n\n# EOF\n",                        // an empty line
		"# TYPE a gauge\na one\n# EOF\n",                        // a value that is no number
		"# TYPE a summary\na 1\n# EOF\n",                        // a summary sample without quantile
		"# TYPE a histogram\n# EOF\n",                           // a type kycemu does not write
	} {
		f := &failTB{TB: t}
		func() {
			defer func() { recover() }()
			checkOpenMetrics(f, []byte(bad))
		}()
		if !f.failed {
			t.Errorf("accepted %q", bad)
		}
	}
	dups := checkOpenMetrics(t, []byte("# HELP a x\n# TYPE a gauge\na 1\n# TYPE a counter\na_total 1\n# EOF\n"))
	if !slices.Equal(dups, []string{"a"}) {
		t.Errorf("families named twice: %v", dups)
	}
}
