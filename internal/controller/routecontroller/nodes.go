package routecontroller

import (
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/dualnet/dualnet/internal/routes"
)

// sortNodes orders nodes oldest first: when the table is nearly full the nodes that came first
// get the room, as they would have had the controller seen them one by one.
func sortNodes(nodes []*corev1.Node) {
	slices.SortFunc(nodes, func(a, b *corev1.Node) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// routingOf is what the route table needs to know of a node. Unparsable CIDRs and addresses
// are left out: the node then is not routed, and its condition says so.
func routingOf(n *corev1.Node) routes.Node {
	out := routes.Node{Name: n.Name}
	cidrs := n.Spec.PodCIDRs
	if len(cidrs) == 0 && n.Spec.PodCIDR != "" {
		cidrs = []string{n.Spec.PodCIDR}
	}
	for _, s := range cidrs {
		if p, err := netip.ParsePrefix(s); err == nil {
			out.PodCIDRs = append(out.PodCIDRs, p)
		}
	}
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		if ip, err := netip.ParseAddr(a.Address); err == nil {
			out.InternalIPs = append(out.InternalIPs, ip)
		}
	}
	return out
}
