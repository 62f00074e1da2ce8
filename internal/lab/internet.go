package lab

import (
	"net/netip"

	"github.com/dualnet/dualnet/internal/netspec"
)

// Internet is the lab's outside: a client namespace linked to the vnet router, and the public
// ranges the lab's load balancer gives LoadBalancer services. All are documentation ranges
// (RFC 5737, RFC 3849), so no lab address is ever a real one.
type Internet struct {
	Router []netip.Prefix // the vnet router's side of the link, one per family
	Client []netip.Prefix // the client's address
	Pools  []netip.Prefix // LoadBalancer frontend addresses
}

var internetByFamily = map[netspec.Family]struct{ router, client, pool string }{
	netspec.IPv4: {"198.51.100.1/24", "198.51.100.2/24", "203.0.113.0/24"},
	netspec.IPv6: {"2001:db8:ffff::1/64", "2001:db8:ffff::2/64", "2001:db8:203::/112"},
}

// NewInternet is the outside of a lab with the spec's families, IPv4 first.
func NewInternet(spec netspec.Spec) Internet {
	var in Internet
	for _, f := range spec.Families {
		a := internetByFamily[f]
		in.Router = append(in.Router, netip.MustParsePrefix(a.router))
		in.Client = append(in.Client, netip.MustParsePrefix(a.client))
		in.Pools = append(in.Pools, netip.MustParsePrefix(a.pool))
	}
	return in
}
