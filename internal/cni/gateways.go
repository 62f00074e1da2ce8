package cni

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/plugins/pkg/netlinksafe"
	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/dataplane/bridge"
	"github.com/dualnet/dualnet/internal/dataplane/podveth"
	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/podipam"
)

// keepGateways refuses an ADD whose podCIDRs would take off the bridge a gateway address
// while pods are attached to it: a stale conflist, or a Node given new pod CIDRs while its
// pods run. bridge.Ensure makes the bridge's global addresses exactly the config's gateways,
// so without this check the ADD would readdress the bridge and cut the running pods off in
// that family. A pod CIDR change is the agent's to make (it drains, then readdresses); the
// plugin only adds gateways that are missing. The bridge's ports are the running pods, of
// whichever network's store: a config with another network name must not readdress them
// either. br is the bridge as bridge.Look read it (no link: no pod on it either), which
// bridge.EnsureSeen then starts from; this costs an ADD nothing more, and a dump of the links
// and the store's list only when the addresses differ.
func keepGateways(conf *config.Config, store *podipam.Store, br bridge.Seen) error {
	if br.Link == nil {
		return nil
	}
	want := bridge.Gateways(conf.PodCIDRs)
	var have []netip.Prefix
	dropped := false
	for _, a := range br.Addrs {
		p, err := netip.ParsePrefix(a.IPNet.String())
		if err != nil || p.Addr().IsLinkLocalUnicast() {
			continue // Ensure leaves link-local addresses alone
		}
		have = append(have, p)
		dropped = dropped || !slices.Contains(want, p)
	}
	if !dropped {
		return nil
	}
	pods, err := attachedPods(store, br.Link)
	if err != nil || len(pods) == 0 {
		return err
	}
	named := pods
	if len(named) > 3 {
		named = append(named[:3:3], "...")
	}
	return types.NewError(types.ErrInvalidNetworkConfig, fmt.Sprintf(
		"podCIDRs: %s differ from bridge %s's gateways %s, which %d running pod(s) on it use (%s): "+
			"the plugin does not readdress a bridge under running pods; a pod CIDR change is the agent's to make "+
			"(drain the node, then dualnet-agent readdresses %s and rewrites the conflist), and a stale conflist "+
			"is rewritten by dualnet-agent from the Node's spec.podCIDRs",
		netspec.JoinCIDRs(conf.PodCIDRs), conf.Bridge, netspec.JoinCIDRs(have), len(pods), strings.Join(named, ", "), conf.Bridge), "")
}

// attachedPods names the bridge's ports: by the attachment the store knows for the port, or
// else by the port's name.
func attachedPods(store *podipam.Store, br netlink.Link) ([]string, error) {
	links, err := netlinksafe.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	allocs, err := store.List()
	if err != nil {
		return nil, err
	}
	known := make(map[string]string, len(allocs))
	for _, al := range allocs {
		known[podveth.HostName(al.Key)] = al.Key.String()
	}
	var pods []string
	for _, l := range links {
		if l.Attrs().MasterIndex != br.Attrs().Index {
			continue
		}
		name := l.Attrs().Name
		if key, ok := known[name]; ok {
			name = key
		}
		pods = append(pods, name)
	}
	return pods, nil
}
