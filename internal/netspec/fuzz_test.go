package netspec

import (
	"errors"
	"testing"
)

// FuzzParse: any input gives a valid spec or a *FieldError, never a panic, and a valid spec
// answers the questions the rest of dualnet asks of it.
func FuzzParse(f *testing.F) {
	f.Add("ipv4,ipv6", "", "", "", 24, 80, 400)
	f.Add("ipv4", "10.244.0.0/16", "10.0.0.0/16", "10.240.0.0/16", 24, 80, 400)
	f.Add("ipv4,ipv6", "10.0.0.0/8,fd00::/48", "192.168.0.0/16,fd12:3456:789a:1::/108", "10.240.0.0/16,2001:db8::/64", 30, 126, 1)
	f.Add("ipv6,ipv4", "fd00::/64,10.0.0.0/8", "", "", 0, 0, -1)
	f.Fuzz(func(t *testing.T, families, pods, services, subnets string, mask4, mask6, maxRoutes int) {
		in := Input{IPFamilies: families, PodCIDRs: pods, ServiceCIDRs: services, NodeSubnets: subnets,
			NodeCIDRMaskSizeIPv4: mask4, NodeCIDRMaskSizeIPv6: mask6, MaxRoutes: maxRoutes}
		s, err := Parse(in)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error %q is not a *FieldError", err)
			}
			return
		}
		c := s.Capacity()
		if c.Nodes == 0 {
			t.Fatalf("valid spec %+v holds no node", s)
		}
		last := c.Nodes - 1
		if s.NodeCIDRs(0) == nil || s.NodeCIDRs(last) == nil {
			t.Fatalf("valid spec %+v has no block 0 or %d", s, last)
		}
		for _, p := range s.NodeCIDRs(last) {
			if i, ok := s.BlockIndex(p); !ok || i != last {
				t.Fatalf("BlockIndex(%s) = %d, %v, want %d", p, i, ok, last)
			}
		}
	})
}
