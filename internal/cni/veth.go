package cni

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/dataplane/bridge"
	"github.com/dualnet/dualnet/internal/dataplane/podveth"
	"github.com/dualnet/dualnet/internal/dataplane/rtnl"
	"github.com/dualnet/dualnet/internal/podipam"
)

// createVeth creates the pair: the host end up on the bridge, and the pod end already
// inside the pod namespace under its final name. A host end left by an earlier ADD of the
// same attachment (a retry after a crash) is replaced. It returns the ends' indexes.
func createVeth(a *attachment, br netlink.Link, podNS ns.NetNS, conf *config.Config) (vethIndexes, error) {
	pair := vethPair{host: a.hostVeth, pod: a.key.IfName, hostMAC: podveth.HostMAC(a.key), podMAC: podveth.PodMAC(a.key),
		mtu: conf.MTU, master: br.Attrs().Index, podNS: int(podNS.Fd())}
	ix, err := addVethPair(pair)
	if errors.Is(err, unix.EEXIST) {
		if derr := replaceHostVeth(a); derr != nil {
			return ix, derr
		}
		ix, err = addVethPair(pair)
	}
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENODEV) {
		// The bridge ADD read (bridge.Look) went meanwhile, or was made again under a new
		// index: the kernel refuses the master. Ensure it afresh, once.
		seen, lerr := bridge.Look(nil, conf.Bridge)
		if lerr != nil {
			return ix, lerr
		}
		fresh, eerr := ensureBridge(conf, seen)
		if eerr != nil {
			return ix, eerr
		}
		pair.master = fresh.Attrs().Index
		ix, err = addVethPair(pair)
	}
	if err != nil {
		return ix, fmt.Errorf("create veth %s (pod end %s in %s): %w", a.hostVeth, a.key.IfName, podNS.Path(), err)
	}
	if err := upHostEnd(ix.host, conf.Hairpin); err != nil {
		return ix, fmt.Errorf("bring %s up on %s (hairpin %v): %w", a.hostVeth, conf.Bridge, conf.Hairpin, err)
	}
	return ix, nil
}

// replaceHostVeth deletes the host end an earlier ADD of the attachment left.
func replaceHostVeth(a *attachment) error {
	link, err := podveth.FindHost(a.hostVeth)
	if link == nil {
		return err
	}
	return deleteRegisteredVeth(link, a.key, a.addrs)
}

// deleteRegisteredVeth retires the port's anti-spoofing registration and deletes the veth.
// Registrations are keyed by the port's interface index, which dies with the veth, so a
// failure to retire them matters only if the veth stays.
func deleteRegisteredVeth(link netlink.Link, key podipam.Key, addrs []netip.Addr) error {
	rerr := antispoof.Retire(antispoof.Pod{Index: link.Attrs().Index, MAC: podveth.PodMAC(key), Addrs: addrs})
	if err := deleteLink(link); err != nil {
		return errors.Join(err, rerr)
	}
	return nil
}

// deleteHostVeth removes the host end (the kernel removes the pod end with it); a missing
// link is not an error.
func deleteHostVeth(name string) error {
	link, err := podveth.FindHost(name)
	if link == nil {
		return err
	}
	return deleteLink(link)
}

func deleteLink(link netlink.Link) error {
	if err := rtnl.LinkDel(link.Attrs().Index); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("delete veth %s: %w", link.Attrs().Name, err)
	}
	return nil
}
