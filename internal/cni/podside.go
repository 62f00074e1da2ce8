package cni

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/dataplane/podveth"
	"github.com/dualnet/dualnet/internal/dataplane/rtnl"
	"github.com/dualnet/dualnet/internal/netspec"
)

// configurePod runs inside the pod namespace: router advertisements off, link up, one address
// per family (and the IPv6 link-local address) without DAD, default routes via the gateways.
// index is the pod end's interface index, 0 when unknown (then it is looked up by name).
func configurePod(a *attachment, ifName string, index int, gateways []netip.Prefix) error {
	hasV6 := false
	for _, addr := range a.addrs {
		hasV6 = hasV6 || addr.Is6()
	}
	if hasV6 {
		// The pod's routes are the ones ADD sets; no advertisement may add others (the
		// bridge drops those from pods, but not, say, from a router on the node).
		if err := setIPv6Zero(ifName, "accept_ra", "turn IPv6 router advertisements off"); err != nil {
			return err
		}
	}
	if index == 0 {
		link, err := rtnl.LinkByName(ifName)
		if err == nil && link == nil {
			err = errors.New("no such link")
		}
		if err != nil {
			return fmt.Errorf("find %s: %w", ifName, err)
		}
		index = link.Attrs().Index
	}
	prefixes := make([]netip.Prefix, 0, len(a.addrs)+1)
	for i, addr := range a.addrs {
		prefixes = append(prefixes, netip.PrefixFrom(addr, a.cidrs[i].Bits()))
	}
	if hasV6 {
		// The link-local address is the one the anti-spoofing rules hold the pod to
		// (antispoof.LinkLocal), whatever address generation mode the pod's kernel has: it
		// makes none, and the plugin adds that one. Every address goes on without DAD, so
		// the pod can use IPv6 as soon as ADD returns instead of a second later.
		// A request of its own, before the one that brings the link up: a request applies
		// its flags before its per-family part, and the pod end, whose peer is up, has a
		// carrier at once and, made moments ago, an operational state the kernel has not
		// set yet, which IPv6 takes for up; it would make its own link-local address, with
		// DAD, at once. (upHostEnd can join them: the host end comes up without a carrier.)
		if err := rtnl.SetIP6AddrGenModeNone(index); err != nil {
			return fmt.Errorf("turn IPv6 address generation off for %s: %w", ifName, err)
		}
		prefixes = append(prefixes, netip.PrefixFrom(antispoof.LinkLocal(podveth.PodMAC(a.key)), 64))
	}
	// Up first: IPv6 adds the prefix route of an address at once only on an up link, and the
	// default route needs it to reach the gateway.
	if err := rtnl.LinkSetUp(index); err != nil {
		return fmt.Errorf("bring %s up: %w", ifName, err)
	}
	for _, p := range prefixes {
		var flags uint32
		if p.Addr().Is6() {
			flags = unix.IFA_F_NODAD
		}
		err := rtnl.AddrAdd(index, p, flags)
		if p.Addr().Is6() && errors.Is(err, unix.EACCES) {
			// IPv6 is disabled in the pod's namespace (net.ipv6.conf.default.disable_ipv6
			// was 1 when it was made): the pod asked for an IPv6 address, so turn it on.
			if err = enableIPv6(ifName); err == nil {
				err = rtnl.AddrAdd(index, p, flags)
			}
		}
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("add %s to %s: %w", p, ifName, err)
		}
	}
	for _, gw := range gateways {
		if err := rtnl.DefaultRouteReplace(index, gw.Addr()); err != nil {
			return fmt.Errorf("add the default route via %s: %w", gw.Addr(), err)
		}
	}
	return nil
}

func defaultDst(a netip.Addr) *net.IPNet {
	if a.Is4() {
		return netspec.IPNet(netip.PrefixFrom(netip.IPv4Unspecified(), 0))
	}
	return netspec.IPNet(netip.PrefixFrom(netip.IPv6Unspecified(), 0))
}

// enableIPv6 turns IPv6 on for the pod's interface and its loopback, in the calling
// thread's namespace.
func enableIPv6(ifName string) error {
	for _, dev := range []string{"lo", ifName} {
		if err := setIPv6Zero(dev, "disable_ipv6", "turn IPv6 on"); err != nil {
			return err
		}
	}
	return nil
}

// setIPv6Zero writes 0 to the IPv6 setting key of dev, in the calling thread's namespace
// (/proc/sys/net follows the writer's namespace); doing says what that does, for the error.
func setIPv6Zero(dev, key, doing string) error {
	path := "/proc/sys/net/ipv6/conf/" + dev + "/" + key
	if err := os.WriteFile(path, []byte("0"), 0o644); err != nil {
		return fmt.Errorf("%s (%s): %w", doing, path, err)
	}
	return nil
}
