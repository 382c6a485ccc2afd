package b2core

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Config is the per-instance setting of the emulated B2Core installation:
// the verification level ladder, the document types the wizard offers, how
// a complete application is reviewed, token lifetimes and the sign-in
// limit. The control API reads and replaces it
// (/_emulator/providers/b2core/config).
type Config struct {
	// Levels is the ladder, lowest first. The first level is granted at
	// sign-up; each later one is reached through a wizard of its steps.
	Levels []Level `json:"levels"`
	// DocumentTypes is the catalogue the steps refer to by id.
	DocumentTypes []DocumentType `json:"documentTypes"`
	Review        Review         `json:"review"`
	Tokens        Tokens         `json:"tokens"`
	SignIn        SignIn         `json:"signIn"`
}

// Level is one rung of the ladder.
type Level struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Steps []Step `json:"steps"`
}

// Step is one page of a level's wizard: the client submits one document of
// any of the listed types.
type Step struct {
	Types []int `json:"types"`
}

// DocumentType is a kind of document, shown to clients as documented.
type DocumentType struct {
	ID          int            `json:"id"`
	Description string         `json:"description"`
	Enabled     bool           `json:"enabled"`
	Example     string         `json:"example"`
	Group       map[string]any `json:"group"`
}

// Review says what happens to an application once its last step is in,
// unless a scenario or the control API decides otherwise.
type Review struct {
	// Decision is approve, reject or none (wait for the control API).
	Decision string `json:"decision"`
	// Delay is how long the review takes on the emulator clock.
	Delay Duration `json:"delay"`
	// Reason is recorded with an automatic rejection.
	Reason string `json:"reason,omitempty"`
}

// Tokens sets token lifetimes.
type Tokens struct {
	AccessTTL  Duration `json:"accessTTL"`
	RefreshTTL Duration `json:"refreshTTL"`
}

// SignIn is the failed sign-in limit: more than Attempts failures within
// Window block the email for Block.
type SignIn struct {
	Attempts int      `json:"attempts"`
	Window   Duration `json:"window"`
	Block    Duration `json:"block"`
}

// Duration is a time.Duration written as a Go duration string ("10m").
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string such as "90s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`durations are strings such as "90s" or "10m"`)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"90s\" or \"10m\"", s)
	}
	*d = Duration(v)
	return nil
}

// Review decisions.
const (
	DecisionApprove = "approve"
	DecisionReject  = "reject"
	DecisionNone    = "none"
)

func group(id int, name string) map[string]any { return map[string]any{"id": id, "name": name} }

// DefaultConfig is the installation kycemu starts with: Level 0 at
// sign-up, Level 1 through an identity document then a proof of address,
// Level 2 through a source-of-funds declaration.
func DefaultConfig() Config {
	id, addr, fin := group(1, "Proof of identity"), group(2, "Proof of address"), group(3, "Financial information")
	return Config{
		Levels: []Level{
			{ID: 1, Name: "Level 0", Steps: []Step{}},
			{ID: 2, Name: "Level 1", Steps: []Step{{Types: []int{2, 1, 3, 7}}, {Types: []int{4, 5}}}},
			{ID: 3, Name: "Level 2", Steps: []Step{{Types: []int{6}}}},
		},
		DocumentTypes: []DocumentType{
			{ID: 1, Description: "ID card", Enabled: true, Group: maps.Clone(id)},
			{ID: 2, Description: "Passport", Enabled: true, Group: maps.Clone(id)},
			{ID: 3, Description: "Driver's license", Enabled: true, Group: maps.Clone(id)},
			{ID: 4, Description: "Utility bill", Enabled: true, Group: maps.Clone(addr)},
			{ID: 5, Description: "Bank statement", Enabled: true, Group: maps.Clone(addr)},
			{ID: 6, Description: "Source of funds declaration", Enabled: true, Group: maps.Clone(fin)},
			{ID: 7, Description: "Residence permit", Enabled: false, Group: maps.Clone(id)},
		},
		Review: Review{Decision: DecisionApprove},
		Tokens: Tokens{AccessTTL: Duration(time.Hour), RefreshTTL: Duration(30 * 24 * time.Hour)},
		SignIn: SignIn{Attempts: 5, Window: Duration(time.Minute), Block: Duration(10 * time.Minute)},
	}
}

// check reports the first inconsistency of a configuration.
func (c *Config) check() error {
	types := map[int]bool{}
	for i, t := range c.DocumentTypes {
		if t.ID <= 0 {
			return fmt.Errorf("documentTypes[%d].id must be a positive integer", i)
		}
		if types[t.ID] {
			return fmt.Errorf("documentTypes[%d].id repeats another type's id", i)
		}
		if t.Description == "" {
			return fmt.Errorf("documentTypes[%d].description is required", i)
		}
		types[t.ID] = true
	}
	if len(c.Levels) == 0 {
		return errors.New("levels needs at least the default level")
	}
	ids, names := map[int]bool{}, map[string]bool{}
	for i, l := range c.Levels {
		if l.ID <= 0 {
			return fmt.Errorf("levels[%d].id must be a positive integer", i)
		}
		if ids[l.ID] || names[l.Name] {
			return fmt.Errorf("levels[%d] repeats another level's id or name", i)
		}
		if l.Name == "" {
			return fmt.Errorf("levels[%d].name is required", i)
		}
		ids[l.ID], names[l.Name] = true, true
		if i == 0 && len(l.Steps) > 0 {
			return errors.New("levels[0] is granted at sign-up and takes no steps")
		}
		if i > 0 && len(l.Steps) == 0 {
			return fmt.Errorf("levels[%d] needs at least one step", i)
		}
		if err := checkSteps(fmt.Sprintf("levels[%d].steps", i), l.Steps, types); err != nil {
			return err
		}
	}
	switch c.Review.Decision {
	case DecisionApprove, DecisionReject, DecisionNone:
	default:
		return errors.New(`review.decision must be "approve", "reject" or "none"`)
	}
	if c.Review.Delay < 0 {
		return errors.New("review.delay must not be negative")
	}
	if c.Tokens.AccessTTL <= 0 || c.Tokens.RefreshTTL <= 0 {
		return errors.New("tokens.accessTTL and tokens.refreshTTL must be positive")
	}
	if c.SignIn.Attempts < 1 || c.SignIn.Window <= 0 || c.SignIn.Block < 0 {
		return errors.New("signIn needs attempts of at least 1, a positive window and a non-negative block")
	}
	return nil
}

func checkSteps(where string, steps []Step, types map[int]bool) error {
	for j, s := range steps {
		if len(s.Types) == 0 {
			return fmt.Errorf("%s[%d].types needs at least one document type", where, j)
		}
		for _, id := range s.Types {
			if !types[id] {
				return fmt.Errorf("%s[%d].types names a document type that is not in documentTypes", where, j)
			}
		}
	}
	return nil
}

// configPatch is a PUT body: absent fields keep their current value.
type configPatch struct {
	Levels        *[]Level        `json:"levels"`
	DocumentTypes *[]DocumentType `json:"documentTypes"`
	Review        *Review         `json:"review"`
	Tokens        *Tokens         `json:"tokens"`
	SignIn        *SignIn         `json:"signIn"`
}

func (c Config) apply(p configPatch) Config {
	if p.Levels != nil {
		c.Levels = *p.Levels
		for i := range c.Levels {
			if c.Levels[i].Steps == nil {
				c.Levels[i].Steps = []Step{}
			}
		}
	}
	if p.DocumentTypes != nil {
		c.DocumentTypes = *p.DocumentTypes
		for i := range c.DocumentTypes {
			if c.DocumentTypes[i].Group == nil {
				c.DocumentTypes[i].Group = map[string]any{}
			}
		}
	}
	if p.Review != nil {
		c.Review = *p.Review
	}
	if p.Tokens != nil {
		c.Tokens = *p.Tokens
	}
	if p.SignIn != nil {
		c.SignIn = *p.SignIn
	}
	return c
}

// documentType finds a type of the catalogue.
func (c *Config) documentType(id int) (DocumentType, bool) {
	i := slices.IndexFunc(c.DocumentTypes, func(t DocumentType) bool { return t.ID == id })
	if i < 0 {
		return DocumentType{}, false
	}
	return c.DocumentTypes[i], true
}

// next returns the level after the one with the given id. A client whose
// level is no longer on the ladder (after a reconfiguration) climbs from the
// default level.
func (c *Config) next(levelID int) (Level, bool) {
	i := slices.IndexFunc(c.Levels, func(l Level) bool { return l.ID == levelID })
	if i < 0 {
		i = 0
	}
	if i+1 >= len(c.Levels) {
		return Level{}, false
	}
	return c.Levels[i+1], true
}
