package routes

import "net/netip"

// Node is what the route table needs to know about a Kubernetes node.
type Node struct {
	Name        string
	PodCIDRs    []netip.Prefix
	InternalIPs []netip.Addr
}

// NodeRoutes is the routes one node needs.
type NodeRoutes struct {
	Node   string
	Routes []Route
	// Complete is false when a pod CIDR has no InternalIP of its family to route to, so the node
	// cannot be reachable yet whatever the table holds.
	Complete bool
}

// Desired returns the routes each node needs, in the order of nodes (which is the order in which
// nodes get room when the table is nearly full, so callers pass oldest first).
//
// Pod CIDRs outside the cluster pod CIDRs are ignored: dualnet never writes such routes. A
// prefix already claimed by an earlier node is skipped so that two nodes briefly holding the
// same CIDR never produce two routes for one prefix.
func Desired(nodes []Node, clusterPodCIDRs []netip.Prefix) []NodeRoutes {
	claimed := map[netip.Prefix]bool{}
	out := make([]NodeRoutes, 0, len(nodes))
	for _, n := range nodes {
		nr := NodeRoutes{Node: n.Name, Complete: len(n.PodCIDRs) > 0}
		for _, cidr := range n.PodCIDRs {
			cidr = cidr.Masked()
			if !Within(cidr, clusterPodCIDRs) || claimed[cidr] {
				continue
			}
			hop, ok := addrOfFamily(n.InternalIPs, cidr.Addr().Is4())
			if !ok {
				nr.Complete = false
				continue
			}
			claimed[cidr] = true
			nr.Routes = append(nr.Routes, Route{Name: RouteName(n.Name, cidr), Prefix: cidr, NextHop: hop})
		}
		out = append(out, nr)
	}
	return out
}

func addrOfFamily(addrs []netip.Addr, v4 bool) (netip.Addr, bool) {
	for _, a := range addrs {
		a = a.Unmap()
		if a.Is4() == v4 {
			return a, true
		}
	}
	return netip.Addr{}, false
}
