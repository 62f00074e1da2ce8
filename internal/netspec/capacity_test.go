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
	for _, w := range []string{"201 nodes", "route table", "--max-routes 400", "raise --max-routes"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}
