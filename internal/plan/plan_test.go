package plan

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/testutil/golden"
)

func TestThreeDualStackNodesGetTheArticlesPodCIDRs(t *testing.T) {
	p, err := Build(netspec.Default(), 3, "node-")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"10.244.0.0/24", "fd12:3456:789a::/80"},
		{"10.244.1.0/24", "fd12:3456:789a:0:1::/80"},
		{"10.244.2.0/24", "fd12:3456:789a:0:2::/80"},
	}
	for i, n := range p.Nodes {
		if !slices.Equal(n.PodCIDRs, want[i]) {
			t.Errorf("node %d PodCIDRs = %v, want %v", i, n.PodCIDRs, want[i])
		}
	}
	if p.Capacity.Nodes != 200 || p.Capacity.BindingLimit != "route table" {
		t.Errorf("capacity = %+v, want 200 bound by the route table", p.Capacity)
	}
}

func TestNodeAddressesStartAtAzuresFirst(t *testing.T) {
	in := netspec.DefaultInput()
	in.NodeSubnets = "10.240.0.0/16,2001:1234:5678:9abc::/64"
	spec, err := netspec.Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(spec, 3, "node-")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Nodes[2].Addresses; !slices.Equal(got, []string{"10.240.0.6", "2001:1234:5678:9abc::6"}) {
		t.Errorf("node 2 addresses = %v", got)
	}
}

func TestMoreNodesThanTheRouteTableHoldsIsAnError(t *testing.T) {
	_, err := Build(netspec.Default(), 201, "node-")
	if err == nil || !strings.Contains(err.Error(), "allows 200 (400 routes") {
		t.Fatalf("Build(201) error = %v, want the 400-route limit", err)
	}
}

// The table is compared with a golden file; run with -update to rewrite it.
func TestTableMatchesGolden(t *testing.T) {
	in := netspec.DefaultInput()
	in.NodeSubnets = "10.240.0.0/16,2001:1234:5678:9abc::/64"
	spec, err := netspec.Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(spec, 3, "aks-nodepool1-14508455-vmss00000")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, p); err != nil {
		t.Fatal(err)
	}
	golden.Compare(t, "plan.golden", buf.String())
}
