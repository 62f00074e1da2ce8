package rtnl

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// LinkByName returns the link named name, as netlink.LinkByName reads it; nil and no error
// when there is none.
func LinkByName(name string) (netlink.Link, error) {
	req := nl.NewNetlinkRequest(unix.RTM_GETLINK, unix.NLM_F_ACK)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	var link netlink.Link
	var parseErr error
	err := Do(req, func(m syscall.NetlinkMessage) {
		if m.Header.Type != unix.RTM_NEWLINK || link != nil || parseErr != nil {
			return
		}
		if len(m.Data) < unix.SizeofIfInfomsg {
			parseErr = errors.New("a truncated link message")
		} else {
			// A copy: the link keeps slices of the message (its MAC), and Do reads the
			// acknowledgement into the same buffer.
			data := append([]byte(nil), m.Data...)
			link, parseErr = netlink.LinkDeserialize(&unix.NlMsghdr{Type: m.Header.Type, Flags: m.Header.Flags}, data)
		}
	})
	if errors.Is(err, unix.ENODEV) {
		return nil, nil
	}
	if err == nil && parseErr != nil {
		err = fmt.Errorf("read link %s: %w", name, parseErr)
	}
	if err == nil && link == nil {
		err = fmt.Errorf("link %s: the kernel acknowledged the lookup without the link", name)
	}
	return link, err
}

// LinkDel deletes the link with the index; the kernel deletes a veth's peer with it.
func LinkDel(index int) error {
	req := nl.NewNetlinkRequest(unix.RTM_DELLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	req.AddData(msg)
	return Do(req, nil)
}

// AddrList returns the addresses of the link with the index, both families: IPNet the local
// address with its prefix length, Peer the other end's address of a point-to-point link
// when it differs, and the link's index, flags and label (netlink.AddrList reads more: the
// broadcast address and lifetimes).
func AddrList(index int) ([]netlink.Addr, error) {
	req := nl.NewNetlinkRequest(unix.RTM_GETADDR, unix.NLM_F_DUMP)
	msg := nl.NewIfAddrmsg(unix.AF_UNSPEC)
	msg.Index = uint32(index)
	req.AddData(msg)
	var addrs []netlink.Addr
	var parseErr error
	err := Do(req, func(m syscall.NetlinkMessage) {
		if m.Header.Type != unix.RTM_NEWADDR || parseErr != nil {
			return
		}
		if len(m.Data) >= unix.SizeofIfAddrmsg && int(nl.DeserializeIfAddrmsg(m.Data).Index) != index {
			return // a kernel without strict checking dumps every link's
		}
		a, err := parseAddr(m.Data)
		if err != nil {
			parseErr = err
			return
		}
		a.LinkIndex = index
		addrs = append(addrs, a)
	})
	if err == nil && parseErr != nil {
		err = fmt.Errorf("read the addresses of link %d: %w", index, parseErr)
	}
	return addrs, err
}
