package agent

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/dualnet/dualnet/internal/dataplane/bridge"
	"github.com/dualnet/dualnet/internal/dataplane/cniconfig"
	"github.com/dualnet/dualnet/internal/dataplane/hostroutes"
	"github.com/dualnet/dualnet/internal/dataplane/masquerade"
	"github.com/dualnet/dualnet/internal/netspec"
)

// errNoPodCIDRs means the node is not ready for a dataplane yet: the controller (or
// kube-controller-manager) has not assigned spec.podCIDRs.
var errNoPodCIDRs = errors.New("the node has no spec.podCIDRs yet")

// desiredState is the node's whole dataplane, computed from the Node objects and flags alone.
type desiredState struct {
	gateways   []netip.Prefix // on the bridge: .1 / ::1 of each pod CIDR, with its length
	network    cniconfig.Network
	masquerade masquerade.Config
	routes     []hostroutes.Route
	ipv4, ipv6 bool // families present on this node
	// noNodeIP are the families of the cluster's pod CIDRs for which the node reports no
	// InternalIP: masquerade drops their pods' egress leaving the cluster.
	noNodeIP []netspec.Family
}

// desiredFor fails when the node's own pod CIDRs break the plugin's rules: the conflist would
// be refused. A peer's that do are left out of the host routes, as if it had none yet.
func desiredFor(cfg Config, self nodeInfo, all []nodeInfo) (desiredState, error) {
	if self.badPodCIDRs != nil {
		return desiredState{}, fmt.Errorf("the CNI plugin would refuse this node's pod CIDRs: %w", self.badPodCIDRs)
	}
	if len(self.podCIDRs) == 0 {
		return desiredState{}, errNoPodCIDRs
	}
	d := desiredState{
		network: cniconfig.Network{Bridge: cfg.Bridge, PodCIDRs: self.podCIDRs, DataDir: cfg.CNIDataDir},
		masquerade: masquerade.Config{
			ClusterPodCIDRs:    cfg.Spec.PodCIDRs,
			NonMasqueradeCIDRs: cfg.NonMasqueradeCIDRs,
			NodeIPs:            self.ips,
		},
	}
	d.gateways = bridge.Gateways(self.podCIDRs)
	for _, f := range []netspec.Family{netspec.IPv4, netspec.IPv6} {
		_, hasIP := self.ipOf(f)
		if !hasIP && slices.ContainsFunc(cfg.Spec.PodCIDRs, func(p netip.Prefix) bool { return netspec.FamilyOf(p) == f }) {
			d.noNodeIP = append(d.noNodeIP, f)
		}
	}
	for _, p := range self.podCIDRs {
		d.ipv4, d.ipv6 = d.ipv4 || p.Addr().Is4(), d.ipv6 || p.Addr().Is6()
	}
	if cfg.Routes == HostRoutes {
		var peers []hostroutes.Peer
		for _, n := range all {
			if n.name != self.name {
				peers = append(peers, hostroutes.Peer{Node: n.name, PodCIDRs: n.podCIDRs, IPs: n.ips})
			}
		}
		d.routes = hostroutes.Desired(peers)
	}
	return d, nil
}

// sameMasquerade says whether two masquerade configs are equal.
func sameMasquerade(a, b masquerade.Config) bool {
	return slices.Equal(a.ClusterPodCIDRs, b.ClusterPodCIDRs) && slices.Equal(a.NonMasqueradeCIDRs, b.NonMasqueradeCIDRs) &&
		slices.Equal(a.NodeIPs, b.NodeIPs)
}

// sameNetwork says whether two networks give the same conflist.
func sameNetwork(a, b cniconfig.Network) bool {
	x, errA := a.Marshal()
	y, errB := b.Marshal()
	return errA == nil && errB == nil && bytes.Equal(x, y)
}
