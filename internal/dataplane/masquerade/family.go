package masquerade

import "net/netip"

// ipFamily holds the nft words that differ between IPv4 and IPv6, so that one rule
// template serves both and the two families can never drift apart.
type ipFamily struct {
	suffix   string // set name suffix: "v4" / "v6"
	match    string // nft payload protocol: "ip" / "ip6"
	addrType string // nft set type: "ipv4_addr" / "ipv6_addr"
	name     string // for comments: "IPv4" / "IPv6"
}

var (
	ipv4 = ipFamily{suffix: "v4", match: "ip", addrType: "ipv4_addr", name: "IPv4"}
	ipv6 = ipFamily{suffix: "v6", match: "ip6", addrType: "ipv6_addr", name: "IPv6"}
)

var families = []ipFamily{ipv4, ipv6}

func (f ipFamily) holds(p netip.Prefix) bool { return p.Addr().Unmap().Is4() == (f == ipv4) }

func (f ipFamily) holdsAddr(a netip.Addr) bool { return a.Unmap().Is4() == (f == ipv4) }

func (f ipFamily) podSet() string    { return "cluster-pod-cidrs-" + f.suffix }
func (f ipFamily) noMasqSet() string { return "no-masquerade-cidrs-" + f.suffix }
