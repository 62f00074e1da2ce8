package ipam

import "testing"

// FuzzSpanSetMatchesAPlainSet runs random adds, removes and takes on a spanSet and on a map of
// numbers, and checks that they always hold the same numbers.
func FuzzSpanSetMatchesAPlainSet(f *testing.F) {
	f.Add([]byte{0, 2, 9, 1, 4, 6, 2, 0, 0, 0, 0, 12})
	f.Fuzz(func(t *testing.T, ops []byte) {
		var s spanSet
		model := map[uint64]bool{}
		for len(ops) >= 3 {
			op, lo, n := ops[0]%3, uint64(ops[1]%64), uint64(ops[2]%16)
			ops = ops[3:]
			x := span{lo, lo + n}
			switch op {
			case 0:
				s.add(x)
				for i := x.lo; i < x.hi; i++ {
					model[i] = true
				}
			case 1:
				var want uint64
				for i := x.lo; i < x.hi; i++ {
					if model[i] {
						want++
					}
					delete(model, i)
				}
				if got := s.remove(x); got != want {
					t.Fatalf("remove %v: removed %d, want %d", x, got, want)
				}
			case 2:
				got, ok := s.takeLowest()
				want, wantOK := lowest(model)
				if ok != wantOK || got != want {
					t.Fatalf("takeLowest: %d %v, want %d %v", got, ok, want, wantOK)
				}
				delete(model, want)
			}
			checkSpanSet(t, &s, model)
		}
	})
}

func lowest(model map[uint64]bool) (uint64, bool) {
	var low uint64
	found := false
	for i := range model {
		if !found || i < low {
			low, found = i, true
		}
	}
	return low, found
}

func checkSpanSet(t *testing.T, s *spanSet, model map[uint64]bool) {
	t.Helper()
	var count uint64
	for i, x := range s.spans {
		if x.lo >= x.hi {
			t.Fatalf("empty span %v in %v", x, s.spans)
		}
		if i > 0 && s.spans[i-1].hi >= x.lo {
			t.Fatalf("spans not sorted, disjoint and apart: %v", s.spans)
		}
		for n := x.lo; n < x.hi; n++ {
			if !model[n] {
				t.Fatalf("%d in %v but not in the model", n, s.spans)
			}
		}
		count += x.len()
	}
	if count != uint64(len(model)) || s.size != count {
		t.Fatalf("set %v holds %d (size %d), model %d", s.spans, count, s.size, len(model))
	}
}
