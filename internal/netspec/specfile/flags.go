package specfile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/dualnet/dualnet/internal/netspec"
)

// Flags binds the spec's flags, with AKS's names, to a command's flag set; every dualnet
// binary that needs the spec uses it, so the flags read the same everywhere. --config gives
// the whole spec from a file instead (see Kind), so that the controller and the agents
// can share one.
type Flags struct {
	netspec.Input
	ConfigFile string // --config; empty: the spec comes from the spec flags

	set *pflag.FlagSet // where AddTo registered the flags, to see which ones a user gave
}

// NewFlags holds the defaults until the command line is parsed.
func NewFlags() *Flags { return &Flags{Input: netspec.DefaultInput()} }

// AddTo registers the spec flags and --config.
func (f *Flags) AddTo(fs *pflag.FlagSet) {
	f.set = fs
	fs.StringVar(&f.ConfigFile, "config", f.ConfigFile, "a "+Kind+" file (YAML or JSON, apiVersion "+APIVersion+") holding the whole network spec; not combined with the spec flags")
	fs.StringVar(&f.IPFamilies, "ip-families", f.IPFamilies, "IP families of the cluster: ipv4 or ipv4,ipv6")
	fs.StringVar(&f.PodCIDRs, "pod-cidrs", f.PodCIDRs, "pod CIDRs, one per family in --ip-families order (default "+netspec.DefaultPodCIDRIPv4+","+netspec.DefaultPodCIDRIPv6+")")
	fs.StringVar(&f.ServiceCIDRs, "service-cidrs", f.ServiceCIDRs, "service CIDRs, one per family in --ip-families order; IPv6 no larger than /108 (default "+netspec.DefaultServiceCIDRIPv4+","+netspec.DefaultServiceCIDRIPv6+")")
	fs.IntVar(&f.NodeCIDRMaskSizeIPv4, "node-cidr-mask-size-ipv4", f.NodeCIDRMaskSizeIPv4, "prefix length of each node's IPv4 pod CIDR")
	fs.IntVar(&f.NodeCIDRMaskSizeIPv6, "node-cidr-mask-size-ipv6", f.NodeCIDRMaskSizeIPv6, "prefix length of each node's IPv6 pod CIDR")
	fs.IntVar(&f.MaxRoutes, "max-routes", f.MaxRoutes, "routes the route table can hold; each node needs one per family")
	fs.StringVar(&f.NodeSubnets, "node-subnets", f.NodeSubnets, "the virtual network's node subnets, one per family (optional)")
}

// Spec parses and checks the flag values, or the --config file.
func (f *Flags) Spec() (netspec.Spec, error) {
	if f.ConfigFile == "" {
		return netspec.Parse(f.Input)
	}
	if err := f.onlyConfig(); err != nil {
		return netspec.Spec{}, err
	}
	return Load(f.ConfigFile)
}

// onlyConfig refuses spec flags given beside --config: the spec comes from one place, and a
// flag that silently won over the file (or lost to it) is how a controller and its agents
// come to disagree.
func (f *Flags) onlyConfig() error {
	if f.set == nil {
		return nil
	}
	var errs []error
	for _, sf := range netspec.Fields() {
		if f.set.Changed(strings.TrimPrefix(sf.Flag, "--")) {
			errs = append(errs, &netspec.FieldError{Flag: sf.Flag, Msg: "cannot be combined with --config",
				Hint: fmt.Sprintf("the spec comes from one place; put %s in %s", sf.Name, f.ConfigFile)})
		}
	}
	return errors.Join(errs...)
}
