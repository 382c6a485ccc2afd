package gatenox

import (
	"fmt"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
)

// Screening checks (comprehensive screening): sanctions/PEP checks of an
// individual or a company, and crypto address reports. A check is created
// new, screens (processing) and ends completed with its findings. What it
// finds is the outcome a scenario scripts: clear (nothing), hit (a
// sanctions match; a high-risk address) or pending (the check stays
// processing until a timeline step or the control API completes it).

// Check kinds, as the control API lists them.
const (
	KindCheckIndividual = "check_individual"
	KindCheckCompany    = "check_company"
	KindCheckCrypto     = "check_crypto_address"
)

// Check states.
const (
	CheckNew        = "new"
	CheckProcessing = "processing"
	CheckCompleted  = "completed"
)

// checkMachine: new -> processing -> completed; a check may also complete
// straight from new.
var checkMachine = provider.NewMachine(CheckNew, map[string][]string{
	CheckNew:        {CheckProcessing, CheckCompleted},
	CheckProcessing: {CheckCompleted},
})

// Screening outcomes.
const (
	OutcomeClear   = "clear"
	OutcomeHit     = "hit"
	OutcomePending = "pending"
)

var outcomes = []string{OutcomeClear, OutcomeHit, OutcomePending}

// checkRec is a screening check.
type checkRec struct {
	Kind      string `json:"kind"`       // one of the check kinds
	CheckType string `json:"check_type"` // standard or premium (crypto: premium)
	// Service is the crypto analytics service asked for (coinfirm, amlbot).
	Service     string       `json:"service,omitempty"`
	GivenNames  string       `json:"given_names,omitempty"`
	Surname     string       `json:"surname,omitempty"`
	DateOfBirth string       `json:"date_of_birth,omitempty"`
	CompanyName string       `json:"company_name,omitempty"`
	Address     string       `json:"address,omitempty"`
	AddressType string       `json:"address_type,omitempty"`
	Comment     string       `json:"comment,omitempty"`
	Outcome     string       `json:"outcome"`
	Issues      []issueRec   `json:"issues,omitempty"`
	Crypto      *cryptoRec   `json:"crypto,omitempty"`
	Created     time.Time    `json:"created"`
	Updated     time.Time    `json:"updated"`
	State       string       `json:"state"`
	Finished    *time.Time   `json:"finished,omitempty"`
	Report      *documentRec `json:"report,omitempty"`
}

// issueRec is one finding of a check: a list entry that matches.
type issueRec struct {
	ID      string    `json:"id"`
	Source  int       `json:"source"` // index into sanctionsSources
	Name    string    `json:"name"`
	Entry   string    `json:"entry"` // the list's id of the entry
	Aliases []string  `json:"aliases"`
	City    string    `json:"city"`
	Country string    `json:"country"`
	Created time.Time `json:"created"`
}

// cryptoRec is what a crypto address report found.
type cryptoRec struct {
	ReportID string  `json:"report_id"`
	Score    int     `json:"score"`
	Risk     string  `json:"risk"` // LOW, MEDIUM, HIGH
	Balance  float64 `json:"balance"`
	USD      float64 `json:"usd"`
	Owner    string  `json:"owner,omitempty"`
}

// subject is the name a check screens.
func (c *checkRec) subject() string {
	switch c.Kind {
	case KindCheckIndividual:
		return strings.TrimSpace(c.GivenNames + " " + c.Surname)
	case KindCheckCompany:
		return c.CompanyName
	}
	return c.Address
}

// complete ends a check with an outcome: clear finds nothing, hit finds a
// match (two list entries for a person or a company, a high-risk score
// for an address). A pending outcome completes as clear.
func (c *checkRec) complete(r *fake.Source, outcome string, now time.Time) {
	if outcome == OutcomePending || outcome == "" {
		outcome = OutcomeClear
	}
	c.Outcome, c.State, c.Updated, c.Finished = outcome, CheckCompleted, now, &now
	if c.Kind == KindCheckCrypto {
		c.Crypto = &cryptoRec{ReportID: r.String(fake.Hex, 40), Score: 5 + r.Intn(20), Risk: "LOW",
			Balance: float64(r.Intn(100000)) / 1000, USD: float64(r.Intn(5000000)) / 100}
		if outcome == OutcomeHit {
			c.Crypto.Score, c.Crypto.Risk, c.Crypto.Owner = 80+r.Intn(20), "HIGH", "Sanctioned mixer"
		}
		return
	}
	c.Issues = nil
	if outcome != OutcomeHit {
		return
	}
	name := c.subject()
	for _, src := range []int{1, 0} { // EU, then OFAC
		c.Issues = append(c.Issues, issueRec{ID: r.UUID(), Source: src, Name: strings.ToUpper(name),
			Entry:   fmt.Sprintf("%s:%d", strings.ToUpper(sanctionsSources[src].Source[:2]), 10000+r.Intn(90000)),
			Aliases: []string{name}, City: "Moscow", Country: "RUSSIAN FEDERATION", Created: now})
	}
}

// issueView is a finding in Gatenox's shape.
type issueView struct {
	ID             string         `json:"id"`
	EntityID       string         `json:"entity_id"`
	EntityType     string         `json:"entity_type"`
	Category       string         `json:"category"`
	Source         string         `json:"source"`
	Relevant       *bool          `json:"relevant"`
	Comment        *string        `json:"comment"`
	Report         map[string]any `json:"report"`
	UpdatedAt      string         `json:"updated_at"`
	CreatedAt      string         `json:"created_at"`
	SourceListName string         `json:"source_list_name"`
}

func (c *checkRec) issueViews(id string) []issueView {
	out := []issueView{}
	for _, is := range c.Issues {
		src := sanctionsSources[is.Source]
		report := map[string]any{
			"name": is.Name, "unique_id": is.Entry, "source_type": "SANCTION", "alias_names": is.Aliases,
			"source": map[string]any{"link": src.Link, "name": src.Name, "source": strings.ToUpper(src.Source),
				"description": src.Description, "country_name": strings.ToUpper(src.CountryName)},
			"address": []map[string]any{{"city": is.City, "line1": "", "line2": "", "line3": "", "state": "",
				"postal": "", "country": is.Country}},
		}
		if c.Kind == KindCheckIndividual {
			report["given_names"] = []string{c.GivenNames}
			report["last_names"] = []string{c.Surname}
			if c.DateOfBirth != "" {
				report["date_of_birth"] = []string{c.DateOfBirth}
			}
		} else {
			report["company_number"] = []string{}
		}
		at := stamp(is.Created)
		out = append(out, issueView{ID: is.ID, EntityID: id, EntityType: "Check", Category: "sanction",
			Source: "companies_api", Report: report, UpdatedAt: at, CreatedAt: at, SourceListName: src.Name})
	}
	return out
}

// checkBrief is what every check shows in the lists.
type checkBrief struct {
	ID        string  `json:"id"`
	CheckType string  `json:"check_type"`
	Comment   *string `json:"comment,omitempty"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
	State     string  `json:"state"`
}

// personCheckBrief is a person's check in the list (date_of_birth null
// when none was given).
type personCheckBrief struct {
	checkBrief
	GivenNames  string  `json:"given_names"`
	Surname     string  `json:"surname"`
	DateOfBirth *string `json:"date_of_birth"`
}

type companyCheckBrief struct {
	checkBrief
	CompanyName string `json:"company_name"`
}

func (c *checkRec) common(id string) checkBrief {
	return checkBrief{ID: id, CheckType: c.CheckType, Comment: optional(c.Comment), CreatedAt: stamp(c.Created),
		UpdatedAt: stamp(c.Updated), State: c.State}
}

// brief is a person or company check as its list answers it.
func (c *checkRec) brief(id string) any {
	if c.Kind == KindCheckCompany {
		return companyCheckBrief{checkBrief: c.common(id), CompanyName: c.CompanyName}
	}
	return personCheckBrief{checkBrief: c.common(id), GivenNames: c.GivenNames, Surname: c.Surname,
		DateOfBirth: optional(c.DateOfBirth)}
}

// view is a person or company check with its findings.
func (c *checkRec) view(id string) any {
	issues := c.issueViews(id)
	if c.Kind == KindCheckCompany {
		return struct {
			companyCheckBrief
			Issues []issueView `json:"issues"`
		}{c.brief(id).(companyCheckBrief), issues}
	}
	return struct {
		personCheckBrief
		Issues []issueView `json:"issues"`
	}{c.brief(id).(personCheckBrief), issues}
}

// entityView is a check in the list of every person and company check.
type entityView struct {
	ID          string  `json:"id"`
	CheckType   string  `json:"check_type"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at"`
	State       string  `json:"state"`
	CompanyName *string `json:"company_name"`
	GivenNames  *string `json:"given_names"`
	Surname     *string `json:"surname"`
	DateOfBirth *string `json:"date_of_birth"`
	Type        string  `json:"type"` // individual or company
}

func (c *checkRec) entity(id string) entityView {
	v := entityView{ID: id, CheckType: c.CheckType, CreatedAt: stamp(c.Created), UpdatedAt: stamp(c.Updated),
		State: c.State, CompanyName: optional(c.CompanyName), GivenNames: optional(c.GivenNames),
		Surname: optional(c.Surname), DateOfBirth: optional(c.DateOfBirth), Type: "individual"}
	if c.Kind == KindCheckCompany {
		v.Type = "company"
	}
	return v
}

// cscoreView is a crypto address's risk score.
type cscoreView struct {
	CScore    int    `json:"cscore"`
	RiskLevel string `json:"risk_level"`
}

// cryptoBrief is a crypto address check as the list answers it.
type cryptoBrief struct {
	checkBrief
	CScoreSection *cscoreView `json:"cscore_section,omitempty"`
	AddressType   string      `json:"address_type"`
	Address       string      `json:"address"`
}

func (c *checkRec) cryptoBrief(id string) cryptoBrief {
	v := cryptoBrief{checkBrief: c.common(id), AddressType: c.AddressType, Address: c.Address}
	if c.Crypto != nil {
		v.CScoreSection = &cscoreView{CScore: c.Crypto.Score, RiskLevel: c.Crypto.Risk}
	}
	return v
}

// trustReportView is a crypto address report with its PDF document.
type trustReportView struct {
	ID                string         `json:"id"`
	Service           string         `json:"service"`
	ExternalID        string         `json:"external_id"`
	SnapshotTimestamp *string        `json:"snapshot_timestamp"`
	ObjectType        string         `json:"object_type"`
	ObjectID          *string        `json:"object_id"`
	CreatedAt         string         `json:"created_at"`
	UpdatedAt         string         `json:"updated_at"`
	Document          *documentView  `json:"document,omitempty"`
	Report            map[string]any `json:"report"`
}

// cryptoView is a crypto address check with its report once it has one.
type cryptoView struct {
	cryptoBrief
	TrustReport *trustReportView `json:"trust_report,omitempty"`
}

func (c *checkRec) cryptoView(id, base string) cryptoView {
	v := cryptoView{cryptoBrief: c.cryptoBrief(id)}
	cr := c.Crypto
	if cr == nil || c.Finished == nil {
		return v
	}
	at := stamp(*c.Finished)
	report := map[string]any{
		"cscore_section": map[string]any{"cscore": cr.Score, "risk_level": cr.Risk, "cscore_info": []any{}},
		"report_info_section": map[string]any{"asset": c.AddressType, "address": c.Address, "report_id": cr.ReportID,
			"report_time": at, "report_type": "standard", "address_type": c.AddressType, "address_used": true},
		"financial_analysis_section": map[string]any{"cc_balance": cr.Balance, "usd_balance": cr.USD},
		"assets_section":             map[string]any{"assets": []any{}, "usd_value": cr.USD, "assets_count": 0},
	}
	if cr.Owner != "" {
		report["profile_section"] = map[string]any{"owner": map[string]any{"name": cr.Owner}}
	}
	v.TrustReport = &trustReportView{ID: stableID("trust_report", id), Service: c.Service, ExternalID: cr.ReportID,
		ObjectType: "CryptoAddress", CreatedAt: at, UpdatedAt: at, Report: report}
	if c.Report != nil {
		d := c.Report.view(base).Document
		v.TrustReport.Document = &d
	}
	return v
}
