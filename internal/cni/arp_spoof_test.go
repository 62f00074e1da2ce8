package cni_test

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The IPv4 twin of the Neighbor Advertisement test: a pod that answers ARP for another pod's
// address, unasked (as arpspoof does), would pull that pod's traffic to itself.
func TestForgedARPReplyDoesNotPoisonTheGatewaysEntryOfAnotherPod(t *testing.T) {
	checkNeighbourPoisoningIsDropped(t, "arp", 0, "pod-arp", func(forger *pod, mac net.HardwareAddr, target, gateway netip.Addr) {
		sendARPReply(t, forger, mac, target, gateway)
	})
}

// sendARPReply sends, from inside the pod and from its own MAC, an ARP reply to the whole
// link saying that sender lives at mac, addressed to to.
func sendARPReply(t *testing.T, p *pod, mac net.HardwareAddr, sender, to netip.Addr) {
	t.Helper()
	broadcast := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	frame := append(append([]byte{}, broadcast...), mac...)
	frame = binary.BigEndian.AppendUint16(frame, unix.ETH_P_ARP)
	frame = append(frame, 0, 1, 0x08, 0, 6, 4, 0, 2) // Ethernet, IPv4, lengths, reply
	frame = append(append(frame, mac...), sender.AsSlice()...)
	frame = append(append(frame, broadcast...), to.AsSlice()...)
	err := ns.WithNetNSPath(p.ns.Path, func(ns.NetNS) error {
		link, err := netlink.LinkByName(p.rt.IfName)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0) // sends only
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		to := &unix.SockaddrLinklayer{Ifindex: link.Attrs().Index, Halen: 6}
		copy(to.Addr[:], broadcast)
		return unix.Sendto(fd, frame, 0, to)
	})
	if err != nil {
		t.Fatalf("send ARP reply from %s: %v", p.rt.ContainerID, err)
	}
}
