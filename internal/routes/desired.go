package routes

import (
	"fmt"
	"net/netip"

	"github.com/dualnet/dualnet/internal/netspec"
)

// Node is what the route table needs to know about a Kubernetes node.
type Node struct {
	Name        string
	PodCIDRs    []netip.Prefix
	InternalIPs []netip.Addr
	// BadPodCIDRs, when set, is why PodCIDRs is empty although the Node has some: they break
	// the rules a node's pod CIDRs are held to (internal/nodeaddrs), so no pod gets them.
	BadPodCIDRs string
}

// NodeRoutes is the routes one node needs.
type NodeRoutes struct {
	Node   string
	Routes []Route
	// Complete is false when some pod CIDR of the node gets no route of its own: the node has
	// no pod CIDR, a pod CIDR has no InternalIP of its family to route to, lies outside the
	// cluster pod CIDRs, or is already routed to another node. Such a node's pods cannot all
	// be reachable whatever the table holds.
	Complete bool
	// Problems says, when Complete is false, why, for the node's condition message.
	Problems []string
}

// Desired returns the routes each node needs, in the order of nodes (which is the order in which
// nodes get room when the table is nearly full, so callers pass oldest first).
//
// Pod CIDRs outside the cluster pod CIDRs are ignored: dualnet never writes such routes. A
// prefix already claimed by an earlier node is skipped so that two nodes briefly holding the
// same CIDR never produce two routes for one prefix. Either way the node is not Complete: its
// traffic for that CIDR would go elsewhere or nowhere.
func Desired(nodes []Node, clusterPodCIDRs []netip.Prefix) []NodeRoutes {
	claimedBy := map[netip.Prefix]string{}
	out := make([]NodeRoutes, 0, len(nodes))
	for _, n := range nodes {
		nr := NodeRoutes{Node: n.Name}
		switch {
		case n.BadPodCIDRs != "":
			nr.Problems = append(nr.Problems, n.BadPodCIDRs)
		case len(n.PodCIDRs) == 0:
			nr.Problems = append(nr.Problems, "the node has no pod CIDR")
		}
		for _, cidr := range n.PodCIDRs {
			cidr = cidr.Masked()
			if !Within(cidr, clusterPodCIDRs) {
				nr.Problems = append(nr.Problems, fmt.Sprintf("pod CIDR %s is outside the cluster pod CIDRs %s", cidr, netspec.JoinCIDRs(clusterPodCIDRs)))
				continue
			}
			if owner, ok := claimedBy[cidr]; ok {
				nr.Problems = append(nr.Problems, fmt.Sprintf("pod CIDR %s is already routed to node %q", cidr, owner))
				continue
			}
			hop, ok := addrOfFamily(n.InternalIPs, cidr.Addr().Is4())
			if !ok {
				nr.Problems = append(nr.Problems, fmt.Sprintf("pod CIDR %s has no InternalIP of its family to route to", cidr))
				continue
			}
			claimedBy[cidr] = n.Name
			nr.Routes = append(nr.Routes, Route{Name: RouteName(n.Name, cidr), Prefix: cidr, NextHop: hop})
		}
		nr.Complete = len(nr.Problems) == 0
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
