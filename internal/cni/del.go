package cni

import (
	"context"
	"fmt"
	"os"

	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/dataplane/antispoof"
	"github.com/dualnet/dualnet/internal/dataplane/podveth"
	"github.com/dualnet/dualnet/internal/podipam"
)

// cmdDel succeeds whatever is already gone: the namespace, the veth, the rules or the
// allocation (CNI spec: DEL must be idempotent), whatever changed in the config since the
// ADD but the store's place (config.ParseForDel), and for attachments ADD never makes.
func cmdDel(args *Args) error {
	conf, err := config.ParseForDel(args.StdinData)
	if err != nil {
		return err
	}
	key, err := attachmentOf(args)
	if err != nil {
		return nil // ADD refuses such an attachment, so there is nothing of it to delete
	}
	return teardown(conf, key)
}

// teardown removes one attachment: the port's registration and the veth first, the address
// record last, so that a failure leaves the record for the next DEL or GC to find. The pod
// end of the veth dies with the host end, so the pod namespace is not needed.
func teardown(conf *config.Config, key podipam.Key) error {
	store, err := podipam.Open(conf.StoreDir(), conf.PodCIDRs)
	if err != nil {
		return err
	}
	addrs, recorded, err := store.Lookup(key)
	if err != nil {
		return err
	}
	veth := podveth.HostName(key)
	link, err := podveth.FindHost(veth)
	if err != nil {
		return err
	}
	if link != nil {
		if err := deleteRegisteredVeth(link, key, addrs); err != nil {
			return err
		}
	} else if recorded {
		// The veth went with the pod's namespace before DEL came (a node restart, a
		// runtime that removes the namespace first), taking the index its elements are
		// keyed by. They are inert; delete them, with any others whose port is gone, as GC
		// does. This lists the table through nft: slow, but this path is rare.
		ctx, cancel := context.WithTimeout(context.Background(), nftTimeout)
		defer cancel()
		// Best effort: failing here (no nft, a timeout) would keep the address and the
		// sandbox for inert elements, which the agent's sweep and CNI GC delete anyway.
		if _, err := antispoof.GC(ctx, antispoof.PortExists); err != nil {
			fmt.Fprintf(os.Stderr, "dualnet-cni: DEL %s: anti-spoofing elements of %s, whose veth is gone, stay until the agent's sweep or a CNI GC: %v\n", key, veth, err)
		}
	}
	return store.Release(key)
}
