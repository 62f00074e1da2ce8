package masquerade

import (
	"net/netip"
	"testing"
)

// FuzzCollapseKeepsCoverageWithoutOverlaps checks the property the interval sets rely on:
// collapse covers exactly the addresses its input covers and leaves no element inside another.
func FuzzCollapseKeepsCoverageWithoutOverlaps(f *testing.F) {
	f.Add([]byte{10, 0, 0, 0, 8, 10, 1, 0, 0, 16, 10, 1, 2, 0, 24, 192, 168, 0, 0, 16})
	f.Fuzz(func(t *testing.T, data []byte) {
		var in []netip.Prefix
		for i := 0; i+5 <= len(data) && len(in) < 16; i += 5 {
			a := netip.AddrFrom4([4]byte{data[i], data[i+1], data[i+2], data[i+3]})
			in = append(in, netip.PrefixFrom(a, int(data[i+4])%33).Masked())
		}
		out := collapse(append([]netip.Prefix(nil), in...))
		for i, p := range out {
			for j, q := range out {
				if i != j && q.Bits() <= p.Bits() && q.Contains(p.Addr()) {
					t.Fatalf("collapse(%v) = %v: %s lies inside %s", in, out, p, q)
				}
			}
		}
		covered := func(set []netip.Prefix, a netip.Addr) bool {
			for _, p := range set {
				if p.Contains(a) {
					return true
				}
			}
			return false
		}
		for _, p := range in {
			b := p.Addr().As4()
			n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			n |= uint32(uint64(1)<<(32-p.Bits()) - 1)
			last := netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
			for _, a := range []netip.Addr{p.Addr(), last} {
				if !covered(out, a) {
					t.Fatalf("collapse(%v) = %v lost %s", in, out, a)
				}
			}
		}
		for _, p := range out {
			if !covered(in, p.Addr()) {
				t.Fatalf("collapse(%v) = %v added %s", in, out, p)
			}
		}
	})
}
