package gatenox

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/kycemu/kycemu/emulator/provider"
)

// Gatenox answers errors in several shapes, chosen by the situation:
//
//	401                 {"errors":{"token":"missing token","unauthorized":"Authentication failure"}}
//	404 unknown record  {"errors":{"not_found":"Couldn't find record"}}
//	422 state           {"errors":{"data_error":"There is no event qa defined for the new state"}}
//	422 validation      {"errors":{...},"field_errors":{"recipients.0.email":["must be a valid email"]}}
//	400 parameters      {"errors":{"risk_score":["detailed",["is missing"]]}}
//	400 check forms     {"errors":{"surname":"is missing"}}
//	400/422 refusals    {"errors":{"status_code":"LICENSE_EXPIRED"}}
//	anything else       {"error":{"code":404,"message":"no such route"}}
//
// Handlers pick one with the codes below; errors the core raises (request
// validation, authentication, unknown routes) are mapped by kind, status
// and the route they happened on.
const (
	codeDataError     = "data_error"
	codeNotFound      = "not_found"
	codeCredits       = "NOT_ENOUGH_CREDITS"
	codeStatus        = "status_code"
	codeNotAccessible = "VERIFICATION_NOT_ACCESSIBLE"
)

// statusCode is an error Gatenox answers as {"errors":{"status_code":code}}
// (LICENSE_EXPIRED, STATE_TRANSITION_NOT_ALLOWED, ...).
func statusCode(status int, code string) *provider.Error {
	e := provider.Errorf(provider.KindInvalid, "%s", code).WithCode(codeStatus)
	e.Status = status
	return e
}

// notAccessible is the 400 of a case's company details before the
// compliance officer started the case.
func notAccessible(state string) *provider.Error {
	e := provider.Errorf(provider.KindInvalid, "%s", state).WithCode(codeNotAccessible)
	e.Status = http.StatusBadRequest
	return e
}

// dataError is a 422 about the case's state or the state call's fields.
func dataError(format string, args ...any) *provider.Error {
	return provider.Errorf(provider.KindUnprocessable, format, args...).WithCode(codeDataError)
}

// noEvent is the workflow's refusal of an event in the current state.
func noEvent(event, state string) *provider.Error {
	return dataError("There is no event %s defined for the %s state", event, state)
}

// recordNotFound is the 404 of an unknown id. The message does not repeat
// the id (Gatenox's does).
func recordNotFound() *provider.Error {
	return provider.NotFound("Couldn't find record").WithCode(codeNotFound)
}

// notEnoughCredits is the 422 of an invitation batch the balance cannot
// pay for. The numbers travel in the message, which the envelope does not
// show.
func notEnoughCredits(before, amount int) *provider.Error {
	return provider.Errorf(provider.KindUnprocessable, "%d %d", before, amount).WithCode(codeCredits)
}

type creditsDetail struct {
	BalanceBefore int `json:"balance_before"`
	Amount        int `json:"amount"`
	BalanceAfter  int `json:"balance_after"`
}

type genericError struct {
	Error genericBody `json:"error"`
}

type genericBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// WriteError writes e in the shape Gatenox uses for the situation.
func (p *Provider) WriteError(w http.ResponseWriter, r *http.Request, e *provider.Error) {
	status := e.Status
	if status == 0 {
		status = provider.StatusOf(e.Kind)
	}
	status, body := errorBody(r, e, status)
	reply(w, status, body)
}

func errorBody(r *http.Request, e *provider.Error, status int) (int, any) {
	path := ""
	if r != nil {
		path = r.URL.Path
	}
	switch {
	case status == http.StatusUnauthorized:
		return status, map[string]any{"errors": map[string]string{
			"token": "missing token", "unauthorized": "Authentication failure"}}
	case e.Code == codeDataError:
		return status, map[string]any{"errors": map[string]string{"data_error": e.Message}}
	case e.Code == codeCredits:
		var before, amount int
		_, _ = fmt.Sscanf(e.Message, "%d %d", &before, &amount)
		return status, map[string]any{
			"errors": map[string]string{"credits_balance": "not enough credits"},
			"field_errors": map[string]any{"credits_balance": []any{"NOT_ENOUGH_CREDITS",
				creditsDetail{BalanceBefore: before, Amount: amount, BalanceAfter: before - amount}}},
		}
	case e.Code == codeStatus:
		return status, map[string]any{"errors": map[string]string{"status_code": e.Message}}
	case e.Code == codeNotAccessible:
		return status, map[string]any{"errors": map[string]string{"status_code": codeNotAccessible,
			"verification_state": e.Message, "access_type": "verifier_compliance_officer"}}
	case e.Code == codeNotFound:
		return status, map[string]any{"errors": map[string]string{"not_found": e.Message}}
	case e.Kind == provider.KindInvalid && inBody(e) && (strings.HasSuffix(path, "/invites/individuals") ||
		strings.HasSuffix(path, "/invites/corporates")):
		field := e.Field
		top, _, _ := strings.Cut(field, ".")
		if field == "" {
			field, top = "base", "base"
		}
		return http.StatusUnprocessableEntity, map[string]any{
			"errors":       map[string]string{top: "is invalid"},
			"field_errors": map[string][]string{field: {e.Message}},
		}
	case e.Kind == provider.KindInvalid && inBody(e) && e.Field != "" && strings.Contains(path, "/checks/"):
		reason := "is invalid"
		switch {
		case e.Message == "is required":
			reason = "is missing"
		case strings.HasPrefix(e.Message, "must be a valid"), strings.HasPrefix(e.Message, "has an invalid format"),
			strings.HasPrefix(e.Message, "must match"):
			reason = "is in invalid format"
		case strings.HasPrefix(e.Message, "must be one of"):
			reason = "is not included in the list"
		}
		return http.StatusBadRequest, map[string]any{"errors": map[string]string{e.Field: reason}}
	case e.Kind == provider.KindInvalid && inBody(e) && e.Field != "" && strings.Contains(path, "/state/"):
		return http.StatusUnprocessableEntity, map[string]any{"errors": map[string]string{
			"data_error": humanize(e.Field) + " " + railsReason(e.Message)}}
	case e.Kind == provider.KindInvalid && inBody(e) && e.Field != "" && strings.HasSuffix(path, "/webhooks/external_risk_score"):
		reason := railsReason(e.Message)
		top, rest, nested := strings.Cut(e.Field, "[")
		if !nested {
			return status, map[string]any{"errors": map[string][]string{top: {reason}}}
		}
		sub, _, _ := strings.Cut(rest, "]")
		return status, map[string]any{"errors": map[string][]any{top: {sub, []string{reason}}}}
	}
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	return status, genericError{Error: genericBody{Code: status, Message: msg}}
}

// inBody reports whether a validation error is about the request body
// rather than the query, the path or a header.
func inBody(e *provider.Error) bool {
	for _, in := range []string{"query.", "path.", "header.", "cookie."} {
		if strings.HasPrefix(e.Field, in) {
			return false
		}
	}
	if e.Field == "" {
		return strings.HasPrefix(e.Message, "body") || strings.HasPrefix(e.Message, "request body")
	}
	return true
}

// railsReason words a validation reason as Rails does.
func railsReason(reason string) string {
	switch {
	case reason == "is required":
		return "is missing"
	case strings.HasPrefix(reason, "must be one of"):
		return "is not included in the list"
	}
	return reason
}

// humanize turns a field name into Rails' attribute label:
// assessment_comment becomes "Assessment comment".
func humanize(field string) string {
	s := strings.ReplaceAll(field, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
