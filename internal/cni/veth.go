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
	"github.com/dualnet/dualnet/internal/dataplane/podveth"
	"github.com/dualnet/dualnet/internal/podipam"
)

// createVeth creates the pair: the host end on the bridge, up, and the pod end already
// inside the pod namespace under its final name. A host end left by an earlier ADD of the
// same attachment (a retry after a crash) is replaced. It returns the host end's index.
func createVeth(a *attachment, br netlink.Link, podNS ns.NetNS, conf *config.Config) (int, error) {
	attrs := netlink.NewLinkAttrs()
	attrs.Name = a.hostVeth
	attrs.MTU = conf.MTU
	attrs.MasterIndex = br.Attrs().Index
	attrs.HardwareAddr = podveth.HostMAC(a.key)
	attrs.Flags = unix.IFF_UP
	veth := &netlink.Veth{
		LinkAttrs:        attrs,
		PeerName:         a.key.IfName,
		PeerHardwareAddr: podveth.PodMAC(a.key),
		PeerNamespace:    netlink.NsFd(podNS.Fd()),
		PeerTxQLen:       -1,
	}
	err := netlink.LinkAdd(veth)
	if errors.Is(err, unix.EEXIST) {
		if derr := replaceHostVeth(a); derr != nil {
			return 0, derr
		}
		err = netlink.LinkAdd(veth)
	}
	if err != nil {
		return 0, fmt.Errorf("create veth %s (pod end %s in %s): %w", a.hostVeth, a.key.IfName, podNS.Path(), err)
	}
	if conf.Hairpin {
		// Hairpin lets a pod reach itself through a service VIP that kube-proxy DNATs back to it.
		if err := netlink.LinkSetHairpin(veth, true); err != nil {
			return 0, fmt.Errorf("hairpin on %s: %w", a.hostVeth, err)
		}
	}
	return veth.Attrs().Index, nil
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

// findLink returns the link, or nil and no error if there is none; what names its kind in
// an error.
func findLink(what, name string) (netlink.Link, error) {
	link, err := netlink.LinkByName(name)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find %s %s: %w", what, name, err)
	}
	return link, nil
}

func deleteLink(link netlink.Link) error {
	if err := netlink.LinkDel(link); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("delete veth %s: %w", link.Attrs().Name, err)
	}
	return nil
}
