package ipam

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/dualnet/dualnet/internal/netspec"
)

// Adoption is what is wrong with CIDRs a node already had. The allocator records the node
// whatever the answer: a node's CIDRs are never changed, only reported.
type Adoption struct {
	// Outside: CIDRs that are not inside the cluster pod CIDR of their family. Blocks they
	// overlap are still recorded as taken.
	Outside []netip.Prefix
	// Missing: families of the spec the node has no CIDR of.
	Missing []netspec.Family
	// Overlaps: other nodes holding some of the same blocks.
	Overlaps []Overlap
}

// Overlap is another node holding some of an adopted node's blocks.
type Overlap struct {
	Node  string
	CIDRs []netip.Prefix
}

// OK says whether the node's CIDRs are exactly what dualnet itself could have given.
func (a Adoption) OK() bool {
	return len(a.Outside) == 0 && len(a.Missing) == 0 && len(a.Overlaps) == 0
}

// Adopt records the CIDRs a node already has (set by an earlier run, another replica, or
// kube-controller-manager) as taking every block they cover in their family, so that no other
// node is given a block that overlaps them. Adopting the same CIDRs again changes nothing.
func (a *Allocator) Adopt(name string, cidrs []netip.Prefix) Adoption {
	if n, ok := a.nodes[name]; ok {
		if slices.Equal(n.cidrs, cidrs) {
			return Adoption{}
		}
		a.Release(name)
	}
	var report Adoption
	var blocks spanSet
	has := map[netspec.Family]bool{}
	for _, c := range cidrs {
		has[netspec.FamilyOf(c)] = true
		b, inside := blocksOf(a.spec, c)
		if !inside {
			report.Outside = append(report.Outside, c)
		}
		blocks.add(b)
	}
	for _, f := range a.spec.Families {
		if !has[f] {
			report.Missing = append(report.Missing, f)
		}
	}
	if blocks.size == 0 {
		return report
	}
	n := &node{cidrs: slices.Clone(cidrs), blocks: blocks}
	blocks.each(func(x span) {
		if a.take(x) {
			return
		}
		// Some of x was neither free nor held: another live node has it.
		for otherName, other := range a.nodes {
			if other.blocks.overlapsAny(x) {
				report.Overlaps = append(report.Overlaps, Overlap{Node: otherName, CIDRs: other.cidrs})
				other.shared, n.shared = true, true
			}
		}
	})
	// One entry per other node, however many of its blocks overlap.
	slices.SortFunc(report.Overlaps, func(x, y Overlap) int { return strings.Compare(x.Node, y.Node) })
	report.Overlaps = slices.CompactFunc(report.Overlaps, func(x, y Overlap) bool { return x.Node == y.Node })
	a.nodes[name] = n
	return report
}

// take removes x from the free and held blocks and says whether all of it was there.
func (a *Allocator) take(x span) bool {
	inRange := span{x.lo, min(x.hi, a.blockLimit)}
	var taken uint64
	if inRange.lo < inRange.hi {
		taken = a.free.remove(inRange)
		a.pastHoldDown.remove(inRange)
	}
	a.held = slices.DeleteFunc(a.held, func(r *Released) bool {
		taken += r.blocks.remove(inRange)
		// A held node whose every block is taken again no longer counts against capacity.
		return r.blocks.size == 0
	})
	return inRange.lo < inRange.hi && inRange == x && taken == x.len()
}
