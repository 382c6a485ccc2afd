// Command kycemu-load measures kycemu the way issue 13's figures are stated:
// throughput of a GET and a create of a Notus session as ratios to a Go
// net/http hello-world measured in the same run with the same load
// generator, the server's CPU time per request beside them (steadier than
// throughput on a shared machine), the latency tails with many sessions
// stored, exec-to-healthy and idle RSS.
//
//	go run ./cmd/kycemu-load                       # every figure, 5 s per phase
//	go run ./cmd/kycemu-load -duration 10s -tails 1000,1000000
//	go run ./cmd/kycemu-load -image kycemu:ci      # and docker run -> healthy
//
// It builds ./cmd/kycemu (or runs -kycemu PATH) and a hello-world server
// (itself, re-executed) as separate processes on loopback ports, so each
// server's CPU time is read from /proc alone.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kycemu/kycemu/internal/procstat"
)

func main() {
	if addr := os.Getenv("KYCEMU_LOAD_HELLO"); addr != "" {
		helloWorld(addr)
		return
	}
	duration := flag.Duration("duration", 5*time.Second, "length of each measured phase")
	conns := flag.Int("conns", 32, "keep-alive connections of the load generator")
	tails := flag.String("tails", "1000,100000", "stored-session counts at which to measure the latency tails (comma-separated; the first is the baseline)")
	starts := flag.Int("starts", 20, "exec-to-healthy runs")
	bin := flag.String("kycemu", "", "kycemu binary to measure (default: go build ./cmd/kycemu)")
	image := flag.String("image", "", "also time `docker run` -> Docker \"healthy\" of this local image (e.g. kycemu:ci)")
	flag.Parse()
	if err := run(*bin, *duration, *conns, *tails, *starts); err != nil {
		fmt.Fprintln(os.Stderr, "kycemu-load:", err)
		os.Exit(1)
	}
	if *image == "" {
		return
	}
	if err := dockerHealthy(*image, min(*starts, 10)); err != nil {
		fmt.Fprintln(os.Stderr, "kycemu-load:", err)
		os.Exit(1)
	}
}

func helloWorld(addr string) {
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "hello, world\n")
	})
	_ = http.ListenAndServe(addr, nil)
}

func run(bin string, d time.Duration, conns int, tails string, starts int) error {
	if bin == "" {
		dir, err := os.MkdirTemp("", "kycemu-load")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "kycemu")
		build := exec.Command("go", "build", "-o", bin, "./cmd/kycemu")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build kycemu (run from the repository root): %w", err)
		}
	}
	var counts []int
	for _, f := range strings.Split(tails, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("-tails: %q is not a count", f)
		}
		counts = append(counts, n)
	}
	fmt.Printf("kycemu-load: %d connections, %s per phase\n\n", conns, d)

	hello, err := startHello()
	if err != nil {
		return err
	}
	defer hello.stop()
	emu, err := startKycemu(bin, max(slices.Max(counts)*2, 100_000))
	if err != nil {
		return err
	}
	defer emu.stop()
	sid, err := createSession(emu.base, "load-key")
	if err != nil {
		return err
	}
	getPath := "/notus/api/v1/kyc/individual-verification-sessions/standard/" + sid

	fmt.Println("throughput (ratio to hello-world in this run; CPU is the server's own)")
	h := load(hello, d, conns, func() *http.Request { r, _ := http.NewRequest("GET", hello.base+"/", nil); return r })
	h.print("hello-world GET /", nil)
	g := load(emu, d, conns, func() *http.Request { return notusGet(emu.base, getPath) })
	g.print("kycemu GET session", &h)
	c := load(emu, d, conns, func() *http.Request { return notusCreate(emu.base, "load-create") })
	c.print("kycemu create session", &h)

	fmt.Println("\nlatency tails with sessions stored (each preloaded through the API)")
	var baseGet, baseCreate time.Duration
	stored := 2 + int(c.n) // the GET fixture, the create phase
	for _, n := range counts {
		if err := preload(emu.base, n-stored, conns); err != nil {
			return err
		}
		stored = max(stored, n)
		gr := load(emu, d, conns, func() *http.Request { return notusGet(emu.base, getPath) })
		cr := load(emu, d, conns, func() *http.Request { return notusCreate(emu.base, "load-tails") })
		stored += int(cr.n)
		fmt.Printf("  %9d stored: GET p50 %6s p99 %6s | create p50 %6s p99 %6s | RSS %.0f MB\n", n,
			ms(gr.p50), ms(gr.p99), ms(cr.p50), ms(cr.p99), emu.rss())
		if baseGet == 0 {
			baseGet, baseCreate = gr.p99, cr.p99
		} else {
			fmt.Printf("            p99 ratio to %d stored: GET %.2f, create %.2f\n", counts[0],
				float64(gr.p99)/float64(baseGet), float64(cr.p99)/float64(baseCreate))
		}
	}

	fmt.Println("\nstart-up")
	var lat, first, oncpu []time.Duration
	var rss, anon []float64
	for range starts {
		s, err := startKycemu(bin, 0)
		if err != nil {
			return err
		}
		lat = append(lat, s.startup)
		oncpu = append(oncpu, s.startCPU)
		// Idle means after the start-up's background work (handing the
		// start-up's garbage back), not at the instant the health check
		// first passes.
		time.Sleep(idleSettle)
		rss = append(rss, s.rss())
		anon = append(anon, procstat.RSSAnon(s.cmd.Process.Pid))
		// The first request to a provider parses its document.
		t0 := time.Now()
		_, err = createSession(s.base, "load-first")
		first = append(first, time.Since(t0))
		s.stop()
		if err != nil {
			return err
		}
	}
	slices.Sort(lat)
	slices.Sort(rss)
	slices.Sort(anon)
	slices.Sort(first)
	slices.Sort(oncpu)
	fmt.Printf("  exec -> healthy: min %s, median %s, max %s (%d runs)\n", ms(lat[0]), ms(lat[len(lat)/2]), ms(lat[len(lat)-1]), starts)
	fmt.Printf("  CPU the server used up to healthy: min %s, median %s, max %s (steadier than the wall time on a busy machine)\n",
		ms(oncpu[0]), ms(oncpu[len(oncpu)/2]), ms(oncpu[len(oncpu)-1]))
	fmt.Printf("  idle RSS %s later: median %.1f MB, of which anonymous %.1f MB (the rest: the executable's pages)\n",
		idleSettle, rss[len(rss)/2], anon[len(anon)/2])
	fmt.Printf("  then the first Notus create (parses Notus's document): min %s, median %s, max %s\n",
		ms(first[0]), ms(first[len(first)/2]), ms(first[len(first)-1]))
	return nil
}

// idleSettle is how long after healthy the idle memory is read.
const idleSettle = 500 * time.Millisecond

// proc is a server under load.
type proc struct {
	cmd      *exec.Cmd
	base     string
	startup  time.Duration
	startCPU time.Duration // on a CPU up to healthy
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func startHello() (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), "KYCEMU_LOAD_HELLO="+addr)
	return launch(cmd, "http://"+addr, "/")
}

func startKycemu(bin string, records int) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--addr", addr, "--seed", "1"}
	if records > 0 {
		args = append(args, "--max-records", strconv.Itoa(records), "--max-records-per-tenant", strconv.Itoa(records))
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = io.Discard // the access log is part of the cost, not of the output
	return launch(cmd, "http://"+addr, "/_emulator/health")
}

func launch(cmd *exec.Cmd, base, health string) (*proc, error) {
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, base: base}
	cl := &http.Client{Timeout: time.Second}
	for deadline := start.Add(10 * time.Second); time.Now().Before(deadline); {
		if resp, err := cl.Get(base + health); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				p.startup = time.Since(start)
				p.startCPU = procstat.OnCPU(cmd.Process.Pid)
				return p, nil
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	p.stop()
	return nil, fmt.Errorf("%s did not become healthy", cmd.Path)
}

func (p *proc) stop() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

func (p *proc) cpu() time.Duration { return procstat.CPU(p.cmd.Process.Pid) }

func (p *proc) rss() float64 { return procstat.RSS(p.cmd.Process.Pid) }

type result struct {
	n, errs  int64
	rps      float64
	cpuPerRq time.Duration
	p50, p99 time.Duration
}

func (r result) print(name string, base *result) {
	ratio := ""
	if base != nil && base.rps > 0 {
		ratio = fmt.Sprintf("  %.2f×", r.rps/base.rps)
	}
	fmt.Printf("  %-24s %9.0f req/s%s  CPU %5.1f µs/req  p50 %s p99 %s  (%d errors)\n", name, r.rps, ratio,
		float64(r.cpuPerRq.Nanoseconds())/1000, ms(r.p50), ms(r.p99), r.errs)
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + "ms"
}

// load sends requests from conns keep-alive connections for d.
func load(p *proc, d time.Duration, conns int, req func() *http.Request) result {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var n, errs atomic.Int64
	lats := make([][]time.Duration, conns)
	cpu0 := p.cpu()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t := time.Now()
				resp, err := cl.Do(req())
				if err != nil {
					if !errors.Is(err, context.DeadlineExceeded) {
						errs.Add(1)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode >= 300 {
					errs.Add(1)
				}
				lats[i] = append(lats[i], time.Since(t))
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	cpu := p.cpu() - cpu0
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	slices.Sort(all)
	r := result{n: n.Load(), errs: errs.Load(), rps: float64(n.Load()) / el.Seconds()}
	if r.n > 0 {
		r.cpuPerRq = cpu / time.Duration(r.n)
		r.p50, r.p99 = all[len(all)/2], all[len(all)*99/100]
	}
	return r
}

var person = []byte(`{"firstName":"Ana","lastName":"Souza","birthDate":"15/03/1990",` +
	`"documentCategory":"DRIVERS_LICENSE","documentCountry":"BRAZIL","documentId":"12345678901"}`)

func notusCreate(base, key string) *http.Request {
	r, _ := http.NewRequest("POST", base+"/notus/api/v1/kyc/individual-verification-sessions/standard", bytes.NewReader(person))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("x-api-key", key)
	return r
}

func notusGet(base, path string) *http.Request {
	r, _ := http.NewRequest("GET", base+path, nil)
	r.Header.Set("x-api-key", "load-key")
	return r
}

func createSession(base, key string) (string, error) {
	resp, err := http.DefaultClient.Do(notusCreate(base, key))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Session struct{ ID string } `json:"session"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Session.ID == "" {
		return "", fmt.Errorf("create a session: status %d", resp.StatusCode)
	}
	return out.Session.ID, nil
}

// preload creates n sessions spread over 100 tenants.
func preload(base string, n, conns int) error {
	if n <= 0 {
		return nil
	}
	tr := &http.Transport{MaxIdleConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr}
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				resp, err := cl.Do(notusCreate(base, "preload-"+strconv.FormatInt(i%100, 10)))
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 201 {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("preload: %d of %d creates failed", f, n)
	}
	return nil
}
