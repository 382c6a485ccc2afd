package emulator

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/httpx"
	"github.com/kycemu/kycemu/emulator/provider"
)

// faultHeader marks a response a scripted fault shaped, with what the
// fault did; the journal records it too.
const faultHeader = "X-Kycemu-Fault"

// annotation is what the journal learns about a call from the scenario
// engine.
type annotation struct {
	scenario string
	fault    string
	dropped  bool
	// session is the session the handler named (provider.Call.Session).
	session string
}

// faults applies the scripted faults of a call, after authentication and
// validation and before the handler. The scenario is the session's (the
// provider's CallScenario), else the X-Kycemu-Scenario header's, else the
// tenant's default. Latency is real time: the call waits (capped by
// WithMaxFaultLatency, and cut short when the client goes away) and the
// emulator's clock does not move. It reports whether the fault answered
// the call (or dropped it), in which case the handler must not run.
func (m *mount) faults(w http.ResponseWriter, rec *httpx.Recorder, r *http.Request, c *provider.Call) (annotation, bool) {
	session := ""
	if cs, ok := m.p.(provider.CallScenario); ok {
		session = cs.ScenarioOf(c)
	}
	name, fire := m.e.scenarios.CallFault(m.p.Name(), c.Op, c.Tenant, session, c.Scenario)
	ann := annotation{scenario: name}
	if fire == nil {
		return ann, false
	}
	ann.fault = fire.Note()
	if fire.Latency > 0 {
		sleep(r.Context(), fire.Latency)
	}
	switch {
	case fire.Drop:
		ann.dropped = true
		return ann, true
	case fire.Answer != nil:
		a := fire.Answer
		rec.Header().Set(faultHeader, ann.fault)
		if a.Body == nil {
			m.fail(rec, r, c.Op, a.Error())
			return ann, true
		}
		for k, vs := range a.Header {
			for _, v := range vs {
				rec.Header().Add(k, v)
			}
		}
		rec.Header().Set("Content-Type", a.ContentType)
		rec.Header().Set("Content-Length", strconv.Itoa(len(a.Body)))
		rec.WriteHeader(a.Status)
		_, _ = rec.Write(a.Body)
		return ann, true
	}
	rec.Header().Set(faultHeader, ann.fault)
	return ann, false
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// drop closes the client's connection without an answer: hijacked and
// closed under HTTP/1, the stream reset under HTTP/2.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}
