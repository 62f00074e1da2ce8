package cni

import (
	"context"
	"fmt"

	"github.com/containernetworking/cni/pkg/skel"

	"github.com/dualnet/dualnet/internal/cni/antispoof"
	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/podipam"
)

// cmdDel succeeds whatever is already gone: the namespace, the veth, the rules or the
// allocation (CNI spec: DEL must be idempotent).
func cmdDel(args *skel.CmdArgs) error {
	ctx, cancel := context.WithTimeout(context.Background(), nftTimeout)
	defer cancel()
	nft := antispoof.Start(ctx) // loads while the store is read; see antispoof.Pending
	conf, err := config.Parse(args.StdinData)
	if err != nil {
		nft.Cancel()
		return err
	}
	return teardown(ctx, conf, podipam.Key{ContainerID: args.ContainerID, IfName: args.IfName}, nft)
}

// teardown removes one attachment: veth and rules first, the address record last, so that a
// failure leaves the record for the next DEL or GC to find. The pod end of the veth dies
// with the host end, so the pod namespace is not needed. teardown ends nft, which may be
// nil.
func teardown(ctx context.Context, conf *config.Config, key podipam.Key, nft *antispoof.Pending) error {
	if nft == nil {
		nft = antispoof.Start(ctx)
	}
	store, err := podipam.Open(conf.StoreDir(), conf.PodCIDRs)
	if err != nil {
		nft.Cancel()
		return err
	}
	_, recorded, err := store.Lookup(key)
	if err != nil {
		nft.Cancel()
		return err
	}
	veth := hostVethName(key)
	// ADD writes the record before it creates rules, so without a record there are no
	// rules to remove and DEL spares itself the nft run.
	nftDone := make(chan error, 1)
	if recorded {
		go func() { nftDone <- nft.Remove(ctx, veth) }()
	} else {
		nft.Cancel()
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
