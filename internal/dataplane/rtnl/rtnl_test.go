package rtnl

import (
	"errors"
	"net"
	"slices"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/dataplane/dptest"
)

// inNamespace runs f in a fresh network namespace holding a bridge with an address of each
// family, a veth pair on it, and a second veth with addresses of its own (which an address
// dump for the bridge must leave out); it passes the bridge and vishvananda/netlink's handle
// in the namespace, whose answers are the reference.
func inNamespace(t *testing.T, f func(h *netlink.Handle, br netlink.Link)) {
	name, ns := dptest.NewNamespace(t, "rtnl")
	for _, cmd := range [][]string{
		{"link", "add", "dn-br", "type", "bridge"},
		{"addr", "add", "10.244.1.1/24", "dev", "dn-br"},
		{"addr", "add", "fd12:3456:789a:0:1::1/80", "dev", "dn-br", "nodad"},
		{"link", "set", "dn-br", "up"},
		{"link", "add", "dn-host", "address", "02:00:00:00:00:01", "mtu", "1450", "master", "dn-br", "type", "veth", "peer", "name", "dn-pod"},
		{"link", "add", "dn-other", "type", "veth", "peer", "name", "dn-other-peer"},
		{"addr", "add", "192.0.2.1/32", "peer", "192.0.2.2/32", "dev", "dn-other"},
		{"addr", "add", "2001:db8::1/64", "dev", "dn-other", "nodad"},
		{"link", "set", "dn-other", "up"},
	} {
		dptest.Run(t, "ip", append([]string{"-n", name}, cmd...)...)
	}
	h, err := dptest.Netlink(t, name)
	if err != nil {
		t.Fatal(err)
	}
	br, err := h.LinkByName("dn-br")
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Do(func() error { f(h, br); return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestLinkByNameReadsWhatNetlinkReads(t *testing.T) {
	inNamespace(t, func(h *netlink.Handle, br netlink.Link) {
		for _, name := range []string{"dn-br", "dn-host", "dn-other", "lo"} {
			got, err := LinkByName(name)
			if err != nil {
				t.Fatalf("LinkByName(%s): %v", name, err)
			}
			want, err := h.LinkByName(name)
			if err != nil {
				t.Fatal(err)
			}
			g, w := got.Attrs(), want.Attrs()
			if got.Type() != want.Type() || g.Index != w.Index || g.Name != w.Name || g.MTU != w.MTU || g.MasterIndex != w.MasterIndex ||
				g.Flags != w.Flags || g.HardwareAddr.String() != w.HardwareAddr.String() || g.Alias != w.Alias {
				t.Errorf("LinkByName(%s) = %s %+v\nwant %s %+v", name, got.Type(), g, want.Type(), w)
			}
		}
		// The bridge's own attributes come through too: the CNI plugin checks its
		// group_fwd_mask on every ADD.
		got, _ := LinkByName("dn-br")
		want, _ := h.LinkByName("dn-br")
		if g, w := got.(*netlink.Bridge).GroupFwdMask, want.(*netlink.Bridge).GroupFwdMask; g == nil || w == nil || *g != *w {
			t.Errorf("dn-br's group_fwd_mask = %v, want %v", g, w)
		}
		if got, _ := LinkByName("dn-host"); got.Attrs().MasterIndex != br.Attrs().Index || got.Attrs().MTU != 1450 {
			t.Errorf("dn-host: master %d, MTU %d; want the bridge's index %d and 1450", got.Attrs().MasterIndex, got.Attrs().MTU, br.Attrs().Index)
		}
		if link, err := LinkByName("dn-absent"); link != nil || err != nil {
			t.Errorf("LinkByName of a missing link = %v, %v; want nil, nil", link, err)
		}
	})
}

func TestAddrListReadsOneLinksAddresses(t *testing.T) {
	inNamespace(t, func(h *netlink.Handle, br netlink.Link) {
		for _, name := range []string{"dn-br", "dn-other", "dn-pod"} {
			link, err := h.LinkByName(name)
			if err != nil {
				t.Fatal(err)
			}
			got, err := AddrList(link.Attrs().Index)
			if err != nil {
				t.Fatalf("AddrList(%s): %v", name, err)
			}
			want, err := h.AddrList(link, netlink.FAMILY_ALL)
			if err != nil {
				t.Fatal(err)
			}
			if s, ws := addrStrings(got), addrStrings(want); !slices.Equal(s, ws) {
				t.Errorf("AddrList(%s) = %v, want %v", name, s, ws)
			}
			for _, a := range got {
				if a.LinkIndex != link.Attrs().Index {
					t.Errorf("AddrList(%s): %s has link index %d, want %d", name, a.IPNet, a.LinkIndex, link.Attrs().Index)
				}
			}
		}
		got, _ := AddrList(br.Attrs().Index)
		if s := addrStrings(got); !slices.Contains(s, "10.244.1.1/24") || !slices.Contains(s, "fd12:3456:789a:0:1::1/80") {
			t.Errorf("the bridge's addresses = %v, want both gateways", s)
		}
	})
}

// addrStrings are the addresses as ip shows them: local/prefix, and " peer p" for a
// point-to-point address, sorted.
func addrStrings(addrs []netlink.Addr) []string {
	var out []string
	for _, a := range addrs {
		s := a.IPNet.String()
		if a.Peer != nil {
			s += " peer " + a.Peer.IP.String()
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func TestLinkDelDeletesTheVethPair(t *testing.T) {
	inNamespace(t, func(h *netlink.Handle, _ netlink.Link) {
		host, err := LinkByName("dn-host")
		if err != nil {
			t.Fatal(err)
		}
		if err := LinkDel(host.Attrs().Index); err != nil {
			t.Fatalf("LinkDel: %v", err)
		}
		for _, name := range []string{"dn-host", "dn-pod"} {
			if _, err := h.LinkByName(name); !errors.As(err, new(netlink.LinkNotFoundError)) {
				t.Errorf("after LinkDel, %s: %v; want it gone", name, err)
			}
		}
		if err := LinkDel(host.Attrs().Index); !errors.Is(err, unix.ENODEV) {
			t.Errorf("LinkDel of a deleted link = %v, want ENODEV", err)
		}
	})
}

func TestParseAddrRefusesAShortMessage(t *testing.T) {
	if _, err := parseAddr(make([]byte, 3)); err == nil {
		t.Error("parseAddr of 3 bytes: no error")
	}
	msg := make([]byte, unix.SizeofIfAddrmsg)
	msg[0] = unix.AF_INET
	if _, err := parseAddr(msg); err == nil {
		t.Error("parseAddr of a message without an address: no error")
	}
	ipv4 := append(msg, 8, 0, unix.IFA_ADDRESS, 0, 10, 0, 0, 1) // one attribute: 10.0.0.1
	ipv4[1] = 8                                                 // prefix length
	a, err := parseAddr(ipv4)
	if err != nil || a.IPNet.String() != (&net.IPNet{IP: net.IPv4(10, 0, 0, 1).To4(), Mask: net.CIDRMask(8, 32)}).String() {
		t.Errorf("parseAddr(10.0.0.1/8) = %v, %v", a.IPNet, err)
	}
}
