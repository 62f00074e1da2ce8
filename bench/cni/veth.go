package main

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// measureVeth is the kernel's floor under both plugins: it creates, straight through netlink
// from the node namespace, a veth pair for each of pods fresh pod namespaces (the peer end
// named eth0 inside it, as a plugin makes it), then deletes them, parallel at a time, and
// returns the latency of every creation and deletion. No address, no bridge, no link up:
// what no plugin that makes a veth can go below. (LinkAdd also asks for the new link's index,
// which LinkDel goes by: one more netlink request, tens of microseconds.)
//
// With configure, each pair is first set up as a plugin leaves it, untimed: the host end on
// a bridge and up, the pod end up with an IPv4 and an IPv6 address and a default route of
// each family. Deleting such a pair takes the kernel more work than a bare one (the port off
// the bridge, the addresses, routes and neighbours), and the deletion waits for the same
// clock-tick RCU grace periods, so the two floors say how much of a plugin's DEL is the
// kernel's whatever the plugin does.
func measureVeth(pods, parallel int, configure bool) (add, del []time.Duration, err error) {
	sandboxes, err := newSandboxes(pods)
	defer deleteSandboxes(sandboxes)
	if err != nil {
		return nil, nil, err
	}
	handles := make([]netns.NsHandle, pods)
	for i := range handles {
		handles[i] = netns.None() // not 0, which is a file descriptor (stdin)
	}
	defer func() {
		for i := range handles {
			if l, err := netlink.LinkByName(vethName(i)); err == nil {
				_ = netlink.LinkDel(l) // a pair a failure left behind
			}
			if handles[i].IsOpen() {
				handles[i].Close()
			}
		}
	}()
	for i := range handles {
		if handles[i], err = netns.GetFromPath(sandboxes[i].Path); err != nil {
			return nil, nil, err
		}
	}
	links := make([]netlink.Link, pods)
	add, err = timeEach(pods, parallel, "veth create", func(i int) error {
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: vethName(i)}, PeerName: "eth0", PeerNamespace: netlink.NsFd(handles[i])}
		links[i] = veth
		return netlink.LinkAdd(veth)
	})
	if err != nil {
		return nil, nil, err
	}
	if configure {
		br, err := benchBridge()
		if err != nil {
			return nil, nil, err
		}
		defer netlink.LinkDel(br)
		for i := range links {
			if err := configureVeth(br, links[i], handles[i], i); err != nil {
				return nil, nil, fmt.Errorf("configure veth %d: %w", i, err)
			}
		}
	}
	del, err = timeEach(pods, parallel, "veth delete", func(i int) error { return netlink.LinkDel(links[i]) })
	return add, del, err
}

// vethName is the host end of the i-th bare veth pair.
func vethName(i int) string { return fmt.Sprintf("dn-bench-v%d", i) }

// The configured pairs' bridge and addresses: inside the benchmark's node namespace, as the
// plugins' are.
const (
	benchBridgeName = "dn-bench-vbr"
	benchGateway4   = "10.248.0.1/16"
	benchGateway6   = "fd12:3456:789e::1/64"
)

// benchBridge creates the bridge the configured pairs go on, up, with a gateway of each
// family.
func benchBridge() (netlink.Link, error) {
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: benchBridgeName}}
	if err := netlink.LinkAdd(br); err != nil {
		return nil, fmt.Errorf("create bridge %s: %w", benchBridgeName, err)
	}
	for _, gw := range []string{benchGateway4, benchGateway6} {
		a, _ := netlink.ParseAddr(gw)
		a.Flags = unix.IFA_F_NODAD
		if err := netlink.AddrAdd(br, a); err != nil {
			netlink.LinkDel(br)
			return nil, fmt.Errorf("bridge %s: add %s: %w", benchBridgeName, gw, err)
		}
	}
	if err := netlink.LinkSetUp(br); err != nil {
		netlink.LinkDel(br)
		return nil, fmt.Errorf("bridge %s: set up: %w", benchBridgeName, err)
	}
	return br, nil
}

// configureVeth puts the i-th pair's host end on br and up, and gives its pod end (eth0 in
// podNS) the i-th pod addresses and default routes through the bridge's gateways.
func configureVeth(br, host netlink.Link, podNS netns.NsHandle, i int) error {
	if err := netlink.LinkSetMaster(host, br); err != nil {
		return err
	}
	if err := netlink.LinkSetUp(host); err != nil {
		return err
	}
	h, err := netlink.NewHandleAt(podNS)
	if err != nil {
		return err
	}
	defer h.Close()
	pod, err := h.LinkByName("eth0")
	if err != nil {
		return err
	}
	if err := h.LinkSetUp(pod); err != nil {
		return err
	}
	for _, a := range []string{fmt.Sprintf("10.248.%d.%d/16", 1+i/250, 2+i%250), fmt.Sprintf("fd12:3456:789e::%x/64", 2+i)} {
		addr, _ := netlink.ParseAddr(a)
		addr.Flags = unix.IFA_F_NODAD
		if err := h.AddrAdd(pod, addr); err != nil {
			return fmt.Errorf("add %s: %w", a, err)
		}
	}
	for _, gw := range []string{benchGateway4, benchGateway6} {
		p := netip.MustParsePrefix(gw)
		route := &netlink.Route{LinkIndex: pod.Attrs().Index, Gw: p.Addr().AsSlice()}
		if err := h.RouteAdd(route); err != nil {
			return fmt.Errorf("default route via %s: %w", p.Addr(), err)
		}
	}
	return nil
}
