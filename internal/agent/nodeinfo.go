package agent

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
)

// nodeInfo is what the dataplane needs from a Node object.
type nodeInfo struct {
	name     string
	podCIDRs []netip.Prefix // spec.podCIDRs, IPv4 first as the controller assigns them
	ips      []netip.Addr   // InternalIPs, the first of each family only
}

func nodeInfoOf(n *corev1.Node) nodeInfo {
	info := nodeInfo{name: n.Name}
	cidrs := n.Spec.PodCIDRs
	if len(cidrs) == 0 && n.Spec.PodCIDR != "" {
		cidrs = []string{n.Spec.PodCIDR}
	}
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil {
			info.podCIDRs = append(info.podCIDRs, p.Masked())
		}
	}
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
		info.ips = append(info.ips, ip)
	}
	return info
}

// ipOf returns the node's InternalIP of the family of p.
func (n nodeInfo) ipOf(is4 bool) (netip.Addr, bool) {
	for _, ip := range n.ips {
		if ip.Is4() == is4 {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// sameDataplaneInputs says whether two versions of a Node differ in anything the dataplane
// reads, so that status heartbeats do not wake the sync.
func sameDataplaneInputs(a, b *corev1.Node) bool {
	x, y := nodeInfoOf(a), nodeInfoOf(b)
	if len(x.podCIDRs) != len(y.podCIDRs) || len(x.ips) != len(y.ips) {
		return false
	}
	for i := range x.podCIDRs {
		if x.podCIDRs[i] != y.podCIDRs[i] {
			return false
		}
	}
	for i := range x.ips {
		if x.ips[i] != y.ips[i] {
			return false
		}
	}
	return true
}
