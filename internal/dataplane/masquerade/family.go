package masquerade

import (
	"net/netip"

	"github.com/dualnet/dualnet/internal/netspec"
)

// ipFamily is a netspec.Family with the nft words that differ between IPv4 and IPv6, so that
// one rule template serves both and the two families can never drift apart.
type ipFamily struct {
	netspec.Family
	suffix   string // set name suffix: "v4" / "v6"
	match    string // nft payload protocol: "ip" / "ip6"
	addrType string // nft set type: "ipv4_addr" / "ipv6_addr"
}

var (
	ipv4 = ipFamily{Family: netspec.IPv4, suffix: "v4", match: "ip", addrType: "ipv4_addr"}
	ipv6 = ipFamily{Family: netspec.IPv6, suffix: "v6", match: "ip6", addrType: "ipv6_addr"}
)

var families = []ipFamily{ipv4, ipv6}

func (f ipFamily) holds(p netip.Prefix) bool { return f.holdsAddr(p.Addr()) }

func (f ipFamily) holdsAddr(a netip.Addr) bool { return netspec.FamilyOfAddr(a.Unmap()) == f.Family }

func (f ipFamily) podSet() string    { return "cluster-pod-cidrs-" + f.suffix }
func (f ipFamily) noMasqSet() string { return "no-masquerade-cidrs-" + f.suffix }
