package gatenox

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
)

// caseOf finds the calling tenant's case and locks the tenant; the caller
// must call unlock.
func (p *Provider) caseOf(tenantName, id string) (*kase, func(), *provider.Error) {
	t, found := p.tenants.Lookup(tenantName)
	if !found {
		return nil, nil, recordNotFound()
	}
	t.mu.Lock()
	k, found := t.cases[id]
	if !found {
		t.mu.Unlock()
		return nil, nil, recordNotFound()
	}
	return k, t.mu.Unlock, nil
}

// timestampOf reads the timestamp query parameter (the spec checked it is
// a non-negative integer).
func timestampOf(c *provider.Call) (int64, bool) {
	n, err := strconv.ParseInt(c.Query("timestamp"), 10, 64)
	return n, err == nil
}

func (p *Provider) getCase(c *provider.Call) error {
	k, unlock, err := p.caseOf(c.Tenant, c.Params["id"])
	if err != nil {
		return err
	}
	defer unlock()
	v := k.current()
	if ts, given := timestampOf(c); given {
		old, existed := k.at(ts)
		if !existed {
			return recordNotFound()
		}
		old.RevisionTimestamps = v.RevisionTimestamps
		v = old
	}
	return ok(c, http.StatusOK, map[string]any{"verification_individual": v})
}

func (p *Provider) getPerson(c *provider.Call) error {
	k, unlock, err := p.caseOf(c.Tenant, c.Params["verification_individual_id"])
	if err != nil {
		return err
	}
	defer unlock()
	return ok(c, http.StatusOK, map[string]any{"person": k.personView()})
}

func (p *Provider) listAddresses(c *provider.Call) error {
	k, unlock, err := p.caseOf(c.Tenant, c.Params["verification_individual_id"])
	if err != nil {
		return err
	}
	defer unlock()
	if ts, given := timestampOf(c); given {
		if _, existed := k.at(ts); !existed {
			return recordNotFound()
		}
	}
	out := make([]addressView, len(k.addresses))
	for i, a := range k.addresses {
		out[i] = a.view()
	}
	return ok(c, http.StatusOK, map[string]any{"addresses": out})
}

func (p *Provider) getAddress(c *provider.Call) error {
	k, unlock, err := p.caseOf(c.Tenant, c.Params["verification_individual_id"])
	if err != nil {
		return err
	}
	defer unlock()
	for _, a := range k.addresses {
		if a.id == c.Params["id"] {
			return ok(c, http.StatusOK, map[string]any{"address": a.view()})
		}
	}
	return recordNotFound()
}

func (p *Provider) getAuditLog(c *provider.Call) error {
	k, unlock, err := p.caseOf(c.Tenant, c.Params["id"])
	if err != nil {
		return err
	}
	defer unlock()
	type auditLog struct {
		Audits           []audit `json:"audits"`
		AssociatedAudits []audit `json:"associated_audits"`
	}
	return ok(c, http.StatusOK, map[string]any{"audit_log": auditLog{
		Audits: slices.Clone(k.audits), AssociatedAudits: slices.Clone(k.associated)}})
}

func (p *Provider) listCases(c *provider.Call) error {
	statuses := csvSet(c.Query("status"))
	if as := c.Query("assessment_status"); as != "" {
		want := CaseCompleted
		if as == "rejected" {
			want = CaseRejected
		}
		if statuses != nil && !statuses[want] {
			statuses = map[string]bool{}
		} else {
			statuses = map[string]bool{want: true}
		}
	}
	since := func(name string) (time.Time, bool) {
		d, err := time.Parse(time.DateOnly, c.Query(name))
		return d, err == nil
	}
	createdSince, byCreated := since("created_at")
	updatedSince, byUpdated := since("updated_at")
	order := parseOrder(c.Query("order_by"), "created_at,desc")
	page, perPage, paged := paging(c, maxPerPage)
	out := []caseView{}
	if t, found := p.tenants.Lookup(c.Tenant); found {
		t.mu.Lock()
		var match []*kase
		for _, k := range t.caseOrder {
			switch {
			case statuses != nil && !statuses[k.status],
				byCreated && k.created.Before(createdSince),
				byUpdated && k.updated.Before(updatedSince):
				continue
			}
			match = append(match, k)
		}
		slices.SortStableFunc(match, func(a, b *kase) int {
			var d int
			switch order.field {
			case "updated_at":
				d = a.updated.Compare(b.updated)
			case "status":
				d = cmp.Compare(a.status, b.status)
			default:
				d = a.created.Compare(b.created)
			}
			if d == 0 {
				d = cmp.Compare(a.seq, b.seq)
			}
			if order.desc {
				d = -d
			}
			return d
		})
		lo, hi := 0, len(match)
		if paged {
			lo, hi = window(len(match), page, perPage)
		}
		for _, k := range match[lo:hi] {
			out = append(out, k.current())
		}
		t.mu.Unlock()
	}
	return ok(c, http.StatusOK, map[string]any{"verification_individuals": out})
}

// formOf reads a form body: multipart, URL-encoded or a flat JSON object
// (the spec checked it). An empty body is an empty form.
func formOf(c *provider.Call) (url.Values, *provider.Error) {
	out := url.Values{}
	if len(c.Body) == 0 {
		return out, nil
	}
	bad := provider.Invalid("", "request body could not be read")
	mt, params, err := mime.ParseMediaType(c.R.Header.Get("Content-Type"))
	if err != nil {
		return nil, bad
	}
	switch mt {
	case "multipart/form-data":
		mr := multipart.NewReader(bytes.NewReader(c.Body), params["boundary"])
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			if err != nil {
				return nil, bad
			}
			v, err := io.ReadAll(io.LimitReader(part, 64<<10))
			if err != nil {
				return nil, bad
			}
			out.Add(part.FormName(), string(v))
		}
	case "application/x-www-form-urlencoded":
		v, err := url.ParseQuery(string(c.Body))
		if err != nil {
			return nil, bad
		}
		return v, nil
	case "application/json":
		var m map[string]any
		if json.Unmarshal(c.Body, &m) != nil {
			return nil, bad
		}
		for k, v := range m {
			if s, isString := v.(string); isString {
				out.Add(k, s)
			}
		}
		return out, nil
	}
	return nil, bad
}

// apiActor is the company, calling with its token.
func apiActor(c *provider.Call) actor {
	a := actor{by: "client", userType: &userAPI, username: &apiName}
	if host, _, err := net.SplitHostPort(c.R.RemoteAddr); err == nil {
		a.remote = &host
	}
	if id := c.W.Header().Get("X-Request-Id"); id != "" {
		a.requestID = &id
	}
	return a
}

// stateCall serves one of the state endpoints: the workflow event must be
// defined for the case's status, and moves that assess the case need an
// assessment and its comment (in the call or already on the case).
func (p *Provider) stateCall(event string) provider.Handler {
	return func(c *provider.Call) error {
		form, ferr := formOf(c)
		if ferr != nil {
			return ferr
		}
		k, unlock, err := p.caseOf(c.Tenant, c.Params["verification_individual_id"])
		if err != nil {
			return err
		}
		defer unlock()
		to, defined := caseEvents[event][k.status]
		if !defined {
			return noEvent(event, k.status)
		}
		ch := change{assessment: optional(form.Get("assessment")),
			assessmentComment: optional(form.Get("assessment_comment")), qaComment: optional(form.Get("qa_comment"))}
		switch event {
		case evQA, evComplete:
			if ch.assessment == nil && k.assessment == nil {
				return dataError("Assessment must be provided")
			}
			// A new or changed assessment comes with its comment.
			changed := ch.assessment != nil && (k.assessment == nil || *ch.assessment != *k.assessment)
			if ch.assessmentComment == nil && (k.assessmentComment == nil || changed) {
				return dataError("Assessment comment must be provided")
			}
		}
		if event == evReject {
			// A rejection's comment is its own; a QA comment is not taken.
			ch.qaComment, ch.rejectionComment = nil, optional(form.Get("rejection_comment"))
		}
		p.moveCase(k, to, apiActor(c), ch, "")
		return ok(c, http.StatusOK, map[string]any{"verification": k.current()})
	}
}

func (p *Provider) uploadRiskScore(c *provider.Call) error {
	form, ferr := formOf(c)
	if ferr != nil {
		return ferr
	}
	t, found := p.tenants.Lookup(c.Tenant)
	if !found {
		return recordNotFound()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s, found := t.scores[form.Get("id")]
	if !found || s.kase.inv.gone {
		return recordNotFound()
	}
	now := p.env.Clock.Now()
	k := s.kase
	oldSimple, oldScore := copyPtr(s.simple), copyPtr(s.score)
	s.simple = optional(form.Get("risk_score[simple]"))
	score := form.Get("risk_score[detailed][score]")
	s.score, s.detailed = &score, true
	s.reasons = append([]string{}, form["risk_score[detailed][reasons][]"]...)
	s.updated = now
	p.audit(k, "update", map[string]any{
		"external_risk_score_simple": []any{oldSimple, s.simple},
		"external_risk_score":        []any{oldScore, score},
	}, apiActor(c), nil, now)
	if k.score == s && k.status == CaseRecalculateRiskScore {
		p.moveCase(k, CaseInProgress, apiActor(c), change{}, "external risk score received")
	} else {
		k.updated = now
		p.revise(k, now)
	}
	return ok(c, http.StatusOK, map[string]any{"external_risk_score": s.view()})
}
