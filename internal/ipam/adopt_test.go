package ipam

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/dualnet/dualnet/internal/netspec"
)

func TestAllocatorAdoptsExistingCIDRsSoNobodyGetsAnOverlappingBlock(t *testing.T) {
	tests := []struct {
		name    string
		cidrs   []string
		outside []string
		missing []netspec.Family
		// next: the IPv4 blocks the next allocations get, lowest free first.
		next []string
	}{
		{name: "aligned, as dualnet gives them",
			cidrs: []string{"10.244.0.0/24", "fd12:3456:789a::/80"},
			next:  []string{"10.244.1.0/24", "10.244.2.0/24"}},
		{name: "kube-controller-manager numbered the families apart: both numbers are taken",
			cidrs: []string{"10.244.0.0/24", "fd12:3456:789a:0:1::/80"},
			next:  []string{"10.244.2.0/24", "10.244.3.0/24"}},
		{name: "a larger CIDR takes every block it covers",
			cidrs: []string{"10.244.0.0/23", "fd12:3456:789a::/79"},
			next:  []string{"10.244.2.0/24", "10.244.3.0/24"}},
		{name: "a smaller CIDR takes its whole block",
			cidrs: []string{"10.244.1.128/25", "fd12:3456:789a:0:1:8000::/81"},
			next:  []string{"10.244.0.0/24", "10.244.2.0/24"}},
		{name: "outside the cluster range: reported, takes nothing",
			cidrs:   []string{"192.168.0.0/24", "fd99::/80"},
			outside: []string{"192.168.0.0/24", "fd99::/80"},
			next:    []string{"10.244.0.0/24", "10.244.1.0/24"}},
		{name: "a CIDR holding the whole cluster range is outside and takes everything",
			cidrs:   []string{"10.0.0.0/8"},
			outside: []string{"10.0.0.0/8"},
			missing: []netspec.Family{netspec.IPv6}},
		{name: "IPv4 only on a dual-stack cluster",
			cidrs:   []string{"10.244.0.0/24"},
			missing: []netspec.Family{netspec.IPv6},
			next:    []string{"10.244.1.0/24"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(netspec.Default(), Options{})
			got := a.Adopt("old", prefixes(t, tt.cidrs...))
			if !slices.Equal(got.Outside, prefixes(t, tt.outside...)) || !slices.Equal(got.Missing, tt.missing) || len(got.Overlaps) != 0 {
				t.Errorf("adoption %+v, want outside %v missing %v", got, tt.outside, tt.missing)
			}
			for i, want := range tt.next {
				if c := mustAllocate(t, a, fmt.Sprintf("new%d", i)); c[0] != netip.MustParsePrefix(want) {
					t.Errorf("new%d got %v, want %s", i, c, want)
				}
			}
			if len(tt.next) == 0 {
				if c, err := a.Allocate("new"); err == nil {
					t.Errorf("every block is taken, but new got %v", c)
				}
			}
		})
	}
}

func TestAllocatorReportsNodesSharingBlocksAndFreesThemOnlyWhenAllAreGone(t *testing.T) {
	a := New(netspec.Default(), Options{})
	a.Adopt("a", prefixes(t, "10.244.3.0/24", "fd12:3456:789a:0:3::/80"))
	got := a.Adopt("b", prefixes(t, "10.244.3.0/24", "fd12:3456:789a:0:9::/80"))
	if len(got.Overlaps) != 1 || got.Overlaps[0].Node != "a" {
		t.Fatalf("adoption %+v, want an overlap with node a", got)
	}
	a.Release("a")
	a.Reclaim(routesGone)
	for i := range 3 {
		mustAllocate(t, a, fmt.Sprintf("n%d", i))
	}
	if c := mustAllocate(t, a, "n3"); c[0] != netip.MustParsePrefix("10.244.4.0/24") {
		t.Errorf("n3 got %v, want block 4: block 3 is still node b's", c)
	}
	a.Release("b")
	a.Reclaim(routesGone)
	if c := mustAllocate(t, a, "n4"); c[0] != netip.MustParsePrefix("10.244.3.0/24") {
		t.Errorf("n4 got %v, want block 3, free once b is gone", c)
	}
}

func TestAllocatorReportsEachOverlappingNodeOnce(t *testing.T) {
	a := New(netspec.Default(), Options{})
	a.Adopt("a", prefixes(t, "10.244.3.0/24", "fd12:3456:789a:0:5::/80"))
	got := a.Adopt("b", prefixes(t, "10.244.5.0/24", "fd12:3456:789a:0:3::/80"))
	if len(got.Overlaps) != 1 || got.Overlaps[0].Node != "a" {
		t.Errorf("overlaps %+v, want node a once", got.Overlaps)
	}
}

func TestAllocatorAdoptingTheSameCIDRsAgainChangesNothing(t *testing.T) {
	a := New(netspec.Default(), Options{})
	cidrs := prefixes(t, "10.244.0.0/24", "fd12:3456:789a::/80")
	a.Adopt("n", cidrs)
	if got := a.Adopt("n", cidrs); !got.OK() {
		t.Errorf("second adoption %+v", got)
	}
	if s := a.Stats(); s.Allocated != 1 || s.Held != 0 {
		t.Errorf("stats %+v", s)
	}
	if c, _ := a.CIDRs("n"); !slices.Equal(c, cidrs) {
		t.Errorf("CIDRs %v", c)
	}
}

func TestAllocatorAdoptingAHeldBlockTakesItBack(t *testing.T) {
	a := New(mustSpec(t, netspec.Input{MaxRoutes: 4}), Options{})
	mustAllocate(t, a, "n0")
	mustAllocate(t, a, "n1")
	a.Release("n0")
	// Someone set n0's old CIDRs on a new node by hand: the block is taken again, and the
	// released node no longer counts against the capacity.
	if got := a.Adopt("by-hand", prefixes(t, "10.244.0.0/24", "fd12:3456:789a::/80")); !got.OK() {
		t.Errorf("adoption %+v", got)
	}
	if s := a.Stats(); s.Held != 0 || s.Allocated != 2 {
		t.Errorf("stats %+v, want nothing held", s)
	}
}
