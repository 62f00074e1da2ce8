package lab

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// HostRoutes reads (never changes) the destinations of the host's routes, both families, in
// the main table and in every table a policy rule (`ip rule`) sends traffic to.
func HostRoutes() ([]netip.Prefix, error) {
	tables := map[int]bool{unix.RT_TABLE_MAIN: true}
	rules, err := netlink.RuleList(netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("list the host's routing rules: %w", err)
	}
	for _, r := range rules {
		if r.Table > 0 {
			tables[r.Table] = true
		}
	}
	seen := map[netip.Prefix]bool{}
	var out []netip.Prefix
	for table := range tables {
		routes, err := netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: table}, netlink.RT_FILTER_TABLE)
		if err != nil {
			return nil, fmt.Errorf("list the host's routes in table %d: %w", table, err)
		}
		for _, r := range routes {
			if p, ok := destination(r); ok && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// destination is a route's destination, unless it is a default route or one every host has
// on every link (IPv6 link-local and multicast), which no lab range can mean.
func destination(r netlink.Route) (netip.Prefix, bool) {
	if r.Dst == nil {
		return netip.Prefix{}, false
	}
	ones, _ := r.Dst.Mask.Size()
	addr, ok := netip.AddrFromSlice(r.Dst.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	p := netip.PrefixFrom(addr.Unmap(), ones)
	if p.Bits() == 0 || p.Addr().IsLinkLocalUnicast() || p.Addr().IsMulticast() {
		return netip.Prefix{}, false
	}
	return p, true
}
