package netspec

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestDefaultsAreTheAKSDualStackDefaults(t *testing.T) {
	s := Default()
	want := Spec{
		Families:         []Family{IPv4, IPv6},
		PodCIDRs:         prefixes("10.244.0.0/16", "fd12:3456:789a::/64"),
		ServiceCIDRs:     prefixes("10.0.0.0/16", "fd12:3456:789a:1::/108"),
		NodeMaskSizeIPv4: 24,
		NodeMaskSizeIPv6: 80,
		MaxRoutes:        400,
	}
	if !equalSpec(s, want) {
		t.Fatalf("Default() = %+v, want %+v", s, want)
	}
}

func TestSingleStackTakesTheIPv4DefaultsOnly(t *testing.T) {
	in := DefaultInput()
	in.IPFamilies = "ipv4"
	s, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.PodCIDRs, prefixes("10.244.0.0/16")) || !slices.Equal(s.ServiceCIDRs, prefixes("10.0.0.0/16")) {
		t.Fatalf("single-stack spec = %+v", s)
	}
}

func TestFamiliesAreCaseAndSpaceTolerant(t *testing.T) {
	in := DefaultInput()
	in.IPFamilies = " IPv4 , IPv6 "
	if _, err := Parse(in); err != nil {
		t.Fatal(err)
	}
}

// Each broken rule gives an error that names the flag and the rule (and the fix, where
// there is one).
func TestEachBrokenRuleNamesItsFlagAndRule(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Input)
		want   []string // substrings of the error, the flag first
	}{
		{"empty families", func(in *Input) { in.IPFamilies = "" }, []string{"--ip-families", "is empty"}},
		{"unknown family", func(in *Input) { in.IPFamilies = "ipv4,ipx" }, []string{"--ip-families", `"ipx" is not an IP family`, "ipv4,ipv6"}},
		{"repeated family", func(in *Input) { in.IPFamilies = "ipv4,ipv4" }, []string{"--ip-families", "listed twice"}},
		{"ipv6 alone", func(in *Input) { in.IPFamilies = "ipv6" }, []string{"--ip-families", "IPv6-only", "not supported"}},
		{"ipv6 first", func(in *Input) { in.IPFamilies = "ipv6,ipv4" }, []string{"--ip-families", "IPv6 as the first family", "use ipv4,ipv6"}},
		{"three families", func(in *Input) { in.IPFamilies = "ipv4,ipv6,ipv4" }, []string{"--ip-families", "listed twice"}},
		{"pod count", func(in *Input) { in.PodCIDRs = "10.244.0.0/16" }, []string{"--pod-cidrs", "has 1 range(s)", "needs 2"}},
		{"pod order", func(in *Input) { in.PodCIDRs = "fd12:3456:789a::/64,10.244.0.0/16" }, []string{"--pod-cidrs", "range 1", "is IPv6", "puts IPv4 there"}},
		{"service count", func(in *Input) { in.ServiceCIDRs = "10.0.0.0/16,fd00::/108,10.1.0.0/16" }, []string{"--service-cidrs", "has 3 range(s)"}},
		{"service order", func(in *Input) { in.ServiceCIDRs = "fd12:3456:789a:1::/108,10.0.0.0/16" }, []string{"--service-cidrs", "range 1"}},
		{"node subnet count", func(in *Input) { in.NodeSubnets = "10.240.0.0/16" }, []string{"--node-subnets", "has 1 range(s)"}},
		{"malformed cidr", func(in *Input) { in.PodCIDRs = "10.244.0.0/33,fd12:3456:789a::/64" }, []string{"--pod-cidrs", `"10.244.0.0/33" is not a CIDR range`}},
		{"not a cidr at all", func(in *Input) { in.ServiceCIDRs = "banana,fd12:3456:789a:1::/108" }, []string{"--service-cidrs", `"banana"`}},
		{"host bits", func(in *Input) { in.PodCIDRs = "10.244.1.0/16,fd12:3456:789a::/64" }, []string{"--pod-cidrs", "10.244.1.0/16 has host bits set", "did you mean 10.244.0.0/16?"}},
		{"mapped ipv4", func(in *Input) { in.IPFamilies = "ipv4"; in.PodCIDRs = "::ffff:10.244.0.0/112" }, []string{"--pod-cidrs", "IPv4-mapped", "10.244.0.0/16"}},
		{"ipv6 service too large", func(in *Input) { in.ServiceCIDRs = "10.0.0.0/16,fd12:3456:789a:1::/100" }, []string{"--service-cidrs", "fd12:3456:789a:1::/100 is larger than /108"}},
		{"service too small", func(in *Input) { in.ServiceCIDRs = "10.0.0.0/31,fd12:3456:789a:1::/108" }, []string{"--service-cidrs", "too small"}},
		{"ipv4 node mask not longer", func(in *Input) { in.NodeCIDRMaskSizeIPv4 = 16 }, []string{"--node-cidr-mask-size-ipv4", "/16 is not longer than the IPv4 pod CIDR 10.244.0.0/16"}},
		{"ipv6 node mask not longer", func(in *Input) { in.NodeCIDRMaskSizeIPv6 = 60 }, []string{"--node-cidr-mask-size-ipv6", "/60 is not longer"}},
		{"ipv4 node mask too long", func(in *Input) { in.NodeCIDRMaskSizeIPv4 = 31 }, []string{"--node-cidr-mask-size-ipv4", "no room for the bridge gateway"}},
		{"ipv6 node mask too long", func(in *Input) { in.NodeCIDRMaskSizeIPv6 = 128 }, []string{"--node-cidr-mask-size-ipv6", "no room"}},
		{"max routes too small", func(in *Input) { in.MaxRoutes = 1 }, []string{"--max-routes", "1 leaves no room for a node", "2 route(s)"}},
		{"pod overlaps service", func(in *Input) { in.ServiceCIDRs = "10.244.0.0/20,fd12:3456:789a:1::/108" }, []string{"--service-cidrs", "10.244.0.0/20 overlaps --pod-cidrs 10.244.0.0/16"}},
		{"ipv6 pod overlaps service", func(in *Input) { in.ServiceCIDRs = "10.0.0.0/16,fd12:3456:789a::/108" }, []string{"--service-cidrs", "overlaps --pod-cidrs fd12:3456:789a::/64"}},
		{"node subnet overlaps pod", func(in *Input) { in.NodeSubnets = "10.244.0.0/24,2001:db8::/64" }, []string{"--node-subnets", "overlaps --pod-cidrs"}},
		{"node subnet overlaps service", func(in *Input) { in.NodeSubnets = "10.240.0.0/16,fd12:3456:789a:1::/112" }, []string{"--node-subnets", "overlaps --service-cidrs"}},
		{"node subnet too small", func(in *Input) { in.NodeSubnets = "10.240.0.0/30,2001:db8::/64" }, []string{"--node-subnets", "no room for a node"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := DefaultInput()
			tt.modify(&in)
			_, err := Parse(in)
			if err == nil {
				t.Fatalf("Parse(%+v) succeeded, want an error", in)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.want[0]+": ") {
				t.Errorf("error %q does not start with the flag %s", msg, tt.want[0])
			}
			for _, w := range tt.want[1:] {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error %q is not a *FieldError", msg)
			}
		})
	}
}

func TestEveryBrokenFieldIsReportedAtOnce(t *testing.T) {
	in := DefaultInput()
	in.PodCIDRs = "10.244.1.0/16,fd12:3456:789a::/64"
	in.ServiceCIDRs = "10.0.0.0/16,fd12:3456:789a:1::/100"
	_, err := Parse(in)
	if err == nil || !strings.Contains(err.Error(), "--pod-cidrs") {
		t.Fatalf("want the --pod-cidrs error, got %v", err)
	}
	in.PodCIDRs = "10.244.1.0/16,fd12:3456:789a::/64"
	in.MaxRoutes = 0
	_, err = Parse(in)
	if err == nil || !strings.Contains(err.Error(), "--pod-cidrs") || !strings.Contains(err.Error(), "--max-routes") {
		t.Fatalf("want both the --pod-cidrs and --max-routes errors, got %v", err)
	}
}

func prefixes(ss ...string) []netip.Prefix {
	var list []netip.Prefix
	for _, s := range ss {
		list = append(list, netip.MustParsePrefix(s))
	}
	return list
}

func equalSpec(a, b Spec) bool {
	return slices.Equal(a.Families, b.Families) && slices.Equal(a.PodCIDRs, b.PodCIDRs) &&
		slices.Equal(a.ServiceCIDRs, b.ServiceCIDRs) && slices.Equal(a.NodeSubnets, b.NodeSubnets) &&
		a.NodeMaskSizeIPv4 == b.NodeMaskSizeIPv4 && a.NodeMaskSizeIPv6 == b.NodeMaskSizeIPv6 && a.MaxRoutes == b.MaxRoutes
}
