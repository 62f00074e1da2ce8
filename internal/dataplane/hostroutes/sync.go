package hostroutes

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/netspec"
)

// Result says what a Sync did.
type Result struct {
	Added, Replaced, Removed []netip.Prefix
	// OffLink are desired routes whose gateway is not on a link of this node; they are not
	// installed (and a stale one is removed).
	OffLink []Route
}

// Changed reports whether the kernel's table changed.
func (r Result) Changed() bool {
	return len(r.Added)+len(r.Replaced)+len(r.Removed) > 0
}

// Sync makes the main table hold exactly the desired routes with Protocol, through h (a
// handle in the node's namespace).
func Sync(h *netlink.Handle, desired []Route) (Result, error) {
	var res Result
	have, err := List(h)
	if err != nil {
		return res, err
	}
	haveByDst := map[netip.Prefix]netlink.Route{}
	for _, r := range have {
		if dst, ok := netspec.PrefixOf(r.Dst); ok {
			haveByDst[dst.Masked()] = r
		}
	}
	keep := map[netip.Prefix]bool{}
	for _, want := range desired {
		link, onLink := onLinkIndex(h, want.Via)
		if !onLink {
			res.OffLink = append(res.OffLink, want)
			continue
		}
		keep[want.Dst] = true
		cur, exists := haveByDst[want.Dst]
		if exists && cur.LinkIndex == link && netspec.AddrOf(cur.Gw) == want.Via {
			continue
		}
		route := kernelRoute(want, link)
		if err := h.RouteReplace(&route); err != nil {
			return res, fmt.Errorf("route %s via %s (node %q): %w", want.Dst, want.Via, want.Node, err)
		}
		if exists {
			res.Replaced = append(res.Replaced, want.Dst)
		} else {
			res.Added = append(res.Added, want.Dst)
		}
	}
	for dst, r := range haveByDst {
		if keep[dst] {
			continue
		}
		if err := h.RouteDel(&r); err != nil {
			return res, fmt.Errorf("remove stale route %s: %w", dst, err)
		}
		res.Removed = append(res.Removed, dst)
	}
	return res, nil
}

// List returns dualnet's routes of both families in the main table.
func List(h *netlink.Handle) ([]netlink.Route, error) {
	filter := &netlink.Route{Protocol: Protocol, Table: unix.RT_TABLE_MAIN}
	routes, err := h.RouteListFiltered(netlink.FAMILY_ALL, filter, netlink.RT_FILTER_PROTOCOL|netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("list routes of protocol %d: %w", Protocol, err)
	}
	return routes, nil
}

// Cleanup removes every dualnet route.
func Cleanup(h *netlink.Handle) error {
	_, err := Sync(h, nil)
	return err
}

func kernelRoute(r Route, link int) netlink.Route {
	return netlink.Route{
		Dst:       netspec.IPNet(r.Dst),
		Gw:        r.Via.AsSlice(),
		LinkIndex: link,
		Protocol:  Protocol,
		Table:     unix.RT_TABLE_MAIN,
		Scope:     netlink.SCOPE_UNIVERSE,
	}
}

// onLinkIndex asks the kernel how it reaches ip: directly through a link (no gateway) means
// the node is on-link, and that link carries the route.
func onLinkIndex(h *netlink.Handle, ip netip.Addr) (int, bool) {
	routes, err := h.RouteGet(ip.AsSlice())
	if err != nil || len(routes) == 0 {
		return 0, false
	}
	r := routes[0]
	if r.Gw != nil || r.LinkIndex == 0 || r.Type == unix.RTN_LOCAL {
		return 0, false
	}
	return r.LinkIndex, true
}
