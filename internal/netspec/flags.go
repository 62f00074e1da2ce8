package netspec

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// Flags binds the spec's flags, with AKS's names, to a command's flag set; every dualnet
// binary that needs the spec uses it, so the flags read the same everywhere. --config gives
// the whole spec from a file instead (see ConfigKind), so that the controller and the agents
// can share one.
type Flags struct {
	Input
	ConfigFile string // --config; empty: the spec comes from the spec flags

	set *pflag.FlagSet // where AddTo registered the flags, to see which ones a user gave
}

// NewFlags holds the defaults until the command line is parsed.
func NewFlags() *Flags { return &Flags{Input: DefaultInput()} }

// AddTo registers the spec flags and --config.
func (f *Flags) AddTo(fs *pflag.FlagSet) {
	f.set = fs
	fs.StringVar(&f.ConfigFile, "config", f.ConfigFile, "a "+ConfigKind+" file (YAML or JSON, apiVersion "+ConfigAPIVersion+") holding the whole network spec; not combined with the spec flags")
	fs.StringVar(&f.IPFamilies, "ip-families", f.IPFamilies, "IP families of the cluster: ipv4 or ipv4,ipv6")
	fs.StringVar(&f.PodCIDRs, "pod-cidrs", f.PodCIDRs, "pod CIDRs, one per family in --ip-families order (default "+DefaultPodCIDRIPv4+","+DefaultPodCIDRIPv6+")")
	fs.StringVar(&f.ServiceCIDRs, "service-cidrs", f.ServiceCIDRs, "service CIDRs, one per family in --ip-families order; IPv6 no larger than /108 (default "+DefaultServiceCIDRIPv4+","+DefaultServiceCIDRIPv6+")")
	fs.IntVar(&f.NodeCIDRMaskSizeIPv4, "node-cidr-mask-size-ipv4", f.NodeCIDRMaskSizeIPv4, "prefix length of each node's IPv4 pod CIDR")
	fs.IntVar(&f.NodeCIDRMaskSizeIPv6, "node-cidr-mask-size-ipv6", f.NodeCIDRMaskSizeIPv6, "prefix length of each node's IPv6 pod CIDR")
	fs.IntVar(&f.MaxRoutes, "max-routes", f.MaxRoutes, "routes the route table can hold; each node needs one per family")
	fs.StringVar(&f.NodeSubnets, "node-subnets", f.NodeSubnets, "the virtual network's node subnets, one per family (optional)")
}

// Spec parses and checks the flag values, or the --config file.
func (f *Flags) Spec() (Spec, error) {
	if f.ConfigFile == "" {
		return Parse(f.Input)
	}
	if err := f.onlyConfig(); err != nil {
		return Spec{}, err
	}
	return LoadConfig(f.ConfigFile)
}

// onlyConfig refuses spec flags given beside --config: the spec comes from one place, and a
// flag that silently won over the file (or lost to it) is how a controller and its agents
// come to disagree.
func (f *Flags) onlyConfig() error {
	if f.set == nil {
		return nil
	}
	var errs []error
	for _, sf := range specFields {
		if f.set.Changed(strings.TrimPrefix(sf.flag, "--")) {
			errs = append(errs, &FieldError{Flag: sf.flag, Msg: "cannot be combined with --config",
				Hint: fmt.Sprintf("the spec comes from one place; put %s in %s", sf.field, f.ConfigFile)})
		}
	}
	return errors.Join(errs...)
}
