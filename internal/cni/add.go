package cni

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/plugins/pkg/ns"

	"github.com/dualnet/dualnet/internal/cni/antispoof"
	"github.com/dualnet/dualnet/internal/cni/config"
	"github.com/dualnet/dualnet/internal/dataplane/bridge"
	"github.com/dualnet/dualnet/internal/podipam"
)

// nftTimeout bounds the one nft run of a verb; a wedged nft must not wedge pod start.
const nftTimeout = 20 * time.Second

// cleanupTimeout bounds the teardown of a failed ADD.
const cleanupTimeout = 5 * time.Second

// attachment is what ADD builds and the result reports.
type attachment struct {
	key      podipam.Key
	hostVeth string
	addrs    []netip.Addr   // IPv4 first
	cidrs    []netip.Prefix // the pod CIDR of each address
	podMAC   string
}

func cmdAdd(args *skel.CmdArgs) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), nftTimeout)
	defer cancel()
	// First thing: nft takes milliseconds to start, and nothing here waits for it until the
	// rules are known (see antispoof.Pending).
	nft := antispoof.Start(ctx)
	nftUsed := false
	defer func() {
		if !nftUsed {
			nft.Cancel()
		}
	}()
	conf, err := config.Parse(args.StdinData)
	if err != nil {
		return err
	}
	if err := conf.RequireRanges(); err != nil {
		return err
	}
	hook := newPauseHook(args.Args)
	podNS, err := ns.GetNS(args.Netns)
	if err != nil {
		return types.NewError(types.ErrInvalidNetNS, fmt.Sprintf("CNI_NETNS %q: %v", args.Netns, err), "")
	}
	defer podNS.Close()

	store, err := podipam.Open(conf.StoreDir(), conf.PodCIDRs)
	if err != nil {
		return err
	}
	key := podipam.Key{ContainerID: args.ContainerID, IfName: args.IfName}
	_, repeated, err := store.Lookup(key)
	if err != nil {
		return err
	}
	addrs, err := store.Allocate(key)
	if err != nil {
		return allocationError(err)
	}
	hook.reached("allocated")
	defer func() {
		if err != nil { // leave nothing half-built; DEL would do the same, but may never come
			_ = cleanupFailedAdd(ctx, conf, key)
		}
	}()

	gateways := bridge.Gateways(conf.PodCIDRs)
	a := &attachment{key: key, hostVeth: hostVethName(key), addrs: addrs, cidrs: conf.PodCIDRs}
	// The nft process started at the top has been loading meanwhile; it commits the pod's
	// rules while netlink builds the veth. The rules match the port by name, so they do not
	// need the veth to exist yet.
	nftDone := make(chan error, 1)
	nftUsed = true
	go func() {
		nftDone <- nft.Install(ctx, antispoof.Pod{HostVeth: a.hostVeth, Addrs: addrs, Owner: args.ContainerID}, repeated)
	}()

	br, err := bridge.Ensure(nil, conf.Bridge, gateways, conf.MTU)
	if err != nil {
		<-nftDone
		return err
	}

	if err := createVeth(a, br, podNS, conf); err != nil {
		<-nftDone
		return err
	}
	hook.reached("veth")
	if err := podNS.Do(func(ns.NetNS) error { return configurePod(a, args.IfName, gateways) }); err != nil {
		<-nftDone
		return err
	}
	hook.reached("configured")
	if err := <-nftDone; err != nil {
		return fmt.Errorf("anti-spoofing rules for %s: %w", a.hostVeth, err)
	}
	hook.reached("done")
	return types.PrintResult(a.result(conf, br.Attrs().HardwareAddr.String(), args.IfName, args.Netns, gateways), conf.CNIVersion)
}

// cleanupFailedAdd tears down what a failed ADD built. It runs on a context of its own: the
// failure may be that ADD's context ran out, and exec will not even start nft on an expired
// context, which would leave the pod's rules behind.
func cleanupFailedAdd(ctx context.Context, conf *config.Config, key podipam.Key) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	return teardown(ctx, conf, key, nil)
}
