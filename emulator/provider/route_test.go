package provider

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"
)

type otherKey struct{}

// A routed request's context carries the route and everything its parent
// did: values, deadline, cancellation.
func TestRouteContext(t *testing.T) {
	parent, cancel := context.WithTimeout(context.WithValue(context.Background(), otherKey{}, "v"), time.Hour)
	ctx := WithRoute(parent, "http://h/notus", "http://h", map[string]string{"id": "1"})
	ctx = WithBaseURL(ctx, "http://h/other")
	r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
	if BaseURL(r) != "http://h/other" || RootURL(r) != "http://h" || Vars(r)["id"] != "1" {
		t.Fatalf("route: %q %q %v", BaseURL(r), RootURL(r), Vars(r))
	}
	if ctx.Value(otherKey{}) != "v" {
		t.Fatal("parent value lost")
	}
	if _, ok := ctx.Deadline(); !ok {
		t.Fatal("parent deadline lost")
	}
	cancel()
	<-ctx.Done()
	if ctx.Err() != context.Canceled {
		t.Fatalf("err %v", ctx.Err())
	}
	if r := httptest.NewRequest("GET", "/", nil); BaseURL(r) != "" || Vars(r) != nil {
		t.Fatal("unrouted request has a route")
	}
}
