package routecontroller

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/dualnet/dualnet/internal/nodeaddrs"
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

// routingOf is what the route table needs to know of a node, read as the agent reads it
// (internal/nodeaddrs). Pod CIDRs the CNI plugin would refuse are left out, and so are
// unparsable addresses: the node then is not routed, and its condition says why.
func routingOf(n *corev1.Node) routes.Node {
	out := routes.Node{Name: n.Name, InternalIPs: nodeaddrs.InternalIPs(n)}
	cidrs, err := nodeaddrs.PodCIDRs(n)
	if err != nil {
		out.BadPodCIDRs = err.Error()
	}
	out.PodCIDRs = cidrs
	return out
}
