package bridge

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestStaleAddrsRemovesOnlyWhatCannotBeTheNodesOwn(t *testing.T) {
	gws := Gateways(podCIDRs)
	p := netip.MustParsePrefix
	for _, tc := range []struct {
		name   string
		have   []netip.Prefix
		owned  bool
		remove []netip.Prefix
		refuse string // part of the error, "" for none
	}{
		{"only gateways", gws, false, nil, ""},
		{"address inside a pod CIDR", []netip.Prefix{p("10.244.1.77/24"), p("fd12:3456:789a:0:1::9/64")}, false,
			[]netip.Prefix{p("10.244.1.77/24"), p("fd12:3456:789a:0:1::9/64")}, ""},
		{"old gateway on our bridge", []netip.Prefix{p("10.244.7.1/24")}, true, []netip.Prefix{p("10.244.7.1/24")}, ""},
		{"old gateway on a foreign bridge", []netip.Prefix{p("10.244.7.1/24")}, false, nil, "10.244.7.1/24"},
		{"host address on a foreign bridge", []netip.Prefix{p("192.168.50.10/24")}, false, nil, "192.168.50.10/24, which is outside the pod CIDRs"},
		{"host IPv6 address on a foreign bridge", []netip.Prefix{p("2001:db8::10/64")}, false, nil, "not created by dualnet"},
		{"host address on our bridge", []netip.Prefix{p("192.168.50.10/24")}, true, nil, "not a gateway's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stale, err := staleAddrs("br0", tc.have, gws, tc.owned)
			if tc.refuse != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refuse) || !strings.Contains(err.Error(), "bridge br0") {
					t.Fatalf("staleAddrs = %v, %v; want an error naming br0 and %q", stale, err, tc.refuse)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []netip.Prefix
			for a := range stale {
				got = append(got, a)
			}
			slices.SortFunc(got, netip.Prefix.Compare)
			if !slices.Equal(got, tc.remove) {
				t.Errorf("removes %v, want %v", got, tc.remove)
			}
		})
	}
}
