package httpx

import (
	"fmt"
	"testing"
)

func TestJournalKeepsTheNewest(t *testing.T) {
	j := NewJournal(3)
	for i := range 5 {
		j.Add(Entry{Path: fmt.Sprint(i), Tenant: []string{"a", "b"}[i%2]})
	}
	got := j.List(Filter{})
	if len(got) != 3 || got[0].Path != "2" || got[2].Path != "4" || got[2].Seq != 5 {
		t.Fatalf("ring: %+v", got)
	}
	if got := j.List(Filter{Tenant: "a"}); len(got) != 2 || got[0].Path != "2" || got[1].Path != "4" {
		t.Fatalf("tenant a: %+v", got)
	}
	if got := j.List(Filter{Limit: 1}); len(got) != 1 || got[0].Path != "4" {
		t.Fatalf("limit: %+v", got)
	}
	j.Clear("a")
	if got := j.List(Filter{}); len(got) != 1 || got[0].Path != "3" {
		t.Fatalf("after clearing a: %+v", got)
	}
	j.Add(Entry{Path: "5"})
	if got := j.List(Filter{}); len(got) != 2 || got[1].Path != "5" || got[1].Seq != 6 {
		t.Fatalf("after add: %+v", got)
	}
	j.Clear("")
	if got := j.List(Filter{}); len(got) != 0 {
		t.Fatalf("after clear: %+v", got)
	}
}
