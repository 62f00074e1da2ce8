package netspec

import "strings"

// Field is one field of the spec: its flag, its name in a config file (package specfile
// reads those), and where it goes in Input: a list, written comma-separated as the flag
// takes it, or a number.
type Field struct {
	Name    string // in a config file: "podCIDRs"
	Flag    string // as a user types it: "--pod-cidrs"
	List    func(*Input) *string
	Number  func(*Input) *int
	Example string // a list's value, for hints
}

// Fields is every spec field, in the order a config file lists them; errors about a file
// follow this order too.
func Fields() []Field { return append([]Field(nil), fields...) }

var fields = []Field{
	{Name: "ipFamilies", Flag: "--ip-families", List: func(in *Input) *string { return &in.IPFamilies },
		Example: "[ipv4, ipv6]"},
	{Name: "podCIDRs", Flag: "--pod-cidrs", List: func(in *Input) *string { return &in.PodCIDRs },
		Example: "[" + DefaultPodCIDRIPv4 + ", " + DefaultPodCIDRIPv6 + "]"},
	{Name: "serviceCIDRs", Flag: "--service-cidrs", List: func(in *Input) *string { return &in.ServiceCIDRs },
		Example: "[" + DefaultServiceCIDRIPv4 + ", " + DefaultServiceCIDRIPv6 + "]"},
	{Name: "nodeCIDRMaskSizeIPv4", Flag: "--node-cidr-mask-size-ipv4", Number: func(in *Input) *int { return &in.NodeCIDRMaskSizeIPv4 }},
	{Name: "nodeCIDRMaskSizeIPv6", Flag: "--node-cidr-mask-size-ipv6", Number: func(in *Input) *int { return &in.NodeCIDRMaskSizeIPv6 }},
	{Name: "maxRoutes", Flag: "--max-routes", Number: func(in *Input) *int { return &in.MaxRoutes }},
	{Name: "nodeSubnets", Flag: "--node-subnets", List: func(in *Input) *string { return &in.NodeSubnets },
		Example: "[10.240.0.0/16, 2001:db8::/64]"},
}

// FlagsToFields rewrites every spec flag that s names as its config file field
// ("--pod-cidrs" becomes "podCIDRs"), for messages about a spec from a file, whose user
// never typed a flag.
func FlagsToFields(s string) string { return flagsToFields.Replace(s) }

// flagsToFields replaces each spec flag's name with its field's. No flag name is the start
// of another, so a longer name is never half replaced.
var flagsToFields = func() *strings.Replacer {
	var pairs []string
	for _, f := range fields {
		pairs = append(pairs, f.Flag, f.Name)
	}
	return strings.NewReplacer(pairs...)
}()
