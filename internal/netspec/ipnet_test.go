package netspec

import (
	"net"
	"net/netip"
	"testing"
)

func TestIPNetAndPrefixOfRoundTripBothFamilies(t *testing.T) {
	for _, s := range []string{"10.244.1.1/24", "fd12:3456:789a:0:1::1/80", "0.0.0.0/0", "::/0"} {
		p := netip.MustParsePrefix(s)
		n := IPNet(p)
		if want := map[bool]int{true: 4, false: 16}[p.Addr().Is4()]; len(n.IP) != want {
			t.Errorf("IPNet(%s).IP has %d bytes, want %d", p, len(n.IP), want)
		}
		if got, ok := PrefixOf(n); !ok || got != p {
			t.Errorf("PrefixOf(IPNet(%s)) = %s, %v", p, got, ok)
		}
	}
}

func TestPrefixOfReadsAMappedAddressAsIPv4AndRefusesNil(t *testing.T) {
	n := &net.IPNet{IP: net.ParseIP("10.244.1.1"), Mask: net.CIDRMask(24, 32)} // 16-byte IP
	if got, ok := PrefixOf(n); !ok || got != netip.MustParsePrefix("10.244.1.1/24") {
		t.Errorf("PrefixOf(%v) = %s, %v; want 10.244.1.1/24", n, got, ok)
	}
	if _, ok := PrefixOf(nil); ok {
		t.Error("PrefixOf(nil) is ok")
	}
	if _, ok := PrefixOf(&net.IPNet{IP: net.IP{1, 2, 3}}); ok {
		t.Error("PrefixOf of a 3-byte address is ok")
	}
	if got := AddrOf(net.ParseIP("10.0.0.1")); got != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("AddrOf = %s, want 10.0.0.1", got)
	}
	if got := AddrOf(nil); got.IsValid() {
		t.Errorf("AddrOf(nil) = %s, want the zero Addr", got)
	}
}
