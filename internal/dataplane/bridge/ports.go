package bridge

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
)

// attachPorts attaches again, with hairpin mode on, the links of ports (interface indexes:
// the host veths of the node's live pods, which the agent knows) that are not on the
// bridge, brings them up, and returns the names of those it attached. Deleting a bridge
// leaves its ports in place, detached: a bridge created again has none, and the node's pods
// stay cut off until their veths are on it again. A port whose link is gone (its pod was
// deleted meanwhile) is skipped. Hairpin mode is a setting of the bridge port, so it is lost
// with the bridge; the CNI plugin turns it on for every port (the conflist's hairpinMode),
// so that a pod reaches itself through a service address.
func attachPorts(h *netlink.Handle, br netlink.Link, ports []int) ([]string, error) {
	var attached []string
	for _, index := range ports {
		link, err := h.LinkByIndex(index)
		if errors.As(err, new(netlink.LinkNotFoundError)) {
			continue
		}
		if err != nil {
			return attached, fmt.Errorf("find port %d of bridge %s: %w", index, br.Attrs().Name, err)
		}
		if link.Attrs().MasterIndex == br.Attrs().Index {
			continue
		}
		name := link.Attrs().Name
		if err := h.LinkSetMasterByIndex(link, br.Attrs().Index); err != nil {
			return attached, fmt.Errorf("attach %s to bridge %s: %w", name, br.Attrs().Name, err)
		}
		if err := h.LinkSetHairpin(link, true); err != nil {
			return attached, fmt.Errorf("hairpin on %s: %w", name, err)
		}
		if link.Attrs().Flags&net.FlagUp == 0 {
			if err := h.LinkSetUp(link); err != nil {
				return attached, fmt.Errorf("bring %s up: %w", name, err)
			}
		}
		attached = append(attached, name)
	}
	return attached, nil
}
