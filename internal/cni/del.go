package cni

import (
	"context"
	"fmt"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/plugins/pkg/ns"

	"github.com/dualnet/dualnet/internal/cni/antispoof"
	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/podipam"
)

// cmdDel succeeds whatever is already gone: the namespace, the veth, the rules or the
// allocation (CNI spec: DEL must be idempotent).
func cmdDel(args *skel.CmdArgs) error {
	conf, err := config.Parse(args.StdinData)
	if err != nil {
		return err
	}
	return teardown(conf, podipam.Key{ContainerID: args.ContainerID, IfName: args.IfName}, nil)
}

// teardown removes one attachment: veth and rules first, the address record last, so that a
// failure leaves the record for the next DEL or GC to find. podNS is unused today (the pod
// end dies with the host end) and may be nil.
func teardown(conf *config.Config, key podipam.Key, _ ns.NetNS) error {
	store, err := podipam.Open(conf.StoreDir(), conf.PodCIDRs)
	if err != nil {
		return err
	}
	_, recorded, err := store.Lookup(key)
	if err != nil {
		return err
	}
	veth := hostVethName(key)
	// ADD writes the record before it creates rules, so without a record there are no
	// rules to remove and DEL spares itself the nft run.
	nftDone := make(chan error, 1)
	if recorded {
		ctx, cancel := context.WithTimeout(context.Background(), nftTimeout)
		defer cancel()
		go func() { nftDone <- antispoof.Remove(ctx, veth) }()
	} else {
		nftDone <- nil
	}
	verr := deleteHostVeth(veth)
	if err := <-nftDone; err != nil {
		return fmt.Errorf("remove anti-spoofing rules of %s: %w", veth, err)
	}
	if verr != nil {
		return verr
	}
	return store.Release(key)
}
