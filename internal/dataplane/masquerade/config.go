package masquerade

import (
	"fmt"
	"net/netip"
)

// Config is the whole desired NAT state of one node.
type Config struct {
	// ClusterPodCIDRs are the cluster-wide pod ranges (not only this node's): traffic between
	// them is pod-to-pod and keeps its source.
	ClusterPodCIDRs []netip.Prefix
	// NonMasqueradeCIDRs are further destinations that see pods' own addresses.
	NonMasqueradeCIDRs []netip.Prefix
	// NodeIPs are the node's InternalIPs, at most one per family: the SNAT source of that
	// family. Pod egress of a family with no node IP (but with cluster pod CIDRs) that would
	// leave the cluster is dropped, and counted, instead of leaving with the pod's source.
	NodeIPs []netip.Addr
}

// Validate says which field breaks which rule.
func (c Config) Validate() error {
	seen := map[bool]netip.Addr{}
	for _, ip := range c.NodeIPs {
		if !ip.IsValid() {
			return fmt.Errorf("masquerade node IPs: invalid address")
		}
		ip = ip.Unmap()
		if prev, ok := seen[ip.Is4()]; ok && prev != ip {
			return fmt.Errorf("masquerade node IPs: %s and %s are of the same family; the SNAT source of a family must be exactly one address", prev, ip)
		}
		seen[ip.Is4()] = ip
	}
	for _, p := range append(append([]netip.Prefix{}, c.ClusterPodCIDRs...), c.NonMasqueradeCIDRs...) {
		if !p.IsValid() {
			return fmt.Errorf("masquerade CIDRs: invalid prefix %q", p)
		}
	}
	return nil
}
