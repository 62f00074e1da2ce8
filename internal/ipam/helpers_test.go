package ipam

import (
	"net/netip"
	"testing"
	"time"

	"github.com/dualnet/dualnet/internal/netspec"
)

func mustSpec(t testing.TB, in netspec.Input) netspec.Spec {
	t.Helper()
	base := netspec.DefaultInput()
	if in.PodCIDRs != "" {
		base.PodCIDRs = in.PodCIDRs
	}
	if in.ServiceCIDRs != "" {
		base.ServiceCIDRs = in.ServiceCIDRs
	}
	if in.MaxRoutes != 0 {
		base.MaxRoutes = in.MaxRoutes
	}
	spec, err := netspec.Parse(base)
	if err != nil {
		t.Fatalf("spec %+v: %v", in, err)
	}
	return spec
}

func prefixes(t testing.TB, ss ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time       { return c.t }
func (c *fakeClock) step(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock            { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }
func routesGone(Released) bool            { return true }
func routesOf(name string) func(Released) bool {
	return func(r Released) bool { return r.Node == name }
}

func mustAllocate(t testing.TB, a *Allocator, name string) []netip.Prefix {
	t.Helper()
	cidrs, err := a.Allocate(name)
	if err != nil {
		t.Fatalf("allocate %q: %v", name, err)
	}
	return cidrs
}
