package kulipa

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
)

// Paging defaults (the SDK's).
const (
	defaultLimit = 10
	defaultSort  = "-createdAt"
)

// pageQuery is a list request's paging: limit, zero-based fromPage and
// sortBy (a field, descending with a leading minus). The spec has already
// checked the values.
type pageQuery struct {
	limit int
	from  int
	field string
	desc  bool
}

func pageOf(c *provider.Call) pageQuery {
	q := pageQuery{limit: defaultLimit}
	if n, err := strconv.Atoi(c.Query("limit")); err == nil && n >= 1 && n <= 100 {
		q.limit = n
	}
	if n, err := strconv.Atoi(c.Query("fromPage")); err == nil && n >= 0 {
		q.from = n
	}
	sort := c.Query("sortBy")
	if sort == "" {
		sort = defaultSort
	}
	q.field, q.desc = strings.TrimPrefix(sort, "-"), strings.HasPrefix(sort, "-")
	return q
}

// page is the list envelope.
type page[T any] struct {
	Page    int  `json:"page"`
	Count   int  `json:"count"`
	HasMore bool `json:"hasMore"`
	Items   []T  `json:"items"`
}

// sortKey is what a list sorts by: the chosen time, then creation order.
type sortKey struct {
	created, updated time.Time
	seq              uint64
}

// paginate sorts items and cuts out the requested page, viewing each item
// with view.
func paginate[S, T any](items []S, q pageQuery, key func(S) sortKey, view func(S) T) page[T] {
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b S) int {
		ka, kb := key(a), key(b)
		ta, tb := ka.created, kb.created
		if q.field == "updatedAt" {
			ta, tb = ka.updated, kb.updated
		}
		c := ta.Compare(tb)
		if c == 0 {
			c = cmpSeq(ka.seq, kb.seq)
		}
		if q.desc {
			c = -c
		}
		return c
	})
	out := page[T]{Page: q.from, Items: []T{}}
	if q.from > len(sorted)/q.limit {
		return out
	}
	start := q.from * q.limit
	end := min(start+q.limit, len(sorted))
	for _, it := range sorted[start:end] {
		out.Items = append(out.Items, view(it))
	}
	out.Count = len(out.Items)
	out.HasMore = end < len(sorted)
	return out
}

func cmpSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
