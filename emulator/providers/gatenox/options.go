package gatenox

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
)

// PlanOptions is what a scenario's options may set for the sessions it
// scripts:
//
//	{"person": {"given_names": "Ana", "surname": "Souza", "date_of_birth": "1990-04-12", "nationality": "PT"},
//	 "assessment": "risk_high",
//	 "company": {"formal_name": "Acme Payments Ltd", "company_number": "12345678", "jurisdiction": "gb"},
//	 "directors": [{"given_names": "Ana", "surname": "Souza", "position": "CEO"}],
//	 "ubos": [{"given_names": "Ana", "surname": "Souza", "shares": 60}],
//	 "screening": "hit"}
//
// person is what the invited person submits when a timeline completes an
// individual invitation; company, directors and ubos what the business
// user submits when a timeline completes a corporate invitation (made-up
// values fill the rest); assessment is what a timeline or the control API
// records when it sends a case to QA or approves it without one (default
// risk_low); screening is the outcome of a screening check (clear, hit or
// pending; default clear). Other keys are ignored.
type PlanOptions struct {
	Person     *PersonOption  `json:"person"`
	Assessment string         `json:"assessment"`
	Company    *CompanyOption `json:"company"`
	Directors  []PersonOption `json:"directors"`
	UBOs       []PersonOption `json:"ubos"`
	Screening  string         `json:"screening"`
}

// PersonOption is a person a scenario scripts; position is a director's,
// shares a UBO's.
type PersonOption struct {
	GivenNames  string  `json:"given_names"`
	Surname     string  `json:"surname"`
	DateOfBirth string  `json:"date_of_birth"`
	Nationality string  `json:"nationality"`
	Position    string  `json:"position"`
	Shares      float64 `json:"shares"`
}

// CompanyOption is the company a scenario scripts.
type CompanyOption struct {
	FormalName    string `json:"formal_name"`
	CompanyNumber string `json:"company_number"`
	Jurisdiction  string `json:"jurisdiction"`
}

var assessments = []string{"risk_low", "risk_medium", "risk_high"}

// decodeOptions reads and checks a plan's options.
func decodeOptions(opts map[string]any) (PlanOptions, error) {
	var po PlanOptions
	if len(opts) == 0 {
		return po, nil
	}
	b, err := json.Marshal(opts)
	if err != nil {
		return po, fmt.Errorf("options are not JSON-like")
	}
	if err := json.Unmarshal(b, &po); err != nil {
		return po, fmt.Errorf(`options must look like {"person": {"given_names", "surname", "date_of_birth", "nationality"}, ` +
			`"assessment": "risk_low", "company": {"formal_name", "company_number", "jurisdiction"}, "directors": [...], ` +
			`"ubos": [...], "screening": "clear"}`)
	}
	if po.Assessment != "" && !slices.Contains(assessments, po.Assessment) {
		return po, fmt.Errorf("options.assessment must be one of %s", strings.Join(assessments, ", "))
	}
	if po.Screening != "" && !slices.Contains(outcomes, po.Screening) {
		return po, fmt.Errorf("options.screening must be one of %s", strings.Join(outcomes, ", "))
	}
	if po.Person != nil {
		if _, err := po.Person.submission("options.person"); err != nil {
			return po, err
		}
	}
	for i, ps := range append(slices.Clone(po.Directors), po.UBOs...) {
		what := fmt.Sprintf("options.directors[%d]", i)
		if i >= len(po.Directors) {
			what = fmt.Sprintf("options.ubos[%d]", i-len(po.Directors))
		}
		if _, err := ps.submission(what); err != nil {
			return po, err
		}
		if ps.Shares < 0 || ps.Shares > 100 {
			return po, fmt.Errorf("%s.shares must be from 0 to 100", what)
		}
	}
	if c := po.Company; c != nil && c.Jurisdiction != "" && jurisdictionCode(c.Jurisdiction) == "" {
		return po, fmt.Errorf("options.company.jurisdiction must be a country code kycemu knows (gb, pl, de, ...)")
	}
	return po, nil
}

// submission checks a scripted person and returns what they submit.
func (ps PersonOption) submission(what string) (submission, error) {
	var sub submission
	sub.GivenNames, sub.Surname = strings.TrimSpace(ps.GivenNames), strings.TrimSpace(ps.Surname)
	if (sub.GivenNames != "" && !isName(sub.GivenNames)) || (sub.Surname != "" && !isName(sub.Surname)) {
		return sub, fmt.Errorf("%s names may hold letters, spaces, dots, apostrophes and hyphens", what)
	}
	if ps.DateOfBirth != "" {
		d, err := time.Parse(time.DateOnly, ps.DateOfBirth)
		if err != nil {
			return sub, fmt.Errorf("%s.date_of_birth must be a date written YYYY-MM-DD", what)
		}
		sub.BirthDate = &d
	}
	if ps.Nationality != "" {
		if !nationalityRE.MatchString(ps.Nationality) {
			return sub, fmt.Errorf("%s.nationality must be a two-letter country code", what)
		}
		sub.Nationality = strings.ToUpper(ps.Nationality)
	}
	return sub, nil
}

// CheckOptions reports whether a scenario's options can be used (for
// scenario loaders).
func (p *Provider) CheckOptions(kind string, opts map[string]any) error {
	if _, known := p.Machines()[kind]; !known {
		return fmt.Errorf("gatenox has no session kind %q", kind)
	}
	_, err := decodeOptions(opts)
	return err
}

// script is what a session's plans script beyond their timelines.
type script struct {
	Person     submission     `json:"person"`
	Assessment string         `json:"assessment,omitempty"`
	Company    *CompanyOption `json:"company,omitempty"`
	Directors  []PersonOption `json:"directors,omitempty"`
	UBOs       []PersonOption `json:"ubos,omitempty"`
	Screening  string         `json:"screening,omitempty"`
}

// scriptOf merges the options of a session's plans (the later ones win).
func scriptOf(plans ...*provider.Plan) (script, error) {
	var s script
	for _, pl := range plans {
		if pl == nil {
			continue
		}
		po, err := decodeOptions(pl.Options)
		if err != nil {
			return s, err
		}
		if po.Person != nil {
			s.Person, _ = po.Person.submission("")
		}
		if po.Assessment != "" {
			s.Assessment = po.Assessment
		}
		if po.Company != nil {
			s.Company = po.Company
		}
		if po.Directors != nil {
			s.Directors = po.Directors
		}
		if po.UBOs != nil {
			s.UBOs = po.UBOs
		}
		if po.Screening != "" {
			s.Screening = po.Screening
		}
	}
	return s, nil
}
