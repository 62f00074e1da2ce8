package rtnl

import (
	"net/netip"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// The requests below are the ones vishvananda/netlink's functions of the same names send,
// field for field, so that a pod end configured through them looks the same.

// LinkSetUp brings the link with the index up.
func LinkSetUp(index int) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	req.AddData(msg)
	return Do(req, nil)
}

// SetIP6AddrGenModeNone stops IPv6 from making link-local addresses on the link with the
// index (IN6_ADDR_GEN_MODE_NONE).
func SetIP6AddrGenModeNone(index int) error {
	req := nl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	req.AddData(msg)
	spec := nl.NewRtAttr(unix.IFLA_AF_SPEC, nil)
	spec.AddRtAttr(unix.AF_INET6, nil).AddRtAttr(unix.IFLA_INET6_ADDR_GEN_MODE, []byte{nl.IN6_ADDR_GEN_MODE_NONE})
	req.AddData(spec)
	return Do(req, nil)
}

// AddrAdd adds p (the address with its prefix length) to the link with the index, with the
// IFA_F_* flags; an IPv4 address of a prefix shorter than /31 gets its broadcast address.
// It fails with EEXIST when the link has the address.
func AddrAdd(index int, p netip.Prefix, flags uint32) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	family := unix.AF_INET6
	if p.Addr().Is4() {
		family = unix.AF_INET
	}
	msg := nl.NewIfAddrmsg(family)
	msg.Index = uint32(index)
	msg.Prefixlen = uint8(p.Bits())
	if flags <= 0xff {
		msg.Flags = uint8(flags)
	}
	req.AddData(msg)
	local := p.Addr().AsSlice()
	req.AddData(nl.NewRtAttr(unix.IFA_LOCAL, local))
	req.AddData(nl.NewRtAttr(unix.IFA_ADDRESS, local))
	if flags > 0xff {
		req.AddData(nl.NewRtAttr(unix.IFA_FLAGS, nl.Uint32Attr(flags)))
	}
	if p.Addr().Is4() && p.Bits() < 31 {
		req.AddData(nl.NewRtAttr(unix.IFA_BROADCAST, broadcast(p)))
	}
	return Do(req, nil)
}

// broadcast is the IPv4 prefix's last address.
func broadcast(p netip.Prefix) []byte {
	b := p.Addr().As4()
	host := ^uint32(0) >> p.Bits()
	for i := range b {
		b[i] |= byte(host >> (24 - 8*i))
	}
	return b[:]
}

// DefaultRouteReplace makes the default route of gw's family go via gw out of the link with
// the index, replacing any there is.
func DefaultRouteReplace(index int, gw netip.Addr) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE|unix.NLM_F_ACK)
	msg := nl.NewRtMsg()
	msg.Family = unix.AF_INET6
	dst := netip.IPv6Unspecified()
	if gw.Is4() {
		msg.Family = unix.AF_INET
		dst = netip.IPv4Unspecified()
	}
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.RTA_DST, dst.AsSlice()))
	req.AddData(nl.NewRtAttr(unix.RTA_GATEWAY, gw.AsSlice()))
	req.AddData(nl.NewRtAttr(unix.RTA_OIF, nl.Uint32Attr(uint32(index))))
	return Do(req, nil)
}
