package notus_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestConcurrentTenants runs whole flows for several tenants at once while
// the clock moves (a millisecond at a time, so upload forms stay valid), then
// checks that each tenant sees exactly its own
// sessions, all completed.
func TestConcurrentTenants(t *testing.T) {
	e := newEnv(t)
	const tenants, perTenant = 6, 5
	var wg sync.WaitGroup
	ids := make([][]string, tenants)
	for i := range tenants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("tenant-%d", i)
			for range perTenant {
				c := e.create(standard, key, person())
				e.mustUpload(c.Front, pngBytes)
				e.mustUpload(c.Back, pngBytes)
				if r := e.do(http.MethodPost, e.api+standard+"/"+c.Session.ID+"/process", "", nil); r.status != http.StatusOK {
					t.Errorf("process: %d %s", r.status, r.body)
				}
				e.status(standard, key, c.Session.ID)
				ids[i] = append(ids[i], c.Session.ID)
			}
		}()
	}
	stop := make(chan struct{})
	ticker := sync.WaitGroup{}
	ticker.Add(1)
	go func() {
		defer ticker.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Microsecond):
				e.advance(time.Millisecond)
			}
		}
	}()
	wg.Wait()
	close(stop)
	ticker.Wait()
	e.advance(3 * time.Second)
	for i, own := range ids {
		key := fmt.Sprintf("tenant-%d", i)
		if len(own) != perTenant {
			t.Fatalf("%s finished %d of %d flows", key, len(own), perTenant)
		}
		for _, id := range own {
			if s := e.status(standard, key, id); s["status"] != "COMPLETED" {
				t.Errorf("%s %s: %v", key, id, s["status"])
			}
		}
		r := e.do(http.MethodGet, e.srv.URL+"/_emulator/sessions?tenant="+key, "", nil)
		if n := r.json(t)["total"]; n != float64(perTenant) {
			t.Errorf("%s has %v sessions, want %d", key, n, perTenant)
		}
		other := fmt.Sprintf("tenant-%d", (i+1)%tenants)
		if r := e.do(http.MethodGet, e.api+standard+"/"+own[0], other, nil); r.status != http.StatusNotFound {
			t.Errorf("%s sees %s's session: %d", other, key, r.status)
		}
	}
}
