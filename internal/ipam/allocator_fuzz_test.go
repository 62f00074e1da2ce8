package ipam

import (
	"fmt"
	"testing"

	"github.com/dualnet/dualnet/internal/netspec"
)

// FuzzAllocatorNeverGivesABlockToTwoNodes runs random allocations, adoptions, releases and
// reclaims and checks after each that no two live nodes share a block and that the counts add up.
func FuzzAllocatorNeverGivesABlockToTwoNodes(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 2, 1, 3, 0, 0, 5, 1, 7, 2, 7})
	spec := mustSpec(f, netspec.Input{PodCIDRs: "10.244.0.0/20,fd12:3456:789a::/64", MaxRoutes: 24})
	f.Fuzz(func(t *testing.T, ops []byte) {
		a := New(spec, Options{})
		for len(ops) >= 2 {
			op, arg := ops[0]%4, int(ops[1])
			ops = ops[2:]
			name := fmt.Sprintf("n%d", arg%20)
			switch op {
			case 0:
				a.Allocate(name)
			case 1:
				// Adopt any block (possibly another node's): conflicts are reported, not fixed.
				v4 := fmt.Sprintf("10.244.%d.0/24", arg%16)
				v6 := fmt.Sprintf("fd12:3456:789a:0:%x::/80", (arg/16)%16)
				a.Adopt(name, prefixes(t, v4, v6))
			case 2:
				a.Release(name)
			case 3:
				a.Reclaim(routesGone)
			}
			checkAllocator(t, a)
		}
	})
}

// checkAllocator: free blocks are nobody's, allocated nodes (not adopted conflicts) hold
// distinct blocks, and the stats stay within the capacity.
func checkAllocator(t *testing.T, a *Allocator) {
	t.Helper()
	owner := map[uint64]string{}
	for name, n := range a.nodes {
		n.blocks.each(func(x span) {
			if a.free.overlapsAny(x) {
				t.Fatalf("node %s holds %v, which is also free", name, x)
			}
			for i := x.lo; i < x.hi; i++ {
				if other, ok := owner[i]; ok && !(n.shared && a.nodes[other].shared) {
					t.Fatalf("block %d is %s's and %s's and neither was adopted in conflict", i, other, name)
				}
				owner[i] = name
			}
		})
	}
	for _, r := range a.held {
		r.blocks.each(func(x span) {
			if a.free.overlapsAny(x) {
				t.Fatalf("held %v of %s is also free", x, r.Node)
			}
		})
	}
	s := a.Stats()
	if s.Free+min(s.Allocated+s.Held, s.Capacity) > s.Capacity {
		t.Fatalf("stats do not add up: %+v", s)
	}
}
