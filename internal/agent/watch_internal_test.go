package agent

import (
	"net"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/dataplane/hostroutes"
)

// linkUpdate is an rtnetlink link message as the subscription delivers it.
func linkUpdate(msgType uint16, family uint8, attrs netlink.LinkAttrs) netlink.LinkUpdate {
	u := netlink.LinkUpdate{Header: unix.NlMsghdr{Type: msgType}, Link: &netlink.Device{LinkAttrs: attrs}}
	u.IfInfomsg = nl.IfInfomsg{IfInfomsg: unix.IfInfomsg{Family: family}}
	return u
}

func TestBridgeWatchWakesTheSyncForDriftAndNotForPodsComingAndGoing(t *testing.T) {
	w := newBridgeWatch("cbr0")
	bridge := netlink.LinkAttrs{Name: "cbr0", Index: 3, MTU: 1500, Flags: net.FlagUp}
	port := netlink.LinkAttrs{Name: "dn0123456789ab", Index: 7}
	attached := port
	attached.MasterIndex = 3
	other := netlink.LinkAttrs{Name: "eth0", Index: 2, Flags: net.FlagUp}
	steps := []struct {
		what string
		got  bool
		want bool
	}{
		{"the bridge first seen (the subscription's listing)", w.link(linkUpdate(unix.RTM_NEWLINK, unix.AF_UNSPEC, bridge)), true},
		{"the bridge unchanged (its carrier follows its ports)", w.link(linkUpdate(unix.RTM_NEWLINK, unix.AF_UNSPEC, bridge)), false},
		{"a pod's veth created, no master yet", w.link(linkUpdate(unix.RTM_NEWLINK, unix.AF_UNSPEC, port)), false},
		{"the veth attached", w.link(linkUpdate(unix.RTM_NEWLINK, unix.AF_UNSPEC, attached)), false},
		{"the bridge's own news of the port", w.link(linkUpdate(unix.RTM_DELLINK, unix.AF_BRIDGE, port)), false},
		{"the veth taken off the bridge", w.link(linkUpdate(unix.RTM_NEWLINK, unix.AF_UNSPEC, port)), true},
		{"the veth again off the bridge", w.link(linkUpdate(unix.RTM_NEWLINK, unix.AF_UNSPEC, port)), false},
		{"another link", w.link(linkUpdate(unix.RTM_NEWLINK, unix.AF_UNSPEC, other)), false},
		{"the veth attached again", w.link(linkUpdate(unix.RTM_NEWLINK, unix.AF_UNSPEC, attached)), false},
		{"the veth deleted with its pod", w.link(linkUpdate(unix.RTM_DELLINK, unix.AF_UNSPEC, attached)), false},
		{"an address of the bridge", w.addr(3, net.ParseIP("10.244.1.1")), true},
		{"the bridge's link-local address (its first port gave it a carrier)", w.addr(3, net.ParseIP("fe80::1")), false},
		{"an address of another link", w.addr(2, net.ParseIP("172.30.0.4")), false},
		{"a route through the bridge in the main table", w.route(netlink.Route{LinkIndex: 3, Table: unix.RT_TABLE_MAIN, Dst: mustCIDR("10.244.1.0/24")}), true},
		{"the bridge's link-local route", w.route(netlink.Route{LinkIndex: 3, Table: unix.RT_TABLE_MAIN, Dst: mustCIDR("fe80::/64")}), false},
		{"a local route of the bridge", w.route(netlink.Route{LinkIndex: 3, Table: unix.RT_TABLE_LOCAL}), false},
		{"a route through another link", w.route(netlink.Route{LinkIndex: 2, Table: unix.RT_TABLE_MAIN}), false},
		{"a host route of dualnet's", w.route(netlink.Route{LinkIndex: 2, Table: unix.RT_TABLE_MAIN, Protocol: hostroutes.Protocol}), true},
		{"the bridge deleted", w.link(linkUpdate(unix.RTM_DELLINK, unix.AF_UNSPEC, bridge)), true},
		{"an address of the deleted bridge's index", w.addr(3, net.ParseIP("10.244.1.1")), false},
	}
	for _, s := range steps {
		if s.got != s.want {
			t.Errorf("%s: resync %v, want %v", s.what, s.got, s.want)
		}
	}
	down := bridge
	down.Index, down.Flags = 9, 0
	for i := 1; i <= 2; i++ {
		if !w.link(linkUpdate(unix.RTM_NEWLINK, unix.AF_UNSPEC, down)) {
			t.Errorf("a bridge created again and down, update %d: no resync, want one for every update until it is up", i)
		}
	}
}

func mustCIDR(s string) *net.IPNet {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	return n
}

// nftablesNotification is a notification as the kernel multicasts it: an nfgenmsg, then the
// table's name as the first attribute.
func nftablesNotification(msgType uint16, family uint8, table string) syscall.NetlinkMessage {
	data := append([]byte{family, 0, 0, 0}, nl.NewRtAttr(1, []byte(table+"\x00")).Serialize()...)
	return syscall.NetlinkMessage{Header: syscall.NlMsghdr{Type: unix.NFNL_SUBSYS_NFTABLES<<8 | msgType}, Data: data}
}

func TestTableChangeSeesTheMasqueradeTableAndTheAntispoofTableMadeOrDamaged(t *testing.T) {
	for _, c := range []struct {
		what string
		m    syscall.NetlinkMessage
		want tableEffect
	}{
		{"a rule of inet dualnet deleted", nftablesNotification(unix.NFT_MSG_DELRULE, unix.NFPROTO_INET, "dualnet"), masqueradeChanged},
		{"an element of inet dualnet added", nftablesNotification(unix.NFT_MSG_NEWSETELEM, unix.NFPROTO_INET, "dualnet"), masqueradeChanged},
		{"inet dualnet deleted", nftablesNotification(unix.NFT_MSG_DELTABLE, unix.NFPROTO_INET, "dualnet"), masqueradeChanged},
		{"a table dualnet of another family", nftablesNotification(unix.NFT_MSG_DELTABLE, unix.NFPROTO_IPV4, "dualnet"), otherTable},
		{"the anti-spoofing table deleted", nftablesNotification(unix.NFT_MSG_DELTABLE, unix.NFPROTO_BRIDGE, "dualnet-antispoof"), antispoofToCheck},
		{"an anti-spoofing chain deleted", nftablesNotification(unix.NFT_MSG_DELCHAIN, unix.NFPROTO_BRIDGE, "dualnet-antispoof"), antispoofToCheck},
		{"an anti-spoofing rule deleted", nftablesNotification(unix.NFT_MSG_DELRULE, unix.NFPROTO_BRIDGE, "dualnet-antispoof"), antispoofToCheck},
		{"an anti-spoofing set deleted", nftablesNotification(unix.NFT_MSG_DELSET, unix.NFPROTO_BRIDGE, "dualnet-antispoof"), antispoofToCheck},
		{"the anti-spoofing table made", nftablesNotification(unix.NFT_MSG_NEWTABLE, unix.NFPROTO_BRIDGE, "dualnet-antispoof"), antispoofToCheck},
		{"an anti-spoofing chain made (a boot's, say)", nftablesNotification(unix.NFT_MSG_NEWCHAIN, unix.NFPROTO_BRIDGE, "dualnet-antispoof"), antispoofToCheck},
		{"an anti-spoofing rule added", nftablesNotification(unix.NFT_MSG_NEWRULE, unix.NFPROTO_BRIDGE, "dualnet-antispoof"), otherTable},
		{"a pod registered", nftablesNotification(unix.NFT_MSG_NEWSETELEM, unix.NFPROTO_BRIDGE, "dualnet-antispoof"), otherTable},
		{"a pod's registration deleted", nftablesNotification(unix.NFT_MSG_DELSETELEM, unix.NFPROTO_BRIDGE, "dualnet-antispoof"), otherTable},
		{"portmap's table", nftablesNotification(unix.NFT_MSG_DELTABLE, unix.NFPROTO_IPV4, "cni_hostport"), otherTable},
		{"the end of a transaction", nftablesNotification(unix.NFT_MSG_NEWGEN, unix.NFPROTO_UNSPEC, "dualnet"), otherTable},
		{"another subsystem", syscall.NetlinkMessage{Header: syscall.NlMsghdr{Type: 1 << 8}, Data: []byte{1, 0, 0, 0}}, otherTable},
		{"a message too short", syscall.NetlinkMessage{Header: syscall.NlMsghdr{Type: unix.NFNL_SUBSYS_NFTABLES << 8}, Data: []byte{1}}, otherTable},
	} {
		if got := tableChange(c.m); got != c.want {
			t.Errorf("%s: %d, want %d", c.what, got, c.want)
		}
	}
}
