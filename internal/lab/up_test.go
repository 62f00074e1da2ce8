package lab

import (
	"io"
	"net/netip"
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
	// A host whose network is the lab's default node subnet, say a real 10.240.0.0/16 VNet.
	readHostRoutes = func() ([]netip.Prefix, error) {
		return prefixes("0.0.0.0/0", "192.0.2.0/24", "10.240.8.0/22"), nil
	}
	t.Cleanup(func() { readHostRoutes = HostRoutes })
	root := filepath.Join(t.TempDir(), "state")
	cfg := Config{Name: "dn-up", StateRoot: root, Nodes: 3, Spec: netspec.Default(), Routes: RoutesAzure}
	err := Up(t.Context(), cfg, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--node-subnets: 10.240.0.0/16 overlaps the host route 10.240.8.0/22") {
		t.Fatalf("Up = %v, want the --node-subnets collision with the host route", err)
	}
	if _, err := os.Stat(root); err == nil {
		t.Errorf("Up created %s although it refused the ranges", root)
	}
}

func TestHostRoutesReadsTheHostsRoutesWithoutDefaultsOrLinkLocal(t *testing.T) {
	routes, err := HostRoutes()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range routes {
		if p.Bits() == 0 || p.Addr().IsLinkLocalUnicast() || p.Addr().IsMulticast() {
			t.Errorf("HostRoutes kept %s", p)
		}
	}
}
