package cni

import (
	"context"
	"errors"
	"fmt"

	"github.com/containernetworking/plugins/pkg/netlinksafe"
	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/dataplane/podveth"
	"github.com/dualnet/dualnet/internal/podipam"
)

// cmdGC releases every allocation, host veth and anti-spoofing registration of an attachment
// that is not in cni.dev/valid-attachments: what a plugin killed in the middle of ADD leaves
// behind. As DEL does, it releases an address after its veth is gone, and keeps the address
// of a veth it could not delete: that pod may still send from it. Host veths and rules are
// node-wide, so a node runs one dualnet network (docs/cni-contract.md).
func cmdGC(args *Args) error {
	conf, err := config.Parse(args.StdinData)
	if err != nil {
		return err
	}
	valid := map[podipam.Key]bool{}
	validVeths := map[string]bool{}
	for _, a := range conf.ValidAttachments {
		k := podipam.Key{ContainerID: a.ContainerID, IfName: a.IfName}
		valid[k] = true
		validVeths[podveth.HostName(k)] = true
	}
	var errs []error
	undeleted, err := gcVeths(conf.Bridge, validVeths)
	if err != nil {
		errs = append(errs, err)
	}
	// After the veths: elements are garbage when their port is gone. A port that exists is
	// valid or, since ADD creates the veth before it registers it, an ADD running now.
	ctx, cancel := context.WithTimeout(context.Background(), nftTimeout)
	defer cancel()
	if _, err := antispoof.GC(ctx, antispoof.PortExists); err != nil {
		errs = append(errs, err)
	}
	if undeleted == nil {
		return errors.Join(errs...) // the veths could not be listed: any of them may live
	}
	store, err := podipam.Open(conf.StoreDir(), conf.PodCIDRs)
	if err == nil {
		_, err = store.GC(func(k podipam.Key) bool { return valid[k] || undeleted[podveth.HostName(k)] })
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("address store: %w", err))
	}
	return errors.Join(errs...)
}

// gcVeths deletes dualnet host veths that belong to no valid attachment: on the bridge, or
// not on any master (one an older plugin, which attached in a second request, was killed
// before attaching). It returns the names of the others it left in place, those on another
// bridge and those it could not delete; nil, with the error, when it could not list them.
func gcVeths(bridgeName string, valid map[string]bool) (undeleted map[string]bool, err error) {
	brIndex := -1
	if br, err := netlinksafe.LinkByName(bridgeName); err == nil {
		brIndex = br.Attrs().Index
	} else if !errors.As(err, new(netlink.LinkNotFoundError)) {
		return nil, fmt.Errorf("bridge %s: %w", bridgeName, err)
	}
	links, err := netlinksafe.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	undeleted = map[string]bool{}
	var errs []error
	for _, l := range links {
		name := l.Attrs().Name
		master := l.Attrs().MasterIndex
		if l.Type() != "veth" || !podveth.IsHostName(name) || valid[name] {
			continue
		}
		if master != 0 && master != brIndex {
			undeleted[name] = true // on another bridge: not this network's to delete
			continue
		}
		if err := deleteHostVeth(name); err != nil {
			undeleted[name] = true
			errs = append(errs, err)
		}
	}
	return undeleted, errors.Join(errs...)
}
