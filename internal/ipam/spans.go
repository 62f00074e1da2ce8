package ipam

import (
	"slices"
	"sort"
)

// span is the block numbers lo, lo+1, ..., hi-1.
type span struct{ lo, hi uint64 }

func (s span) len() uint64 { return s.hi - s.lo }

// spanSet is a set of block numbers kept as sorted, disjoint, non-adjacent spans, so that its
// cost grows with the number of holes, not with the size of the block space.
type spanSet struct {
	spans []span
	size  uint64 // how many numbers the set holds
}

// add puts every number of x into the set.
func (s *spanSet) add(x span) {
	if x.lo >= x.hi {
		return
	}
	// spans[j:k] touch or overlap x and merge with it.
	j := sort.Search(len(s.spans), func(i int) bool { return s.spans[i].hi >= x.lo })
	k := sort.Search(len(s.spans), func(i int) bool { return s.spans[i].lo > x.hi })
	merged := x
	for _, old := range s.spans[j:k] {
		merged.lo = min(merged.lo, old.lo)
		merged.hi = max(merged.hi, old.hi)
		s.size -= old.len()
	}
	s.size += merged.len()
	s.spans = slices.Replace(s.spans, j, k, merged)
}

// remove takes every number of x out of the set and says how many were in it.
func (s *spanSet) remove(x span) uint64 {
	if x.lo >= x.hi {
		return 0
	}
	// spans[j:k] overlap x.
	j := sort.Search(len(s.spans), func(i int) bool { return s.spans[i].hi > x.lo })
	k := sort.Search(len(s.spans), func(i int) bool { return s.spans[i].lo >= x.hi })
	if j >= k {
		return 0
	}
	var removed uint64
	for _, old := range s.spans[j:k] {
		removed += min(old.hi, x.hi) - max(old.lo, x.lo)
	}
	var keep []span
	if first := s.spans[j]; first.lo < x.lo {
		keep = append(keep, span{first.lo, x.lo})
	}
	if last := s.spans[k-1]; last.hi > x.hi {
		keep = append(keep, span{x.hi, last.hi})
	}
	s.spans = slices.Replace(s.spans, j, k, keep...)
	s.size -= removed
	return removed
}

// overlaps says whether any number of x is in the set.
func (s *spanSet) overlapsAny(x span) bool {
	j := sort.Search(len(s.spans), func(i int) bool { return s.spans[i].hi > x.lo })
	return j < len(s.spans) && s.spans[j].lo < x.hi
}

// takeLowest removes the lowest number of the set and returns it.
func (s *spanSet) takeLowest() (uint64, bool) {
	if len(s.spans) == 0 {
		return 0, false
	}
	first := &s.spans[0]
	n := first.lo
	first.lo++
	if first.lo == first.hi {
		// Re-slicing instead of copying keeps taking O(1); append reallocates eventually.
		s.spans = s.spans[1:]
	}
	s.size--
	return n, true
}

// each calls fn for every span of the set in order.
func (s *spanSet) each(fn func(span)) {
	for _, x := range s.spans {
		fn(x)
	}
}
