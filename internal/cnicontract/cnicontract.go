// Package cnicontract is the node-side CNI contract of docs/cni-contract.md: the dualnet entry
// of the conflist, which the agent writes (internal/dataplane/cniconfig) and the plugin parses
// (internal/cni/config), its defaults, and the names both sides must agree on. It holds one
// struct and constants; it must not check fields (the plugin's job) or choose their values
// (the agent's).
package cnicontract

import (
	"path/filepath"
	"reflect"
	"strings"
)

// FileName is the conflist's name; the 10- prefix sorts it before other networks, since a
// runtime uses the first config in lexical order.
const FileName = "10-dualnet.conflist"

// NetworkName is the conflist's network name; the plugin keeps its address store in
// StoreDir(dataDir, NetworkName).
const NetworkName = "dualnet"

// PluginType is the entry's "type": the plugin binary's name in the runtime's CNI bin dir.
const PluginType = "dualnet"

// Defaults of the optional fields: what the plugin assumes when the config leaves one out.
const (
	DefaultBridge  = "cbr0"
	DefaultMTU     = 1500
	DefaultDataDir = "/var/lib/dualnet/cni"
)

// PortPrefix starts the name of every host veth the plugin creates (a bridge port of a pod):
// the anti-spoofing rules check every port whose name starts with it and let any other
// bridge's ports be, and the agent watches those links.
const PortPrefix = "dn"

// Plugin is the dualnet entry of the conflist, field for field as the JSON has it.
type Plugin struct {
	Type   string `json:"type"`
	Bridge string `json:"bridge"`
	// PodCIDRs are the node's pod ranges, IPv4 first.
	PodCIDRs []string `json:"podCIDRs"`
	MTU      int      `json:"mtu"`
	// HairpinMode lets a pod reach itself through a service address (the bridge sends the
	// frame back out of the port it came in on).
	HairpinMode bool `json:"hairpinMode"`
	// DataDir holds the address store; each network name gets its own directory below it.
	DataDir string `json:"dataDir"`
}

// Defaults is the entry with every optional field at its default and no pod CIDRs.
func Defaults() Plugin {
	return Plugin{Type: PluginType, Bridge: DefaultBridge, MTU: DefaultMTU, HairpinMode: true, DataDir: DefaultDataDir}
}

// OwnKeys are the JSON keys of dualnet's own fields, in the struct's order: every key of
// Plugin but "type", which the CNI spec gives every plugin.
var OwnKeys = func() []string {
	var keys []string
	t := reflect.TypeFor[Plugin]()
	for i := range t.NumField() {
		if key := Key(t.Field(i)); key != "type" {
			keys = append(keys, key)
		}
	}
	return keys
}()

// Key is a Plugin field's JSON key.
func Key(f reflect.StructField) string {
	key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return key
}

// StoreDir is the plugin's address store directory of the network called network.
func StoreDir(dataDir, network string) string { return filepath.Join(dataDir, network) }
