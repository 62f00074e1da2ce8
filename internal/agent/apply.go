package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
	"k8s.io/klog/v2"

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
	// last is what the last successful apply put in place (with the conflist's network as
	// written), and lastUplink the uplink then; nil before the first. A part whose desired
	// value is unchanged since then, and that a sync finds changed, drifted (repair.go).
	last       *desiredState
	lastUplink string
}

// applied says what a sync found and did, for the log and for events.
type applied struct {
	uplink uplink
	// changes are the updates the sync made: what it changed because its inputs changed.
	changes []string
	// repairs are the drift it put back.
	repairs []repair
	offLink []hostroutes.Route
	// noPortmap and noBandwidth say why the conflist chains no portmap or no bandwidth
	// plugin (its binary is missing), if so.
	noPortmap, noBandwidth error
}

// changed records a change: the repair r when the part drifted, else the update named so.
func (a *applied) changed(drifted bool, update string, r repair) {
	if drifted {
		a.repairs = append(a.repairs, r)
	} else {
		a.changes = append(a.changes, update)
	}
}

func (dp *dataplane) apply(ctx context.Context, d desiredState) (applied, error) {
	var a applied
	var err error
	if a.uplink, err = findUplink(dp.nl, dp.cfg.Uplink, d.masquerade.NodeIPs); err != nil {
		return a, err
	}
	known := dp.last != nil
	if err := dp.applyBridge(d, a.uplink.mtu, &a); err != nil {
		return a, err
	}
	changed, err := sysctl.Apply(dp.cfg.Namespace, sysctl.ForNode(d.ipv4, d.ipv6, a.uplink.name))
	if err != nil {
		return a, err
	}
	if len(changed) > 0 {
		sameSysctls := known && dp.last.ipv4 == d.ipv4 && dp.last.ipv6 == d.ipv6 && dp.lastUplink == a.uplink.name
		a.changed(sameSysctls, "sysctls "+strings.Join(changed, ", "), repair{repairSysctl, len(changed), fmt.Sprintf("sysctls %s not as set", strings.Join(changed, ", ")), "set them again"})
	}
	if did, err := dp.masq.Sync(ctx, d.masquerade); err != nil {
		return a, err
	} else if did {
		a.changed(known && sameMasquerade(dp.last.masquerade, d.masquerade), "nftables table inet "+masquerade.TableName, repair{repairMasquerade, 1,
			"nftables table inet " + masquerade.TableName + " missing or not as written", "wrote it again"})
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
			a.changed(known, "CNI plugin in "+dp.cfg.CNIBinDir, repair{repairCNIPlugin, 1, "CNI plugin dualnet in " + dp.cfg.CNIBinDir + " missing or changed", "installed it again from " + dp.cfg.CNIPlugin})
		}
	}
	network := d.network
	network.MTU = a.uplink.mtu
	if network.Bandwidth, a.noBandwidth, err = dp.installChained(cniconfig.Bandwidth, dp.cfg.CNIBandwidthPlugin, known, &a); err != nil {
		return a, err
	}
	if network.Portmap, a.noPortmap, err = dp.installChained(cniconfig.Portmap, dp.cfg.CNIPortmapPlugin, known, &a); err != nil {
		return a, err
	}
	path := cniconfig.ConfigPath(dp.cfg.CNIConfDir)
	_, statErr := os.Stat(path)
	if did, err := cniconfig.WriteConfig(dp.cfg.CNIConfDir, network); err != nil {
		return a, err
	} else if did {
		missing := "CNI config " + path + " changed"
		if errors.Is(statErr, fs.ErrNotExist) {
			missing = "CNI config " + path + " missing"
		}
		a.changed(known && sameNetwork(dp.last.network, network), path, repair{repairCNIConfig, 1, missing, "wrote it again"})
	}
	res, err := hostroutes.Sync(dp.nl, d.routes)
	if err != nil {
		return a, err
	}
	a.offLink = res.OffLink
	dp.hostRoutesChanged(res, d.routes, &a)
	klog.FromContext(ctx).V(2).Info("Dataplane applied", "uplink", a.uplink.name, "mtu", a.uplink.mtu, "changes", a.changes, "repairs", len(a.repairs))
	d.network = network
	dp.last, dp.lastUplink = &d, a.uplink.name
	return a, nil
}

// hostRoutesChanged sorts what hostroutes.Sync did: a route the last sync also wanted, added
// or replaced, was lost or changed; the others follow the nodes.
func (dp *dataplane) hostRoutesChanged(res hostroutes.Result, desired []hostroutes.Route, a *applied) {
	wanted := map[netip.Prefix]bool{}
	if dp.last != nil {
		for _, r := range dp.last.routes {
			if slices.Contains(desired, r) {
				wanted[r.Dst] = true
			}
		}
	}
	var lost, added, replaced, changed []netip.Prefix
	for _, p := range res.Added {
		if wanted[p] {
			lost = append(lost, p)
		} else {
			added = append(added, p)
		}
	}
	for _, p := range res.Replaced {
		if wanted[p] {
			changed = append(changed, p)
		} else {
			replaced = append(replaced, p)
		}
	}
	if len(lost) > 0 {
		a.repairs = append(a.repairs, repair{repairHostRoute, len(lost), fmt.Sprintf("host routes to pod CIDRs %v missing", lost), "added them again"})
	}
	if len(changed) > 0 {
		a.repairs = append(a.repairs, repair{repairHostRoute, len(changed), fmt.Sprintf("host routes to pod CIDRs %v changed", changed), "replaced them"})
	}
	for _, p := range added {
		a.changes = append(a.changes, "route "+p.String()+" added")
	}
	for _, p := range replaced {
		a.changes = append(a.changes, "route "+p.String()+" replaced")
	}
	for _, p := range res.Removed {
		a.changes = append(a.changes, "route "+p.String()+" removed")
	}
}

// installChained installs a plugin chained after dualnet from its flag's source
// (Config.chainedSource) and says whether the conflist may name it, or else why not; an
// install after a successful sync (known) is a repair. A copy installed before still serves
// when the source is gone, and chaining it keeps DEL reaching it for the pods it set up.
// Without one, pods are worth more than what the plugin adds: the conflist leaves it out
// (naming a missing plugin would fail every ADD), and sync warns. An agent that installs no
// plugin at all chains none.
func (dp *dataplane) installChained(p cniconfig.Chained, flag string, known bool, a *applied) (chained bool, missing, err error) {
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
		a.changed(known, "CNI "+p.Binary+" plugin in "+dp.cfg.CNIBinDir, repair{repairCNIPlugin, 1, "CNI plugin " + p.Binary + " in " + dp.cfg.CNIBinDir + " missing or changed", "installed it again from " + src})
	}
	return true, nil, nil
}
