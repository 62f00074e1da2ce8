package antispoof

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func pod(index int, addrs ...string) Pod {
	p := Pod{Index: index, MAC: net.HardwareAddr{0x02, 0, 0, 0, byte(index >> 8), byte(index)}}
	for _, a := range addrs {
		p.Addrs = append(p.Addrs, netip.MustParseAddr(a))
	}
	return p
}

// The layout nft itself sends for `add element bridge dualnet-antispoof ipv4 { 7 .
// 02:00:00:00:00:07 . 10.244.1.2 }` (nft --debug=netlink): the index in 4 bytes of host
// order, the MAC padded to 8 bytes, then the address.
func TestElementKeysAreLaidOutAsNftLaysThemOut(t *testing.T) {
	elems, err := pod(7, "10.244.1.2", "fd12:3456:789a:0:1::2").elements()
	if err != nil {
		t.Fatal(err)
	}
	port := binary.NativeEndian.AppendUint32(nil, 7)
	portMAC := append(append([]byte{}, port...), 0x02, 0, 0, 0, 0, 7, 0, 0)
	withMAC := func(a string) []byte {
		return append(append([]byte{}, portMAC...), netip.MustParseAddr(a).AsSlice()...)
	}
	target := func(a string) []byte { return append(append([]byte{}, port...), netip.MustParseAddr(a).AsSlice()...) }
	// The IPv6 sets hold the global address and the link-local one of the MAC 02:00:00:00:00:07.
	want := map[string][][]byte{
		portsSet:     {port},
		macsSet:      {portMAC},
		ipv4Set:      {withMAC("10.244.1.2")},
		ipv6Set:      {withMAC("fd12:3456:789a:0:1::2"), withMAC("fe80::ff:fe00:7")},
		naTargetsSet: {target("fd12:3456:789a:0:1::2"), target("fe80::ff:fe00:7")},
	}
	if len(elems) != len(want) {
		t.Fatalf("got %d sets, want %d: %v", len(elems), len(want), elems)
	}
	for _, s := range elems {
		if !slices.EqualFunc(s.keys, want[s.set], bytes.Equal) {
			t.Errorf("set %s: got keys %x, want %x", s.set, s.keys, want[s.set])
		}
	}
}

// The modified EUI-64 identifier (RFC 4291 appendix A): the universal/local bit flipped,
// ff:fe in the middle; the kernel derives the same from a MAC in its default mode.
func TestLinkLocalIsTheModifiedEUI64OfTheMAC(t *testing.T) {
	mac, _ := net.ParseMAC("52:54:00:12:34:56")
	if got, want := LinkLocal(mac), netip.MustParseAddr("fe80::5054:ff:fe12:3456"); got != want {
		t.Errorf("LinkLocal(%s) = %s, want %s", mac, got, want)
	}
}

func TestSingleStackPodHasNoElementsOfTheOtherFamily(t *testing.T) {
	elems, err := pod(7, "10.244.1.2").elements()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range elems {
		if s.set == ipv6Set || s.set == naTargetsSet {
			t.Errorf("an IPv4-only pod has elements in %s", s.set)
		}
	}
}

func TestInterfaceIndexMustBePositive(t *testing.T) {
	for _, index := range []int{0, -1} {
		if _, err := pod(index, "10.244.1.2").elements(); err == nil || !strings.Contains(err.Error(), "interface index") {
			t.Errorf("index %d: got %v, want an error about the interface index", index, err)
		}
	}
}
