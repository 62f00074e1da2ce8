package antispoof

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
)

// Registration is what the table holds for one port.
type Registration struct {
	Pod
	// Port says the port is in the ports set, the record of a registration.
	Port bool
	// macMissing says the macs set lacks the port, whose MAC was read from its addresses'
	// elements: the pod's ARP probes and DAD would be dropped.
	macMissing bool
}

// holds says whether the registration lets p send: its port, its MAC and every address.
// (The NA targets are not listed; Repair adds them again whatever this says.)
func (r Registration) holds(p Pod) bool {
	if !r.Port || r.macMissing || r.MAC.String() != p.MAC.String() {
		return false
	}
	for _, a := range p.Addrs {
		if !slices.Contains(r.Addrs, a) {
			return false
		}
	}
	return true
}

// Pods lists the node's registrations by the interface index of their host veth, through
// one nft run (for CHECK and GC, which are rare). No table means none; a set missing, that
// its elements and those of the sets after it are not read.
func Pods(ctx context.Context) (map[int]Registration, error) {
	l, err := listTable(ctx)
	if errors.Is(err, errNoTable) {
		return map[int]Registration{}, nil
	}
	if err != nil {
		return nil, err
	}
	return registrations(l)
}

// registrations reads the listed sets, the MACs before the addresses that need them.
func registrations(l listing) (map[int]Registration, error) {
	regs := map[int]Registration{}
	for _, set := range []string{portsSet, macsSet, ipv4Set, ipv6Set} {
		elems, ok := l.elements[set]
		if !ok {
			return regs, nil
		}
		if err := l.unreadable[set]; err != nil {
			return nil, err
		}
		for _, key := range elems {
			if err := addElement(regs, set, key); errors.Is(err, errPortGone) {
				continue // deleted since nft listed it; the next listing shows its index
			} else if err != nil {
				return nil, fmt.Errorf("set bridge %s %s: element %q: %w", Table, set, key, err)
			}
		}
	}
	return regs, nil
}

var errPortGone = errors.New("port gone")

// keyFields is how many fields an element's key has in each set Pods reads.
var keyFields = map[string]int{portsSet: 1, macsSet: 2, ipv4Set: 3, ipv6Set: 3}

// addElement reads an element as nft prints it, the port first (as its interface name
// while the interface exists, as the bare index after), and adds it to regs. An address
// counts only with the MAC of the port's macs element (listed before it): one held with
// another MAC lets nothing send.
func addElement(regs map[int]Registration, set string, key []string) error {
	want := keyFields[set]
	if len(key) != want {
		return fmt.Errorf("want %d fields", want)
	}
	index, err := strconv.Atoi(key[0])
	if err != nil {
		ifc, err := net.InterfaceByName(key[0])
		if err != nil {
			return errPortGone
		}
		index = ifc.Index
	}
	r := regs[index]
	r.Index = index
	switch set {
	case portsSet:
		r.Port = true
	case macsSet:
		if r.MAC, err = net.ParseMAC(key[1]); err != nil {
			return err
		}
	default:
		mac, err := net.ParseMAC(key[1])
		if err != nil {
			return err
		}
		a, err := netip.ParseAddr(key[2])
		if err != nil {
			return err
		}
		if r.MAC == nil { // no macs element: the address's elements still carry the MAC
			r.MAC, r.macMissing = mac, true
		}
		if bytes.Equal(mac, r.MAC) {
			r.Addrs = append(r.Addrs, a)
		}
	}
	regs[index] = r
	return nil
}
