package cni

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/plugins/pkg/netlinksafe"
	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/dataplane/bridge"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/podipam"
)

// keepGateways refuses an ADD whose podCIDRs would take off the bridge a gateway address
// that running pods route through: a stale conflist, or a Node given new pod CIDRs while its
// pods run. bridge.Ensure makes the bridge's global addresses exactly the config's gateways,
// so without this check the ADD would readdress the bridge and cut every running pod off in
// that family. A pod CIDR change is the agent's to make (it drains, then readdresses); the
// plugin only adds gateways that are missing. br is the bridge, nil when there is none (no
// pod on it either). It costs an ADD a netlink round trip, and the store's list only when the
// addresses differ.
func keepGateways(conf *config.Config, store *podipam.Store, br netlink.Link) error {
	if br == nil {
		return nil
	}
	addrs, err := netlinksafe.AddrList(br, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("list addresses of bridge %s: %w", conf.Bridge, err)
	}
	want := bridge.Gateways(conf.PodCIDRs)
	var have, dropped []netip.Prefix
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.IPNet.String())
		if err != nil || p.Addr().IsLinkLocalUnicast() {
			continue // Ensure leaves link-local addresses alone
		}
		have = append(have, p)
		if !slices.Contains(want, p) {
			dropped = append(dropped, p)
		}
	}
	if len(dropped) == 0 {
		return nil
	}
	users, err := podsRoutingThrough(store, dropped)
	if err != nil || len(users) == 0 {
		return err
	}
	named := users
	if len(named) > 3 {
		named = append(named[:3:3], "...")
	}
	return types.NewError(types.ErrInvalidNetworkConfig, fmt.Sprintf(
		"podCIDRs: %s differ from bridge %s's gateways %s, which %d running pod(s) route through (%s): "+
			"the plugin does not readdress a bridge under running pods; a pod CIDR change is the agent's to make "+
			"(drain the node, then dualnet-agent readdresses %s and rewrites the conflist), and a stale conflist "+
			"is rewritten by dualnet-agent from the Node's spec.podCIDRs",
		netspec.JoinCIDRs(conf.PodCIDRs), conf.Bridge, netspec.JoinCIDRs(have), len(users), strings.Join(named, ", "), conf.Bridge), "")
}

// findBridge returns the bridge, or nil and no error when there is none.
func findBridge(name string) (netlink.Link, error) {
	br, err := netlinksafe.LinkByName(name)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bridge %s: %w", name, err)
	}
	return br, nil
}

// podsRoutingThrough names the store's live attachments with an address inside one of the
// gateways' ranges.
func podsRoutingThrough(store *podipam.Store, gateways []netip.Prefix) ([]string, error) {
	live, err := liveAttachments(store)
	if err != nil {
		return nil, err
	}
	var users []string
	for _, l := range live {
		if slices.ContainsFunc(l.Addrs, func(a netip.Addr) bool {
			return slices.ContainsFunc(gateways, func(gw netip.Prefix) bool { return gw.Masked().Contains(a) })
		}) {
			users = append(users, l.Key.String())
		}
	}
	return users, nil
}
