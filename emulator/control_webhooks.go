package emulator

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/kycemu/kycemu/emulator/internal/httpx"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/webhook"
)

// The webhook part of the control API:
//
//	GET    /_emulator/webhooks                        deliveries (alias of /deliveries)
//	GET    /_emulator/webhooks/deliveries             ?provider= &tenant= &session= &event= &status= &limit=
//	GET    /_emulator/webhooks/deliveries/{id}        one delivery with its attempts
//	POST   /_emulator/webhooks/deliveries/{id}/redeliver
//	GET    /_emulator/webhooks/endpoints              ?provider= &tenant=
//	PUT    /_emulator/webhooks/endpoints              {"provider","tenant","url"}
//	DELETE /_emulator/webhooks/endpoints              ?provider= &tenant=
//	GET    /_emulator/webhooks/secret                 ?provider= &tenant=
func (e *Emulator) webhookRoutes(c prefixed) {
	c.HandleFunc("/webhooks", e.listDeliveries, http.MethodGet)
	c.HandleFunc("/webhooks/deliveries", e.listDeliveries, http.MethodGet)
	c.HandleFunc("/webhooks/deliveries/{id}", e.getDelivery, http.MethodGet)
	c.HandleFunc("/webhooks/deliveries/{id}/redeliver", e.redeliver, http.MethodPost)
	c.HandleFunc("/webhooks/endpoints", e.listEndpoints, http.MethodGet)
	c.HandleFunc("/webhooks/endpoints", e.putEndpoint, http.MethodPut)
	c.HandleFunc("/webhooks/endpoints", e.deleteEndpoint, http.MethodDelete)
	c.HandleFunc("/webhooks/secret", e.getWebhookSecret, http.MethodGet)
}

// checkWebhookURL accepts absolute http and https URLs.
func checkWebhookURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("the url must be an absolute http or https URL")
	}
	return nil
}

// knownProvider writes a 404 and reports false when name is set but no
// provider has it; required also rejects an empty name.
func (e *Emulator) knownProvider(w http.ResponseWriter, name string, required bool) bool {
	if name == "" && required {
		writeControlError(w, http.StatusBadRequest, "invalid_query", "name the provider")
		return false
	}
	if err := e.providerKnown(name); err != nil {
		writeOpError(w, err)
		return false
	}
	return true
}

func (e *Emulator) listDeliveries(w http.ResponseWriter, r *http.Request) {
	q, err := queryParams(r, append(deliveryParams, "after")...)
	if err != nil {
		writeOpError(w, err)
		return
	}
	f, err := e.deliveryFilter(q)
	if err != nil {
		writeOpError(w, err)
		return
	}
	if q.Has("after") {
		// Cursor paging, oldest first: ?after=0 starts at the oldest.
		after, limit, ok := pageParams(w, r, "provider", "tenant", "session", "event", "status")
		if !ok {
			return
		}
		out, next := e.hooks.Page(f, after, limit)
		body := map[string]any{"deliveries": out, "total": len(out), "pending": e.hooks.Pending()}
		if next != 0 {
			body["next"] = strconv.FormatUint(next, 10)
		}
		httpx.WriteJSON(w, http.StatusOK, body)
		return
	}
	out := e.hooks.Deliveries(f)
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"deliveries": out, "total": len(out), "pending": e.hooks.Pending()})
}

func (e *Emulator) getDelivery(w http.ResponseWriter, r *http.Request) {
	d, ok := e.hooks.Delivery(provider.Vars(r)["id"])
	if !ok {
		writeControlError(w, http.StatusNotFound, "delivery_not_found", "no delivery with that id (the journal keeps the most recent ones)")
		return
	}
	httpx.WriteJSON(w, http.StatusOK, d)
}

func (e *Emulator) redeliver(w http.ResponseWriter, r *http.Request) {
	d, err := e.redeliverOne(provider.Vars(r)["id"])
	if err != nil {
		writeOpError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusAccepted, d)
}

func (e *Emulator) listEndpoints(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !checkQuery(w, r, "provider", "tenant") || !e.knownProvider(w, q.Get("provider"), false) {
		return
	}
	eps := e.hooks.Endpoints(q.Get("provider"), q.Get("tenant"))
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"endpoints": eps, "default": e.hooks.DefaultURL()})
}

func (e *Emulator) putEndpoint(w http.ResponseWriter, r *http.Request) {
	var in webhook.Endpoint
	if !decodeControl(w, r, &in) {
		return
	}
	if !e.knownProvider(w, in.Provider, true) {
		return
	}
	if err := checkWebhookURL(in.URL); err != nil {
		writeControlError(w, http.StatusBadRequest, "invalid_url", err.Error())
		return
	}
	e.hooks.SetEndpoint(in.Provider, in.Tenant, in.URL)
	httpx.WriteJSON(w, http.StatusOK, in)
}

func (e *Emulator) deleteEndpoint(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !checkQuery(w, r, "provider", "tenant") || !e.knownProvider(w, q.Get("provider"), true) {
		return
	}
	e.hooks.SetEndpoint(q.Get("provider"), q.Get("tenant"), "")
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) getWebhookSecret(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	prov, tenant := q.Get("provider"), q.Get("tenant")
	if !checkQuery(w, r, "provider", "tenant") || !e.knownProvider(w, prov, true) {
		return
	}
	if tenant == "" {
		writeControlError(w, http.StatusBadRequest, "invalid_query", "name the tenant")
		return
	}
	u, source := e.hooks.Resolve(prov, tenant)
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"provider": prov, "tenant": tenant,
		"secret": e.hooks.Secret(prov, tenant), "url": u, "urlSource": source})
}
