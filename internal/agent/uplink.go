package agent

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/netspec"
)

// uplink is the node's interface toward the other nodes: named by --uplink, or found as the
// one that holds the node's InternalIP. The bridge takes its MTU, so that pod packets fit.
type uplink struct {
	name string
	mtu  int
}

func findUplink(h *netlink.Handle, name string, nodeIPs []netip.Addr) (uplink, error) {
	if name != "" {
		link, err := h.LinkByName(name)
		if err != nil {
			return uplink{}, fmt.Errorf("--uplink=%s: %w", name, err)
		}
		return uplink{name: name, mtu: link.Attrs().MTU}, nil
	}
	if len(nodeIPs) == 0 {
		return uplink{}, fmt.Errorf("the node has no InternalIP in status.addresses, so the uplink is unknown: set --uplink")
	}
	addrs, err := h.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return uplink{}, fmt.Errorf("list addresses: %w", err)
	}
	for _, want := range nodeIPs {
		for _, a := range addrs {
			if netspec.AddrOf(a.IP) == want {
				link, err := h.LinkByIndex(a.LinkIndex)
				if err != nil {
					return uplink{}, fmt.Errorf("link %d holding %s: %w", a.LinkIndex, want, err)
				}
				return uplink{name: link.Attrs().Name, mtu: link.Attrs().MTU}, nil
			}
		}
	}
	return uplink{}, fmt.Errorf("no interface holds the node's InternalIPs %v: set --uplink", nodeIPs)
}
