package main

import (
	"fmt"
	"sync"
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
	call := func(verb string, op func(i int) error) ([]time.Duration, error) {
		lat := make([]time.Duration, pods)
		errs := make([]error, pods)
		next := make(chan int)
		var wg sync.WaitGroup
		for range parallel {
			wg.Go(func() {
				for i := range next {
					start := time.Now()
					errs[i] = op(i)
					lat[i] = time.Since(start)
				}
			})
		}
		for i := range pods {
			next <- i
		}
		close(next)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("veth %s %d: %w", verb, i, err)
			}
		}
		return lat, nil
	}
	add, err = call("create", func(i int) error {
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: vethName(i)}, PeerName: "eth0", PeerNamespace: netlink.NsFd(handles[i])}
		links[i] = veth
		return netlink.LinkAdd(veth)
	})
	if err != nil {
		return nil, nil, err
	}
	del, err = call("delete", func(i int) error { return netlink.LinkDel(links[i]) })
	return add, del, err
}

// vethName is the host end of the i-th bare veth pair.
func vethName(i int) string { return fmt.Sprintf("dn-bench-v%d", i) }
