package antispoof

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
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
// 10.244.1.2 }` (nft --debug=netlink): the index in 4 bytes of host order, then the address.
func TestElementKeysAreLaidOutAsNftLaysThemOut(t *testing.T) {
	elems, err := pod(7, "10.244.1.2", "fd12:3456:789a:0:1::2").elements()
	if err != nil {
		t.Fatal(err)
	}
	port := binary.NativeEndian.AppendUint32(nil, 7)
	v6 := append(append([]byte{}, port...), netip.MustParseAddr("fd12:3456:789a:0:1::2").AsSlice()...)
	want := map[string][]byte{
		portsSet:     port,
		macsSet:      append(append(append([]byte{}, port...), 0x02, 0, 0, 0, 0, 7), 0, 0),
		ipv4Set:      append(append([]byte{}, port...), 10, 244, 1, 2),
		ipv6Set:      v6,
		naTargetsSet: v6,
	}
	if len(elems) != len(want) {
		t.Fatalf("got %d sets, want %d: %v", len(elems), len(want), elems)
	}
	for _, s := range elems {
		if len(s.keys) != 1 || !bytes.Equal(s.keys[0], want[s.set]) {
			t.Errorf("set %s: got keys %x, want %x", s.set, s.keys, want[s.set])
		}
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
