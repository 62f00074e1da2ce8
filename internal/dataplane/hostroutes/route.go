package hostroutes

import (
	"net/netip"
	"slices"
)

// Protocol marks dualnet's routes (`ip route show proto 211`). 211 is unassigned in
// /etc/iproute2/rt_protos and clear of the routing daemons' numbers (bird 12, zebra 11,
// babel 42, bgp 186 to eigrp 192).
const Protocol = 211

// Route is a desired route: a pod CIDR of another node via that node's address.
type Route struct {
	Node string // for events and logs
	Dst  netip.Prefix
	Via  netip.Addr
}

// Peer is another node as far as routing to its pods goes.
type Peer struct {
	Node     string
	PodCIDRs []netip.Prefix
	IPs      []netip.Addr
}

// Desired pairs each peer's pod CIDR with its InternalIP of the same family; a CIDR whose
// family has no node IP gets no route. The result is sorted by destination.
func Desired(peers []Peer) []Route {
	var out []Route
	for _, p := range peers {
		for _, cidr := range p.PodCIDRs {
			for _, ip := range p.IPs {
				if ip.Unmap().Is4() == cidr.Addr().Unmap().Is4() {
					out = append(out, Route{Node: p.Node, Dst: cidr.Masked(), Via: ip.Unmap()})
					break
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Route) int {
		if c := a.Dst.Addr().Compare(b.Dst.Addr()); c != 0 {
			return c
		}
		return a.Dst.Bits() - b.Dst.Bits()
	})
	return out
}
