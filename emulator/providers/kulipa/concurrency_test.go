package kulipa_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/testutil"
)

// TestParallelClientsWhileTheClockMoves runs several API keys at once, each
// onboarding users through the webview, while another goroutine moves the
// clock; every tenant ends with exactly its own active users.
func TestParallelClientsWhileTheClockMoves(t *testing.T) {
	e := newEnv(t)
	const tenants, users = 4, 5
	stop := make(chan struct{})
	var ticker sync.WaitGroup
	ticker.Add(1)
	go func() {
		defer ticker.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := e.emu.Advance(500 * time.Millisecond); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, tenants*users)
	for i := range tenants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := e.client(fmt.Sprintf("parallel-%d", i))
			for j := range users {
				id := c.user(map[string]any{"phone": map[string]any{"country": "DE", "number": fmt.Sprintf("151000000%d", j)}})
				k := c.kyc(id, "full", nil)
				if r := e.form(k.str("url"), map[string][]string{"action": {"complete"}}); r.status != http.StatusSeeOther {
					errs <- fmt.Errorf("tenant %d: complete answered %d", i, r.status)
				}
			}
		}()
	}
	wg.Wait()
	// Let every review finish, then stop the ticker.
	testutil.WaitFor(t, "every KYC to be verified", func() bool {
		for i := range tenants {
			if e.client(fmt.Sprintf("parallel-%d", i)).get("/kycs?status=verified").val("count") != float64(users) {
				return false
			}
		}
		return true
	})
	close(stop)
	ticker.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range tenants {
		c := e.client(fmt.Sprintf("parallel-%d", i))
		page := c.get("/users?limit=100")
		if page.val("count") != float64(users) {
			t.Errorf("tenant %d has %v users", i, page.val("count"))
		}
		for _, u := range page.items() {
			if u["status"] != "active" {
				t.Errorf("tenant %d: user %v is %v", i, u["id"], u["status"])
			}
		}
	}
}

// TestConcurrentRetriesWithOneIdempotencyKey sends the same create at once
// from many goroutines: one user is created; an identical request that
// arrives while its twin runs waits for it, so every answer is that 201,
// all but one of them replays.
func TestConcurrentRetriesWithOneIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	body := map[string]any{"firstName": "Katherine", "lastName": "Johnson"}
	var mu sync.Mutex
	var created []string
	replays := 0
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.do(http.MethodPost, "/users", body, "x-idempotency-key", "same-key")
			mu.Lock()
			defer mu.Unlock()
			if r.status != 201 {
				t.Errorf("answer %d %s", r.status, r.raw)
				return
			}
			created = append(created, r.str("id"))
			if r.header.Get("x-kycemu-idempotent-replay") == "true" {
				replays++
			}
		}()
	}
	wg.Wait()
	if len(created) != 16 || replays != 15 {
		t.Fatalf("%d created, %d of them replays", len(created), replays)
	}
	for _, id := range created {
		if id != created[0] {
			t.Errorf("two users created: %v", created)
		}
	}
	if n := c.get("/users").val("count"); n != float64(1) {
		t.Errorf("%v users", n)
	}
}
