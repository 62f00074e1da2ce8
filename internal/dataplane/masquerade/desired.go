package masquerade

import (
	"net/netip"
	"slices"

	"sigs.k8s.io/knftables"
)

// TableName is the one nftables table (family inet) that dualnet owns on a node.
const TableName = "dualnet"

// chainName is the NAT base chain; srcnat priority puts it where kube-proxy's masquerade
// runs, after routing has chosen the egress interface.
const chainName = "postrouting"

// desired is the table content for a Config: sets by name, rules of the chain in order.
type desired struct {
	sets  map[string][]netip.Prefix
	rules []*knftables.Rule
}

func desiredFor(c Config) desired {
	d := desired{sets: map[string][]netip.Prefix{}}
	for _, f := range families {
		d.sets[f.podSet()] = collapse(filter(c.ClusterPodCIDRs, f))
		d.sets[f.noMasqSet()] = collapse(filter(c.NonMasqueradeCIDRs, f))
		leaving := []string{
			f.match, "saddr", "@" + f.podSet(),
			f.match, "daddr", "!=", "@" + f.podSet(),
			f.match, "daddr", "!=", "@" + f.noMasqSet(),
		}
		if ip, ok := nodeIPOf(c.NodeIPs, f); ok {
			d.rules = append(d.rules, &knftables.Rule{
				Chain:   chainName,
				Rule:    knftables.Concat(leaving, "snat", f.match, "to", ip),
				Comment: knftables.PtrTo(ruleComment(f, ip)),
			})
		} else if len(d.sets[f.podSet()]) > 0 {
			// Without a node IP of the family there is no address to SNAT to, and a packet
			// let out with its pod source would leak the pod's address and never get an
			// answer (nothing outside routes the pod CIDRs back). The counter shows how much
			// is refused. A nat chain sees the first packet of each connection, so dropping
			// it there refuses the whole connection, but only if conntrack tracks the
			// family: the kernel enables it per family for a snat expression (nft_nat_init
			// asks for the NAT family only), so with no snat of this family the chain would
			// never see its packets. "ct state new" is what turns conntrack on for both
			// families of the inet table (nft_ct_get_init), and says what is dropped.
			d.rules = append(d.rules, &knftables.Rule{
				Chain:   chainName,
				Rule:    knftables.Concat(leaving, "ct", "state", "new", "counter", "drop"),
				Comment: knftables.PtrTo(dropComment(f)),
			})
		}
	}
	return d
}

func nodeIPOf(ips []netip.Addr, f ipFamily) (netip.Addr, bool) {
	for _, ip := range ips {
		if f.holdsAddr(ip) {
			return ip.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// ruleComment names the SNAT address, so that comparing comments with the kernel's also
// compares the one value in a rule that changes between nodes.
func ruleComment(f ipFamily, ip netip.Addr) string {
	return "SNAT " + f.String() + " pod egress leaving the cluster to node IP " + ip.String()
}

func dropComment(f ipFamily) string {
	return "drop " + f.String() + " pod egress leaving the cluster: the node has no " + f.String() + " InternalIP to SNAT to"
}

func (d desired) setNames() []string {
	names := make([]string, 0, len(d.sets))
	for name := range d.sets {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func filter(ps []netip.Prefix, f ipFamily) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range ps {
		if f.holds(p) {
			out = append(out, netip.PrefixFrom(p.Addr().Unmap(), p.Bits()).Masked())
		}
	}
	return out
}

// collapse drops prefixes held by another one: an interval set without auto-merge rejects
// overlapping elements, and auto-merge would make the kernel's listing differ from ours.
func collapse(ps []netip.Prefix) []netip.Prefix {
	slices.SortFunc(ps, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	var out []netip.Prefix
	for _, p := range ps {
		if n := len(out); n > 0 && out[n-1].Bits() <= p.Bits() && out[n-1].Contains(p.Addr()) {
			continue
		}
		out = append(out, p)
	}
	return out
}
