package ipam

import (
	"net/netip"

	"github.com/dualnet/dualnet/internal/netspec"
)

// blocksOf says which block numbers of its family a node pod CIDR covers, and whether it lies
// inside the cluster pod CIDR of its family.
//
// kube-controller-manager numbers each family on its own and may use other mask sizes, so an
// adopted CIDR can be smaller than a block (it still takes the whole block: the same-number
// rule gives the rest to nobody else) or larger (it takes every block it covers).
func blocksOf(spec netspec.Spec, cidr netip.Prefix) (blocks span, inside bool) {
	cidr = cidr.Masked()
	f := netspec.FamilyOf(cidr)
	pod, ok := spec.PodCIDR(f)
	if !ok || !pod.Overlaps(cidr) {
		return span{}, false
	}
	if cidr.Bits() < pod.Bits() {
		// The CIDR holds the whole cluster range of its family.
		return span{0, spec.Blocks(f)}, false
	}
	mask := spec.NodeMaskSize(f)
	first, ok := spec.BlockIndex(netip.PrefixFrom(cidr.Addr(), mask).Masked())
	if !ok {
		// Past 2^64 blocks: beyond any block number an allocator can hand out.
		return span{}, true
	}
	count := uint64(1)
	if cidr.Bits() < mask {
		count = pow2(mask - cidr.Bits())
	}
	return span{first, saturatingAdd(first, count)}, true
}

// pow2 is 2^n, saturating at the largest uint64.
func pow2(n int) uint64 {
	if n >= 64 {
		return ^uint64(0)
	}
	return 1 << uint(n)
}

func saturatingAdd(a, b uint64) uint64 {
	if a+b < a {
		return ^uint64(0)
	}
	return a + b
}
