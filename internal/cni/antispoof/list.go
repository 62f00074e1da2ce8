package antispoof

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"sigs.k8s.io/knftables"
)

// Pods lists the registered pods of the node by the interface index of their host veth,
// through nft (for CHECK and GC, which are rare, so knftables' extra nft runs do not
// matter). No table means no pods.
func Pods(ctx context.Context) (map[int]Pod, error) {
	nft, err := knftables.New(knftables.BridgeFamily, Table)
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	pods := map[int]Pod{}
	for _, set := range []string{portsSet, ipv4Set, ipv6Set} {
		elems, err := nft.ListElements(ctx, "set", set)
		if knftables.IsNotFound(err) {
			return pods, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list set bridge %s %s: %w", Table, set, err)
		}
		for _, e := range elems {
			p, err := parseElement(set, e.Key)
			if errors.Is(err, errPortGone) {
				continue // deleted since nft listed it; the next listing shows its index
			}
			if err != nil {
				return nil, fmt.Errorf("set bridge %s %s: element %q: %w", Table, set, e.Key, err)
			}
			have := pods[p.Index]
			have.Index = p.Index
			have.Addrs = append(have.Addrs, p.Addrs...)
			pods[p.Index] = have
		}
	}
	return pods, nil
}

var errPortGone = errors.New("port gone")

// parseElement reads an element as nft prints it: the port first, as its interface name
// while the interface exists and as the bare index after, then the address.
func parseElement(set string, key []string) (Pod, error) {
	want := 2
	if set == portsSet {
		want = 1
	}
	if len(key) != want {
		return Pod{}, fmt.Errorf("want %d fields", want)
	}
	var p Pod
	if i, err := strconv.Atoi(key[0]); err == nil {
		p.Index = i
	} else if ifc, err := net.InterfaceByName(key[0]); err == nil {
		p.Index = ifc.Index
	} else {
		return Pod{}, errPortGone
	}
	if want == 2 {
		a, err := netip.ParseAddr(key[1])
		if err != nil {
			return Pod{}, err
		}
		p.Addrs = []netip.Addr{a}
	}
	return p, nil
}

// GC deletes the elements of every pod whose port keep rejects.
func GC(ctx context.Context, keep func(index int) bool) (removed []int, err error) {
	pods, err := Pods(ctx)
	if err != nil {
		return nil, err
	}
	for index, p := range pods {
		if keep(index) {
			continue
		}
		if err := Remove(p); err != nil {
			return removed, err
		}
		removed = append(removed, index)
	}
	return removed, nil
}
