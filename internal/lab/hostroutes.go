package lab

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// HostRoutes reads (never changes) the destinations of the host's routes in the main table,
// both families.
func HostRoutes() ([]netip.Prefix, error) {
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: 254}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("list the host's routes: %w", err)
	}
	var out []netip.Prefix
	for _, r := range routes {
		if r.Dst == nil {
			continue // a default route
		}
		ones, _ := r.Dst.Mask.Size()
		addr, ok := netip.AddrFromSlice(r.Dst.IP)
		if !ok {
			continue
		}
		p := netip.PrefixFrom(addr.Unmap(), ones)
		if p.Addr().Is6() && p.Addr().IsLinkLocalUnicast() {
			continue // fe80::/64 is on every link and never a lab range
		}
		out = append(out, p)
	}
	return out, nil
}
