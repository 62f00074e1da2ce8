package agent

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"

	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/nodeaddrs"
)

// nodeInfo is what the dataplane needs from a Node object, read by internal/nodeaddrs.
type nodeInfo struct {
	name     string
	podCIDRs []netip.Prefix // spec.podCIDRs, IPv4 first as the controller assigns them
	// badPodCIDRs is why podCIDRs is empty although the Node has some: they break the rules
	// the CNI plugin holds its conflist to, so no conflist can carry them.
	badPodCIDRs error
	ips         []netip.Addr // InternalIPs, the first of each family only
}

func nodeInfoOf(n *corev1.Node) nodeInfo {
	cidrs, err := nodeaddrs.PodCIDRs(n)
	return nodeInfo{name: n.Name, podCIDRs: cidrs, badPodCIDRs: err, ips: nodeaddrs.InternalIPs(n)}
}

// ipOf returns the node's InternalIP of family f.
func (n nodeInfo) ipOf(f netspec.Family) (netip.Addr, bool) {
	for _, ip := range n.ips {
		if netspec.FamilyOfAddr(ip) == f {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// sameDataplaneInputs says whether two versions of a Node differ in anything the dataplane
// reads, so that status heartbeats do not wake the sync.
func sameDataplaneInputs(a, b *corev1.Node) bool {
	x, y := nodeInfoOf(a), nodeInfoOf(b)
	if len(x.podCIDRs) != len(y.podCIDRs) || len(x.ips) != len(y.ips) || errText(x.badPodCIDRs) != errText(y.badPodCIDRs) {
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

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
