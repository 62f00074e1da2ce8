package cni_test

import (
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
)

// The node's entry for the victim is the one an unsolicited advertisement with the Override
// flag would rewrite (RFC 4861 7.2.5).
func TestForgedNeighborAdvertisementDoesNotPoisonTheGatewaysEntryOfAnotherPod(t *testing.T) {
	checkNeighbourPoisoningIsDropped(t, "na", 1, "pod-na", func(forger *pod, mac net.HardwareAddr, target, _ netip.Addr) {
		sendNeighborAdvertisement(t, forger, target, mac)
	})
}

// sendNeighborAdvertisement sends, from inside the pod and its link-local address, an
// unsolicited Neighbor Advertisement to all nodes (ff02::1) saying that target lives at mac,
// with the Override flag set, as an attacker would.
func sendNeighborAdvertisement(t *testing.T, p *pod, target netip.Addr, mac net.HardwareAddr) {
	t.Helper()
	msg := []byte{136, 0, 0, 0, 0x20, 0, 0, 0} // Neighbor Advertisement, flags: Override
	msg = append(msg, target.AsSlice()...)
	msg = append(msg, 2, 1) // option: target link-layer address, 8 bytes
	msg = append(msg, mac...)
	sendNeighborDiscovery(t, p, msg)
}

// sendNeighborDiscovery sends the ICMPv6 message msg from inside the pod and its link-local
// address to all nodes (ff02::1), with the hop limit neighbour discovery requires.
func sendNeighborDiscovery(t *testing.T, p *pod, msg []byte) {
	t.Helper()
	err := ns.WithNetNSPath(p.ns.Path, func(ns.NetNS) error {
		link, err := netlink.LinkByName(p.rt.IfName)
		if err != nil {
			return err
		}
		// The kernel fills in the checksum of raw ICMPv6 sockets (RFC 3542 section 3.1).
		fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMPV6)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		// Receivers ignore neighbour discovery that crossed a router (hop limit below 255).
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, 255); err != nil {
			return err
		}
		to := &unix.SockaddrInet6{Addr: netip.MustParseAddr("ff02::1").As16(), ZoneId: uint32(link.Attrs().Index)}
		return unix.Sendto(fd, msg, 0, to)
	})
	if err != nil {
		t.Fatalf("send ICMPv6 type %d from %s: %v", msg[0], p.rt.ContainerID, err)
	}
}

// A pod's IPv6 link-local address is the one the plugin gave it, derived from its MAC, and
// the only link-local address it may claim: an advertisement for another pod's is dropped.
func TestForgedNeighborAdvertisementForAnotherPodsLinkLocalAddressIsDropped(t *testing.T) {
	nw := newNetwork(t)
	victim, forger := nw.addPod("ll-na-victim"), nw.addPod("ll-na-forger")
	victimMAC, _ := net.ParseMAC(victim.result.Interfaces[2].Mac)
	target := antispoof.LinkLocal(victimMAC)
	if out := inPod(t, victim.ns, "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link"); !strings.Contains(out, target.String()+"/64") || strings.Contains(out, "tentative") || strings.Count(out, "inet6") != 1 {
		t.Fatalf("the victim's link-local addresses:\n%s\nwant exactly %s/64, not tentative", out, target)
	}
	// The node talks to the victim's link-local address, so it holds an entry for it.
	if out, err := exec.Command("ping", "-6", "-n", "-c", "1", "-W", "2", target.String()+"%"+nw.bridge).CombinedOutput(); err != nil {
		t.Fatalf("the node cannot reach the victim's link-local address %s: %v\n%s", target, err, out)
	}
	if got := gatewayNeighbour(t, nw.bridge, target); got != victimMAC.String() {
		t.Fatalf("the node maps %s to %q, want the victim's %s", target, got, victimMAC)
	}

	forgerMAC, _ := net.ParseMAC(forger.result.Interfaces[2].Mac)
	forgeUntilDropped(t, nw, "pod-na", target, victimMAC.String(), func() { sendNeighborAdvertisement(t, forger, target, forgerMAC) })
	mustReach(t, forger, forger.addr(1), nw.gateway(1))
}
