package netspec

import (
	"encoding/binary"
	"net/netip"
)

// Node pod CIDRs are numbered blocks of the cluster pod CIDR: block i of a family is the i-th
// range of the node mask size inside it. Block numbers can exceed 16 bits (a /48 in /80s has
// 2^32 blocks), so the arithmetic is done on 128-bit values, never on a bitmap of the space.

// Blocks is the number of node pod CIDRs the family's cluster pod CIDR holds, saturating at
// the largest uint64.
func (s Spec) Blocks(f Family) uint64 {
	pod, ok := s.PodCIDR(f)
	if !ok {
		return 0
	}
	return pow2(s.NodeMaskSize(f) - pod.Bits())
}

// NodeCIDR is block i of the family's pod CIDR, or false when the family has no block i.
func (s Spec) NodeCIDR(f Family, i uint64) (netip.Prefix, bool) {
	pod, ok := s.PodCIDR(f)
	if !ok || i >= s.Blocks(f) {
		return netip.Prefix{}, false
	}
	mask := s.NodeMaskSize(f)
	addr := addShifted(pod.Addr(), i, f.Bits()-mask)
	return netip.PrefixFrom(addr, mask), true
}

// NodeCIDRs is block i of every family, IPv4 first, as a node's spec.podCIDRs lists them;
// nil when some family has no block i.
func (s Spec) NodeCIDRs(i uint64) []netip.Prefix {
	cidrs := make([]netip.Prefix, 0, len(s.Families))
	for _, f := range s.Families {
		p, ok := s.NodeCIDR(f, i)
		if !ok {
			return nil
		}
		cidrs = append(cidrs, p)
	}
	return cidrs
}

// BlockIndex is the block number of a node pod CIDR: false unless p is exactly one block of
// the node mask size inside the family's cluster pod CIDR.
func (s Spec) BlockIndex(p netip.Prefix) (uint64, bool) {
	f := FamilyOf(p)
	pod, ok := s.PodCIDR(f)
	if !ok || p.Bits() != s.NodeMaskSize(f) || !pod.Contains(p.Addr()) || p.Masked() != p {
		return 0, false
	}
	phi, plo := to128(p.Addr())
	bhi, blo := to128(pod.Addr())
	hi, lo := sub128(phi, plo, bhi, blo)
	shift := uint(f.Bits() - p.Bits())
	hi, lo = shr128(hi, lo, shift)
	if hi != 0 {
		return 0, false
	}
	return lo, true
}

// NodeAddress is the address Azure gives the i-th node of a node subnet: it keeps .0 to .3,
// so the first node is .4 (or ::4).
func NodeAddress(subnet netip.Prefix, i uint64) (netip.Addr, bool) {
	if i >= NodeSubnetCapacity(subnet) {
		return netip.Addr{}, false
	}
	return addShifted(subnet.Addr(), i+4, 0), true
}

// NodeSubnetCapacity is the number of node addresses Azure hands out in a subnet: all but the
// first four and, for IPv4, the broadcast address.
func NodeSubnetCapacity(subnet netip.Prefix) uint64 {
	f := FamilyOf(subnet)
	reserved := uint64(4)
	if f == IPv4 {
		reserved = 5
	}
	size := pow2(f.Bits() - subnet.Bits())
	if size == ^uint64(0) {
		return size // 2^64 or more: saturated, nothing to take off
	}
	if size <= reserved {
		return 0
	}
	return size - reserved
}

// pow2 is 2^n, saturating at the largest uint64 for n >= 64.
func pow2(n int) uint64 {
	if n < 0 {
		return 0
	}
	if n >= 64 {
		return ^uint64(0)
	}
	return 1 << uint(n)
}

func to128(a netip.Addr) (hi, lo uint64) {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

func from128(hi, lo uint64, is4 bool) netip.Addr {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	a := netip.AddrFrom16(b)
	if is4 {
		return a.Unmap()
	}
	return a
}

// addShifted returns a + (i << shift), for a shift of 0 to 127.
func addShifted(a netip.Addr, i uint64, shift int) netip.Addr {
	var hi, lo uint64
	switch {
	case shift >= 64:
		hi = i << uint(shift-64)
	case shift == 0:
		lo = i
	default:
		lo, hi = i<<uint(shift), i>>uint(64-shift)
	}
	ahi, alo := to128(a)
	sumLo := alo + lo
	carry := uint64(0)
	if sumLo < alo {
		carry = 1
	}
	return from128(ahi+hi+carry, sumLo, a.Is4())
}

func sub128(ahi, alo, bhi, blo uint64) (hi, lo uint64) {
	lo = alo - blo
	borrow := uint64(0)
	if alo < blo {
		borrow = 1
	}
	return ahi - bhi - borrow, lo
}

func shr128(hi, lo uint64, n uint) (uint64, uint64) {
	switch {
	case n == 0:
		return hi, lo
	case n >= 64:
		return 0, hi >> (n - 64)
	default:
		return hi >> n, lo>>n | hi<<(64-n)
	}
}
