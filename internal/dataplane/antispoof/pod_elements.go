package antispoof

import (
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink/nl"
)

// Pod is what the elements of one pod depend on.
type Pod struct {
	// Index is the interface index of the pod's bridge port (the host end of its veth).
	Index int
	// MAC is the pod's own MAC address (of its end of the veth).
	MAC net.HardwareAddr
	// Addrs are the pod's own addresses.
	Addrs []netip.Addr
}

// setKeys are keys of one set, each the bytes the kernel stores.
type setKeys struct {
	set  string
	keys [][]byte
}

// elements are the keys of the pod's elements, set by set. Each key is a concatenation,
// and nft lays out each field of a concatenation whole and in the byte order of the
// expression that reads it: the interface index (meta iif) as a 4-byte integer in host
// byte order, the MAC (6 bytes), an IPv4 address (4 bytes), an IPv6 address or the 128-bit
// NA target (16 bytes) in network byte order, each padded to a multiple of 4 bytes (a MAC
// to 8). A pod without a MAC (what a half-written registration left, being removed) has only
// its port: every element of an address holds the MAC.
func (p Pod) elements() ([]setKeys, error) {
	if p.Index <= 0 {
		return nil, fmt.Errorf("anti-spoofing: interface index %d of the host veth: must be positive", p.Index)
	}
	if len(p.MAC) != 6 && len(p.MAC) != 0 {
		return nil, fmt.Errorf("anti-spoofing: pod MAC %q: must be 6 bytes", p.MAC)
	}
	port := make([]byte, 4)
	nl.NativeEndian().PutUint32(port, uint32(p.Index))
	out := []setKeys{{set: portsSet, keys: [][]byte{port}}}
	if len(p.MAC) == 0 {
		return out, nil
	}
	portMAC := append(append(append([]byte{}, port...), p.MAC...), 0, 0)
	out = append(out, setKeys{set: macsSet, keys: [][]byte{portMAC}})
	v4 := setKeys{set: ipv4Set}
	v6 := setKeys{set: ipv6Set}
	na := setKeys{set: naTargetsSet}
	for _, a := range p.Sources() {
		key := append(append([]byte{}, portMAC...), a.AsSlice()...)
		if a.Is4() {
			v4.keys = append(v4.keys, key)
		} else {
			v6.keys = append(v6.keys, key)
			na.keys = append(na.keys, append(append([]byte{}, port...), a.AsSlice()...))
		}
	}
	for _, s := range []setKeys{v4, v6, na} {
		if len(s.keys) > 0 {
			out = append(out, s)
		}
	}
	return out, nil
}

// Sources is every address the pod may send from: its own, and with IPv6 its link-local
// address (once: a registration listed from the table holds it already).
func (p Pod) Sources() []netip.Addr {
	if !slices.ContainsFunc(p.Addrs, netip.Addr.Is6) || len(p.MAC) != 6 || slices.Contains(p.Addrs, LinkLocal(p.MAC)) {
		return p.Addrs
	}
	return append(slices.Clip(p.Addrs), LinkLocal(p.MAC))
}

// LinkLocal is the IPv6 link-local address of the pod whose interface has mac: fe80::/64 with
// the modified EUI-64 interface identifier (RFC 4291 appendix A). The plugin gives the pod
// this address itself rather than leave it to the pod's kernel, whose address generation mode
// may be another, so that the rules can hold the pod to it.
func LinkLocal(mac net.HardwareAddr) netip.Addr {
	var a [16]byte
	a[0], a[1] = 0xfe, 0x80
	a[8], a[9], a[10] = mac[0]^0x02, mac[1], mac[2]
	a[11], a[12] = 0xff, 0xfe
	a[13], a[14], a[15] = mac[3], mac[4], mac[5]
	return netip.AddrFrom16(a)
}

// elementsOf is the elements of all pods, one entry a set, for one batch.
func elementsOf(pods []Pod) ([]setKeys, error) {
	bySet := map[string][][]byte{}
	var order []string
	for _, p := range pods {
		elems, err := p.elements()
		if err != nil {
			return nil, err
		}
		for _, e := range elems {
			if _, ok := bySet[e.set]; !ok {
				order = append(order, e.set)
			}
			bySet[e.set] = append(bySet[e.set], e.keys...)
		}
	}
	changes := make([]setKeys, 0, len(order))
	for _, set := range order {
		changes = append(changes, setKeys{set: set, keys: bySet[set]})
	}
	return changes, nil
}
