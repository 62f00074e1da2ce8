package cniconfig

import (
	"encoding/json"
	"fmt"
	"net/netip"

	"github.com/dualnet/dualnet/internal/cnicontract"
)

// The conflist's CNI versions. Runtimes on libcni older than 1.2 (containerd 1.7) read only
// "cniVersion" and implement results up to 1.0.0: a "1.1.0" there fails every ADD with
// `unsupported CNI result version "1.1.0"`. libcni 1.2 and later also read "cniVersions" and
// take the highest version they implement, so they still get 1.1.0 and its GC and STATUS.
const cniVersion = "1.0.0"

var cniVersions = []string{cniVersion, "1.1.0"}

// Network is the node's dualnet network as docs/cni-contract.md documents the conflist.
type Network struct {
	Bridge   string
	PodCIDRs []netip.Prefix // this node's, IPv4 first
	MTU      int
	DataDir  string
	// Portmap chains the portmap plugin after dualnet, for pods' hostPort (portmap.go); only
	// when the plugin is in the runtime's CNI bin dir, as a runtime fails every ADD whose
	// conflist names a plugin it cannot find.
	Portmap bool
	// Bandwidth chains the bandwidth plugin, for pods' bandwidth annotations (bandwidth.go);
	// only when it is in the runtime's CNI bin dir, as Portmap.
	Bandwidth bool
}

type conflist struct {
	CNIVersion  string   `json:"cniVersion"`
	CNIVersions []string `json:"cniVersions"`
	Name        string   `json:"name"`
	Plugins     []any    `json:"plugins"`
}

// Marshal renders the conflist; the same Network always gives the same bytes.
func (n Network) Marshal() ([]byte, error) {
	if len(n.PodCIDRs) == 0 {
		return nil, fmt.Errorf("CNI config: no pod CIDRs: the node has no spec.podCIDRs yet")
	}
	cidrs := make([]string, len(n.PodCIDRs))
	for i, p := range n.PodCIDRs {
		cidrs[i] = p.String()
	}
	entry := cnicontract.Defaults()
	entry.Bridge, entry.PodCIDRs, entry.MTU, entry.DataDir = n.Bridge, cidrs, n.MTU, n.DataDir
	plugins := []any{entry}
	// Shaping, then port mapping, as Calico's conflist chains them: neither reads what the
	// other adds (bandwidth only the host veth of prevResult, portmap only its addresses), so
	// the order is for the reader.
	if n.Bandwidth {
		plugins = append(plugins, bandwidthPlugin())
	}
	if n.Portmap {
		plugins = append(plugins, portmapPlugin())
	}
	out, err := json.MarshalIndent(conflist{
		CNIVersion:  cniVersion,
		CNIVersions: cniVersions,
		Name:        cnicontract.NetworkName,
		Plugins:     plugins,
	}, "", "  ")
	return append(out, '\n'), err
}
