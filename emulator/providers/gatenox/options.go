package gatenox

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
)

// PlanOptions is what a scenario's options may set for an invitation and
// its case:
//
//	{"person": {"given_names": "Ana", "surname": "Souza", "date_of_birth": "1990-04-12", "nationality": "PT"},
//	 "assessment": "risk_high"}
//
// person is what the invited person submits when a timeline completes the
// invitation (made-up values fill the rest); assessment is what a timeline
// or the control API records when it sends the case to QA or approves it
// without one (default risk_low). Other keys are ignored.
type PlanOptions struct {
	Person     *PersonOption `json:"person"`
	Assessment string        `json:"assessment"`
}

// PersonOption is the person a scenario scripts.
type PersonOption struct {
	GivenNames  string `json:"given_names"`
	Surname     string `json:"surname"`
	DateOfBirth string `json:"date_of_birth"`
	Nationality string `json:"nationality"`
}

var assessments = []string{"risk_low", "risk_medium", "risk_high"}

// decodeOptions reads and checks a plan's options.
func decodeOptions(opts map[string]any) (PlanOptions, submission, error) {
	var po PlanOptions
	var sub submission
	if len(opts) == 0 {
		return po, sub, nil
	}
	b, err := json.Marshal(opts)
	if err != nil {
		return po, sub, fmt.Errorf("options are not JSON-like")
	}
	if err := json.Unmarshal(b, &po); err != nil {
		return po, sub, fmt.Errorf(`options must look like {"person": {"given_names", "surname", "date_of_birth", "nationality"}, "assessment": "risk_low"}`)
	}
	if po.Assessment != "" && !slices.Contains(assessments, po.Assessment) {
		return po, sub, fmt.Errorf("options.assessment must be one of %s", strings.Join(assessments, ", "))
	}
	if ps := po.Person; ps != nil {
		sub.givenNames, sub.surname = strings.TrimSpace(ps.GivenNames), strings.TrimSpace(ps.Surname)
		if (sub.givenNames != "" && !nameRE.MatchString(sub.givenNames)) || (sub.surname != "" && !nameRE.MatchString(sub.surname)) {
			return po, sub, fmt.Errorf("options.person names may hold letters, spaces, dots, apostrophes and hyphens")
		}
		if ps.DateOfBirth != "" {
			d, err := time.Parse(time.DateOnly, ps.DateOfBirth)
			if err != nil {
				return po, sub, fmt.Errorf("options.person.date_of_birth must be a date written YYYY-MM-DD")
			}
			sub.birthDate = &d
		}
		if ps.Nationality != "" {
			if !nationalityRE.MatchString(ps.Nationality) {
				return po, sub, fmt.Errorf("options.person.nationality must be a two-letter country code")
			}
			sub.nationality = strings.ToUpper(ps.Nationality)
		}
	}
	return po, sub, nil
}

// CheckOptions reports whether a scenario's options can be used (for
// scenario loaders).
func (p *Provider) CheckOptions(kind string, opts map[string]any) error {
	if kind != KindInvitation && kind != KindCase {
		return fmt.Errorf("gatenox has no session kind %q", kind)
	}
	_, _, err := decodeOptions(opts)
	return err
}

// script is what an invitation's plans script beyond their timelines.
type script struct {
	person     submission
	assessment string
}

// scriptOf merges the options of an invitation's two plans (the case
// plan's win).
func scriptOf(inv, kase *provider.Plan) (script, error) {
	var s script
	for _, pl := range []*provider.Plan{inv, kase} {
		if pl == nil {
			continue
		}
		po, sub, err := decodeOptions(pl.Options)
		if err != nil {
			return s, err
		}
		if po.Person != nil {
			s.person = sub
		}
		if po.Assessment != "" {
			s.assessment = po.Assessment
		}
	}
	return s, nil
}
