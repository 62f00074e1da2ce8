package routes

import (
	"crypto/sha256"
	"encoding/hex"
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

// maxRouteName is the longest route name Azure accepts; a longer one is refused with 400
// InvalidResourceName ("The name can be up to 80 characters long"; see
// https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftnetwork).
// Kubernetes node names can be 253 characters, and dualnet PUTs the whole table in one call,
// so one node with a long name would otherwise stop route sync for the whole cluster.
const maxRouteName = 80

// nodeHashLen is how many hex digits of the SHA-256 of the full node name a shortened name
// carries: 40 bits, so two long node names that share the kept prefix collide with odds of
// about one in a trillion.
const nodeHashLen = 10

var cidrPunctuation = strings.NewReplacer(".", "", ":", "", "/", "")

// RouteName is the name cloud-provider-azure gives a node's route, `<node>____<cidr>` with '.',
// ':' and '/' removed from the CIDR, so that a route table that an AKS cluster already filled is
// adopted route by route instead of duplicated.
//
// When that name would pass Azure's 80-character limit (maxRouteName), the node part becomes
// a prefix of the node name, '-' and nodeHashLen hex digits of the SHA-256 of the full node
// name, cut so that the whole name is exactly 80 characters. Such a name is deterministic,
// still unique per node and CIDR (the hash covers the whole node name, the CIDR is kept whole),
// and starts with the node name's first character and ends with the CIDR's last digit, as
// Azure's rule wants (a word character at both ends). No AKS table holds longer names to
// adopt: Azure never accepted them.
func RouteName(node string, podCIDR netip.Prefix) string {
	cidr := cidrPunctuation.Replace(podCIDR.String())
	if name := node + nameSeparator + cidr; len(name) <= maxRouteName {
		return name
	}
	// The longest CIDR part (a full IPv6 /128, 35 characters) leaves 30 characters of the node.
	keep := maxRouteName - len(nameSeparator) - len(cidr) - 1 - nodeHashLen
	sum := sha256.Sum256([]byte(node))
	return node[:keep] + "-" + hex.EncodeToString(sum[:])[:nodeHashLen] + nameSeparator + cidr
}

// NodeOfRoute returns the node part of a route name made by RouteName. For a name RouteName
// shortened, that is the shortened form (prefix, '-', hash), which is not the node's name and,
// as the prefix's length depends on the CIDR's, may differ between the node's routes: to ask
// whether a route is a given node's, compare its name with RouteName's.
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
