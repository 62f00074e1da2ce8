package main

import (
	"fmt"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/dualnet/dualnet/internal/cni/cnitest"
)

// measureVeth is the kernel's floor under both plugins: it creates, straight through netlink
// from the node namespace, a veth pair for each of pods fresh pod namespaces (the peer end
// named eth0 inside it, as a plugin makes it), then deletes them, parallel at a time, and
// returns the latency of every creation and deletion. No address, no bridge, no link up:
// what no plugin that makes a veth can go below. (LinkAdd also asks for the new link's index,
// which LinkDel goes by: one more netlink request, tens of microseconds.)
func measureVeth(pods, parallel int) (add, del []time.Duration, err error) {
	sandboxes := make([]*cnitest.PodNS, pods)
	handles := make([]netns.NsHandle, pods)
	for i := range handles {
		handles[i] = netns.None() // not 0, which is a file descriptor (stdin)
	}
	defer func() {
		for i, s := range sandboxes {
			if s != nil {
				if l, err := netlink.LinkByName(vethName(i)); err == nil {
					_ = netlink.LinkDel(l)
				}
				_ = s.Delete()
			}
			if handles[i].IsOpen() {
				handles[i].Close()
			}
		}
	}()
	for i := range sandboxes {
		if sandboxes[i], err = cnitest.NewPodNS("bench"); err != nil {
			return nil, nil, err
		}
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
	del, err = timeEach(pods, parallel, "veth delete", func(i int) error { return netlink.LinkDel(links[i]) })
	return add, del, err
}

// vethName is the host end of the i-th bare veth pair.
func vethName(i int) string { return fmt.Sprintf("dn-bench-v%d", i) }
