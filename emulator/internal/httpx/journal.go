package httpx

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Entry is one request in the journal.
type Entry struct {
	Seq         uint64          `json:"seq"`
	RequestID   string          `json:"requestId"`
	Time        time.Time       `json:"time"`
	Provider    string          `json:"provider,omitempty"`
	Tenant      string          `json:"tenant,omitempty"`
	Operation   string          `json:"operation,omitempty"`
	Method      string          `json:"method"`
	Path        string          `json:"path"`
	Query       string          `json:"query,omitempty"`
	Status      int             `json:"status"`
	DurationMS  float64         `json:"durationMs"`
	Scenario    string          `json:"scenario,omitempty"`
	Fault       string          `json:"fault,omitempty"`
	Error       string          `json:"error,omitempty"`
	RequestBody json.RawMessage `json:"requestBody,omitempty"`

	// Session is the id of the session the request touched, when known.
	Session string `json:"session,omitempty"`
	// The headers and bodies, bounded and masked (CaptureHeaders,
	// CaptureBody); RequestBody is Request.JSON.
	RequestHeaders  http.Header `json:"requestHeaders,omitempty"`
	Request         *Body       `json:"request,omitempty"`
	ResponseHeaders http.Header `json:"responseHeaders,omitempty"`
	Response        *Body       `json:"response,omitempty"`

	// kept holds the copies above when they were made by CaptureRequest
	// and CaptureResponse: storage the journal recycles (see kept).
	kept *kept
}

// Filter selects journal entries; zero fields match everything.
type Filter struct {
	Provider  string
	Tenant    string
	Operation string
	Session   string
	Before    uint64 // only entries with a smaller Seq; 0 = no bound
	Limit     int    // the most recent Limit entries; 0 = all kept
}

func (f Filter) match(e *Entry) bool {
	return (f.Provider == "" || f.Provider == e.Provider) &&
		(f.Tenant == "" || f.Tenant == e.Tenant) &&
		(f.Operation == "" || f.Operation == e.Operation) &&
		(f.Session == "" || f.Session == e.Session) &&
		(f.Before == 0 || e.Seq < f.Before)
}

// Journal keeps the most recent requests in a ring of fixed size.
type Journal struct {
	mu   sync.Mutex
	ring []Entry
	next int
	full bool
	seq  uint64
}

// NewJournal returns a journal keeping at most size entries (min 1).
func NewJournal(size int) *Journal {
	if size < 1 {
		size = 1
	}
	return &Journal{ring: make([]Entry, size)}
}

// Add stores e, assigning its sequence number, and evicts the oldest entry
// when the ring is full.
func (j *Journal) Add(e Entry) {
	j.mu.Lock()
	j.seq++
	e.Seq = j.seq
	evicted := j.ring[j.next].kept
	j.ring[j.next] = e
	j.next++
	if j.next == len(j.ring) {
		j.next = 0
		j.full = true
	}
	j.mu.Unlock()
	if evicted != nil {
		evicted.release()
	}
}

// List returns matching entries, oldest first. With a Limit it walks back
// from the newest entry and stops once it has Limit matches.
func (j *Journal) List(f Filter) []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := j.next
	if j.full {
		n = len(j.ring)
	}
	out := make([]Entry, 0, min(max(f.Limit, 0), n))
	for i := range n { // newest first
		e := &j.ring[(j.next-1-i+len(j.ring))%len(j.ring)]
		if f.match(e) {
			out = append(out, e.detached())
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
	}
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
	}
	return out
}

// Len returns how many entries the journal holds.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.full {
		return len(j.ring)
	}
	return j.next
}

// Get returns the entry with a sequence number, while the ring keeps it.
func (j *Journal) Get(seq uint64) (Entry, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if seq == 0 || seq > j.seq {
		return Entry{}, false
	}
	for i := range j.ring {
		if j.ring[i].Seq == seq {
			return j.ring[i].detached(), true
		}
	}
	return Entry{}, false
}

// Clear empties the journal, or only one tenant's entries.
func (j *Journal) Clear(tenant string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if tenant == "" {
		clear(j.ring)
		j.next, j.full = 0, false
		return
	}
	keep := make([]Entry, 0, len(j.ring))
	order := func(e Entry) {
		if e.Seq != 0 && e.Tenant != tenant {
			keep = append(keep, e)
		}
	}
	if j.full {
		for i := j.next; i < len(j.ring); i++ {
			order(j.ring[i])
		}
	}
	for i := 0; i < j.next; i++ {
		order(j.ring[i])
	}
	clear(j.ring)
	copy(j.ring, keep)
	j.next, j.full = len(keep)%len(j.ring), len(keep) == len(j.ring)
}
