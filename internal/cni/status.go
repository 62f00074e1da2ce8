package cni

import (
	"errors"
	"net/netip"

	"github.com/containernetworking/plugins/pkg/netlinksafe"
	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/dataplane/bridge"
	"github.com/dualnet/dualnet/internal/netspec"
)

// cmdStatus reports ready only when the node has its pod CIDRs and the agent has put the
// bridge up with their gateways; until then pods would get addresses nobody routes.
func cmdStatus(args *Args) error {
	conf, err := config.Parse(args.StdinData)
	if err != nil {
		return err
	}
	if len(conf.PodCIDRs) == 0 {
		return notReady("podCIDRs: the node has no pod CIDR yet")
	}
	br, err := netlink.LinkByName(conf.Bridge)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		return notReady("bridge %s does not exist yet", conf.Bridge)
	}
	if err != nil {
		return notReady("bridge %s: %v", conf.Bridge, err)
	}
	addrs, err := netlinksafe.AddrList(br, netlink.FAMILY_ALL)
	if err != nil {
		return notReady("addresses of bridge %s: %v", conf.Bridge, err)
	}
	have := map[netip.Prefix]bool{}
	for _, a := range addrs {
		if p, ok := netspec.PrefixOf(a.IPNet); ok {
			have[p] = true
		}
	}
	for _, gw := range bridge.Gateways(conf.PodCIDRs) {
		if !have[gw] {
			return notReady("bridge %s does not hold gateway %s yet", conf.Bridge, gw)
		}
	}
	return nil
}
