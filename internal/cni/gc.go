package cni

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/vishvananda/netlink"

	"github.com/dualnet/dualnet/internal/cni/antispoof"
	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/podipam"
)

// cmdGC releases every allocation, host veth and rule chain of an attachment that is not in
// cni.dev/valid-attachments: what a plugin killed in the middle of ADD leaves behind.
func cmdGC(args *skel.CmdArgs) error {
	conf, err := config.Parse(args.StdinData)
	if err != nil {
		return err
	}
	valid := map[podipam.Key]bool{}
	validVeths := map[string]bool{}
	for _, a := range conf.ValidAttachments {
		k := podipam.Key{ContainerID: a.ContainerID, IfName: a.IfName}
		valid[k] = true
		validVeths[hostVethName(k)] = true
	}
	var errs []error
	store, err := podipam.Open(conf.StoreDir(), conf.PodCIDRs)
	if err != nil {
		return err
	}
	if _, err := store.GC(func(k podipam.Key) bool { return valid[k] }); err != nil {
		errs = append(errs, fmt.Errorf("address store: %w", err))
	}
	if err := gcVeths(conf.Bridge, validVeths); err != nil {
		errs = append(errs, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), nftTimeout)
	defer cancel()
	if _, err := antispoof.GC(ctx, func(veth string) bool { return validVeths[veth] }); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// gcVeths deletes the bridge's dualnet ports that belong to no valid attachment.
func gcVeths(bridgeName string, valid map[string]bool) error {
	br, err := netlink.LinkByName(bridgeName)
	if errors.As(err, new(netlink.LinkNotFoundError)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bridge %s: %w", bridgeName, err)
	}
	links, err := netlink.LinkList()
	if err != nil {
		return fmt.Errorf("list links: %w", err)
	}
	var errs []error
	for _, l := range links {
		name := l.Attrs().Name
		if l.Type() != "veth" || l.Attrs().MasterIndex != br.Attrs().Index || !strings.HasPrefix(name, "dn") || valid[name] {
			continue
		}
		if err := deleteHostVeth(name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
