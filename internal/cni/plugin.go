// Package cni is the dualnet CNI plugin (`"type": "dualnet"`): it gives each pod a veth on
// the node bridge and one address per family from the node's pod CIDRs, with default routes
// via the bridge gateways and anti-spoofing rules, and it answers DEL, CHECK, GC and STATUS.
//
// Everything happens in one process with a handful of netlink round trips, because the plugin
// sits on every pod's start and stop path: the anti-spoofing elements go straight over
// netlink too, and only the first ADD of a node runs nft (to write the fixed ruleset).
// It must not touch anything but the bridge, the pods' veths, its address store and its own
// nftables table: node-wide setup (sysctls, masquerade, host routes) is the agent's.
package cni

import (
	"github.com/containernetworking/cni/pkg/version"

	"github.com/dualnet/dualnet/internal/cni/config"
)

// VersionInfo lists the CNI spec versions the plugin speaks.
func VersionInfo() version.PluginInfo {
	return version.PluginSupports(config.SupportedVersions...)
}
