package cni

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/plugins/pkg/netlinksafe"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/netspec"
)

// The checks of the pod's side, run in its namespace. They are the plugin's own rather than
// containernetworking/plugins' pkg/ip validators: that package brings iptables and nftables
// libraries whose package initialisation every ADD would pay for (see bench/cni/README.md).

// checkPodAddrs checks that the pod's interface holds every address of prevResult, with its
// prefix length, and that the main routing table has the route to its network that the
// kernel adds with it.
func checkPodAddrs(ifName string, ips []*current.IPConfig) error {
	link, err := netlinksafe.LinkByName(ifName)
	if err != nil {
		return fmt.Errorf("pod interface %s: %w", ifName, err)
	}
	list, err := netlinksafe.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("pod interface %s: list addresses: %w", ifName, err)
	}
	var have []netip.Prefix
	for _, a := range list {
		if p, ok := netspec.PrefixOf(a.IPNet); ok {
			have = append(have, p)
		}
	}
	for _, c := range ips {
		want, ok := netspec.PrefixOf(&c.Address)
		if !ok || !want.IsValid() {
			return fmt.Errorf("prevResult: address %q is not an address with a prefix length", c.Address.String())
		}
		if !slices.Contains(have, want) {
			return fmt.Errorf("pod interface %s: lacks %s from prevResult (it has %v)", ifName, want, have)
		}
		found, err := mainRoutes(want.Masked())
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return fmt.Errorf("pod routes: no route to %s, the network of %s", want.Masked(), want)
		}
	}
	return nil
}

// mainRoutes lists the routes to dst in the main table; for a default route (/0), every
// route of its family there, since the kernel lists one with no destination.
func mainRoutes(dst netip.Prefix) ([]netlink.Route, error) {
	family := netlink.FAMILY_V4
	if dst.Addr().Is6() {
		family = netlink.FAMILY_V6
	}
	filter, mask := &netlink.Route{Table: unix.RT_TABLE_MAIN}, uint64(netlink.RT_FILTER_TABLE)
	if dst.Bits() > 0 {
		filter.Dst, mask = netspec.IPNet(dst), mask|netlink.RT_FILTER_DST
	}
	found, err := netlinksafe.RouteListFiltered(family, filter, mask)
	if err != nil {
		return nil, fmt.Errorf("pod routes: list routes to %s: %w", dst, err)
	}
	return found, nil
}

// checkPodRoutes checks that the pod's main routing table holds every route of prevResult,
// through its gateway when the route names one.
func checkPodRoutes(routes []*types.Route) error {
	for _, r := range routes {
		dst, ok := netspec.PrefixOf(&r.Dst)
		if !ok || !dst.IsValid() {
			return fmt.Errorf("prevResult: route destination %q is not a prefix", r.Dst.String())
		}
		found, err := mainRoutes(dst)
		if err != nil {
			return err
		}
		found = slices.DeleteFunc(found, func(have netlink.Route) bool {
			if r.GW != nil && !have.Gw.Equal(r.GW) {
				return true
			}
			if dst.Bits() > 0 {
				return false // the filter compared the destination
			}
			p, ok := netspec.PrefixOf(have.Dst) // a default route: no destination, or /0
			return ok && p.Bits() != 0
		})
		if len(found) == 0 {
			via := ""
			if r.GW != nil {
				via = " via " + r.GW.String()
			}
			return fmt.Errorf("pod routes: no route to %s%s from prevResult", dst, via)
		}
	}
	return nil
}
