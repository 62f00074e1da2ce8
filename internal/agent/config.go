package agent

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/dualnet/dualnet/internal/dataplane/cniconfig"
	"github.com/dualnet/dualnet/internal/dataplane/nodens"
	"github.com/dualnet/dualnet/internal/netspec"
)

// RouteMode is the cluster's --routes (netspec.RouteMode): the agent routes to the other
// nodes in mode host, and leaves it to the controller's table (azure, kernel) or to
// something else (none) otherwise.
type RouteMode = netspec.RouteMode

const (
	// HostRoutes: nodes share a link, and each node routes to the others' pod CIDRs itself.
	HostRoutes = netspec.RoutesHost
	// NoRoutes: something else carries it.
	NoRoutes = netspec.RoutesNone
)

// Config is the agent's whole configuration, from flags.
type Config struct {
	NodeName           string
	Spec               netspec.Spec
	Routes             RouteMode
	NonMasqueradeCIDRs []netip.Prefix
	CNIConfDir         string
	CNIBinDir          string
	CNIPlugin          string // path of the dualnet-cni binary to install; empty: install nothing
	CNIPortmapPlugin   string // upstream portmap to install beside dualnet, for hostPort; empty: portmap beside CNIPlugin
	CNIBandwidthPlugin string // upstream bandwidth to install beside dualnet, for pods' bandwidth annotations; empty: bandwidth beside CNIPlugin
	CNIDataDir         string // the conflist's dataDir
	Bridge             string
	Uplink             string // empty: the interface holding the node's InternalIP
	Namespace          nodens.Namespace
	// Resync is how often a sync runs without any change seen (--resync): the backstop of
	// the syncs the Node informer and the watches (watch.go) start at once.
	Resync time.Duration
	// DisableWatches leaves all drift to the periodic resync and sweep; there is no flag
	// for it: the tests measure repair times without the watches with it.
	DisableWatches bool
	// AntispoofSweep is how often the CNI plugin's anti-spoofing table is repaired and
	// the registrations of deleted pods are deleted from it (antispoofsweep.go); zero:
	// DefaultAntispoofSweep.
	AntispoofSweep time.Duration
	// FixAzureLBIPv6Probe keeps the node's rewrite of Azure Load Balancer's link-local IPv6
	// probe source (package lbprobe), so that IPv6 externalTrafficPolicy: Cluster Services work.
	FixAzureLBIPv6Probe bool
}

// Validate names the flag and the rule a value breaks.
func (c Config) Validate() error {
	if c.NodeName == "" {
		return fmt.Errorf("--node-name is empty: set it or NODE_NAME (the downward API's spec.nodeName)")
	}
	if _, err := netspec.ParseRouteMode("--routes", string(c.Routes), netspec.RouteModes...); err != nil {
		return err
	}
	switch {
	case c.CNIConfDir == "" || c.CNIBinDir == "":
		return fmt.Errorf("--cni-conf-dir and --cni-bin-dir must be set")
	case !filepath.IsAbs(c.CNIDataDir):
		return fmt.Errorf("--cni-data-dir=%q: want an absolute path (the CNI plugin refuses a relative dataDir)", c.CNIDataDir)
	case c.Resync <= 0:
		return fmt.Errorf("--resync=%s: want a positive duration", c.Resync)
	case c.Bridge == "":
		return fmt.Errorf("bridge name is empty")
	case c.AntispoofSweep < 0:
		return fmt.Errorf("--antispoof-sweep=%s: want a positive duration, or zero for the default %s", c.AntispoofSweep, DefaultAntispoofSweep)
	}
	return nil
}

// antispoofSweep is the sweep period, with zero meaning the default.
func (c Config) antispoofSweep() time.Duration {
	if c.AntispoofSweep == 0 {
		return DefaultAntispoofSweep
	}
	return c.AntispoofSweep
}

// chainedSource is the binary of a chained plugin to install: flag's value, or upstream's
// name beside CNIPlugin; empty: none, when the agent installs no plugin at all.
func (c Config) chainedSource(flag string, p cniconfig.Chained) string {
	if flag == "" && c.CNIPlugin != "" {
		return filepath.Join(filepath.Dir(c.CNIPlugin), p.Binary)
	}
	return flag
}
