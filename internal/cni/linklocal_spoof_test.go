package cni_test

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The bridge treats frames to the reserved link-local groups (01:80:c2:00:00:0X) apart from
// the others: it may learn their source MAC and hand them to the node without the prerouting
// hook. A pod sending them, with another pod's MAC or address as source, must neither move
// that MAC to its own port nor reach the node.
func TestLinkLocalGroupFramesFromAPodAreDropped(t *testing.T) {
	nw := newNetwork(t)
	victim, forger := nw.addPod("ll-victim"), nw.addPod("ll-forger")
	victimMAC, _ := net.ParseMAC(victim.result.Interfaces[2].Mac)
	forgerMAC, _ := net.ParseMAC(forger.result.Interfaces[2].Mac)
	victimPort := victim.result.Interfaces[1].Name
	mustReach(t, victim, victim.addr(0), nw.gateway(0))
	mustReach(t, forger, forger.addr(0), nw.gateway(0))

	echoes := icmpInEchos(t)
	for _, group := range []byte{0x00, 0x02, 0x03, 0x0e, 0x0f} {
		dst := net.HardwareAddr{0x01, 0x80, 0xc2, 0x00, 0x00, group}
		// Another pod's MAC, and the forger's own MAC with another pod's address.
		for _, src := range []net.HardwareAddr{victimMAC, forgerMAC} {
			sendFrame(t, forger, echoFrame(dst, src, victim.addr(0), nw.gateway(0)))
		}
	}
	if port := fdbPort(t, victimMAC.String()); port != victimPort {
		t.Errorf("the bridge holds the victim's MAC %s on %q, want its own port %s", victimMAC, port, victimPort)
	}
	if after := icmpInEchos(t); after != echoes {
		t.Errorf("the node received %d echo requests from the forged frames", after-echoes)
	}
	mustReach(t, victim, victim.addr(0), nw.gateway(0))
}

// sendFrame sends one raw Ethernet frame out of the pod's interface, as a pod with
// CAP_NET_RAW (which pods have by default) can.
func sendFrame(t *testing.T, p *pod, frame []byte) {
	t.Helper()
	err := ns.WithNetNSPath(p.ns.Path, func(ns.NetNS) error {
		link, err := netlink.LinkByName(p.rt.IfName)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		return unix.Sendto(fd, frame, 0, &unix.SockaddrLinklayer{Ifindex: link.Attrs().Index})
	})
	if err != nil {
		t.Fatalf("send a raw frame from %s: %v", p.rt.ContainerID, err)
	}
}

// echoFrame is an Ethernet frame carrying an ICMP echo request from one IPv4 address to another.
func echoFrame(dst, src net.HardwareAddr, from, to netip.Addr) []byte {
	icmp := []byte{8, 0, 0, 0, 0x12, 0x34, 0, 1, 'd', 'u', 'a', 'l', 'n', 'e', 't'}
	binary.BigEndian.PutUint16(icmp[2:], checksum(icmp))
	ip := make([]byte, 20)
	ip[0], ip[8], ip[9] = 0x45, 64, unix.IPPROTO_ICMP
	binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)+len(icmp)))
	copy(ip[12:16], from.AsSlice())
	copy(ip[16:20], to.AsSlice())
	binary.BigEndian.PutUint16(ip[10:], checksum(ip))
	frame := append(append(append([]byte{}, dst...), src...), 0x08, 0x00)
	return append(append(frame, ip...), icmp...)
}

func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// icmpInEchos is the node namespace's count of ICMP echo requests received.
func icmpInEchos(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		t.Fatal(err)
	}
	head := regexp.MustCompile(`(?m)^Icmp: (InMsgs .*)$`).FindStringSubmatch(string(data))
	vals := regexp.MustCompile(`(?m)^Icmp: (\d.*)$`).FindStringSubmatch(string(data))
	if head == nil || vals == nil {
		t.Fatalf("no Icmp counters in /proc/net/snmp:\n%s", data)
	}
	names, nums := regexp.MustCompile(`\S+`).FindAllString(head[1], -1), regexp.MustCompile(`\S+`).FindAllString(vals[1], -1)
	for i, n := range names {
		if n == "InEchos" && i < len(nums) {
			v, _ := strconv.Atoi(nums[i])
			return v
		}
	}
	t.Fatalf("no InEchos in /proc/net/snmp:\n%s", data)
	return 0
}
