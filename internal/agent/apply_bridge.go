package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/dualnet/dualnet/internal/cnicontract"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/dataplane/bridge"
	"github.com/dualnet/dualnet/internal/dataplane/podveth"
)

// applyBridge puts the bridge in place with the host veths of the node's running pods on it,
// its gateways, and the pod CIDRs' routes through it.
func (dp *dataplane) applyBridge(d desiredState, mtu int, a *applied) error {
	name := dp.cfg.Bridge
	ports, err := dp.livePorts()
	if err != nil {
		return err
	}
	link, c, err := bridge.Apply(dp.nl, name, d.gateways, mtu, ports)
	if err != nil {
		return fmt.Errorf("bridge %s: %w", name, err)
	}
	known := dp.last != nil
	sameGateways := known && slices.Equal(dp.last.gateways, d.gateways)
	switch {
	case c.Created:
		// With the gateways, which a re-created bridge gets as a whole. Pods left without
		// a bridge make it a repair even right after the agent starts.
		a.changed(known || len(c.Attached) > 0, "bridge "+name+" created", repair{repairBridge, 1,
			"bridge " + name + " missing", fmt.Sprintf("created it with gateways %v", d.gateways)})
	case c.SetUp:
		a.changed(known, "bridge "+name+" set up", repair{repairBridge, 1, "bridge " + name + " down", "set it up"})
	}
	if c.MTU != 0 {
		a.changes = append(a.changes, fmt.Sprintf("bridge %s MTU %d", name, c.MTU))
	}
	if len(c.Attached) > 0 {
		a.repairs = append(a.repairs, repair{repairBridgePort, len(c.Attached),
			fmt.Sprintf("host veths %v of running pods not on bridge %s", c.Attached, name), "attached them again with hairpin mode on"})
	}
	if !c.Created && len(c.Added) > 0 {
		a.changed(sameGateways, fmt.Sprintf("gateways %v added to bridge %s", c.Added, name), repair{repairBridgeAddress, len(c.Added),
			fmt.Sprintf("gateway addresses %v missing from bridge %s", c.Added, name), "added them again"})
	}
	if len(c.Removed) > 0 {
		a.changed(sameGateways, fmt.Sprintf("addresses %v removed from bridge %s", c.Removed, name), repair{repairBridgeAddress, len(c.Removed),
			fmt.Sprintf("addresses %v on bridge %s that are not its gateways", c.Removed, name), "removed them"})
	}
	// The kernel adds these routes with the gateways, so a missing one is drift whatever
	// came before.
	routes, err := bridge.EnsureSubnetRoutes(dp.nl, link, d.gateways)
	if len(routes) > 0 {
		a.repairs = append(a.repairs, repair{repairBridgeRoute, len(routes),
			fmt.Sprintf("routes to pod CIDRs %v through bridge %s missing", routes, name), "added them again"})
	}
	return err
}

// livePorts lists the host veths (interface indexes) of the node's running pods, which the
// CNI plugin's address store knows. A node that never ran a pod has no store, and no pods.
func (dp *dataplane) livePorts() ([]int, error) {
	storeDir := cnicontract.StoreDir(dp.cfg.CNIDataDir, cnicontract.NetworkName)
	if _, err := os.Stat(storeDir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var pods []antispoof.Pod
	// The veths are looked up in the node's namespace.
	err := dp.cfg.Namespace.Do(func() error {
		var err error
		pods, err = podveth.NodePods(storeDir)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list the node's running pods in the CNI plugin's address store %s: %w", storeDir, err)
	}
	ports := make([]int, 0, len(pods))
	for _, p := range pods {
		ports = append(ports, p.Index)
	}
	return ports, nil
}
