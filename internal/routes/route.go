package routes

import (
	"net/netip"
	"strings"
)

// Route is one pod route: traffic for a node's pod CIDR goes to that node's InternalIP of the
// same family. In Azure terms it is a route with next hop type VirtualAppliance.
type Route struct {
	// Name is RouteName(node, prefix); it is how the owning node is found again.
	Name    string
	Prefix  netip.Prefix
	NextHop netip.Addr
}

// nameSeparator is what cloud-provider-azure puts between the node name and the CIDR.
const nameSeparator = "____"

// RouteName is the name cloud-provider-azure gives a node's route, `<node>____<cidr>` with '.',
// ':' and '/' removed from the CIDR, so that a route table that an AKS cluster already filled is
// adopted route by route instead of duplicated.
func RouteName(node string, podCIDR netip.Prefix) string {
	cidr := strings.NewReplacer(".", "", ":", "", "/", "").Replace(podCIDR.String())
	return node + nameSeparator + cidr
}

// NodeOfRoute returns the node part of a route name made by RouteName.
func NodeOfRoute(name string) (string, bool) {
	i := strings.LastIndex(name, nameSeparator)
	if i <= 0 {
		return "", false
	}
	return name[:i], true
}

// Within reports whether p lies inside one of the cluster pod CIDRs, which is what makes a
// route dualnet's to manage.
func Within(p netip.Prefix, podCIDRs []netip.Prefix) bool {
	for _, c := range podCIDRs {
		if c.Addr().Is4() == p.Addr().Is4() && c.Bits() <= p.Bits() && c.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

// KernelProtocol is the route protocol number (`ip route ... proto 222`) that marks the routes
// dualnet programs on a Linux router, so that after a restart its stale routes are found by
// protocol and no other route is ever taken for one of dualnet's. 222 is unassigned in
// iproute2's rt_protos.
const KernelProtocol = 222
