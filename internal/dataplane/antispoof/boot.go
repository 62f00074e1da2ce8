package antispoof

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dualnet/dualnet/internal/nodeboot"
)

// The elements are keyed by interface index, which the kernel never hands out twice in a
// network namespace but starts over in a new one: after a reboot, or when a node that runs in
// a container (kind's) restarts, under the same boot ID. A table that outlives its namespace
// (a ruleset saved with it and loaded at boot, or by a firewall reload later) holds the
// earlier pods under indexes this one gives to other ports, and would let a new pod send as
// an old one. So the table notes its boot, as two empty chains: boot-<the kernel's boot ID>
// and netns-<the node namespace's cookie> (nodeboot; none on a kernel without cookies), and
// Repair replaces a table that names another boot or namespace, or none. (A table comment
// would read better, but nft 1.0.6, Debian 12's, neither lists it in JSON nor changes it on an
// existing table.) The boot has a chain of its own because a dualnet that noted no namespace
// checks that chain alone: after a rollback it takes this table for its boot's.

const (
	bootChainPrefix  = "boot-"
	netnsChainPrefix = "netns-"
)

// currentBoot reads the running boot and the node's namespace; tests replace it.
var currentBoot = nodeboot.Read

// bootChains are the chains that name the running boot and the node's namespace, none when
// they cannot be told: then the table notes no boot, and no table counts as another boot's.
// It must be called in the node's namespace, where the table is.
func bootChains() []string {
	now, ok := currentBoot()
	switch {
	case !ok:
		return nil
	case now.Netns == "":
		return []string{bootChainPrefix + now.Boot}
	}
	return []string{bootChainPrefix + now.Boot, netnsChainPrefix + now.Netns}
}

// notThisBoots says why the listed table cannot be taken for this boot's, if it cannot: it
// names another boot or namespace, or none, which is a table of a dualnet that noted no boot
// or no namespace (an upgrade replaces it once) or one whose chains were deleted. Any of them
// may hold another namespace's elements. When the running boot cannot be told (now is
// empty), every table is taken as is.
func (l listing) notThisBoots(now []string) (string, bool) {
	if len(now) == 0 {
		return "", false
	}
	for chain := range l.chains {
		named := strings.HasPrefix(chain, bootChainPrefix) || strings.HasPrefix(chain, netnsChainPrefix)
		if named && !slices.Contains(now, chain) {
			return fmt.Sprintf("table bridge %s was written in another boot or network namespace (chain %s, not %s): its elements name interface indexes this one hands out again", Table, chain, strings.Join(now, " and ")), true
		}
	}
	for _, want := range now {
		if !l.chains[want] {
			return fmt.Sprintf("table bridge %s names no boot or network namespace (no chain %s): its elements may be another's", Table, want), true
		}
	}
	return "", false
}
