package cni

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/dataplane/rtnl"
)

// vethPair is the pod's veth pair as one request creates it.
type vethPair struct {
	host, pod       string // names: the host end in the caller's namespace, the pod end in podNS
	hostMAC, podMAC net.HardwareAddr
	mtu             int // 0: the kernel's default
	master          int // the bridge's interface index
	podNS           int // a file descriptor of the pod's network namespace
}

// echo asks the kernel to send the new link back; a test sets it to 0 to play a kernel that
// does not.
var echo = unix.NLM_F_ECHO

// vethIndexes are the interface indexes of the pair's ends, each in its own namespace; 0 for
// the pod end's when the kernel did not say.
type vethIndexes struct{ host, pod int }

// addVethPair creates the pair with a single RTM_NEWLINK: the host end on the bridge
// (IFLA_MASTER) and still down (upHostEnd brings it up), the pod end in the pod's namespace,
// both with their MACs and MTU. It returns the ends' interface indexes, which the kernel
// echoes back (NLM_F_ECHO, Linux 6.3 and later: the host end's, and the pod end's as its
// IFLA_LINK); from an older kernel the answer is only the acknowledgement, and the host end's
// index is then looked up by name. netlink.LinkAdd takes three requests for the same (the
// creation, a lookup of the index by name, and setting the master), and on a node starting
// many pods at once each request waits for the kernel's RTNL lock behind every other plugin's.
func addVethPair(v vethPair) (vethIndexes, error) {
	ix, err := execEcho(newVethRequest(v), v.host)
	if err != nil || ix.host > 0 {
		return ix, err
	}
	link, err := rtnl.LinkByName(v.host) // a kernel that does not echo
	if err != nil {
		return ix, fmt.Errorf("find the new veth %s: %w", v.host, err)
	}
	if link == nil {
		return ix, fmt.Errorf("find the new veth %s: gone right after its creation", v.host)
	}
	return vethIndexes{host: link.Attrs().Index}, nil
}

// newVethRequest is the RTM_NEWLINK that creates the pair.
func newVethRequest(v vethPair) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK|echo)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(v.host)))
	if len(v.hostMAC) > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_ADDRESS, v.hostMAC))
	}
	if v.mtu > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(v.mtu))))
	}
	req.AddData(nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(uint32(v.master))))
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("veth"))
	peer := info.AddRtAttr(nl.IFLA_INFO_DATA, nil).AddRtAttr(nl.VETH_INFO_PEER, nil)
	nl.NewIfInfomsgChild(peer, unix.AF_UNSPEC)
	peer.AddRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(v.pod))
	if len(v.podMAC) > 0 {
		peer.AddRtAttr(unix.IFLA_ADDRESS, v.podMAC)
	}
	if v.mtu > 0 {
		peer.AddRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(v.mtu)))
	}
	peer.AddRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(v.podNS)))
	req.AddData(info)
	return req
}

// upHostEnd sets the new host end's port mode (hairpin as asked), turns its IPv6 address
// generation off, and brings it up, in one RTM_NEWLINK on the existing link: the request
// that creates a link ignores port settings and refuses per-family ones. A bridge port needs
// no address. With the link-local address the kernel would give it, the port would run
// duplicate address detection, report its solicited-node group and solicit routers, each
// packet flooded to every pod on the bridge, and deleting the veth would wait for those
// timers to let go of the device: dual-stack DEL took 32 ms at p50 with them, 24 without
// (bench/cni). Hairpin goes in the same request as port data rather than through
// netlink.LinkSetHairpin (as the agent's repair of a bridge sets it), which would be a
// request of its own waiting for the RTNL lock. A port without IPv6 (an MTU below IPv6's
// 1280, a kernel booted with ipv6.disable=1) refuses the IPv6 part: then it goes without.
func upHostEnd(index int, hairpin bool) error {
	err := execAck(upHostEndRequest(index, hairpin, true))
	if errors.Is(err, unix.EAFNOSUPPORT) {
		err = execAck(upHostEndRequest(index, hairpin, false))
	}
	return err
}

// upHostEndRequest is upHostEnd's request, with or without the IPv6 part.
func upHostEndRequest(index int, hairpin, ipv6 bool) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	req.AddData(msg)
	if ipv6 {
		spec := nl.NewRtAttr(unix.IFLA_AF_SPEC, nil)
		spec.AddRtAttr(unix.AF_INET6, nil).AddRtAttr(unix.IFLA_INET6_ADDR_GEN_MODE, []byte{nl.IN6_ADDR_GEN_MODE_NONE})
		req.AddData(spec)
	}
	if hairpin { // the port's mode, as `ip link set ... type bridge_slave hairpin on` sets it
		info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
		info.AddRtAttr(nl.IFLA_INFO_SLAVE_KIND, nl.NonZeroTerminated("bridge"))
		info.AddRtAttr(nl.IFLA_INFO_SLAVE_DATA, nil).AddRtAttr(nl.IFLA_BRPORT_MODE, []byte{1})
		req.AddData(info)
	}
	return req
}

// execAck sends req and waits for the kernel's acknowledgement.
func execAck(req *nl.NetlinkRequest) error {
	return rtnl.Do(req, nil)
}

// execEcho sends req and reads until the acknowledgement, returning the indexes of the link
// named name from the RTM_NEWLINK messages the kernel echoed (zero when none came).
func execEcho(req *nl.NetlinkRequest, name string) (vethIndexes, error) {
	var ix vethIndexes
	err := rtnl.Do(req, func(m syscall.NetlinkMessage) {
		if m.Header.Type != unix.RTM_NEWLINK {
			return
		}
		if echoed, ok := echoedIndexes(m.Data, name); ok {
			ix = echoed
		}
	})
	if err != nil {
		return vethIndexes{}, err
	}
	return ix, nil
}

// echoedIndexes reads an RTM_NEWLINK message: the link's index, and its peer's (IFLA_LINK,
// for a veth the other end's index in the other end's namespace); false unless the link is
// named name.
func echoedIndexes(data []byte, name string) (vethIndexes, bool) {
	if len(data) < unix.SizeofIfInfomsg {
		return vethIndexes{}, false
	}
	attrs, err := nl.ParseRouteAttr(data[unix.SizeofIfInfomsg:])
	if err != nil {
		return vethIndexes{}, false
	}
	ix, named := vethIndexes{host: int(nl.DeserializeIfInfomsg(data).Index)}, false
	for _, a := range attrs {
		switch a.Attr.Type {
		case unix.IFLA_IFNAME:
			named = unix.ByteSliceToString(a.Value) == name
		case unix.IFLA_LINK:
			if len(a.Value) == 4 {
				ix.pod = int(nl.NativeEndian().Uint32(a.Value))
			}
		}
	}
	return ix, named
}
