package control

import (
	"context"
	"net/http"
	"net/url"
)

// ScenarioHeader names a scenario on the request that creates a session:
// that session follows it whatever the defaults say.
const ScenarioHeader = "X-Kycemu-Scenario"

// Scenario is a scenario as the catalogue lists it (GET
// /_emulator/scenarios/{provider}/{name} has the whole normalised document).
type Scenario struct {
	Name        string         `json:"name"`
	Provider    string         `json:"provider"`
	Description string         `json:"description,omitempty"`
	Kinds       []string       `json:"kinds,omitempty"`
	Source      ScenarioSource `json:"source"`
}

// ScenarioSource says where a scenario came from: builtin, file (the
// scenario directory) or api.
type ScenarioSource struct {
	Origin string `json:"origin"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
}

// Scenarios lists the scenarios in force, of one provider or ("") of all.
func (c *Client) Scenarios(ctx context.Context, provider string) ([]Scenario, error) {
	q := url.Values{}
	if provider != "" {
		q.Set("provider", provider)
	}
	var out struct {
		Scenarios []Scenario `json:"scenarios"`
	}
	if err := c.do(ctx, http.MethodGet, "/scenarios", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Scenarios, nil
}

// PutScenario adds (or replaces) one scenario from its YAML. A scenario
// that does not load is an *Error whose Problems list every problem.
func (c *Client) PutScenario(ctx context.Context, provider, name string, yaml []byte) (Scenario, error) {
	var sc Scenario
	err := c.do(ctx, http.MethodPut, "/scenarios/"+url.PathEscape(provider)+"/"+url.PathEscape(name), nil,
		rawBody{contentType: "application/yaml", data: yaml}, &sc)
	return sc, err
}

// DeleteScenario removes a scenario put through the control API.
func (c *Client) DeleteScenario(ctx context.Context, provider, name string) error {
	return c.do(ctx, http.MethodDelete, "/scenarios/"+url.PathEscape(provider)+"/"+url.PathEscape(name), nil, nil, nil)
}

// ReloadScenarios reloads the scenario directory now.
func (c *Client) ReloadScenarios(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/scenarios/reload", nil, nil, nil)
}

// UseScenario makes a scenario the tenant's default: the tenant's sessions
// created from now on follow it, unless their request names another
// (ScenarioHeader) or another scenario's match fits.
func (c *Client) UseScenario(ctx context.Context, provider, tenant, name string) error {
	if err := CheckTenant(provider, tenant); err != nil {
		return err
	}
	return c.do(ctx, http.MethodPut, "/scenarios/defaults", nil,
		map[string]string{"provider": provider, "tenant": tenant, "scenario": name}, nil)
}

// ClearScenario removes a tenant's default scenario.
func (c *Client) ClearScenario(ctx context.Context, provider, tenant string) error {
	return c.do(ctx, http.MethodDelete, "/scenarios/defaults", url.Values{"provider": {provider}, "tenant": {tenant}}, nil, nil)
}
