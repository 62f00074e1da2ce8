package hostroutes

import (
	"net/netip"
	"slices"
	"testing"
)

func TestDesiredPairsEachPodCIDRWithTheNodeIPOfItsFamily(t *testing.T) {
	got := Desired([]Peer{
		{Node: "b", PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.1.0/24"), netip.MustParsePrefix("fd12:3456:789a:0:1::/80")},
			IPs: []netip.Addr{netip.MustParseAddr("fd00::b"), netip.MustParseAddr("192.168.0.11")}},
		{Node: "a", PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/24"), netip.MustParsePrefix("fd12:3456:789a::/80")},
			IPs: []netip.Addr{netip.MustParseAddr("192.168.0.10")}},
	})
	want := []Route{
		{Node: "a", Dst: netip.MustParsePrefix("10.244.0.0/24"), Via: netip.MustParseAddr("192.168.0.10")},
		{Node: "b", Dst: netip.MustParsePrefix("10.244.1.0/24"), Via: netip.MustParseAddr("192.168.0.11")},
		{Node: "b", Dst: netip.MustParsePrefix("fd12:3456:789a:0:1::/80"), Via: netip.MustParseAddr("fd00::b")},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Desired = %v\nwant %v", got, want)
	}
}
