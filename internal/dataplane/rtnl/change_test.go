package rtnl

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/dataplane/dptest"
)

// A pod end configured through these requests reads back, through ip, as the plugin's
// configuration promises: no generated link-local address, up, an IPv4 address with its
// broadcast, IPv6 addresses without DAD, and default routes via the gateways.
func TestChangesConfigureAPodEnd(t *testing.T) {
	name, ns := dptest.NewNamespace(t, "rtnl")
	dptest.Run(t, "ip", "-n", name, "link", "add", "dn-br", "type", "bridge")
	dptest.Run(t, "ip", "-n", name, "link", "set", "dn-br", "up")
	dptest.Run(t, "ip", "-n", name, "link", "add", "dn-host", "master", "dn-br", "up", "type", "veth", "peer", "name", "eth0")
	err := ns.Do(func() error {
		pod, err := LinkByName("eth0")
		if err != nil || pod == nil {
			t.Fatalf("LinkByName(eth0) = %v, %v", pod, err)
		}
		ix := pod.Attrs().Index
		steps := []struct {
			what string
			do   func() error
		}{
			{"address generation off", func() error { return SetIP6AddrGenModeNone(ix) }},
			{"up", func() error { return LinkSetUp(ix) }},
			{"IPv4 address", func() error { return AddrAdd(ix, netip.MustParsePrefix("10.244.1.5/24"), 0) }},
			{"IPv6 address", func() error { return AddrAdd(ix, netip.MustParsePrefix("fd12:3456:789a:0:1::5/80"), unix.IFA_F_NODAD) }},
			{"link-local address", func() error { return AddrAdd(ix, netip.MustParsePrefix("fe80::1234/64"), unix.IFA_F_NODAD) }},
			{"IPv4 default route", func() error { return DefaultRouteReplace(ix, netip.MustParseAddr("10.244.1.1")) }},
			{"IPv6 default route", func() error { return DefaultRouteReplace(ix, netip.MustParseAddr("fd12:3456:789a:0:1::1")) }},
			{"IPv4 default route again", func() error { return DefaultRouteReplace(ix, netip.MustParseAddr("10.244.1.1")) }},
		}
		for _, s := range steps {
			if err := s.do(); err != nil {
				t.Fatalf("%s: %v", s.what, err)
			}
		}
		if err := AddrAdd(ix, netip.MustParsePrefix("10.244.1.5/24"), 0); !errors.Is(err, unix.EEXIST) {
			t.Errorf("adding the IPv4 address again = %v, want EEXIST", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for cmd, wants := range map[string][]string{
		"-d link show dev eth0": {"state UP", "addrgenmode none"},
		"addr show dev eth0":    {"inet 10.244.1.5/24 brd 10.244.1.255 scope global eth0", "inet6 fd12:3456:789a:0:1::5/80 scope global nodad", "inet6 fe80::1234/64 scope link nodad"},
		"-4 route show":         {"default via 10.244.1.1 dev eth0"},
		"-6 route show":         {"default via fd12:3456:789a:0:1::1 dev eth0"},
	} {
		out := dptest.InNS(t, name, append([]string{"ip"}, strings.Fields(cmd)...)...)
		for _, want := range wants {
			if !strings.Contains(out, want) {
				t.Errorf("ip %s lacks %q:\n%s", cmd, want, out)
			}
		}
		if strings.Contains(out, "tentative") {
			t.Errorf("ip %s: an address is tentative (DAD on):\n%s", cmd, out)
		}
	}
	if out := dptest.InNS(t, name, "ip", "-4", "route", "show", "default"); strings.Count(out, "default") != 1 {
		t.Errorf("replacing the IPv4 default route twice left:\n%s", out)
	}
}

func TestBroadcastIsThePrefixsLastAddress(t *testing.T) {
	for p, want := range map[string]string{"10.244.1.5/24": "10.244.1.255", "10.0.0.1/8": "10.255.255.255", "192.0.2.9/30": "192.0.2.11", "0.0.0.0/0": "255.255.255.255"} {
		if got, _ := netip.AddrFromSlice(broadcast(netip.MustParsePrefix(p))); got.String() != want {
			t.Errorf("broadcast(%s) = %s, want %s", p, got, want)
		}
	}
}
