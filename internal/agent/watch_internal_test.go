package agent

import (
	"net"
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
		{"an address of the bridge", w.addr(3), true},
		{"an address of another link", w.addr(2), false},
		{"a route through the bridge in the main table", w.route(netlink.Route{LinkIndex: 3, Table: unix.RT_TABLE_MAIN}), true},
		{"a local route of the bridge", w.route(netlink.Route{LinkIndex: 3, Table: unix.RT_TABLE_LOCAL}), false},
		{"a route through another link", w.route(netlink.Route{LinkIndex: 2, Table: unix.RT_TABLE_MAIN}), false},
		{"a host route of dualnet's", w.route(netlink.Route{LinkIndex: 2, Table: unix.RT_TABLE_MAIN, Protocol: hostroutes.Protocol}), true},
		{"the bridge deleted", w.link(linkUpdate(unix.RTM_DELLINK, unix.AF_UNSPEC, bridge)), true},
		{"an address of the deleted bridge's index", w.addr(3), false},
	}
	for _, s := range steps {
		if s.got != s.want {
			t.Errorf("%s: resync %v, want %v", s.what, s.got, s.want)
		}
	}
	down := bridge
	down.Index, down.Flags = 9, 0
	if !w.link(linkUpdate(unix.RTM_NEWLINK, unix.AF_UNSPEC, down)) || !w.link(linkUpdate(unix.RTM_NEWLINK, unix.AF_UNSPEC, down)) {
		t.Error("a bridge created again and down: no resync, want one for every update until it is up")
	}
}
