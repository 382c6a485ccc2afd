package gatenox

import (
	"bytes"
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
	"github.com/kycemu/kycemu/emulator/state"
)

// onCase runs fn on the calling company's case of one of kinds named by
// the path parameter param (404 when it has none).
func (p *Provider) onCase(c *provider.Call, param string, write bool, kinds []string, fn func(tx *state.Tx, r *state.Record) error) error {
	run := func(tx *state.Tx) error {
		r := caseRecord(tx, c.Params[param], kinds...)
		if r == nil {
			return recordNotFound()
		}
		return fn(tx, r)
	}
	if write {
		return p.update(c, run)
	}
	return p.view(c, run)
}

var (
	individualOnly = []string{KindCase}
	anyCase        = []string{KindCorporateCase, KindCase}
	corporateOnly  = []string{KindCorporateCase}
)

// timestampOf reads the timestamp query parameter (the spec checked it is
// a non-negative integer).
func timestampOf(c *provider.Call) (int64, bool) {
	n, err := strconv.ParseInt(c.Query("timestamp"), 10, 64)
	return n, err == nil
}

// individualAt returns an individual case as it was at a unix time, or
// false before it existed.
func individualAt(k *kase, ts int64) (caseView, bool) {
	for i := len(k.Revisions) - 1; i >= 0; i-- {
		if k.Revisions[i].At <= ts {
			return k.Revisions[i].View, true
		}
	}
	return caseView{}, false
}

func (p *Provider) getCase(c *provider.Call) error {
	return p.onCase(c, "id", false, individualOnly, func(tx *state.Tx, r *state.Record) error {
		k := state.Data[kase](r)
		v := p.currentCase(tx, r)
		if ts, given := timestampOf(c); given {
			old, existed := individualAt(k, ts)
			if !existed {
				return recordNotFound()
			}
			old.RevisionTimestamps = v.RevisionTimestamps
			v = old
		}
		return ok(c, http.StatusOK, map[string]any{"verification_individual": v})
	})
}

func (p *Provider) getPerson(c *provider.Call) error {
	return p.onCase(c, "verification_individual_id", false, individualOnly, func(_ *state.Tx, r *state.Record) error {
		return ok(c, http.StatusOK, map[string]any{"person": personViewOf(r)})
	})
}

func (p *Provider) listAddresses(c *provider.Call) error {
	return p.onCase(c, "verification_individual_id", false, individualOnly, func(_ *state.Tx, r *state.Record) error {
		k := state.Data[kase](r)
		if ts, given := timestampOf(c); given {
			if _, existed := individualAt(k, ts); !existed {
				return recordNotFound()
			}
		}
		return ok(c, http.StatusOK, map[string]any{"addresses": []addressView{k.Person.Residence.view()}})
	})
}

func (p *Provider) getAddress(c *provider.Call) error {
	return p.onCase(c, "verification_individual_id", false, individualOnly, func(_ *state.Tx, r *state.Record) error {
		if a := state.Data[kase](r).Person.Residence; a.ID == c.Params["id"] {
			return ok(c, http.StatusOK, map[string]any{"address": a.view()})
		}
		return recordNotFound()
	})
}

// getAuditLog serves the audit log of a case, on either path.
func (p *Provider) getAuditLog(kinds []string) provider.Handler {
	return func(c *provider.Call) error {
		return p.onCase(c, "id", false, kinds, func(_ *state.Tx, r *state.Record) error {
			rv := reviewOf(r)
			type auditLog struct {
				Audits           []audit `json:"audits"`
				AssociatedAudits []audit `json:"associated_audits"`
			}
			return ok(c, http.StatusOK, map[string]any{"audit_log": auditLog{
				Audits: nonNilAudits(rv.Audits), AssociatedAudits: nonNilAudits(rv.Associated)}})
		})
	}
}

func nonNilAudits(a []audit) []audit {
	if a == nil {
		return []audit{}
	}
	return slices.Clone(a)
}

// caseFilter is what the case lists filter by.
type caseFilter struct {
	statuses                   map[string]bool
	createdSince, updatedSince time.Time
	byCreated, byUpdated       bool
}

func caseFilterOf(c *provider.Call) caseFilter {
	f := caseFilter{statuses: csvSet(c.Query("status"))}
	if as := c.Query("assessment_status"); as != "" {
		want := map[string]bool{}
		for a := range csvSet(as) {
			if a == "rejected" {
				want[CaseRejected] = true
			} else {
				want[CaseCompleted] = true
			}
		}
		if f.statuses != nil {
			for st := range want {
				if !f.statuses[st] {
					delete(want, st)
				}
			}
		}
		f.statuses = want
	}
	since := func(name string) (time.Time, bool) {
		d, err := time.Parse(time.DateOnly, c.Query(name))
		return d, err == nil
	}
	f.createdSince, f.byCreated = since("created_at")
	f.updatedSince, f.byUpdated = since("updated_at")
	return f
}

func (f caseFilter) keeps(r *state.Record) bool {
	switch {
	case f.statuses != nil && !f.statuses[r.Status],
		f.byCreated && r.Created.Before(f.createdSince),
		f.byUpdated && updatedOf(r).Before(f.updatedSince):
		return false
	}
	return true
}

func (p *Provider) listCases(c *provider.Call) error {
	f := caseFilterOf(c)
	order := parseOrder(c.Query("order_by"), "created_at,desc")
	page, perPage, paged := paging(c, maxPerPage)
	return p.view(c, func(tx *state.Tx) error {
		var match []*state.Record
		for _, r := range tx.List(KindCase) {
			if f.keeps(r) {
				match = append(match, r)
			}
		}
		sortRecords(match, order, "status")
		lo, hi := 0, len(match)
		if paged {
			lo, hi = window(len(match), page, perPage)
		}
		out := []caseView{}
		for _, r := range match[lo:hi] {
			out = append(out, p.currentCase(tx, r))
		}
		return ok(c, http.StatusOK, map[string]any{"verification_individuals": out})
	})
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

// updateEvents are the events whose illegal calls Gatenox answers with a
// status code rather than the workflow's message.
var updateEvents = map[string]bool{evRequestDataUpdate: true, evCancelDataUpdate: true,
	evRequestRiskScore: true, evCancelRiskScoreUpdate: true}

// stateCall serves one of the state endpoints of the cases of kinds (the
// case named by param): the workflow event must be defined for the case's
// status, and moves that assess the case need an assessment and its
// comment (in the call or already on the case). Starting needs a licence
// with verifications left.
func (p *Provider) stateCall(event, param string, kinds []string) provider.Handler {
	return func(c *provider.Call) error {
		form, ferr := formOf(c)
		if ferr != nil {
			return ferr
		}
		return p.onCase(c, param, true, kinds, func(tx *state.Tx, r *state.Record) error {
			rv := reviewOf(r)
			to, defined := caseEvents[event][r.Status]
			if !defined {
				if updateEvents[event] {
					return statusCode(http.StatusUnprocessableEntity, "STATE_TRANSITION_NOT_ALLOWED")
				}
				return noEvent(event, r.Status)
			}
			if event == evStart {
				if err := licenceFor(tx, "LICENSE_NOT_ENOUGH_VERIFICATIONS"); err != nil {
					return err
				}
			}
			ch := change{assessment: optional(form.Get("assessment")),
				assessmentComment: optional(form.Get("assessment_comment")), qaComment: optional(form.Get("qa_comment"))}
			switch event {
			case evQA, evComplete:
				if ch.assessment == nil && rv.Assessment == nil {
					return dataError("Assessment must be provided")
				}
				// A new or changed assessment comes with its comment.
				changed := ch.assessment != nil && (rv.Assessment == nil || *ch.assessment != *rv.Assessment)
				if ch.assessmentComment == nil && (rv.AssessmentComment == nil || changed) {
					return dataError("Assessment comment must be provided")
				}
			case evReject:
				// A rejection's comment is its own; a QA comment is not taken.
				ch.qaComment, ch.rejectionComment = nil, optional(form.Get("rejection_comment"))
			case evRequestDataUpdate:
				if id := c.Query("completeness_profile_id"); id != "" && r.Kind == KindCorporateCase {
					if profileByID(tx, id) == nil {
						return recordNotFound()
					}
					state.Data[corporateCase](r).ProfileID = id
				}
			}
			p.moveCase(tx, r, to, apiActor(c), ch, "")
			if to == CaseRecalculateRiskScore {
				p.requestRiskScore(tx, r)
			}
			return ok(c, http.StatusOK, map[string]any{"verification": p.verificationOf(tx, r)})
		})
	}
}

// requestRiskScore makes a new external risk score record for a case
// waiting for its recalculation, and announces it.
func (p *Provider) requestRiskScore(tx *state.Tx, r *state.Record) {
	p.createRiskScore(tx, r)
	r.Data.(reviewed).revise(p, tx, r)
	p.announceRiskScore(tx, r)
}

// verificationOf is a case of either kind as the state endpoints answer it.
func (p *Provider) verificationOf(tx *state.Tx, r *state.Record) any {
	if r.Kind == KindCorporateCase {
		return p.currentCorporate(tx, r)
	}
	return p.currentCase(tx, r)
}

func (p *Provider) uploadRiskScore(c *provider.Call) error {
	form, ferr := formOf(c)
	if ferr != nil {
		return ferr
	}
	return p.update(c, func(tx *state.Tx) error {
		sr := tx.Get(kindScore, form.Get("id"))
		if sr == nil {
			return recordNotFound()
		}
		s := state.Data[riskScore](sr)
		r := tx.Get(s.CaseKind, s.CaseID)
		if r == nil {
			return recordNotFound()
		}
		now := tx.Now()
		rv := reviewOf(r)
		oldSimple, oldScore := copyPtr(s.Simple), copyPtr(s.Score)
		s.Simple = optional(form.Get("risk_score[simple]"))
		score := form.Get("risk_score[detailed][score]")
		s.Score, s.Detailed = &score, true
		s.Reasons = append([]string{}, form["risk_score[detailed][reasons][]"]...)
		s.Updated = now
		p.audit(tx, r, "update", map[string]any{
			"external_risk_score_simple": []any{oldSimple, s.Simple},
			"external_risk_score":        []any{oldScore, score},
		}, apiActor(c), nil)
		if rv.ScoreID == sr.ID && r.Status == CaseRecalculateRiskScore {
			p.moveCase(tx, r, CaseInProgress, apiActor(c), change{}, "external risk score received")
		} else {
			rv.Updated = now
			r.Data.(reviewed).revise(p, tx, r)
		}
		return ok(c, http.StatusOK, map[string]any{"external_risk_score": s.view(sr.ID)})
	})
}
