// Package config parses the dualnet CNI network configuration (the conflist entry of
// `"type": "dualnet"` that the agent writes) into checked netip values.
//
// It is pure: it reads no files and touches no network state, so a bad config can never
// change anything. Every error is a CNI error whose message names the field, the value and
// the rule it breaks.
package config

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/pkg/types"
)

// Defaults for the optional fields, as docs/cni-contract.md documents them.
const (
	DefaultBridge  = "cbr0"
	DefaultMTU     = 1500
	DefaultDataDir = "/var/lib/dualnet/cni"
)

// SupportedVersions are the CNI spec versions the plugin speaks.
var SupportedVersions = []string{"0.4.0", "1.0.0", "1.1.0"}

// ErrRangeExhausted is the CNI error code (plugin-specific range, >= 100) for a pod CIDR
// with no free address left.
const ErrRangeExhausted uint = 100

// Config is one parsed and checked dualnet network configuration.
type Config struct {
	types.PluginConf

	// Bridge is the node bridge the pods attach to.
	Bridge string
	// PodCIDRs holds the node's pod range of each family, IPv4 first. It is empty when the
	// node has no pod CIDR yet (STATUS reports that as not ready).
	PodCIDRs []netip.Prefix
	MTU      int
	// Hairpin lets a pod reach itself through a service address (the bridge sends the
	// frame back out of the port it came in on).
	Hairpin bool
	// DataDir holds the address store; each network name gets its own directory below it.
	DataDir string
	// ValidAttachments is the GC argument cni.dev/valid-attachments.
	ValidAttachments []types.GCAttachment
}

// wire is the JSON shape; pointers tell a missing field from a zero one.
type wire struct {
	types.PluginConf
	Bridge           *string              `json:"bridge"`
	PodCIDRs         []string             `json:"podCIDRs"`
	MTU              *int                 `json:"mtu"`
	HairpinMode      *bool                `json:"hairpinMode"`
	DataDir          *string              `json:"dataDir"`
	ValidAttachments []types.GCAttachment `json:"cni.dev/valid-attachments"`
}

// Parse decodes and checks the plugin's stdin config. A config without podCIDRs parses
// (the node may not have a pod CIDR yet); callers that allocate use RequireRanges.
func Parse(data []byte) (*Config, error) {
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, types.NewError(types.ErrDecodingFailure, fmt.Sprintf("network config: not valid JSON: %v", err), "")
	}
	if !supported(w.CNIVersion) {
		return nil, types.NewError(types.ErrIncompatibleCNIVersion,
			fmt.Sprintf("cniVersion: %q is not supported; dualnet speaks %s", w.CNIVersion, strings.Join(SupportedVersions, ", ")), "")
	}
	if w.Name == "" {
		return nil, invalid("name: missing; the network needs a name (it keys the address store)")
	}
	if strings.ContainsAny(w.Name, "/\x00") || w.Name == "." || w.Name == ".." {
		return nil, invalid(fmt.Sprintf("name: %q is not usable as a directory name", w.Name))
	}
	c := &Config{
		PluginConf:       w.PluginConf,
		Bridge:           DefaultBridge,
		MTU:              DefaultMTU,
		Hairpin:          true,
		DataDir:          DefaultDataDir,
		ValidAttachments: w.ValidAttachments,
	}
	if w.Bridge != nil {
		if err := checkIfName(*w.Bridge); err != nil {
			return nil, invalid(fmt.Sprintf("bridge: %q %v", *w.Bridge, err))
		}
		c.Bridge = *w.Bridge
	}
	if w.HairpinMode != nil {
		c.Hairpin = *w.HairpinMode
	}
	if w.DataDir != nil {
		if !filepath.IsAbs(*w.DataDir) {
			return nil, invalid(fmt.Sprintf("dataDir: %q is not an absolute path", *w.DataDir))
		}
		c.DataDir = filepath.Clean(*w.DataDir)
	}
	cidrs, err := parsePodCIDRs(w.PodCIDRs)
	if err != nil {
		return nil, err
	}
	c.PodCIDRs = cidrs
	if w.MTU != nil {
		c.MTU = *w.MTU
	}
	if err := checkMTU(c.MTU, c.PodCIDRs); err != nil {
		return nil, err
	}
	return c, nil
}

// RequireRanges fails with a config error when the node has no pod CIDR: ADD, CHECK and
// GC need the ranges.
func (c *Config) RequireRanges() error {
	if len(c.PodCIDRs) == 0 {
		return invalid("podCIDRs: missing; the node has no pod CIDR yet")
	}
	return nil
}

// StoreDir is the address store directory of this network.
func (c *Config) StoreDir() string {
	return filepath.Join(c.DataDir, c.Name)
}

func supported(v string) bool {
	for _, s := range SupportedVersions {
		if v == s {
			return true
		}
	}
	return false
}

func invalid(msg string) *types.Error {
	return types.NewError(types.ErrInvalidNetworkConfig, msg, "")
}
