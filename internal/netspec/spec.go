package netspec

import "net/netip"

// AKS's defaults (see the AKS dual-stack kubenet article) and dualnet's.
const (
	DefaultIPFamilies           = "ipv4,ipv6"
	DefaultPodCIDRIPv4          = "10.244.0.0/16"
	DefaultPodCIDRIPv6          = "fd12:3456:789a::/64"
	DefaultServiceCIDRIPv4      = "10.0.0.0/16"
	DefaultServiceCIDRIPv6      = "fd12:3456:789a:1::/108"
	DefaultNodeCIDRMaskSizeIPv4 = 24
	DefaultNodeCIDRMaskSizeIPv6 = 80
	// DefaultMaxRoutes is the Azure route table limit the AKS article was written against.
	// Azure has raised it since; --max-routes follows whatever the subscription allows.
	DefaultMaxRoutes = 400
	// MaxIPv6ServicePrefixBits: an IPv6 service CIDR can be no larger than a /108 (AKS, and
	// kube-apiserver's service IP allocator).
	MaxIPv6ServicePrefixBits = 108
)

// Spec is a parsed, defaulted and validated cluster network spec. Every list holds one entry
// per family, in the order of Families (IPv4 first). Build one with Parse; a Spec made by
// hand skips the rules.
type Spec struct {
	Families         []Family
	PodCIDRs         []netip.Prefix
	ServiceCIDRs     []netip.Prefix
	NodeSubnets      []netip.Prefix // optional: nil, or one per family
	NodeMaskSizeIPv4 int
	NodeMaskSizeIPv6 int
	MaxRoutes        int
	// File is the config file the spec came from (specfile.Parse's name), empty when it came
	// from flags. Messages about the spec name the file's fields instead of flags, since
	// those are what its user edits.
	File string
}

// Default is the spec of a default AKS dual-stack kubenet cluster.
func Default() Spec {
	spec, err := Parse(DefaultInput())
	if err != nil {
		panic("netspec: the defaults break the rules: " + err.Error())
	}
	return spec
}

// Setting is what a message tells the user to change for the spec's flag flag
// ("--max-routes"): the flag, or, for a spec from a config file, the file's field and the
// file ("maxRoutes in /etc/dualnet/network.yaml"). A deployed controller reads the file
// (deploy/dualnet.yaml's ConfigMap), so a hint naming a flag would send its user to the
// wrong place.
func (s Spec) Setting(flag string) string {
	if s.File == "" {
		return flag
	}
	return flagsToFields.Replace(flag) + " in " + s.File
}

// DualStack says whether the spec has both families.
func (s Spec) DualStack() bool { return len(s.Families) == 2 }

// HasFamily says whether the spec includes the family.
func (s Spec) HasFamily(f Family) bool {
	_, ok := s.index(f)
	return ok
}

// PodCIDR is the cluster pod CIDR of a family.
func (s Spec) PodCIDR(f Family) (netip.Prefix, bool) { return pick(s, s.PodCIDRs, f) }

// ServiceCIDR is the service CIDR of a family.
func (s Spec) ServiceCIDR(f Family) (netip.Prefix, bool) { return pick(s, s.ServiceCIDRs, f) }

// NodeSubnet is the virtual network's node subnet of a family, if the spec has one.
func (s Spec) NodeSubnet(f Family) (netip.Prefix, bool) { return pick(s, s.NodeSubnets, f) }

// NodeMaskSize is the prefix length of a node's pod CIDR in the family.
func (s Spec) NodeMaskSize(f Family) int {
	if f == IPv6 {
		return s.NodeMaskSizeIPv6
	}
	return s.NodeMaskSizeIPv4
}

// RoutesPerNode is the number of route table entries each node needs: one per family.
func (s Spec) RoutesPerNode() int { return len(s.Families) }

// KubernetesServiceIP is the cluster IP of the default/kubernetes service in a family: the
// first address after the service CIDR's network address, as kube-apiserver picks it.
func (s Spec) KubernetesServiceIP(f Family) (netip.Addr, bool) {
	p, ok := s.ServiceCIDR(f)
	if !ok {
		return netip.Addr{}, false
	}
	return p.Addr().Next(), true
}

func (s Spec) index(f Family) (int, bool) {
	for i, fam := range s.Families {
		if fam == f {
			return i, true
		}
	}
	return 0, false
}

func pick(s Spec, list []netip.Prefix, f Family) (netip.Prefix, bool) {
	i, ok := s.index(f)
	if !ok || i >= len(list) {
		return netip.Prefix{}, false
	}
	return list[i], true
}
