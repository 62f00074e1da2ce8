package bridge

import (
	"fmt"
	"net/netip"
)

// staleAddrs picks which of a bridge's global addresses (have) Ensure removes to leave
// exactly gateways, or refuses when one of them may be the node's own: a node whose address
// sits on the bridge name it was given would be cut off. An address may go when it is
// inside one of the configured pod CIDRs (a gateway's prefix), or when dualnet created the
// bridge (owned) and the address has the shape of a gateway, the first address of its
// prefix, as a gateway of an earlier pod CIDR does.
func staleAddrs(bridge string, have, gateways []netip.Prefix, owned bool) (map[netip.Prefix]bool, error) {
	want := make(map[netip.Prefix]bool, len(gateways))
	for _, g := range gateways {
		want[g] = true
	}
	stale := map[netip.Prefix]bool{}
	for _, p := range have {
		if want[p] {
			continue
		}
		if !insideAny(p.Addr(), gateways) && !(owned && isGatewayShaped(p)) {
			owner := "was not created by dualnet"
			if owned {
				owner = "is dualnet's, but the address is not a gateway's (the first of its prefix)"
			}
			return nil, fmt.Errorf("bridge %s holds %s, which is outside the pod CIDRs %v, and the bridge %s; "+
				"refusing to remove an address that may be the node's own (choose a bridge name no other software uses)",
				bridge, p, cidrsOf(gateways), owner)
		}
		stale[p] = true
	}
	return stale, nil
}

func insideAny(a netip.Addr, gateways []netip.Prefix) bool {
	for _, g := range gateways {
		if g.Masked().Contains(a) {
			return true
		}
	}
	return false
}

func isGatewayShaped(p netip.Prefix) bool {
	return p.Addr() == p.Masked().Addr().Next()
}

func cidrsOf(gateways []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(gateways))
	for _, g := range gateways {
		out = append(out, g.Masked())
	}
	return out
}
