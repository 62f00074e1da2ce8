package netspec

import "github.com/spf13/pflag"

// Flags binds the spec's flags, with AKS's names, to a command's flag set; every dualnet
// binary that needs the spec uses it, so the flags read the same everywhere.
type Flags struct {
	Input
}

// NewFlags holds the defaults until the command line is parsed.
func NewFlags() *Flags { return &Flags{Input: DefaultInput()} }

// AddTo registers the spec flags.
func (f *Flags) AddTo(fs *pflag.FlagSet) {
	fs.StringVar(&f.IPFamilies, "ip-families", f.IPFamilies, "IP families of the cluster: ipv4 or ipv4,ipv6")
	fs.StringVar(&f.PodCIDRs, "pod-cidrs", f.PodCIDRs, "pod CIDRs, one per family in --ip-families order (default "+DefaultPodCIDRIPv4+","+DefaultPodCIDRIPv6+")")
	fs.StringVar(&f.ServiceCIDRs, "service-cidrs", f.ServiceCIDRs, "service CIDRs, one per family in --ip-families order; IPv6 no larger than /108 (default "+DefaultServiceCIDRIPv4+","+DefaultServiceCIDRIPv6+")")
	fs.IntVar(&f.NodeCIDRMaskSizeIPv4, "node-cidr-mask-size-ipv4", f.NodeCIDRMaskSizeIPv4, "prefix length of each node's IPv4 pod CIDR")
	fs.IntVar(&f.NodeCIDRMaskSizeIPv6, "node-cidr-mask-size-ipv6", f.NodeCIDRMaskSizeIPv6, "prefix length of each node's IPv6 pod CIDR")
	fs.IntVar(&f.MaxRoutes, "max-routes", f.MaxRoutes, "routes the route table can hold; each node needs one per family")
	fs.StringVar(&f.NodeSubnets, "node-subnets", f.NodeSubnets, "the virtual network's node subnets, one per family (optional)")
}

// Spec parses and checks the flag values.
func (f *Flags) Spec() (Spec, error) { return Parse(f.Input) }
