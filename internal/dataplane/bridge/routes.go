package bridge

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/netspec"
)

// EnsureSubnetRoutes puts back, in the main table, the route of each gateway's pod CIDR
// through the bridge, and returns the pod CIDRs whose route it added. The kernel adds these
// routes with the gateway addresses (proto kernel), but nothing adds them again when they
// are deleted on their own (`ip route del 10.244.1.0/24 dev cbr0`): the node then reaches
// none of its pods in that family, while the bridge and its addresses look whole. The routes
// put back are the kernel's own: same scope, source and (IPv6) metric.
func EnsureSubnetRoutes(h *netlink.Handle, link netlink.Link, gateways []netip.Prefix) ([]netip.Prefix, error) {
	name := link.Attrs().Name
	have, err := h.RouteListFiltered(netlink.FAMILY_ALL,
		&netlink.Route{LinkIndex: link.Attrs().Index, Table: unix.RT_TABLE_MAIN},
		netlink.RT_FILTER_OIF|netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("list routes of bridge %s: %w", name, err)
	}
	present := map[netip.Prefix]bool{}
	for _, r := range have {
		if dst, ok := netspec.PrefixOf(r.Dst); ok {
			present[dst] = true
		}
	}
	var added []netip.Prefix
	for _, g := range gateways {
		subnet := g.Masked()
		if present[subnet] {
			continue
		}
		route := subnetRoute(link.Attrs().Index, g)
		if err := h.RouteAdd(&route); err != nil && !errors.Is(err, unix.EEXIST) {
			return added, fmt.Errorf("add route %s dev %s: %w", subnet, name, err)
		}
		added = append(added, subnet)
	}
	return added, nil
}

// subnetRoute is the route the kernel adds with gateway g: `10.244.1.0/24 dev cbr0 proto
// kernel scope link src 10.244.1.1`, `fd12::/80 dev cbr0 proto kernel metric 256`.
func subnetRoute(index int, g netip.Prefix) netlink.Route {
	r := netlink.Route{
		LinkIndex: index,
		Dst:       netspec.IPNet(g.Masked()),
		Table:     unix.RT_TABLE_MAIN,
		Protocol:  unix.RTPROT_KERNEL,
		Scope:     netlink.SCOPE_LINK,
	}
	if g.Addr().Is4() {
		r.Src = g.Addr().AsSlice()
	} else {
		r.Scope = netlink.SCOPE_UNIVERSE
		r.Priority = ipv6PrefixRouteMetric
	}
	return r
}

// ipv6PrefixRouteMetric is the metric the kernel gives an IPv6 address's prefix route
// (IP6_RT_PRIO_ADDRCONF).
const ipv6PrefixRouteMetric = 256
