// Package config parses the dualnet CNI network configuration (the conflist entry of
// `"type": "dualnet"` that the agent writes) into checked netip values.
//
// It is strict, as the rest of dualnet's input is (netspec's --config file): a key that is
// neither dualnet's (bridge, podCIDRs, mtu, hairpinMode, dataDir) nor one the CNI spec and
// libcni give every plugin (keys.go) is an error, and so is a key given twice, a value of
// the wrong type, and pod CIDRs that break a rule of netspec.ParseNodeCIDRs (IPv4 first,
// never IPv6 alone, one range per family, room for the gateway and a pod).
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
	"reflect"
	"slices"
	"strings"

	"github.com/containernetworking/cni/pkg/types"

	"github.com/dualnet/dualnet/internal/cnicontract"
	"github.com/dualnet/dualnet/internal/netspec"
)

// SupportedVersions are the CNI spec versions the plugin speaks.
var SupportedVersions = []string{"0.4.0", "1.0.0", "1.1.0"}

// ErrRangeExhausted is the CNI error code (plugin-specific range, >= 100) for a pod CIDR
// with no free address left.
const ErrRangeExhausted uint = 100

// maxName is the longest file name Linux takes (NAME_MAX): the network's name is the
// address store's directory.
const maxName = 255

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
	// ValidAttachments is the GC argument cni.dev/valid-attachments, or cni.dev/attachments
	// when only that one is given.
	ValidAttachments []types.GCAttachment
}

// Parse decodes and checks the plugin's stdin config. A config without podCIDRs parses
// (the node may not have a pod CIDR yet); callers that allocate use RequireRanges.
func Parse(data []byte) (*Config, error) {
	c, all, err := parseCommon(data)
	if err != nil {
		return nil, err
	}
	fields, err := strictFields(all)
	if err != nil {
		return nil, err
	}
	entry := cnicontract.Defaults()
	if err := decodeEntry(fields, &entry); err != nil {
		return nil, err
	}
	c.Bridge, c.MTU, c.Hairpin, c.DataDir = entry.Bridge, entry.MTU, entry.HairpinMode, entry.DataDir
	if err := checkIfName(c.Bridge); err != nil {
		return nil, invalid(fmt.Sprintf("bridge: %q %v", c.Bridge, err))
	}
	if err := c.checkDataDir(); err != nil {
		return nil, err
	}
	if c.PodCIDRs, err = netspec.ParseNodeCIDRs("podCIDRs", entry.PodCIDRs); err != nil {
		return nil, invalid(err.Error())
	}
	if err := checkMTU(c.MTU, c.PodCIDRs); err != nil {
		return nil, err
	}
	return c, nil
}

// ParseForDel reads what DEL needs, where the address store is (cniVersion, name and
// dataDir), and ignores the rest of the config: a DEL must remove what an ADD made even when
// the conflist changed in between, or holds what this plugin would refuse for an ADD (a key
// an older agent wrote, pod CIDRs that moved), since a runtime retries a failing DEL forever
// and keeps the pod's sandbox meanwhile. Only the store's place must be readable.
func ParseForDel(data []byte) (*Config, error) {
	c, all, err := parseCommon(data)
	if err != nil {
		return nil, err
	}
	fields := make(map[string]json.RawMessage, len(all))
	for _, f := range all {
		fields[f.key] = f.raw // the last wins, as json.Unmarshal has it
	}
	if err := decodeField(fields, "dataDir", &c.DataDir, "a string"); err != nil {
		return nil, err
	}
	if err := c.checkDataDir(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseCommon checks what every verb needs (a JSON object, a supported cniVersion, a usable
// name) and returns the config with the defaults, and its fields.
func parseCommon(data []byte) (*Config, []field, error) {
	if !json.Valid(data) {
		return nil, nil, types.NewError(types.ErrDecodingFailure, "network config: not valid JSON", "")
	}
	var pc types.PluginConf
	if err := json.Unmarshal(data, &pc); err != nil {
		return nil, nil, types.NewError(types.ErrDecodingFailure, fmt.Sprintf("network config: %v", err), "")
	}
	if !supported(pc.CNIVersion) {
		return nil, nil, types.NewError(types.ErrIncompatibleCNIVersion,
			fmt.Sprintf("cniVersion: %q: incompatible CNI versions; dualnet speaks %s", pc.CNIVersion, strings.Join(SupportedVersions, ", ")), "")
	}
	fields, err := scanFields(data)
	if err != nil {
		return nil, nil, err
	}
	if err := checkName(pc.Name); err != nil {
		return nil, nil, err
	}
	valid, err := validAttachments(pc, fields)
	if err != nil {
		return nil, nil, err
	}
	d := cnicontract.Defaults()
	return &Config{
		PluginConf:       pc,
		Bridge:           d.Bridge,
		MTU:              d.MTU,
		Hairpin:          d.HairpinMode,
		DataDir:          d.DataDir,
		ValidAttachments: valid,
	}, fields, nil
}

// legacyAttachmentsKey is what the CNI spec first named GC's list of valid attachments;
// libcni sends it beside cni.dev/valid-attachments (containernetworking/cni#1101). A runtime
// written from the first text may send it alone, and GC reading no list would take every
// pod on the node for garbage.
const legacyAttachmentsKey = "cni.dev/attachments"

// validAttachments is GC's list: cni.dev/valid-attachments, else the legacy key's.
func validAttachments(pc types.PluginConf, fields []field) ([]types.GCAttachment, error) {
	if pc.ValidAttachments != nil {
		return pc.ValidAttachments, nil
	}
	var valid []types.GCAttachment
	for _, f := range fields {
		if f.key != legacyAttachmentsKey {
			continue
		}
		valid = nil // the last wins, as json.Unmarshal has it
		if err := json.Unmarshal(f.raw, &valid); err != nil {
			return nil, types.NewError(types.ErrDecodingFailure, fmt.Sprintf("network config: %s: %v", legacyAttachmentsKey, err), "")
		}
	}
	return valid, nil
}

// decodeEntry decodes dualnet's own fields into entry, which holds the defaults, one at a
// time so that an error names its field.
func decodeEntry(fields map[string]json.RawMessage, entry *cnicontract.Plugin) error {
	v := reflect.ValueOf(entry).Elem()
	for i := range v.NumField() {
		key := cnicontract.Key(v.Type().Field(i))
		if !slices.Contains(cnicontract.OwnKeys, key) {
			continue
		}
		if err := decodeField(fields, key, v.Field(i).Addr().Interface(), describe(v.Field(i).Type())); err != nil {
			return err
		}
	}
	return nil
}

// describe says what a value of type t must be, for a decoding error.
func describe(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(describe(t.Elem()), "a ") + "s"
	}
	return t.String()
}

// decodeField decodes the field key, if the config gives it a value, into into; what says
// what the value must be.
func decodeField(fields map[string]json.RawMessage, key string, into any, what string) error {
	raw, ok := fields[key]
	if !ok || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return types.NewError(types.ErrDecodingFailure, fmt.Sprintf("%s: %.60s is not %s", key, raw, what), "")
	}
	return nil
}

func (c *Config) checkDataDir() error {
	if !filepath.IsAbs(c.DataDir) {
		return invalid(fmt.Sprintf("dataDir: %q is not an absolute path", c.DataDir))
	}
	c.DataDir = filepath.Clean(c.DataDir)
	return nil
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
func (c *Config) StoreDir() string { return cnicontract.StoreDir(c.DataDir, c.Name) }

// checkName applies the CNI spec's rule for network names (what libcni checks too), and
// keeps the name usable as the store's directory name.
func checkName(name string) error {
	if name == "" {
		return invalid("name: missing; the network needs a name (it keys the address store)")
	}
	if !ValidName(name) {
		return invalid(fmt.Sprintf("name: %q: invalid characters found in network name; the CNI spec allows letters, digits, '_', '.' and '-', starting with a letter or digit", name))
	}
	if len(name) > maxName {
		return invalid(fmt.Sprintf("name: %d bytes, longer than %d, the longest directory name (it names the address store)", len(name), maxName))
	}
	return nil
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
