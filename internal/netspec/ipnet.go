package netspec

import (
	"net"
	"net/netip"
)

// The netlink and CNI libraries speak net.IPNet and net.IP; dualnet speaks netip. These are
// the one place the two meet.

// IPNet is p as net.IPNet, with an address of p's own length (4 bytes for IPv4).
func IPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// PrefixOf is n as netip.Prefix, an IPv4-mapped address read as IPv4 (the kernel and net.IP
// may hand IPv4 as 16 bytes); host bits are kept. It is false for nil or a malformed address.
func PrefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}

// AddrOf is ip as netip.Addr, an IPv4-mapped address read as IPv4; the zero Addr for nil or
// a malformed address.
func AddrOf(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}
