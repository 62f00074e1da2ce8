package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/vishvananda/netlink"
	"k8s.io/klog/v2"

	"github.com/dualnet/dualnet/internal/dataplane/bridge"
	"github.com/dualnet/dualnet/internal/dataplane/cniconfig"
	"github.com/dualnet/dualnet/internal/dataplane/hostroutes"
	"github.com/dualnet/dualnet/internal/dataplane/lbprobe"
	"github.com/dualnet/dualnet/internal/dataplane/masquerade"
	"github.com/dualnet/dualnet/internal/dataplane/sysctl"
)

// dataplane applies a desiredState to the node, each part through its own package, in the
// order the parts depend on each other: the bridge before the conflist that names it, NAT
// before pods can be created, routes last.
type dataplane struct {
	cfg  Config
	nl   *netlink.Handle
	masq *masquerade.Masquerader
}

// applied says what a sync found and did, for the log and for events.
type applied struct {
	uplink  uplink
	changes []string
	offLink []hostroutes.Route
	// noPortmap and noBandwidth say why the conflist chains no portmap or no bandwidth
	// plugin (its binary is missing), if so.
	noPortmap, noBandwidth error
}

func (dp *dataplane) apply(ctx context.Context, d desiredState) (applied, error) {
	var a applied
	var err error
	if a.uplink, err = findUplink(dp.nl, dp.cfg.Uplink, d.masquerade.NodeIPs); err != nil {
		return a, err
	}
	if _, err := bridge.Ensure(dp.nl, dp.cfg.Bridge, d.gateways, a.uplink.mtu); err != nil {
		return a, fmt.Errorf("bridge %s: %w", dp.cfg.Bridge, err)
	}
	changed, err := sysctl.Apply(dp.cfg.Namespace, sysctl.ForNode(d.ipv4, d.ipv6, a.uplink.name))
	if err != nil {
		return a, err
	}
	a.changes = append(a.changes, changed...)
	if did, err := dp.masq.Sync(ctx, d.masquerade); err != nil {
		return a, err
	} else if did {
		a.changes = append(a.changes, "nftables table inet "+masquerade.TableName)
	}
	if did, err := lbprobe.Sync(ctx, dp.cfg.Namespace, a.uplink.name, dp.cfg.FixAzureLBIPv6Probe && d.ipv6); err != nil {
		return a, err
	} else if did {
		a.changes = append(a.changes, "nftables table ip6 "+lbprobe.TableName)
	}
	if dp.cfg.CNIPlugin != "" {
		if did, err := cniconfig.InstallPlugin(dp.cfg.CNIPlugin, dp.cfg.CNIBinDir); err != nil {
			return a, err
		} else if did {
			a.changes = append(a.changes, "CNI plugin in "+dp.cfg.CNIBinDir)
		}
	}
	network := d.network
	network.MTU = a.uplink.mtu
	if network.Bandwidth, a.noBandwidth, err = dp.installChained(cniconfig.Bandwidth, dp.cfg.CNIBandwidthPlugin, &a); err != nil {
		return a, err
	}
	if network.Portmap, a.noPortmap, err = dp.installChained(cniconfig.Portmap, dp.cfg.CNIPortmapPlugin, &a); err != nil {
		return a, err
	}
	if did, err := cniconfig.WriteConfig(dp.cfg.CNIConfDir, network); err != nil {
		return a, err
	} else if did {
		a.changes = append(a.changes, cniconfig.ConfigPath(dp.cfg.CNIConfDir))
	}
	res, err := hostroutes.Sync(dp.nl, d.routes)
	if err != nil {
		return a, err
	}
	a.offLink = res.OffLink
	for _, p := range res.Added {
		a.changes = append(a.changes, "route "+p.String()+" added")
	}
	for _, p := range res.Replaced {
		a.changes = append(a.changes, "route "+p.String()+" replaced")
	}
	for _, p := range res.Removed {
		a.changes = append(a.changes, "route "+p.String()+" removed")
	}
	klog.FromContext(ctx).V(2).Info("Dataplane applied", "uplink", a.uplink.name, "mtu", a.uplink.mtu, "changes", a.changes)
	return a, nil
}

// installChained installs a plugin chained after dualnet from its flag's source
// (Config.chainedSource) and says whether the conflist may name it, or else why not. A copy
// installed before still serves when the source is gone, and chaining it keeps DEL reaching
// it for the pods it set up. Without one, pods are worth more than what the plugin adds: the
// conflist leaves it out (naming a missing plugin would fail every ADD), and sync warns. An
// agent that installs no plugin at all chains none.
func (dp *dataplane) installChained(p cniconfig.Chained, flag string, a *applied) (chained bool, missing, err error) {
	src := dp.cfg.chainedSource(flag, p)
	if src == "" {
		return false, nil, nil
	}
	did, err := p.Install(src, dp.cfg.CNIBinDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if p.Installed(dp.cfg.CNIBinDir) {
			return true, nil, nil
		}
		return false, err, nil
	case err != nil:
		return false, nil, err
	}
	if did {
		a.changes = append(a.changes, "CNI "+p.Binary+" plugin in "+dp.cfg.CNIBinDir)
	}
	return true, nil, nil
}
