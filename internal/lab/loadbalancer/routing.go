package loadbalancer

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/dualnet/dualnet/internal/netspec"
)

// rulePriority puts the load balancer's policy rules before the main table's (32766).
const rulePriority = 1000

// router is the vnet namespace's side of the load balancer outside nftables: the probe
// sources on the nodes' link, and a policy rule and a route table per backend slot.
type router struct {
	nl     *netlink.Handle
	bridge string
}

// addProbeSources puts Azure's probe sources on the nodes' link: 168.63.129.16 as a host
// address (a node's answer goes to its default gateway, the vnet router, which owns it) and
// fe80::1234:5678:9abc as a link-local one (answered on the link, as on Azure, where it is
// also the default gateway's address).
func (r router) addProbeSources(families []corev1.IPFamily) error {
	link, err := r.nl.LinkByName(r.bridge)
	if err != nil {
		return fmt.Errorf("find the nodes' link %s: %w", r.bridge, err)
	}
	for _, family := range families {
		addr := &netlink.Addr{IPNet: netspec.IPNet(netip.PrefixFrom(ProbeSourceIPv4, 32))}
		if family == corev1.IPv6Protocol {
			addr = &netlink.Addr{IPNet: netspec.IPNet(netip.PrefixFrom(ProbeSourceIPv6, 64)), Flags: unix.IFA_F_NODAD}
		}
		if err := r.nl.AddrReplace(link, addr); err != nil {
			return fmt.Errorf("add probe source %s to %s: %w", addr.IPNet, r.bridge, err)
		}
	}
	return nil
}

// syncRoutes makes, for every backend, a policy rule "fwmark M lookup M" and a table M whose
// default route is the backend's address (M = markOf its slot), in the backend's families,
// and removes the load balancer's rules and routes of slots no longer in use.
func (r router) syncRoutes(pools map[corev1.IPFamily][]Backend, sl slots) error {
	for _, family := range []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol} {
		nlFamily, def := netlink.FAMILY_V4, netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if family == corev1.IPv6Protocol {
			nlFamily, def = netlink.FAMILY_V6, netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
		want := map[int]netip.Addr{} // table: gateway
		for _, b := range pools[family] {
			want[int(markOf(sl[b.Node]))] = b.IP
		}
		rules, err := r.nl.RuleList(nlFamily)
		if err != nil {
			return fmt.Errorf("list %s policy rules: %w", family, err)
		}
		have := map[int]bool{}
		for _, rule := range rules {
			if !ours(rule.Table) {
				continue
			}
			if _, ok := want[rule.Table]; ok && rule.Mark == uint32(rule.Table) && !have[rule.Table] {
				have[rule.Table] = true
				continue
			}
			if err := r.nl.RuleDel(&rule); err != nil {
				return fmt.Errorf("delete policy rule %s: %w", rule, err)
			}
		}
		for table, gw := range want {
			if !have[table] {
				rule := netlink.NewRule()
				rule.Family, rule.Priority, rule.Table = nlFamily, rulePriority, table
				rule.Mark, rule.Mask = uint32(table), ptr.To(^uint32(0))
				if err := r.nl.RuleAdd(rule); err != nil {
					return fmt.Errorf("add policy rule fwmark %#x lookup %#x: %w", table, table, err)
				}
			}
			route := &netlink.Route{Table: table, Dst: netspec.IPNet(def), Gw: net.IP(gw.AsSlice())}
			if err := r.nl.RouteReplace(route); err != nil {
				return fmt.Errorf("route table %#x: default via %s: %w", table, gw, err)
			}
		}
		routes, err := r.nl.RouteListFiltered(nlFamily, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
		if err != nil {
			return fmt.Errorf("list %s routes: %w", family, err)
		}
		for _, route := range routes {
			if _, ok := want[route.Table]; ours(route.Table) && !ok {
				if err := r.nl.RouteDel(&route); err != nil && !errors.Is(err, unix.ESRCH) {
					return fmt.Errorf("delete route %s from table %#x: %w", route.Dst, route.Table, err)
				}
			}
		}
	}
	return nil
}

// ours says whether a route table is one of a backend slot's.
func ours(table int) bool { return uint32(table)&markMask == markBase && table != int(markBase) }
