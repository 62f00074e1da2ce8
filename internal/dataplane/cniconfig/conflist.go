package cniconfig

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
)

// FileName is the conflist's name; the 10- prefix sorts it before other networks, since a
// runtime uses the first config in lexical order.
const FileName = "10-dualnet.conflist"

// NetworkName is the conflist's network name; the plugin keeps its address store in
// <dataDir>/<NetworkName>.
const NetworkName = "dualnet"

// StoreDir is the plugin's address store directory under the conflist's dataDir.
func (n Network) StoreDir() string { return filepath.Join(n.DataDir, NetworkName) }

// Network is the node's dualnet network as DESIGN.md documents the conflist.
type Network struct {
	Bridge   string
	PodCIDRs []netip.Prefix // this node's, IPv4 first
	MTU      int
	DataDir  string
}

type conflist struct {
	CNIVersion string   `json:"cniVersion"`
	Name       string   `json:"name"`
	Plugins    []plugin `json:"plugins"`
}

type plugin struct {
	Type        string   `json:"type"`
	Bridge      string   `json:"bridge"`
	PodCIDRs    []string `json:"podCIDRs"`
	MTU         int      `json:"mtu"`
	HairpinMode bool     `json:"hairpinMode"`
	DataDir     string   `json:"dataDir"`
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
	out, err := json.MarshalIndent(conflist{
		CNIVersion: "1.1.0",
		Name:       NetworkName,
		Plugins: []plugin{{
			Type:        "dualnet",
			Bridge:      n.Bridge,
			PodCIDRs:    cidrs,
			MTU:         n.MTU,
			HairpinMode: true,
			DataDir:     n.DataDir,
		}},
	}, "", "  ")
	return append(out, '\n'), err
}
