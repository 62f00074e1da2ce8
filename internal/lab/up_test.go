package lab

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualnet/dualnet/internal/netspec"
)

func TestUpRefusesANodeSubnetThatOverlapsAHostRouteBeforeCreatingAnything(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("lab up needs root: run this test as root (make test does)")
	}
	hostRoutes, err := HostRoutes()
	if err != nil {
		t.Fatal(err)
	}
	var taken string
	for _, r := range hostRoutes {
		if r.Addr().Is4() && r.Bits() > 0 && r.Bits() <= 28 {
			taken = r.Masked().String()
			break
		}
	}
	if taken == "" {
		t.Fatalf("the host has no IPv4 route (other than the default) for the lab to collide with: %v", hostRoutes)
	}
	in := netspec.DefaultInput()
	in.NodeSubnets = taken + "," + DefaultNodeSubnetIPv6
	spec, err := netspec.Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "state")
	cfg := Config{Name: "dn-up", StateRoot: root, Nodes: 3, Spec: spec, Routes: RoutesAzure}
	err = Up(t.Context(), cfg, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--node-subnets: "+taken+" overlaps the host route") {
		t.Fatalf("Up = %v, want the --node-subnets collision with the host route %s", err, taken)
	}
	if _, err := os.Stat(root); err == nil {
		t.Errorf("Up created %s although it refused the ranges", root)
	}
}
