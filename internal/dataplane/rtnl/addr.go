package rtnl

import (
	"errors"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// parseAddr reads an RTM_NEWADDR message's address. IFA_LOCAL
// is the local address where both are present (IFA_ADDRESS is then a point-to-point peer's);
// an IPv6 address has only IFA_ADDRESS.
func parseAddr(data []byte) (netlink.Addr, error) {
	if len(data) < unix.SizeofIfAddrmsg {
		return netlink.Addr{}, errors.New("a truncated address message")
	}
	msg := nl.DeserializeIfAddrmsg(data)
	attrs, err := nl.ParseRouteAttr(data[unix.SizeofIfAddrmsg:])
	if err != nil {
		return netlink.Addr{}, err
	}
	bits := 32
	if msg.Family == unix.AF_INET6 {
		bits = 128
	}
	mask := net.CIDRMask(int(msg.Prefixlen), bits)
	var local, peer net.IP
	a := netlink.Addr{Scope: int(msg.Scope), Flags: int(msg.Flags)}
	for _, attr := range attrs {
		switch attr.Attr.Type {
		case unix.IFA_LOCAL:
			local = net.IP(append([]byte(nil), attr.Value...))
		case unix.IFA_ADDRESS:
			peer = net.IP(append([]byte(nil), attr.Value...))
		case unix.IFA_FLAGS:
			if len(attr.Value) == 4 {
				a.Flags = int(nl.NativeEndian().Uint32(attr.Value))
			}
		case unix.IFA_LABEL:
			a.Label = unix.ByteSliceToString(attr.Value)
		}
	}
	if local == nil {
		local, peer = peer, nil
	}
	if local == nil {
		return netlink.Addr{}, errors.New("an address message without an address")
	}
	a.IPNet = &net.IPNet{IP: local, Mask: mask}
	if peer != nil && !peer.Equal(local) {
		a.Peer = &net.IPNet{IP: peer, Mask: mask}
	}
	return a, nil
}
