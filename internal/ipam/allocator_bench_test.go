package ipam

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/dualnet/dualnet/internal/netspec"
)

// bigSpec holds 65,536 dual-stack nodes: 2^16 IPv4 /24s in a /8 and 2^32 IPv6 /80s in a /48.
func bigSpec(b *testing.B) netspec.Spec {
	return mustSpec(b, netspec.Input{PodCIDRs: "10.0.0.0/8,fd00::/48", ServiceCIDRs: "172.16.0.0/16,fd12:3456:789a:1::/108", MaxRoutes: 1 << 18})
}

func nodeNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("node-%06d", i)
	}
	return names
}

// BenchmarkAllocatorFill65536Nodes: one op is allocating a node, from empty to 65,536 nodes.
func BenchmarkAllocatorFill65536Nodes(b *testing.B) {
	spec := bigSpec(b)
	names := nodeNames(1 << 16)
	b.ReportAllocs()
	a := New(spec, Options{})
	for i := 0; b.Loop(); i++ {
		if i == len(names) {
			b.StopTimer()
			a, i = New(spec, Options{}), 0
			b.StartTimer()
		}
		if _, err := a.Allocate(names[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "allocs/s")
}

// BenchmarkAllocatorChurnAt65536Nodes: one op is a random node leaving (release, its routes
// reported gone) and a new one joining, with all 65,536 blocks otherwise in use.
func BenchmarkAllocatorChurnAt65536Nodes(b *testing.B) {
	spec := bigSpec(b)
	const nodes = 1 << 16
	names := nodeNames(2 * nodes)
	a := New(spec, Options{})
	for _, n := range names[:nodes] {
		if _, err := a.Allocate(n); err != nil {
			b.Fatal(err)
		}
	}
	live := append([]string(nil), names[:nodes]...)
	spare := append([]string(nil), names[nodes:]...)
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for b.Loop() {
		k := rng.IntN(nodes)
		gone := live[k]
		a.Release(gone)
		a.Reclaim(routesGone)
		joined := spare[len(spare)-1]
		if _, err := a.Allocate(joined); err != nil {
			b.Fatal(err)
		}
		live[k], spare[len(spare)-1] = joined, gone
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "release+allocate/s")
}

// BenchmarkAllocatorAdopt65536Nodes: one op is rebuilding the state of 65,536 nodes, as a
// restarted controller does before it allocates anything.
func BenchmarkAllocatorAdopt65536Nodes(b *testing.B) {
	spec := bigSpec(b)
	names := nodeNames(1 << 16)
	all := make(map[string][]netip.Prefix, len(names))
	for i, n := range names {
		all[n] = spec.NodeCIDRs(uint64(i))
	}
	for b.Loop() {
		a := New(spec, Options{})
		for _, n := range names {
			if got := a.Adopt(n, all[n]); !got.OK() {
				b.Fatalf("%s: %+v", n, got)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(names))/b.Elapsed().Seconds(), "adoptions/s")
}
