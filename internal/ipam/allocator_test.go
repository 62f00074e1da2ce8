package ipam

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/netspec"
	"github.com/dualnet/dualnet/internal/netspec/specfile"
)

func TestAllocatorGivesNodeISameBlockInEveryFamily(t *testing.T) {
	a := New(netspec.Default(), Options{})
	want := [][]string{
		{"10.244.0.0/24", "fd12:3456:789a::/80"},
		{"10.244.1.0/24", "fd12:3456:789a:0:1::/80"},
		{"10.244.2.0/24", "fd12:3456:789a:0:2::/80"},
	}
	for i, w := range want {
		got := mustAllocate(t, a, fmt.Sprintf("node-%d", i))
		if !slices.Equal(got, prefixes(t, w...)) {
			t.Errorf("node-%d got %v, want %v", i, got, w)
		}
	}
	if again := mustAllocate(t, a, "node-1"); !slices.Equal(again, prefixes(t, want[1]...)) {
		t.Errorf("allocating node-1 again gave %v, want its own %v", again, want[1])
	}
}

func TestAllocatorHandsOutLowestFreeBlockFirst(t *testing.T) {
	a := New(netspec.Default(), Options{})
	for i := range 6 {
		mustAllocate(t, a, fmt.Sprintf("n%d", i))
	}
	a.Release("n4")
	a.Release("n1")
	a.Reclaim(routesGone)
	for _, want := range []string{"10.244.1.0/24", "10.244.4.0/24", "10.244.6.0/24"} {
		name := "new-" + want
		if got := mustAllocate(t, a, name)[0]; got != netip.MustParsePrefix(want) {
			t.Errorf("%s got %v, want %v", name, got, want)
		}
	}
}

func TestAllocatorStopsAtCapacityNamingTheBindingLimit(t *testing.T) {
	tests := []struct {
		name     string
		in       netspec.Input
		nodes    int
		limit    netspec.Limit
		errSays  string
		lastIPv4 string
	}{
		{"default route table of 400 routes", netspec.Input{}, 200, netspec.LimitRouteTable, "--max-routes", "10.244.199.0/24"},
		{"IPv4 range of 16 blocks", netspec.Input{PodCIDRs: "10.244.0.0/20,fd12:3456:789a::/64", MaxRoutes: 1000}, 16, netspec.LimitIPv4Blocks, "--pod-cidrs", "10.244.15.0/24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(mustSpec(t, tt.in), Options{})
			var last []netip.Prefix
			for i := range tt.nodes {
				last = mustAllocate(t, a, fmt.Sprintf("n%d", i))
			}
			if last[0] != netip.MustParsePrefix(tt.lastIPv4) {
				t.Errorf("last node got %v, want %s", last, tt.lastIPv4)
			}
			_, err := a.Allocate("one-too-many")
			var full *FullError
			if !errors.As(err, &full) {
				t.Fatalf("node %d: got %v, want a *FullError", tt.nodes+1, err)
			}
			if full.Capacity.Limit != tt.limit || !strings.Contains(err.Error(), tt.errSays) {
				t.Errorf("error %q: want limit %s and a hint naming %s", err, tt.limit, tt.errSays)
			}
			if s := a.Stats(); s.Allocated != uint64(tt.nodes) || s.Free != 0 || s.Capacity != uint64(tt.nodes) || s.Limit != tt.limit {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

// A deployed controller reads its spec from the ConfigMap's file: the full error, which node
// IPAM posts as the CIDRNotAvailable event, names the file's field to raise.
func TestFullErrorOfASpecFromAFileNamesTheFileAndField(t *testing.T) {
	spec, err := specfile.Parse("/etc/dualnet/network.yaml", []byte("apiVersion: dualnet.io/v1alpha1\nkind: NetworkSpec\nmaxRoutes: 4\n"))
	if err != nil {
		t.Fatal(err)
	}
	a := New(spec, Options{})
	mustAllocate(t, a, "n0")
	mustAllocate(t, a, "n1")
	_, err = a.Allocate("n2")
	if err == nil || !strings.HasSuffix(err.Error(), "allows 2 (4 routes, 2 route(s) per node): in /etc/dualnet/network.yaml, raise maxRoutes if your route table allows more routes (Azure allows 1000 per table today)") {
		t.Errorf("error %v: want the route table limit, raised by maxRoutes in the file", err)
	}
}

func TestAllocatorHoldsReleasedBlocksUntilRoutesAreGone(t *testing.T) {
	a := New(mustSpec(t, netspec.Input{MaxRoutes: 6}), Options{})
	for i := range 3 {
		mustAllocate(t, a, fmt.Sprintf("n%d", i))
	}
	a.Release("n1")
	if _, err := a.Allocate("new"); err == nil {
		t.Fatal("a held block counts against the route table, so the table is full; got an allocation")
	}
	if s := a.Stats(); s.Held != 1 || s.Allocated != 2 || s.Free != 0 {
		t.Errorf("stats %+v, want 1 held, 2 allocated, 0 free", s)
	}
	if n := a.Reclaim(routesOf("someone-else")); n != 0 {
		t.Errorf("reclaimed %d nodes whose routes were not reported gone", n)
	}
	if n := a.Reclaim(routesOf("n1")); n != 1 {
		t.Errorf("reclaimed %d, want n1's blocks", n)
	}
	if got := mustAllocate(t, a, "new")[1]; got != netip.MustParsePrefix("fd12:3456:789a:0:1::/80") {
		t.Errorf("new node got %v, want n1's freed block 1", got)
	}
}

func TestAllocatorFreesHeldBlocksAfterHoldDown(t *testing.T) {
	clock := newFakeClock()
	a := New(netspec.Default(), Options{HoldDown: time.Minute, Now: clock.now})
	mustAllocate(t, a, "n0")
	mustAllocate(t, a, "n1")
	a.Release("n0")
	if got := mustAllocate(t, a, "n2")[0]; got != netip.MustParsePrefix("10.244.2.0/24") {
		t.Errorf("during hold-down n2 got %v, want block 2 (block 0 is held)", got)
	}
	clock.step(time.Minute)
	if got := mustAllocate(t, a, "n3")[0]; got != netip.MustParsePrefix("10.244.0.0/24") {
		t.Errorf("after hold-down n3 got %v, want the freed block 0", got)
	}
	if s := a.Stats(); s.Held != 0 {
		t.Errorf("stats %+v: nothing should be held after the hold-down", s)
	}
}

func TestAllocatorReclaimFreesBlocksWhoseHoldDownPassed(t *testing.T) {
	clock := newFakeClock()
	a := New(mustSpec(t, netspec.Input{MaxRoutes: 4}), Options{HoldDown: time.Minute, Now: clock.now})
	mustAllocate(t, a, "n0")
	a.Release("n0")
	clock.step(30 * time.Second)
	if n := a.Reclaim(routesOf("nobody")); n != 0 {
		t.Errorf("freed %d during the hold-down", n)
	}
	clock.step(30 * time.Second)
	if n := a.Reclaim(routesOf("nobody")); n != 1 {
		t.Errorf("freed %d, want n0's blocks once the hold-down passed", n)
	}
}

// A caller that checks blocks for routes left behind must know which blocks the hold-down
// freed, or it would hold them again for ever.
func TestAllocatorSaysWhichBlocksTheHoldDownFreed(t *testing.T) {
	clock := newFakeClock()
	a := New(netspec.Default(), Options{HoldDown: time.Minute, Now: clock.now})
	mustAllocate(t, a, "n0")
	mustAllocate(t, a, "n1")
	a.Release("n0")
	a.Release("n1")
	a.Reclaim(routesOf("n1")) // n1's routes are gone: block 1 is free, by its routes
	clock.step(time.Minute)   // n0's hold-down passes: block 0 is free, by the period
	for _, tc := range []struct {
		node  string
		block string
		past  bool
	}{{"a", "10.244.0.0/24", true}, {"b", "10.244.1.0/24", false}, {"c", "10.244.2.0/24", false}} {
		if got := mustAllocate(t, a, tc.node)[0]; got != netip.MustParsePrefix(tc.block) {
			t.Fatalf("%s got %v, want %s", tc.node, got, tc.block)
		}
		if got := a.PastHoldDown(tc.node); got != tc.past {
			t.Errorf("%s (block %s): PastHoldDown = %v, want %v", tc.node, tc.block, got, tc.past)
		}
	}
	// Once handed out, the block's history goes: released again and freed by its routes,
	// it is an ordinary block.
	a.Release("a")
	a.Reclaim(routesOf("a"))
	mustAllocate(t, a, "d")
	if a.PastHoldDown("d") {
		t.Error("d: PastHoldDown of a block its routes freed = true, want false")
	}
}

func TestAllocatorReleaseOfUnknownNodeDoesNothing(t *testing.T) {
	a := New(netspec.Default(), Options{})
	if a.Release("ghost") {
		t.Error("released a node that was never allocated")
	}
	if s := a.Stats(); s.Held != 0 || s.Free != 200 {
		t.Errorf("stats %+v", s)
	}
}

func TestAllocatorWorksInLargeIPv6SpaceWithoutBitmap(t *testing.T) {
	// 2^16 IPv4 blocks, 2^32 IPv6 blocks: the IPv4 range binds; nothing scales with 2^32.
	spec := mustSpec(t, netspec.Input{PodCIDRs: "10.0.0.0/8,fd00::/48", ServiceCIDRs: "172.16.0.0/16,fd12:3456:789a:1::/108", MaxRoutes: 1 << 20})
	a := New(spec, Options{})
	adoption := a.Adopt("kcm-node", prefixes(t, "10.0.5.0/24", "fd00:0:0:8000::/80")) // IPv6 block 2^31
	if len(adoption.Outside)+len(adoption.Overlaps)+len(adoption.Missing) != 0 {
		t.Errorf("adoption %+v", adoption)
	}
	got := mustAllocate(t, a, "n")
	if !slices.Equal(got, prefixes(t, "10.0.0.0/24", "fd00::/80")) {
		t.Errorf("got %v", got)
	}
	if s := a.Stats(); s.Capacity != 1<<16 || s.Limit != netspec.LimitIPv4Blocks || s.Free != 1<<16-2 {
		t.Errorf("stats %+v", s)
	}
}

func TestAllocatorGivesIPv4OnlyClusterNodesOneCIDR(t *testing.T) {
	spec, err := netspec.Parse(netspec.Input{IPFamilies: "ipv4", NodeCIDRMaskSizeIPv4: 24, NodeCIDRMaskSizeIPv6: 80, MaxRoutes: 400})
	if err != nil {
		t.Fatal(err)
	}
	a := New(spec, Options{})
	mustAllocate(t, a, "n0")
	if got := mustAllocate(t, a, "n1"); !slices.Equal(got, prefixes(t, "10.244.1.0/24")) {
		t.Errorf("n1 got %v", got)
	}
	// One route per node: the IPv4 range (256 blocks) binds before the 400 routes.
	if s := a.Stats(); s.Capacity != 256 || s.Limit != netspec.LimitIPv4Blocks {
		t.Errorf("stats %+v", s)
	}
	if got := a.Adopt("v6", prefixes(t, "fd12:3456:789a::/80")); !slices.Equal(got.Outside, prefixes(t, "fd12:3456:789a::/80")) {
		t.Errorf("an IPv6 CIDR on an IPv4-only cluster: %+v, want it reported outside", got)
	}
}
