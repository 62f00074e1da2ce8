// Package nodeaddrs reads a Node object's addresses, the one way dualnet does: its pod CIDRs
// by the rules the CNI plugin holds its conflist to (netspec.ParseNodeCIDRs: IPv4 first, one
// range per family, no host bits), and its InternalIPs, the first of each family. The agent
// (which writes those pod CIDRs into the conflist and routes to its peers') and the route
// controller both read Nodes through it, so the agent never writes a conflist the plugin
// refuses and the two never disagree on a node's addresses.
//
// It must not decide what a caller does with a Node whose pod CIDRs break the rules (the
// agent refuses to configure its own node, the route controller reports the node unrouted),
// nor read the ranges a Node occupies whatever their shape: node IPAM does that for
// allocation (internal/controller/nodeipam) from RawPodCIDRs.
package nodeaddrs

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"

	"github.com/dualnet/dualnet/internal/netspec"
)

// RawPodCIDRs is n's spec.podCIDRs as written, or its spec.podCIDR alone when the list is
// empty (a Node from a kubelet or controller older than dual-stack), and the field it took
// them from, for errors.
func RawPodCIDRs(n *corev1.Node) (field string, cidrs []string) {
	if len(n.Spec.PodCIDRs) == 0 && n.Spec.PodCIDR != "" {
		return "spec.podCIDR", []string{n.Spec.PodCIDR}
	}
	return "spec.podCIDRs", n.Spec.PodCIDRs
}

// PodCIDRs parses n's pod CIDRs (RawPodCIDRs) by netspec.ParseNodeCIDRs; the error names the
// node and the field. None is no error: the node has not been given any yet.
func PodCIDRs(n *corev1.Node) ([]netip.Prefix, error) {
	field, raw := RawPodCIDRs(n)
	return netspec.ParseNodeCIDRs("node "+n.Name+": "+field, raw)
}

// InternalIPs is n's first InternalIP of each family, in the order n lists them, an
// IPv4-mapped address read as IPv4. An address that does not parse is left out.
func InternalIPs(n *corev1.Node) []netip.Addr {
	var out []netip.Addr
	seen4, seen6 := false, false
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		ip, err := netip.ParseAddr(a.Address)
		if err != nil {
			continue
		}
		ip = ip.Unmap()
		if (ip.Is4() && seen4) || (ip.Is6() && seen6) {
			continue
		}
		seen4, seen6 = seen4 || ip.Is4(), seen6 || ip.Is6()
		out = append(out, ip)
	}
	return out
}
