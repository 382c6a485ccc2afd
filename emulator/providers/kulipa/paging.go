package kulipa

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
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

// paginate sorts records by the chosen time, then creation order, and
// cuts out the requested page, viewing each record with view.
func paginate[T any](items []*state.Record, q pageQuery, view func(*state.Record) T) page[T] {
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b *state.Record) int {
		ta, tb := a.Created, b.Created
		if q.field == "updatedAt" {
			ta, tb = a.Updated, b.Updated
		}
		c := ta.Compare(tb)
		if c == 0 {
			c = cmp.Compare(a.Seq, b.Seq)
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
	for _, r := range sorted[start:end] {
		out.Items = append(out.Items, view(r))
	}
	out.Count = len(out.Items)
	out.HasMore = end < len(sorted)
	return out
}
