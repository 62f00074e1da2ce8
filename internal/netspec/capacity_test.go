package netspec

import (
	"strings"
	"testing"
)

func TestCapacity(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Input)
		nodes  uint64
		limit  Limit
	}{
		{"dual-stack defaults", func(*Input) {}, 200, LimitRouteTable},
		{"single-stack defaults", func(in *Input) { in.IPFamilies = "ipv4" }, 256, LimitIPv4Blocks},
		{"raised route limit", func(in *Input) { in.MaxRoutes = 1000 }, 256, LimitIPv4Blocks},
		{"small ipv6 range", func(in *Input) { in.MaxRoutes = 1000; in.NodeCIDRMaskSizeIPv6 = 70 }, 64, LimitIPv6Blocks},
		{"node subnet", func(in *Input) { in.NodeSubnets = "10.240.0.0/25,2001:db8::/64" }, 123, LimitNodeSubnet},
		{"tie names the route table", func(in *Input) { in.MaxRoutes = 512 }, 256, LimitRouteTable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := DefaultInput()
			tt.modify(&in)
			s, err := Parse(in)
			if err != nil {
				t.Fatal(err)
			}
			c := s.Capacity()
			if c.Nodes != tt.nodes || c.Limit != tt.limit {
				t.Errorf("Capacity() = %d bound by %s, want %d bound by %s", c.Nodes, c.Limit, tt.nodes, tt.limit)
			}
		})
	}
}

func TestTooManyNodesNamesTheLimitAndTheFix(t *testing.T) {
	s := Default()
	if err := s.CheckNodes(200); err != nil {
		t.Fatalf("200 nodes should fit: %v", err)
	}
	err := s.CheckNodes(201)
	if err == nil {
		t.Fatal("201 nodes fit, want the route table limit")
	}
	for _, w := range []string{"201 nodes", "route table", "400 routes, 2 route(s) per node", "raise --max-routes"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

// A spec from a config file is raised by editing the file, so its hints name the file and its
// fields, never a flag its user did not type.
func TestASpecFromAFileNamesItsFieldsInHints(t *testing.T) {
	in := DefaultInput()
	in.MaxRoutes, in.NodeCIDRMaskSizeIPv6 = 1000, 70
	s, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	s.File = "/etc/dualnet/network.yaml" // as specfile.Parse sets it
	if got, want := s.Setting("--max-routes"), "maxRoutes in /etc/dualnet/network.yaml"; got != want {
		t.Errorf("Setting(--max-routes) = %q, want %q", got, want)
	}
	if got := Default().Setting("--max-routes"); got != "--max-routes" {
		t.Errorf("a spec from flags: Setting(--max-routes) = %q, want the flag", got)
	}
	err = s.CheckNodes(100) // the /64 holds 64 IPv6 /70 blocks, fewer than the 256 IPv4 blocks and 500 nodes' routes
	want := "100 nodes do not fit: the IPv6 blocks limit allows 64 (fd12:3456:789a::/64 in /70 blocks): " +
		"in /etc/dualnet/network.yaml, use a larger IPv6 range in podCIDRs or a longer nodeCIDRMaskSizeIPv6"
	if err == nil || err.Error() != want {
		t.Errorf("CheckNodes(100) = %v, want %q", err, want)
	}
	for _, b := range s.Capacity().Bounds {
		if strings.Contains(b.Detail+b.Raise, "--") {
			t.Errorf("the %s bound names a flag: %q, %q", b.Limit, b.Detail, b.Raise)
		}
	}
}
